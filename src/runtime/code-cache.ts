/**
 * V8 code cache for the libraries each bundle embeds (execa, winston; see
 * scripts/build.mjs). V8 compiles every function the first time it runs, and
 * compiling those two was about half of a hook's own start-up: a run that
 * spawned one command and logged one line took ~118 ms from Node's start,
 * ~60 with the cache. The cache is the bytecode a run compiled, written by
 * the first run that may write the cache directory (a root hook, or
 * `vdsm-ovs restore` at boot) and read by every later run.
 *
 * Nothing here may break a hook: a cache that is missing, unreadable,
 * untrusted, damaged or made by another Node is ignored (the library is
 * compiled as without a cache) and rewritten by the next run that can.
 * - Root hooks run this bytecode: a file is used only when root or the
 *   running user owns it and nobody else may write it.
 * - V8 checks its version, flags and the source's length, but not the
 *   payload, and crashes the process on a damaged one: each file starts
 *   with the SHA-256 of its payload, checked before V8 sees it.
 * - The file's name carries a hash of the source (set at build time): a
 *   cache is never handed another version of the library.
 */
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { applyFileChanges } from '../host/files.js';
import { hostPaths } from '../host/paths.js';

const DIGEST = 32;

/** Compiled this run without a usable cache: written by saveCodeCaches. */
const uncached: { file: string; script: Script }[] = [];

/** A read-only command (vdsm-ovs show, plan) writes no file, not even a cache. */
let writeAllowed = true;

export function writeNoCodeCache(): void {
  writeAllowed = false;
}

/**
 * Compiles source (the library `name`, `id` = name-sourcehash) with its
 * cache when there is a usable one, and runs it: the value of the script.
 */
export function runCached(name: string, id: string, source: string, filename: string): unknown {
  const file = join(hostPaths().codeCacheDir, `${id}.v8`);
  const cachedData = readCache(file);
  const script = new Script(source, { filename: `${filename} (bundled ${name})`, ...(cachedData ? { cachedData } : {}) });
  if (!cachedData || script.cachedDataRejected) {
    // saved once the run has nothing left to do: after its answer and stderr, with all it compiled
    if (uncached.length === 0) process.once('beforeExit', () => void saveCodeCaches());
    uncached.push({ file, script });
  }
  return script.runInThisContext();
}

/** The payload of a trusted, intact cache file; undefined otherwise. */
function readCache(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined; // the usual first run
  }
  try {
    const { uid, mode } = fstatSync(fd);
    if ((uid !== 0 && uid !== process.geteuid?.()) || (mode & 0o022) !== 0) return undefined;
    const data = readFileSync(fd);
    const payload = data.subarray(DIGEST);
    if (data.length <= DIGEST || !createHash('sha256').update(payload).digest().equals(data.subarray(0, DIGEST))) return undefined;
    return payload;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the caches this run compiled without, when it may write the cache
 * directory, and removes the caches of other versions of those libraries.
 * Never throws.
 */
export async function saveCodeCaches(): Promise<void> {
  if (uncached.length === 0 || !writeAllowed) return;
  const dir = hostPaths().codeCacheDir;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    accessSync(dir, constants.W_OK); // a run as vdsm reads the caches root made, and need not make its own
    const current = new Set(uncached.map(({ file }) => file));
    const libraries = new Set([...current].map((file) => libraryOf(file)));
    const stale = readdirSync(dir)
      .map((name) => join(dir, name))
      .filter((file) => file.endsWith('.v8') && !current.has(file) && libraries.has(libraryOf(file)));
    await applyFileChanges([
      ...uncached.map(({ file, script }) => {
        const payload = script.createCachedData();
        return { path: file, content: Buffer.concat([createHash('sha256').update(payload).digest(), payload]), mode: 0o644 };
      }),
      ...stale.map((path) => ({ path, content: null })),
    ]);
  } catch {
    // only a speed-up: the next run that can writes it
  } finally {
    uncached.length = 0;
  }
}

/** ".../execa-0123abcd.v8" -> ".../execa" */
const libraryOf = (file: string): string => file.slice(0, file.lastIndexOf('-'));
