/**
 * One hook run at a time: an exclusive lock file holding the owner's pid.
 * A lock left by a dead process (a crashed or killed hook) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostError } from './errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryTake(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o644);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder = NaN;
  try {
    holder = parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    return false; // released between our open and read: try again
  }
  if (Number.isInteger(holder) && !alive(holder)) rmSync(path, { force: true });
  return false;
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
