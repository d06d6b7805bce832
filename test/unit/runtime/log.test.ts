import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { createLog } from '../../../src/runtime/log.js';

const dir = mkdtempSync(join(tmpdir(), 'vho-log-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Whether winston's main module has run in this process (tap runs each test file in its own). */
const winstonLoaded = (): boolean =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => f.replace(/\\/g, '/').endsWith('/winston/lib/winston.js'));

const LINE = /^(\S+) (\S+)\[(\d+)\] (\w+): (.*)$/;
function fileLines(t: Test, file: string): { time: number; hook: string; pid: number; level: string; message: string }[] {
  const text = readFileSync(file, 'utf8');
  t.ok(text.endsWith('\n'), 'the file ends with a full line');
  return text.split('\n').slice(0, -1).map((l) => {
    const m = LINE.exec(l);
    if (!m) throw new Error(`not a log line: ${l}`);
    return { time: Date.parse(m[1]!), hook: m[2]!, pid: Number(m[3]), level: m[4]!, message: m[5]! };
  });
}

/** Logs one line and returns the window of time it was logged in. */
function timed(fn: () => void): [number, number] {
  const before = Date.now();
  fn();
  return [before, Date.now()];
}

/** Busy-waits so that the clock moves on before the next line. */
function tick(ms = 5): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

async function until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const started = Date.now(); !done(); await sleep(10)) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
  }
}

// first: nothing may have loaded winston yet
t.test('a Log that logs nothing loads no winston and writes no file', async (t) => {
  const file = join(dir, 'quiet', 'var', 'log', 'ovs-hook.log');
  const log = createLog(file, 'after_get_caps');
  t.equal(log.stderrText(), '', 'nothing for stderr');
  t.equal(log.stderrText('the error'), 'the error\n', 'the error line alone');
  await log.close();
  t.notOk(winstonLoaded(), 'winston was not loaded');
  t.notOk(existsSync(join(dir, 'quiet')), 'not even the log directory was made');
});

t.test('a Log that logs writes every line in order, timestamped when logged', async (t) => {
  const file = join(dir, 'busy', 'ovs-hook.log');
  const log = createLog(file, 'after_get_caps');
  // logged before winston is loaded (it loads asynchronously): queued with their own time
  const windows = [timed(() => log.info('first')), (tick(), timed(() => log.warn('second'))), (tick(), timed(() => log.error('third')))];
  // once the queued lines are in the file, winston is there and takes the next line at once
  await until(() => existsSync(file) && readFileSync(file, 'utf8').includes(' info: first\n'));
  t.ok(winstonLoaded(), 'winston was loaded by the first line');
  windows.push(timed(() => log.info('fourth, winston loaded')));
  await log.close();

  const lines = fileLines(t, file);
  t.strictSame(
    lines.map((l) => `${l.level}: ${l.message}`),
    ['info: first', 'warn: second', 'error: third', 'info: fourth, winston loaded'],
    'every line, in the order logged',
  );
  lines.forEach((l, i) => {
    t.equal(l.hook, 'after_get_caps');
    t.equal(l.pid, process.pid);
    const [from, to] = windows[i]!;
    t.ok(l.time >= from && l.time <= to, `line ${i} timestamped when logged: ${new Date(l.time).toISOString()} in [${from}, ${to}]`);
  });
  t.equal(
    log.stderrText('hook input: is not JSON'),
    'hook input: is not JSON\ninfo: first\nwarn: second\nerror: third\ninfo: fourth, winston loaded\n',
    'stderr: the error line first, then the lines in order',
  );
});

t.test('close() resolves once the file holds every line, and appends to an existing file', async (t) => {
  const file = join(dir, 'many', 'ovs-hook.log');
  mkdirSync(join(dir, 'many'));
  writeFileSync(file, 'an older line\n');
  const log = createLog(file, 'before_network_setup');
  for (let i = 0; i < 3000; i++) log.info(`line ${i}`);
  await sleep(20);
  log.info('after a pause');
  await log.close();
  const text = readFileSync(file, 'utf8').split('\n');
  t.equal(text[0], 'an older line');
  t.equal(text.length, 1 + 3001 + 1, 'every line is there when close() resolves');
  t.match(text[3000], / info: line 2999$/);
  t.match(text[3001], / info: after a pause$/);
  t.equal(log.stderrText().split('\n').length, 3001 + 1, 'and every line is held for stderr');
  await log.close(); // twice: resolves again
});

t.test('an unwritable log file never breaks the hook', async (t) => {
  writeFileSync(join(dir, 'a-file'), '');
  mkdirSync(join(dir, 'a-dir.log'));
  for (const file of [join(dir, 'a-file', 'ovs-hook.log'), join(dir, 'a-dir.log')]) {
    const log = createLog(file, 'after_network_setup');
    t.doesNotThrow(() => log.error('boom'));
    await sleep(50);
    log.info('still logging');
    await log.close();
    t.equal(log.stderrText('boom'), 'boom\nerror: boom\ninfo: still logging\n', `stderr keeps everything (${file})`);
  }
});
