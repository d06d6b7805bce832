/**
 * Rollback against a real Open vSwitch: after a failed request (VDSM's part,
 * an ip step, a file write) the OVS DB, the running config, the kernel's
 * view and traffic are as they were before it.
 */
import t from 'tap';
import { baseHost, change, hostState, oldTrafficWorks, pendingPhase } from '../lib/host-state.js';
import { ovsNet, remove, setup } from '../lib/requests.js';

t.test('after_network_setup_fail restores the earlier state in one transaction', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  const cfg = await sb.hostOvs.nextCfg();
  const r = await sb.runHook('before_network_setup', change);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(pendingPhase(sb), 'applied', 'the snapshot waits for VDSM');
  t.ok(await sb.ping(sb.host, '10.20.0.2'), 'the change is live: blue on VLAN 20');
  t.not((await hostState(sb)).kernel.join(), before.kernel.join(), 'the change altered the kernel side');

  const fail = await sb.runHook('after_network_setup_fail', r.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.match(fail.stderr, /rolling back networks \[blue, red, green\], bonds \[\].*VDSM reported that setupNetworks failed/);
  t.match(fail.stderr, /rolled back: the host is in the state before/);
  t.same(fail.output, r.output, 'the document passes unchanged');
  t.equal(await sb.hostOvs.nextCfg(), cfg + 2, 'the change and its rollback: one transaction each');
  t.same(await hostState(sb), before, 'OVS DB, files, links, MTUs, addresses and route as before the request');
  t.equal(pendingPhase(sb), undefined, 'snapshot dropped');
  await oldTrafficWorks(t, sb);
  t.notOk(await sb.ping(sb.host, '10.20.0.2', { timeoutS: 2 }), 'VLAN 20 is gone again');

  const again = await sb.runHook('after_network_setup_fail', r.output);
  t.equal(again.exitCode, 0);
  t.match(again.stderr, /no pending change: nothing to roll back/);
  t.same(await hostState(sb), before, 'a second failure report changes nothing');
});

t.test("the old hook's _inOVSRollback pass restores the same way", async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  t.equal((await sb.runHook('before_network_setup', change)).exitCode, 0);
  const options = { connectivityCheck: false, _inRollback: true, _inOVSRollback: true };
  const r = await sb.runHook('before_network_setup', setup({}, {}, options));
  t.equal(r.exitCode, 0, r.stderr);
  t.same(r.output, setup({}, {}, options), 'nothing is left for VDSM to configure');
  t.same(await hostState(sb), before);
  await oldTrafficWorks(t, sb);
});

t.test('after_network_setup commits: a later failure report no longer undoes the change', async (t) => {
  const sb = await baseHost(t);
  const r = await sb.runHook('before_network_setup', change);
  t.equal(r.exitCode, 0, r.stderr);
  const ok = await sb.runHook('after_network_setup', r.output);
  t.equal(ok.exitCode, 0, ok.stderr);
  t.match(ok.stderr, /committed: networks \[blue, red, green\]/);
  t.equal(pendingPhase(sb), undefined, 'snapshot dropped');
  const after = await hostState(sb);
  const fail = await sb.runHook('after_network_setup_fail', r.output);
  t.equal(fail.exitCode, 0);
  t.same(fail.output, r.output);
  t.same(await hostState(sb), after, 'nothing changed');
  t.ok(await sb.ping(sb.host, '10.20.0.2'), 'blue stays on VLAN 20');
  t.ok(await sb.ping(sb.host, '10.30.0.2'), 'green stays');
});

t.test('a new request after a change VDSM never reported on keeps that change', async (t) => {
  const sb = await baseHost(t);
  t.equal((await sb.runHook('before_network_setup', change)).exitCode, 0);
  const r = await sb.runHook('before_network_setup', setup({ green: remove }));
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stderr, /was applied, but VDSM never reported whether setupNetworks succeeded: kept/);
  // VDSM fails the new request: only the new request is undone
  t.equal((await sb.runHook('after_network_setup_fail', r.output)).exitCode, 0);
  t.ok(await sb.ping(sb.host, '10.20.0.2'), 'the earlier change stays');
  t.ok(await sb.ping(sb.host, '10.30.0.2'), 'the removal of green was rolled back');
});

t.test('an ip command failing after the transaction: rolled back before exit 2', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  // a gateway outside the network's subnet: the kernel refuses the route, after OVS took the change
  const bad = setup({
    blue: ovsNet({ nic: 'eth1', vlan: '20', ipaddr: '10.20.0.1', prefix: '24', gateway: '10.99.0.1', defaultRoute: true }),
  });
  const r = await sb.runHook('before_network_setup', bad);
  t.equal(r.exitCode, 2);
  t.match(r.stderr.split('\n')[0],
    /^ip route replace 0\.0\.0\.0\/0 via 10\.99\.0\.1 dev blue: network blue: default route via 10\.99\.0\.1 failed: .+; rolled back to the state before this request$/);
  t.match(r.stderr, /set Port blue tag=20/, 'the transaction had been applied');
  t.same(await hostState(sb), before, 'OVS DB, files and kernel as before');
  t.equal(pendingPhase(sb), undefined, 'no snapshot left: after_network_setup_fail has nothing to do');
  await oldTrafficWorks(t, sb);
});

t.test('a file write failing after OVS and ip: rolled back before exit 2', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  const r = await sb.runHook('before_network_setup', change, { env: { VDSM_HOOK_OVS_FAULT: 'save:fail' } });
  t.equal(r.exitCode, 2);
  t.match(r.stderr.split('\n')[0], /^save: failed \(injected by VDSM_HOOK_OVS_FAULT\); rolled back to the state before this request$/);
  t.match(r.stderr, /ip address add 10\.30\.0\.1\/24 dev green/, 'OVS and links had been applied');
  t.same(await hostState(sb), before);
  await oldTrafficWorks(t, sb);
});

t.test('a failure before the transaction leaves nothing to roll back', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  const cfg = await sb.hostOvs.nextCfg();
  const r = await sb.runHook('before_network_setup', change, { env: { VDSM_HOOK_OVS_FAULT: 'transaction:fail' } });
  t.equal(r.exitCode, 2);
  t.match(r.stderr.split('\n')[0], /^transaction: failed \(injected by VDSM_HOOK_OVS_FAULT\); nothing was changed$/);
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'no transaction');
  t.same(await hostState(sb), before);
  t.equal(pendingPhase(sb), undefined);
});
