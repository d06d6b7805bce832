import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { applyFileChanges, tempPath, tempTarget } from '../../../src/host/files.js';

const dir = mkdtempSync(join(tmpdir(), 'vho-files-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('applyFileChanges creates missing directories and leaves no temporary file', async (t) => {
  const file = join(dir, 'a/b/entry');
  await applyFileChanges([{ path: file, content: 'one\n' }]);
  t.equal(readFileSync(file, 'utf8'), 'one\n');
  t.strictSame(readdirSync(join(dir, 'a/b')), ['entry']);
  t.equal(statSync(file).mode & 0o777, 0o644 & ~process.umask(), 'default mode 0644 (less the umask)');
});

t.test('applyFileChanges replaces by rename: a reader never sees a partial file', async (t) => {
  const file = join(dir, 'replace');
  writeFileSync(file, 'old');
  const before = statSync(file).ino;
  await applyFileChanges([{ path: file, content: 'new' }]);
  t.equal(readFileSync(file, 'utf8'), 'new');
  t.not(statSync(file).ino, before, 'a new inode renamed over the old path');
});

t.test('applyFileChanges honours the mode', async (t) => {
  const file = join(dir, 'secret');
  await applyFileChanges([{ path: file, content: 'x', mode: 0o600 }]);
  t.equal(statSync(file).mode & 0o777, 0o600);
});

t.test('applyFileChanges writes and removes in one go, and does not mind an absent file', async (t) => {
  const gone = join(dir, 'gone');
  const kept = join(dir, 'sub', 'kept');
  writeFileSync(gone, 'x');
  await applyFileChanges([{ path: gone, content: null }, { path: kept, content: 'k' }, { path: join(dir, 'nodir', 'absent'), content: null }]);
  t.notOk(existsSync(gone), 'removed');
  t.equal(readFileSync(kept, 'utf8'), 'k', 'written, its directory created');
  await t.resolves(applyFileChanges([{ path: gone, content: null }]), 'removing an absent file is fine');
});

t.test('applyFileChanges: one file that cannot be written fails the call, the others are written, no temp file stays', async (t) => {
  const sub = join(dir, 'many');
  const blocked = join(sub, 'blocked');
  mkdirSync(blocked, { recursive: true }); // a directory where a file should go: the rename fails
  const names = Array.from({ length: 20 }, (_, i) => `f${i}`);
  const changes = [...names.map((n) => ({ path: join(sub, n), content: n })), { path: blocked, content: 'x' }];
  await t.rejects(applyFileChanges(changes), { code: 'EISDIR' });
  for (const n of names) t.equal(readFileSync(join(sub, n), 'utf8'), n, `${n} written`);
  t.strictSame(readdirSync(sub).sort(), ['blocked', ...names].sort(), 'no temporary file left');
});

t.test('applyFileChanges on a tmpfs (as /var/run): the same result, written directly', async (t) => {
  const shm = mkdtempSync(join('/dev/shm', 'vho-files-'));
  t.teardown(() => rmSync(shm, { recursive: true, force: true }));
  const file = join(shm, 'nets', 'red');
  await applyFileChanges([{ path: file, content: 'one\n', mode: 0o600 }]);
  const before = statSync(file).ino;
  await applyFileChanges([{ path: file, content: 'two\n', mode: 0o600 }]);
  t.equal(readFileSync(file, 'utf8'), 'two\n');
  t.not(statSync(file).ino, before, 'replaced by rename');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.strictSame(readdirSync(join(shm, 'nets')), ['red'], 'no temporary file left');
  await t.rejects(applyFileChanges([{ path: join(shm, 'nets'), content: 'x' }]), { code: 'EISDIR' });
  t.strictSame(readdirSync(shm), ['nets'], 'a failed write leaves no temporary file');
  await applyFileChanges([{ path: file, content: null }, { path: join(shm, 'absent', 'x'), content: null }]);
  t.strictSame(readdirSync(join(shm, 'nets')), [], 'removed; a removal in a missing directory is fine');
});

t.test('applyFileChanges keeps few descriptors open: 300 files under a limit of 64', async (t) => {
  const many = mkdtempSync(join(tmpdir(), 'vho-files-many-'));
  t.teardown(() => rmSync(many, { recursive: true, force: true }));
  const script = `
    import { applyFileChanges } from ${JSON.stringify(new URL('../../../src/host/files.ts', import.meta.url).pathname)};
    await applyFileChanges(Array.from({ length: 300 }, (_, i) => ({ path: ${JSON.stringify(many)} + '/f' + i, content: String(i) })));
  `;
  // prlimit: the soft and hard descriptor limit of the writing process only
  const r = spawnSync('prlimit', ['--nofile=64', process.execPath, '--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(readdirSync(many).length, 300, 'every file written, no temporary file left');
  t.equal(readFileSync(join(many, 'f299'), 'utf8'), '299');
});

t.test('a temp file name tells the file it stands for and its writer, and nothing else passes for one', async (t) => {
  t.strictSame(tempTarget(basename(tempPath('/etc/sysconfig/network-scripts/ifcfg-blue'))), { target: 'ifcfg-blue', pid: process.pid });
  t.strictSame(tempTarget('.pending.json.4242.tmp'), { target: 'pending.json', pid: 4242 });
  for (const other of ['ifcfg-blue', '.ifcfg-blue.tmp', '.ifcfg-blue.0.tmp', '.ifcfg-blue.12a.tmp', '..1.tmp', 'x.1.tmp', '.x.1.tmp~']) {
    t.equal(tempTarget(other), undefined, other);
  }
});
