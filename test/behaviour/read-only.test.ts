/**
 * vdsm-ovs show and plan against a real Open vSwitch: they change nothing
 * (no file under the root, not even the log, the lock or the code cache;
 * no OVS transaction), send ovs-vswitchd no probe, keep working while it is
 * stopped or hung and say so, and never wait for a hook run's lock.
 */
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyOk, ovsBond, ovsNet, remove, setup } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

/** blue: VLAN 10 on bond0 (eth1, eth2, active-backup); red: untagged on eth3. */
async function bondHost(t: Test): Promise<Sandbox> {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  await applyOk(t, sb, setup({
    blue: ovsNet({ bonding: 'bond0', vlan: '10', ipaddr: '10.10.0.1', prefix: '24' }),
    red: ovsNet({ nic: 'eth3', ipaddr: '10.1.0.1', prefix: '24' }),
  }, { bond0: ovsBond(['eth1', 'eth2']) }));
  return sb;
}

/** blue moves to VLAN 20, red goes. */
const change = setup({ blue: ovsNet({ bonding: 'bond0', vlan: '20', ipaddr: '10.20.0.1', prefix: '24' }), red: remove });

/**
 * Every file under the root with its content, size and mtime: the log, the
 * lock and the code cache too, which sandbox.files() leaves out as the
 * changing runs write them. A read-only command may write none of them.
 */
async function everyFile(sb: Sandbox) {
  const stamps = (readdirSync(sb.root, { recursive: true }) as string[])
    .filter((rel) => statSync(join(sb.root, rel)).isFile())
    .sort()
    .map((rel) => {
      const { size, mtimeMs } = statSync(join(sb.root, rel));
      return `${rel} ${size} ${mtimeMs}`;
    });
  return { contents: await sb.files(), stamps };
}

/** The requests ovs-vswitchd received on its control socket since `from` (its debug log of unixctl). */
function vswitchdRequests(sb: Sandbox, from: number): string[] {
  const log = readFileSync(join(sb.hostOvs.rundir, 'ovs-vswitchd.log'), 'utf8').slice(from);
  return [...log.matchAll(/\|unixctl\|DBG\|received request (\S+?)\[/g)].map((m) => m[1]!);
}

const logSize = (sb: Sandbox): number => statSync(join(sb.hostOvs.rundir, 'ovs-vswitchd.log')).size;

t.test('show and plan write no file, make no transaction and send ovs-vswitchd no probe', async (t) => {
  const sb = await bondHost(t);
  await sb.hostOvs.appctl('vlog/set', 'unixctl:file:dbg');
  const request = join(sb.root, '..', 'request.json');
  writeFileSync(request, JSON.stringify(change));
  const bad = join(sb.root, '..', 'bad.json');
  writeFileSync(bad, JSON.stringify(setup({ blue: ovsNet({ nic: 'eth1', vlan: '4095' }) })));
  // the code cache is written by the first run that compiled without one: a read-only run must not be it
  rmSync(join(sb.root, 'var/cache'), { recursive: true, force: true });
  const before = await everyFile(sb);
  const cfg = await sb.hostOvs.nextCfg();
  const from = logSize(sb);

  const show = await sb.runCli(['show']);
  t.equal(show.exitCode, 0, show.stderr);
  t.match(show.stdout, /^ {2}bond bond0: slaves eth1, eth2 \(active eth[12]\), mode active-backup, LACP off$/m,
    'the active slave, from ovs-vswitchd');
  const plan = await sb.runCli(['plan', request]);
  t.equal(plan.exitCode, 0, plan.stderr);
  t.ok(lines(plan.stdout).includes('ovs-vsctl set Port blue tag=20   # network blue: VLAN 10 -> 20'), 'the plan is printed');
  const failed = await sb.runCli(['plan', bad]);
  t.equal(failed.exitCode, 2);
  t.equal(lines(failed.stderr)[0], 'network \'blue\': vlan: "4095" is not an integer in 0-4094', 'an error goes to stderr only');

  t.same(await everyFile(sb), before, 'every file under the root as it was: no log line, lock or code cache');
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'next_cfg unchanged: no transaction');
  t.same(vswitchdRequests(sb, from), ['bond/show'], 'ovs-vswitchd was asked for the active slaves only, no version probe');

  // the same log catches the probe of a command that may change something
  const restore = await sb.runCli(['restore']);
  t.equal(restore.exitCode, 0, restore.stderr);
  t.ok(vswitchdRequests(sb, from).includes('version'), 'restore probes ovs-vswitchd: the log shows probes');
});

