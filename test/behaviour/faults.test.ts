/**
 * Faults against a real Open vSwitch: the hook killed at each step of a
 * change (and of a rollback), OVS daemons hung or down, and two hooks
 * started at once.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseHost, change, hostState, oldTrafficWorks, pendingPhase } from '../lib/host-state.js';
import { applyOk, ovsNet, setup } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';

const killed = /SIGKILL/;

t.test('killed at any step of a change, the next network hook run restores the earlier state', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  // each kill is followed by a different network hook: any of them must finish the job
  const nextRuns: [string, unknown][] = [
    ['before_network_setup', setup({ vdsmnet: { nic: 'eth9', bridged: 'true' } })],
    ['after_network_setup', change],
    ['after_network_setup_fail', change],
    ['before_network_setup', setup()],
  ];
  const steps = ['transaction', 'links', 'save', 'commit'];
  for (const [i, step] of steps.entries()) {
    const [hook, payload] = nextRuns[i]!;
    await t.test(`killed before ${step}, then ${hook}`, async (t) => {
      const r = await sb.runHook('before_network_setup', change, { env: { VDSM_HOOK_OVS_FAULT: `${step}:kill` } });
      t.not(r.exitCode, 0);
      t.match(r.stderr, killed, 'the hook was killed');
      t.equal(pendingPhase(sb), 'applying', 'the snapshot says the change was under way');
      const next = await sb.runHook(hook, payload);
      t.equal(next.exitCode, 0, next.stderr);
      t.match(next.stderr, /rolling back networks \[blue, red, green\].*: the run that started it \(pid \d+\) ended before finishing it/);
      t.match(next.stderr, step === 'transaction'
        ? /nothing to roll back: the host is already in the state before/
        : /rolled back: the host is in the state before/, 'the log says where the host ended up');
      t.same(await hostState(sb), before, 'OVS DB, files and kernel as before the killed run');
      t.equal(pendingPhase(sb), undefined);
    });
  }
  await oldTrafficWorks(t, sb);
});

t.test('killed during a rollback, the next run finishes the rollback instead of committing', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  for (const step of ['links', 'drop']) {
    await t.test(`rollback killed before ${step}`, async (t) => {
      const r = await sb.runHook('before_network_setup', change);
      t.equal(r.exitCode, 0, r.stderr);
      const fail = await sb.runHook('after_network_setup_fail', r.output, { env: { VDSM_HOOK_OVS_FAULT: `${step}:kill` } });
      t.match(fail.stderr, killed);
      t.equal(pendingPhase(sb), 'rolling-back');
      // a success report arriving now must not make the half-restored state permanent
      const ok = await sb.runHook('after_network_setup', r.output);
      t.equal(ok.exitCode, 0, ok.stderr);
      t.match(ok.stderr, /an earlier rollback of it ended before finishing/);
      t.same(await hostState(sb), before);
      t.equal(pendingPhase(sb), undefined);
    });
  }
  await oldTrafficWorks(t, sb);
});

/**
 * Runs the change with the daemon stopped (SIGSTOP: hung, not gone) and a 2 s
 * timeout; it must fail with exit 2 within the timeout plus a margin. Returns
 * the first stderr line.
 */
async function runWhileHung(t: Test, sb: Sandbox, daemon: 'ovs-vswitchd' | 'ovsdb-server'): Promise<string> {
  await sb.hostOvs.signal(daemon, 'SIGSTOP');
  t.teardown(() => sb.hostOvs.signal(daemon, 'SIGCONT').catch(() => undefined));
  const started = Date.now();
  const r = await sb.runHook('before_network_setup', change, { env: { VDSM_HOOK_OVS_TIMEOUT: '2' } });
  const took = (Date.now() - started) / 1000;
  await sb.hostOvs.signal(daemon, 'SIGCONT');
  t.equal(r.exitCode, 2);
  t.ok(took < 2 + 3, `failed within the timeout plus a margin (${took.toFixed(1)} s)`);
  return r.stderr.split('\n')[0] ?? '';
}

t.test('ovs-vswitchd hung: fails within the timeout, nothing changed', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  const first = await runWhileHung(t, sb, 'ovs-vswitchd');
  t.equal(first, 'ovs-vswitchd: not answering: no answer within the 2 s timeout; nothing was changed');
  t.same(await hostState(sb), before, 'OVS DB, files and kernel unchanged');
  t.equal(pendingPhase(sb), undefined);
  await applyOk(t, sb, change);
  t.ok(await sb.ping(sb.host, '10.20.0.2'), 'the same request works once ovs-vswitchd answers');
});

t.test('ovsdb-server hung, then down: fails within the timeout, nothing changed', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  const first = await runWhileHung(t, sb, 'ovsdb-server');
  t.equal(first, 'ovsdb-server: reading the OVS database failed: no answer within the 2 s timeout');
  t.same(await hostState(sb), before, 'OVS DB, files and kernel unchanged');

  await sb.hostOvs.signal('ovsdb-server', 'SIGKILL');
  const down = await sb.runHook('before_network_setup', change, { env: { VDSM_HOOK_OVS_TIMEOUT: '2' } });
  t.equal(down.exitCode, 2);
  t.match(down.stderr.split('\n')[0], /^ovsdb-server: reading the OVS database failed: cannot connect to \/\S+\/db\.sock \(ECONNREFUSED\): not running\?$/);
  t.same(await sb.files(), before.files, 'files unchanged');
  t.equal(pendingPhase(sb), undefined);
});

t.test('two hooks started at once serialize on the lock and both requests are applied', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  const [a, b] = await Promise.all([
    sb.runHook('before_network_setup', setup({ red: ovsNet({ nic: 'eth1', ipaddr: '10.1.0.1', prefix: '24' }) })),
    sb.runHook('before_network_setup', setup({ blue: ovsNet({ nic: 'eth2', vlan: 10, ipaddr: '10.10.0.1', prefix: 24 }) })),
  ]);
  t.equal(a.exitCode, 0, a.stderr);
  t.equal(b.exitCode, 0, b.stderr);
  const files = await sb.files();
  t.ok(files['var/run/vdsm/netconf/nets/red'] && files['var/run/vdsm/netconf/nets/blue'], 'the running config holds both');
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'red works');
  t.ok(await sb.ping(sb.host, '10.10.0.2'), 'blue works');
  // the log shows one run after the other, never interleaved
  const log = readFileSync(join(sb.root, 'var/log/vdsm/ovs-hook.log'), 'utf8');
  const pids = [...log.matchAll(/before_network_setup\[(\d+)\]/g)].map((m) => m[1]);
  const runs = pids.filter((p, i) => p !== pids[i - 1]);
  t.equal(runs.length, 2, `two runs, one after the other (${runs.join(' then ')})`);
});
