/**
 * The OVS networks and bonds of VDSM's running config, for the hooks that
 * only report (caps, stats): an entry that does not parse is left out and
 * named as a problem, so one bad file does not hide the others.
 */
import { rawBondOptions } from '../model/bond-options.js';
import type { Owned } from './caps.js';
import { describe } from '../runtime/errors.js';
import { bondIsOvs, networkIsOvs, parseBond, parseNetwork } from '../model/definitions.js';
import type { RunningEntries } from './running-config.js';
import { toStr } from '../model/values.js';

export function ownedEntries(running: RunningEntries): { owned: Owned; problems: string[] } {
  const owned: Owned = { networks: [], bonds: [] };
  const problems: string[] = [];
  for (const _ of scanOwned(running, owned, problems));
  return { owned, problems };
}

/**
 * Adds each OVS network and bond of the running config to `owned` as the
 * iteration reads it, yielding its kind, so that a caller can start what the
 * first one needs before the rest is read.
 */
export function* scanOwned(running: RunningEntries, owned: Owned, problems: string[]): Generator<'network' | 'bond'> {
  const attempt = (what: string, fn: () => boolean): boolean => {
    try {
      return fn();
    } catch (err) {
      problems.push(`running config ${what} left out: ${describe(err)}`);
      return false;
    }
  };
  for (const [name, attrs] of running.networks) {
    const found = attempt(`network '${name}'`, () => {
      if (!networkIsOvs(name, attrs)) return false;
      owned.networks.push(parseNetwork(name, attrs));
      return true;
    });
    if (found) yield 'network';
  }
  for (const [name, attrs] of running.bonds) {
    const found = attempt(`bond '${name}'`, () => {
      if (!bondIsOvs(name, attrs)) return false;
      const subject = `bond '${name}'`;
      owned.bonds.push({ def: parseBond(name, attrs), opts: rawBondOptions(subject, toStr(subject, 'options', attrs['options'])) });
      return true;
    });
    if (found) yield 'bond';
  }
}