t.test('with ovs-vswitchd stopped, show and plan work from the OVS database and say so', async (t) => {
  const sb = await bondHost(t);
  const request = join(sb.root, '..', 'request.json');
  writeFileSync(request, JSON.stringify(change));
  await sb.hostOvs.stopVswitchd();
  const before = await everyFile(sb);
  const cfg = await sb.hostOvs.nextCfg();
  const down = /^ovs-vswitchd is not running \(cannot read \S+\/ovs-vswitchd\.pid \(ENOENT\): not running\?\)/;

  const show = await sb.runCli(['show']);
  t.equal(show.exitCode, 0, show.stderr);
  const out = lines(show.stdout);
  t.match(out[0], down, 'the first line says ovs-vswitchd is down');
  t.match(out[0], /: what is shown is the OVS database's view, not what the switch does$/);
  t.same(out.filter((l) => /^ *(bridge|bond) /.test(l)), [
    'bridge ovsbr-bond0: uplink bond0, datapath netdev, STP off',
    '  bond bond0: slaves eth1, eth2, mode active-backup, LACP off',
    'bridge ovsbr-eth3: uplink eth3, datapath netdev, STP off',
  ], "the bridges and the bond as the database holds them, no active slave (only ovs-vswitchd knows it)");

  const plan = await sb.runCli(['plan', request]);
  t.equal(plan.exitCode, 0, plan.stderr);
  const planned = lines(plan.stdout);
  t.ok(planned.some((l) => down.test(l) && l.endsWith(': planned from the OVS database; applying it fails until ovs-vswitchd runs')),
    'plan says ovs-vswitchd is down');
  t.ok(planned.includes('ovs-vsctl set Port blue tag=20   # network blue: VLAN 10 -> 20'), 'and plans from the database');

  t.same(await everyFile(sb), before, 'every file under the root as it was');
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'next_cfg unchanged');
});

t.test('plan does not wait on a hung ovs-vswitchd', async (t) => {
  const sb = await bondHost(t);
  await sb.hostOvs.signal('ovs-vswitchd', 'SIGSTOP');
  t.teardown(() => sb.hostOvs.signal('ovs-vswitchd', 'SIGCONT').catch(() => undefined));
  const started = Date.now();
  const plan = await sb.runCli(['plan', '-'], { input: JSON.stringify(change), env: { VDSM_HOOK_OVS_TIMEOUT: '30' } });
  const took = (Date.now() - started) / 1000;
  t.equal(plan.exitCode, 0, plan.stderr);
  t.ok(took < 15, `done long before the 30 s timeout a probe would wait (${took.toFixed(1)} s)`);
});

t.test("show and plan neither wait for nor take a hook run's lock, and say it is held", async (t) => {
  const sb = await bondHost(t);
  // a live holder: this test process
  const lock = join(sb.root, 'run/vdsm-hook-ovs.lock');
  writeFileSync(lock, `${process.pid}\n`);
  const held = `a hook run (pid ${process.pid}) is changing the host: what was read may be half-way through its change`;
  const show = await sb.runCli(['show'], { env: { VDSM_HOOK_OVS_TIMEOUT: '30' } });
  t.equal(show.exitCode, 0, show.stderr);
  t.equal(lines(show.stdout)[0], held);
  const plan = await sb.runCli(['plan', '-'], { input: JSON.stringify(change) });
  t.equal(plan.exitCode, 0, plan.stderr);
  t.ok(lines(plan.stdout).includes(held));
  t.equal(readFileSync(lock, 'utf8'), `${process.pid}\n`, 'the lock is still the holder\'s');
});
