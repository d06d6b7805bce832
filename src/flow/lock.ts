/**
 * One hook run at a time: an exclusive lock file holding the owner's pid.
 * A lock left by a dead process (a crashed or killed hook) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HookConfig } from '../runtime/config.js';
import { HostError } from '../runtime/errors.js';
import type { HostPaths } from '../host/paths.js';
import type { Log } from '../runtime/log.js';
import { alive } from '../runtime/processes.js';
import { sweepTemps } from './sweep.js';

function tryTake(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o644);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = holderOf(path);
  if (holder !== undefined && !alive(holder)) breakStale(path, holder);
  return false;
}

function holderOf(path: string): number | undefined {
  try {
    const pid = parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined; // released meanwhile: try again
  }
}

/** The pid of the live process holding the lock, if one does (a dead holder's lock is no lock). */
export function lockHolder(path: string): number | undefined {
  const holder = holderOf(path);
  return holder !== undefined && alive(holder) ? holder : undefined;
}

/** A breaker that died mid-way leaves its file; after this long it is ignored. */
const BREAKER_STALE_MS = 5000;

/**
 * Removes a dead holder's lock. Two runs may both find it dead: without the
 * breaker file, the slower one could remove the lock the faster one has
 * taken in between. The breaker admits one at a time, and the holder is
 * checked again once inside.
 */
function breakStale(path: string, holder: number): void {
  const breaker = `${path}.break`;
  try {
    closeSync(openSync(breaker, 'wx', 0o644));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = Date.now() - (statSync(breaker, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > BREAKER_STALE_MS) rmSync(breaker, { force: true });
    return;
  }
  try {
    if (holderOf(path) === holder) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

export async function withLock<T>(path: string, waitS: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + waitS * 1000;
  while (!tryTake(path)) {
    if (Date.now() > deadline) {
      throw new HostError(path, `another hook run still holds the lock after ${waitS} s`);
    }
    await sleep(20);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

/**
 * The lock every hook run and vdsm-ovs change takes. Its new holder first
 * sweeps the temp files a holder killed half-way through a write left.
 */
export function withHookLock<T>(ctx: { paths: HostPaths; config: HookConfig; log: Log }, fn: () => Promise<T>): Promise<T> {
  // the holder may itself wait on OVS for its timeout, several times over (read, probe, transaction, rollback)
  return withLock(ctx.paths.lock, ctx.config.timeout * 6, () => {
    sweepTemps(ctx.paths, ctx.log);
    return fn();
  });
}
