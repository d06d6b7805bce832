/**
 * The pre-request state of the change in progress, written before anything
 * is touched so that after_network_setup_fail, a failure inside the hook, or
 * the next run after a crash can bring the host back to it.
 *
 * It holds the running config entries the change touches, as they were: the
 * running config is what defines every OVS object, address and file the hook
 * owns, so the earlier state is re-derived from it by the same planner (one
 * transaction from the failed state to the earlier one, no empty state in
 * between).
 */
import { existsSync, readFileSync } from 'node:fs';
import { HostError } from '../runtime/errors.js';
import { applyFileChanges } from '../host/files.js';
import type { Attrs } from '../model/definitions.js';
import { ifaceNameProblem } from '../model/names.js';
import type { HostPaths } from '../host/paths.js';
import type { OvsRequest } from '../vdsm/request.js';
import type { EntryChange, RunningConfig } from '../vdsm/running-config.js';
import { isRecord } from '../model/values.js';

export interface Snapshot {
  /**
   * applying: the change was started and may be partly done; applied: it is
   * complete and VDSM's outcome is pending; rolling-back: a rollback started
   */
  phase: 'applying' | 'applied' | 'rolling-back';
  /** the run that took it, for the log */
  pid: number;
  time: string;
  /** what the change was, for people: "networks [a, b], bonds [bond0]" */
  change: string;
  /** each running config entry the change touches, as it was (null: it did not exist) */
  entries: EntryChange[];
  /** addresses the change flushes from NICs OVS takes: the running config does not hold them */
  nicAddresses: Record<string, string[]>;
  /** NICs the change brings up from down */
  downNics: string[];
  /** host files outside the running config the change rewrites (resolv.conf), as they were (null: absent) */
  hostFiles: HostFile[];
  /** OVS entries to apply once VDSM succeeded: networks moving from Linux bridge to OVS (see vdsm/request.ts) */
  deferred: EntryChange[];
}

export interface HostFile {
  path: string;
  content: string | null;
}

export interface SnapshotInput {
  changes: EntryChange[];
  flushed: ReadonlyMap<string, string[]>;
  broughtUp: string[];
  hostFiles: HostFile[];
  deferred: EntryChange[];
}

export function takeSnapshot(running: RunningConfig, plan: SnapshotInput, change: string): Snapshot {
  const earlier = (c: EntryChange): Attrs | null =>
    (c.kind === 'nets' ? running.networks : running.bonds).get(c.name) ?? null;
  return {
    phase: 'applying',
    pid: process.pid,
    time: new Date().toISOString(),
    change,
    entries: plan.changes.map((c) => ({ kind: c.kind, name: c.name, attrs: earlier(c) })),
    nicAddresses: Object.fromEntries(plan.flushed),
    downNics: plan.broughtUp,
    hostFiles: plan.hostFiles,
    deferred: plan.deferred,
  };
}

/** Entries as a request. */
export function entriesRequest(entries: EntryChange[]): OvsRequest {
  const pick = (kind: EntryChange['kind']) =>
    new Map(entries.filter((e) => e.kind === kind).map((e) => [e.name, e.attrs] as const));
  return { networks: pick('nets'), bonds: pick('bonds') };
}

/** The snapshot as a request: applying it gives back the earlier state. */
export function snapshotRequest(snap: Snapshot): OvsRequest {
  return entriesRequest(snap.entries);
}

export function writeSnapshot(paths: HostPaths, snap: Snapshot): Promise<void> {
  // root-only: it holds the host's network definitions
  return applyFileChanges([{ path: paths.snapshot, content: `${JSON.stringify(snap, null, 2)}\n`, mode: 0o600 }]);
}

export function dropSnapshot(paths: HostPaths): Promise<void> {
  return applyFileChanges([{ path: paths.snapshot, content: null }]);
}

export function readSnapshot(paths: HostPaths): Snapshot | undefined {
  if (!existsSync(paths.snapshot)) return undefined;
  const bad = (why: string): HostError =>
    new HostError(paths.snapshot, `${why}; inspect it, then remove it or run 'vdsm-ovs rollback'`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(paths.snapshot, 'utf8'));
  } catch (err) {
    throw bad(`pending snapshot is not valid JSON (${(err as Error).message})`);
  }
  return parseSnapshot(doc, bad, [paths.resolvConf]);
}

export function parseSnapshot(doc: unknown, bad: (why: string) => Error, allowedFiles: readonly string[]): Snapshot {
  if (!isRecord(doc)) throw bad('pending snapshot is not a JSON object');
  const { phase, pid, time, change, entries, nicAddresses = {}, downNics = [], hostFiles = [], deferred = [] } = doc;
  if (phase !== 'applying' && phase !== 'applied' && phase !== 'rolling-back') throw bad(`pending snapshot: phase ${JSON.stringify(phase)} is unknown`);
  if (typeof pid !== 'number' || typeof time !== 'string' || typeof change !== 'string' || !Array.isArray(entries)) {
    throw bad('pending snapshot lacks pid, time, change or entries');
  }
  const parseEntry = (e: unknown): EntryChange => {
    const ok = isRecord(e) && (e['kind'] === 'nets' || e['kind'] === 'bonds') && typeof e['name'] === 'string'
      && (e['attrs'] === null || isRecord(e['attrs']));
    if (!ok) throw bad(`pending snapshot: entry ${JSON.stringify(e)} is not {kind, name, attrs}`);
    // the name becomes a running config file path
    const problem = ifaceNameProblem(e['name'] as string);
    if (problem) throw bad(`pending snapshot: entry name ${JSON.stringify(e['name'])} ${problem}`);
    return { kind: e['kind'] as EntryChange['kind'], name: e['name'] as string, attrs: e['attrs'] as Attrs | null };
  };
  const parsed = entries.map(parseEntry);
  if (!Array.isArray(deferred)) throw bad('pending snapshot: deferred is not a list');
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!isRecord(nicAddresses) || !Object.entries(nicAddresses).every(([nic, a]) => !ifaceNameProblem(nic) && strings(a))) {
    throw bad('pending snapshot: nicAddresses is not {nic: [addresses]}');
  }
  if (!strings(downNics) || downNics.some((n) => ifaceNameProblem(n))) throw bad('pending snapshot: downNics is not a list of NICs');
  const files = Array.isArray(hostFiles) ? hostFiles : [undefined];
  for (const f of files) {
    const ok = isRecord(f) && allowedFiles.includes(f['path'] as string) && (f['content'] === null || typeof f['content'] === 'string');
    if (!ok) throw bad(`pending snapshot: host file ${JSON.stringify(f)} is not one the hook writes`);
  }
  return {
    phase, pid, time, change, entries: parsed,
    nicAddresses: nicAddresses as Record<string, string[]>,
    downNics,
    hostFiles: files as HostFile[],
    deferred: deferred.map(parseEntry),
  };
}
