/** File writes that never leave a half-written file behind. */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A file to write (content) or to remove (null). */
export interface FileChange {
  path: string;
  content: string | null;
  mode?: number;
}

/**
 * Each written file is complete on disk before it replaces the old one
 * (temp file, fsync, rename); then each directory is fsynced once, so that
 * the renames and removals themselves survive a crash.
 */
export function applyFileChanges(changes: FileChange[]): void {
  const dirs = new Set<string>();
  for (const { path, content, mode = 0o644 } of changes) {
    const dir = dirname(path);
    dirs.add(dir);
    if (content === null) {
      rmSync(path, { force: true });
      continue;
    }
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w', mode);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
  for (const dir of dirs) {
    let fd: number;
    try {
      fd = openSync(dir, 'r');
    } catch {
      continue; // a removal in a directory that does not exist
    }
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
