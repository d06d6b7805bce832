/** File writes that never leave a half-written file behind. */
import { renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkpoint } from '../runtime/fault.js';

/** A file to write (content: text, or bytes for a binary file) or to remove (null). */
export interface FileChange {
  path: string;
  content: string | Uint8Array | null;
  mode?: number;
}

/**
 * Each written file is complete on disk before it replaces the old one
 * (temp file, fsync, rename); then each directory is fsynced once, so that
 * the renames and removals themselves survive a crash. The files are written
 * side by side: a change of hundreds of networks rewrites hundreds of ifcfg
 * files, and fsyncs in flight together share the file system's journal
 * commits (a few dozen at a time). Every file is attempted; the first
 * failure is thrown after all.
 * On a tmpfs (VDSM's running config in /var/run) nothing survives a crash
 * anyway: files there are written and removed directly, without fsyncs and
 * the round trips through libuv's thread pool, which cost more than the work.
 */
export async function applyFileChanges(changes: FileChange[]): Promise<void> {
  const dirs = new Set(changes.map((c) => dirname(c.path)));
  const written = new Set(changes.filter((c) => c.content !== null).map((c) => dirname(c.path)));
  await Promise.all([...written].map((dir) => mkdir(dir, { recursive: true })));
  const volatile = new Set([...dirs].filter(inMemory));
  await eachInFlight(changes, (c) => applyOne(c, volatile.has(dirname(c.path))));
  await eachInFlight([...dirs].filter((d) => !volatile.has(d)), syncDir);
}

/** Files in flight at once: each holds a descriptor, and a hook inherits VDSM's descriptor limit. */
const IN_FLIGHT = 32;

/** fn on every item, IN_FLIGHT at a time; every item is attempted, then the first failure is thrown. */
async function eachInFlight<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!).catch((err: unknown) => void failures.push(err));
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, worker));
  if (failures.length) throw failures[0];
}

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

function inMemory(dir: string): boolean {
  let type: number;
  try {
    ({ type } = statfsSync(dir));
  } catch {
    return false; // no such directory: only removals there, which find nothing
  }
  return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
}

/**
 * The temp file a write goes through: hidden, beside the file, named after
 * it and the writer's pid. A writer killed before its rename leaves it;
 * tempTarget tells it apart from other files, for the next run to sweep.
 */
export function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/** The file name a temp file's name (tempPath) stands for and its writer's pid; undefined for any other name. */
export function tempTarget(name: string): { target: string; pid: number } | undefined {
  const match = /^\.(.+)\.([1-9]\d*)\.tmp$/.exec(name);
  return match ? { target: match[1]!, pid: Number(match[2]) } : undefined;
}

async function applyOne({ path, content, mode = 0o644 }: FileChange, volatile: boolean): Promise<void> {
  if (content === null) return volatile ? rmSync(path, { force: true }) : rm(path, { force: true });
  const tmp = tempPath(path);
  try {
    if (volatile) {
      writeFileSync(tmp, content, { mode });
      checkpoint('rename');
      return renameSync(tmp, path);
    }
    const file = await open(tmp, 'w', mode);
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    checkpoint('rename');
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch {
    return; // a removal in a directory that does not exist
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
