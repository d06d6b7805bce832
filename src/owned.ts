/**
 * The OVS networks and bonds of VDSM's running config, for the hooks that
 * only report (caps, stats): an entry that does not parse is left out and
 * named as a problem, so one bad file does not hide the others.
 */
import { rawBondOptions } from './bond-options.js';
import type { Owned } from './caps.js';
import { describe } from './errors.js';
import { bondIsOvs, networkIsOvs, parseBond, parseNetwork } from './model.js';
import type { RunningConfig } from './running-config.js';
import { toStr } from './values.js';

export function ownedEntries(running: RunningConfig): { owned: Owned; problems: string[] } {
  const owned: Owned = { networks: [], bonds: [] };
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      problems.push(`running config ${what} left out: ${describe(err)}`);
    }
  };
  for (const [name, attrs] of running.networks) {
    attempt(`network '${name}'`, () => {
      if (networkIsOvs(name, attrs)) owned.networks.push(parseNetwork(name, attrs));
    });
  }
  for (const [name, attrs] of running.bonds) {
    attempt(`bond '${name}'`, () => {
      if (!bondIsOvs(name, attrs)) return;
      const subject = `bond '${name}'`;
      owned.bonds.push({ def: parseBond(name, attrs), opts: rawBondOptions(subject, toStr(subject, 'options', attrs['options'])) });
    });
  }
  return { owned, problems };
}
