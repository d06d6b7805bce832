/**
 * The V8 code cache of the embedded libraries: written once, then used;
 * a damaged, foreign or untrusted file is never handed to V8 as it is, and
 * is replaced. V8 keeps scripts it compiled in memory by source and file
 * name, so each check compiles under a file name of its own: otherwise V8
 * would answer from memory and never look at the cache file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import t from 'tap';
import { runCached, saveCodeCaches } from '../../../src/runtime/code-cache.js';

const root = mkdtempSync(join(tmpdir(), 'vho-code-cache-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
process.env['VDSM_HOOK_OVS_ROOT'] = root;
const dir = join(root, 'var/cache/vdsm-hook-ovs');

/** A library of some size, different in every test: its functions are what the cache holds. */
function library(): { source: string; id: string } {
  const body = Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join('\n');
  const source = `(function () { /* ${randomUUID()} */ ${body}\n return f199(2) + f0(5); })`;
  return { source, id: `lib-${createHash('sha256').update(source).digest('hex').slice(0, 16)}` };
}

let runs = 0;
/** One run of a hook: the library compiled (under a new file name) and run, then the caches saved. */
async function run(lib: { source: string; id: string }): Promise<number> {
  const fn = runCached('lib', lib.id, lib.source, `run${++runs}`) as () => number;
  const value = fn();
  await saveCodeCaches();
  return value;
}

const cacheFile = (id: string) => join(dir, `${id}.v8`);

/** The file's payload when its digest holds, else undefined. */
function payloadOf(file: string): Buffer | undefined {
  const data = readFileSync(file);
  const payload = data.subarray(32);
  return createHash('sha256').update(payload).digest().equals(data.subarray(0, 32)) ? payload : undefined;
}

t.test('the first run compiles without a cache and writes one that V8 accepts', async (t) => {
  const lib = library();
  t.equal(await run(lib), 199 * 2 + 199, 'the library runs');
  const file = cacheFile(lib.id);
  t.equal(statSync(file).mode & 0o777, 0o644, 'readable by the hooks running as vdsm, writable by none of them');
  const payload = payloadOf(file);
  t.ok(payload, 'the file starts with the digest of its payload');
  const script = new Script(lib.source, { filename: 'elsewhere', cachedData: payload! });
  t.equal(script.cachedDataRejected, false, 'V8 accepts the payload');
});

t.test('a later run uses the cache and leaves the file alone', async (t) => {
  const lib = library();
  await run(lib);
  const before = statSync(cacheFile(lib.id));
  t.equal(await run(lib), 597);
  const after = statSync(cacheFile(lib.id));
  t.equal(after.ino, before.ino, 'not rewritten: the cache was accepted');
});

t.test('a file that is not the cache it claims to be is replaced, never run', async (t) => {
  const cases: [string, (file: string) => void][] = [
    ['a damaged payload (V8 itself would crash the process on it)', (file) => {
      const data = readFileSync(file);
      for (let i = data.length >> 1; i < (data.length >> 1) + 64; i++) data[i]! ^= 0x5a;
      writeFileSync(file, data);
    }],
    ['a cache of another V8 (its header altered, the digest made to match)', (file) => {
      const payload = Buffer.from(payloadOf(file)!);
      for (let i = 0; i < 16; i++) payload[i]! ^= 0x5a;
      writeFileSync(file, Buffer.concat([createHash('sha256').update(payload).digest(), payload]));
    }],
    ['an empty file', (file) => writeFileSync(file, '')],
    ['a file anybody may write', (file) => chmodSync(file, 0o666)],
    ['a file of another user', (file) => chownSync(file, 65534, 65534)],
  ];
  for (const [what, spoil] of cases) {
    const lib = library();
    await run(lib);
    const file = cacheFile(lib.id);
    spoil(file);
    const spoilt = statSync(file).ino;
    t.equal(await run(lib), 597, `${what}: the run is unaffected`);
    const now = statSync(file);
    t.not(now.ino, spoilt, `${what}: replaced`);
    t.strictSame([now.uid, now.mode & 0o777, payloadOf(file) !== undefined], [process.geteuid!(), 0o644, true], `${what}: by a good cache`);
  }
});

t.test('a new version of a library replaces the caches of the old one, not those of others', async (t) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lib-0000000000000000.v8'), 'old version');
  writeFileSync(join(dir, 'other-0000000000000000.v8'), 'another library');
  const lib = library();
  await run(lib);
  const left = readdirSync(dir);
  t.notOk(left.includes('lib-0000000000000000.v8'), 'the old version is gone');
  t.ok(left.includes('other-0000000000000000.v8'), 'another library is kept');
  t.ok(left.includes(`${lib.id}.v8`));
});

t.test('a cache directory that cannot be made costs the run nothing', async (t) => {
  rmSync(dir, { recursive: true, force: true });
  writeFileSync(dir, 'a file where the directory should be');
  t.teardown(() => rmSync(dir, { force: true }));
  t.equal(await run(library()), 597, 'the run is unaffected');
  t.equal(readFileSync(dir, 'utf8'), 'a file where the directory should be');
});

t.test('a run without anything compiled writes nothing', async (t) => {
  rmSync(dir, { recursive: true, force: true });
  await saveCodeCaches();
  t.notOk(existsSync(dir));
});
