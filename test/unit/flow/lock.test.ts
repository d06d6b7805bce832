import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { HostError } from '../../../src/runtime/errors.js';
import { withLock } from '../../../src/flow/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'vho-lock-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockPath = () => join(dir, `lock-${n++}`);

t.test('two concurrent callers run one after the other', async (t) => {
  const path = join(dir, 'run', 'vdsm-hook-ovs.lock'); // its directory does not exist yet
  const events: string[] = [];
  const job = (name: string) => withLock(path, 5, async () => {
    events.push(`${name} in`);
    t.equal(readFileSync(path, 'utf8').trim(), String(process.pid), 'the lock holds the owner pid');
    await sleep(100);
    events.push(`${name} out`);
    return name;
  });
  const results = await Promise.all([job('a'), job('b')]);
  t.strictSame(results, ['a', 'b'], 'each gets its own result');
  t.equal(events.length, 4);
  t.equal(events[1], `${events[0]!.split(' ')[0]} out`, `no overlap: ${events.join(', ')}`);
  t.equal(events[3], `${events[2]!.split(' ')[0]} out`);
  t.notOk(existsSync(path), 'released at the end');
});

t.test('a stale lock of a dead process is taken over', async (t) => {
  const path = lockPath();
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(path, `${dead}\n`);
  const started = Date.now();
  t.equal(await withLock(path, 2, async () => 'ran'), 'ran');
  t.ok(Date.now() - started < 1500, 'without waiting for the deadline');
  t.notOk(existsSync(path));
});

t.test('a lock held by a live process is not taken: a host error after the wait', async (t) => {
  const path = lockPath();
  writeFileSync(path, `${process.pid}\n`);
  let ran = false;
  await t.rejects(withLock(path, 0.2, async () => { ran = true; }), HostError);
  t.notOk(ran, 'the function did not run');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`, 'the holder keeps its lock');
});

t.test('the lock is released when the function fails', async (t) => {
  const path = lockPath();
  await t.rejects(withLock(path, 1, async () => { throw new Error('boom'); }), { message: 'boom' });
  t.notOk(existsSync(path));
  t.equal(await withLock(path, 1, async () => 42), 42, 'and can be taken again');
});

t.test('many runs racing to take over a stale lock still get it one at a time', async (t) => {
  const path = lockPath();
  const events = join(dir, 'events');
  writeFileSync(events, '');
  writeFileSync(path, `${spawnSync(process.execPath, ['-e', '']).pid!}\n`);
  const lockModule = new URL('../../../src/flow/lock.ts', import.meta.url).href;
  const child = `
    import { appendFileSync } from 'node:fs';
    import { setTimeout as sleep } from 'node:timers/promises';
    const { withLock } = await import(${JSON.stringify(lockModule)});
    await withLock(${JSON.stringify(path)}, 20, async () => {
      appendFileSync(${JSON.stringify(events)}, 'in ' + process.pid + '\\n');
      await sleep(30);
      appendFileSync(${JSON.stringify(events)}, 'out ' + process.pid + '\\n');
    });`;
  const runs = Array.from({ length: 6 }, () => new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { stdio: 'inherit' });
    p.on('exit', resolve);
  }));
  t.strictSame(await Promise.all(runs), [0, 0, 0, 0, 0, 0], 'every run got the lock');
  const lines = readFileSync(events, 'utf8').trim().split('\n');
  t.equal(lines.length, 12);
  const overlaps = lines.filter((l, i) => i % 2 === 1 && l !== lines[i - 1]!.replace('in', 'out'));
  t.strictSame(overlaps, [], `each run left before the next came in:\n${lines.join('\n')}`);
  t.notOk(existsSync(path), 'released at the end');
});
