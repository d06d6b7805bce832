import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { removeFile, writeFileAtomic } from '../../src/files.js';

const dir = mkdtempSync(join(tmpdir(), 'vho-files-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('writeFileAtomic creates missing directories and leaves no temporary file', async (t) => {
  const file = join(dir, 'a/b/entry');
  writeFileAtomic(file, 'one\n');
  t.equal(readFileSync(file, 'utf8'), 'one\n');
  t.strictSame(readdirSync(join(dir, 'a/b')), ['entry']);
  t.equal(statSync(file).mode & 0o777, 0o644 & ~process.umask(), 'default mode 0644 (less the umask)');
});

t.test('writeFileAtomic replaces by rename: a reader never sees a partial file', async (t) => {
  const file = join(dir, 'replace');
  writeFileSync(file, 'old');
  const before = statSync(file).ino;
  writeFileAtomic(file, 'new');
  t.equal(readFileSync(file, 'utf8'), 'new');
  t.not(statSync(file).ino, before, 'a new inode renamed over the old path');
});

t.test('writeFileAtomic honours the mode', async (t) => {
  const file = join(dir, 'secret');
  writeFileAtomic(file, 'x', 0o600);
  t.equal(statSync(file).mode & 0o777, 0o600);
});

t.test('removeFile removes, and does not mind an absent file', async (t) => {
  const file = join(dir, 'gone');
  writeFileSync(file, 'x');
  removeFile(file);
  t.notOk(existsSync(file));
  t.doesNotThrow(() => removeFile(file));
});
