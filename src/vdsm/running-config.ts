/**
 * VDSM's running config: one JSON object per network or bond, in
 * var/run/vdsm/netconf/{nets,bonds}/<name>. VDSM keeps its own (Linux bridge)
 * entries there too; the hook reads all, writes only OVS ones. VDSM's
 * persisted config has the same layout and is read the same way, never written.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../runtime/errors.js';
import type { FileChange } from '../host/files.js';
import type { Attrs } from '../model/definitions.js';
import type { HostPaths } from '../host/paths.js';
import { isRecord } from '../model/values.js';

export interface RunningConfig {
  networks: Map<string, Attrs>;
  bonds: Map<string, Attrs>;
}

export function readRunningConfig(paths: HostPaths): RunningConfig {
  const { networks, bonds } = runningEntries(paths);
  return { networks: new Map(networks), bonds: new Map(bonds) };
}

/** The running config's entries, each file read only when the iteration reaches it. */
export interface RunningEntries {
  networks: Iterable<[string, Attrs]>;
  bonds: Iterable<[string, Attrs]>;
}

/** The running config read as it is iterated: a reader can act on the first entries while the rest are still unread. */
export function runningEntries(paths: HostPaths): RunningEntries {
  return { networks: lazily(paths.netsDir, 'running config'), bonds: lazily(paths.bondsDir, 'running config') };
}

const lazily = (dir: string, what: string): Iterable<[string, Attrs]> => ({ [Symbol.iterator]: () => dirEntries(dir, what) });

/** The config VDSM persisted (setSafeNetworkConfig) and refills the running config from at boot. */
export function readPersistedConfig(paths: HostPaths): RunningConfig {
  const what = "VDSM's persisted config";
  return { networks: readDir(paths.persistedNetsDir, what), bonds: readDir(paths.persistedBondsDir, what) };
}

function readDir(dir: string, what: string): Map<string, Attrs> {
  return new Map(dirEntries(dir, what));
}

/** The entries of a directory in name order, each file read when the iteration reaches it. */
function* dirEntries(dir: string, what: string): Generator<[string, Attrs]> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const file = join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new HostError(file, `${what} entry is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!isRecord(parsed)) throw new HostError(file, `${what} entry is not a JSON object`);
    yield [name, parsed];
  }
}

export type EntryChange = { kind: 'nets' | 'bonds'; name: string; attrs: Attrs | null };

/** Entry writes, only of entries whose content changes; label says which, for the log. */
export interface EntryWrites {
  files: FileChange[];
  labels: string[];
}

/** An entry as the hook writes it. */
const entryText = (attrs: Attrs): string => `${JSON.stringify(attrs, null, 4)}\n`;

/** Compared with the running config as read (not read again): an entry whose content is already there is not rewritten. */
export function entryWrites(paths: HostPaths, running: RunningConfig, changes: EntryChange[]): EntryWrites {
  const writes: EntryWrites = { files: [], labels: [] };
  for (const { kind, name, attrs } of changes) {
    const current = (kind === 'nets' ? running.networks : running.bonds).get(name);
    const content = attrs === null ? null : entryText(attrs);
    if (content === (current === undefined ? null : entryText(current))) continue;
    writes.files.push({ path: join(kind === 'nets' ? paths.netsDir : paths.bondsDir, name), content });
    writes.labels.push(`${kind}/${name}${content === null ? ' (removed)' : ''}`);
  }
  return writes;
}
