/**
 * vdsm-ovs against a real Open vSwitch: plan changes nothing, show tells the
 * hook's objects and drift, restore repairs drift and a wiped DB (its
 * sources and its refusal: restore.test.ts), rollback restores a pending
 * change by hand.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseHost, change, hostState, oldTrafficWorks } from '../lib/host-state.js';
import { applyOk, ovsBond, ovsNet, setup } from '../lib/requests.js';
import { createSandbox } from '../lib/sandbox.js';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

t.test('plan prints what a request would do and changes nothing', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  const cfg = await sb.hostOvs.nextCfg();
  const file = join(sb.root, '..', 'request.json');
  writeFileSync(file, JSON.stringify(change));
  const r = await sb.runCli(['plan', file]);
  t.equal(r.exitCode, 0, r.stderr);
  const out = lines(r.stdout);
  t.equal(out[0], 'OVS part: networks [blue, red, green], bonds []');
  t.equal(out[1], 'handed to VDSM: networks [], bonds []');
  t.equal(out[2], 'pending change: none');
  t.equal(out[3], 'OVS transaction (7 commands):');
  t.ok(out.includes('ovs-vsctl set Port blue tag=20   # network blue: VLAN 10 -> 20'), 'each command with why');
  t.ok(out.includes('ovs-vsctl del-br red   # network red removed'));
  t.ok(out.includes(`ovs-vsctl set Open_vSwitch . 'external_ids:ovn-bridge-mappings="blue:ovsbr-eth1,green:ovsbr-eth2"'   ` +
    '# OVN physical networks: blue:ovsbr-eth1, green:ovsbr-eth2'), "OVN's physical networks follow the networks");
  t.ok(out.includes('ip address add 10.30.0.1/24 dev green   # network green: address 10.30.0.1/24'), 'the ip part too');
  t.ok(out.includes('running config: nets/blue, nets/red (removed), nets/green'), 'the running config entries');
  t.equal(out.at(-1), 'ifcfg files: ifcfg-eth2, ifcfg-blue, ifcfg-green, ifcfg-red (removed)',
    'the ifcfg files that change');
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'no transaction');
  t.same(await hostState(sb), before, 'nothing changed');

  const stdin = await sb.runCli(['plan', '-'], { input: JSON.stringify(change) });
  t.equal(stdin.stdout, r.stdout, '- reads the request from stdin');
  const same = await sb.runCli(['plan', '-'], { input: JSON.stringify(setup({ blue: ovsNet({ nic: 'eth1', vlan: '10', ipaddr: '10.10.0.1', netmask: '255.255.255.0' }) })) });
  t.equal(lines(same.stdout).at(-1), 'nothing to change');
  const bad = await sb.runCli(['plan', '-'], { input: JSON.stringify(setup({ blue: ovsNet({ nic: 'eth1', vlan: '4095' }) })) });
  t.equal(bad.exitCode, 2);
  t.equal(lines(bad.stderr)[0], 'network \'blue\': vlan: "4095" is not an integer in 0-4094');
});

t.test('show lists bridges, bonds and networks; restore repairs drift', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await applyOk(t, sb, setup({
    blue: ovsNet({ bonding: 'bond0', vlan: '10', ipaddr: '10.10.0.1', prefix: '24' }),
    red: ovsNet({ nic: 'eth3', ipaddr: '10.1.0.1', prefix: '24' }),
  }, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_mode:balance-slb') }));
  const show = await sb.runCli(['show']);
  t.equal(show.exitCode, 0, show.stderr);
  const active = /active member mac: \S+\((\S+)\)/.exec(await sb.hostOvs.appctl('bond/show', 'bond0'))?.[1];
  t.same(lines(show.stdout), [
    'bridge ovsbr-bond0: uplink bond0, datapath netdev, STP off',
    `  bond bond0: slaves eth1, eth2 (active ${active}), mode balance-slb, LACP off`,
    '  network blue: VLAN 10 on bond0.10, bridged, ports bond0.10, MTU 1500, up, 10.10.0.1/24',
    'bridge ovsbr-eth3: uplink eth3, datapath netdev, STP off',
    '  network red: untagged on eth3, bridged, ports eth3, MTU 1500, up, 10.1.0.1/24',
    'pending change: none',
    'boot persistence: no network-scripts ifup-ovs (NetworkManager ignores the OVS keys): the ifcfg files are a record, ' +
      'vdsm-hook-ovs-restore.service brings the networks back at boot',
    "OVN chassis: not configured ('vdsm-ovs ovn-config' joins this host); physical networks offered: blue:ovsbr-bond0 red:ovsbr-eth3",
    'drift from the running config: none',
  ]);
  const before = await hostState(sb);

  // someone deletes a network by hand
  await sb.hostOvs.vsctl('del-br', 'blue');
  const drift = lines((await sb.runCli(['show'])).stdout);
  t.ok(drift.includes("drift from the running config ('vdsm-ovs restore' would do):"), 'drift reported');
  t.ok(drift.some((l) => /^ {2}ovs-vsctl add-br blue ovsbr-bond0 10 +# network blue added on bond0, VLAN 10, MAC [0-9a-f:]{17} of its uplink$/.test(l)),
    'with the commands that repair it');
  t.notOk(await sb.ping(sb.host, '10.10.0.2', { timeoutS: 2 }), 'the deletion cut blue');

  const restore = await sb.runCli(['restore']);
  t.equal(restore.exitCode, 0, restore.stderr);
  t.equal(lines(restore.stdout)[0], 'restored from the running config:');
  t.ok(await sb.ping(sb.host, '10.10.0.2'), 'blue carries traffic again');
  t.same(await hostState(sb), before, 'OVS DB, files and kernel as before the deletion');
  t.equal(lines((await sb.runCli(['show'])).stdout).at(-1), 'drift from the running config: none');
  const again = await sb.runCli(['restore']);
  t.equal(again.stdout, 'OVS and links already match the running config\n', 'restore is idempotent');
});

t.test('restore brings every network back after the OVS database was wiped', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  for (const br of lines(await sb.hostOvs.vsctl('list-br'))) await sb.hostOvs.vsctl('--if-exists', 'del-br', br);
  t.notOk(await sb.ping(sb.host, '10.10.0.2', { timeoutS: 2 }), 'the wipe cut the networks');
  const r = await sb.runCli(['restore']);
  t.equal(r.exitCode, 0, r.stderr);
  t.same(await hostState(sb), before, 'OVS DB, addresses and MTUs as before the wipe');
  await oldTrafficWorks(t, sb);
});

t.test('rollback restores a pending change by hand', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  t.equal((await sb.runHook('before_network_setup', change)).exitCode, 0);
  const pending = /^pending change: networks \[blue, red, green\], bonds \[\], applied, waiting for VDSM \(pid \d+, .+\)$/;
  t.ok(lines((await sb.runCli(['show'])).stdout).some((l) => pending.test(l)), 'show names the pending change');
  const r = await sb.runCli(['rollback']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout, 'rolled back networks [blue, red, green], bonds []\n');
  t.match(r.stderr, /rolling back .*asked for by hand/);
  t.same(await hostState(sb), before);
  await oldTrafficWorks(t, sb);
  const none = await sb.runCli(['rollback']);
  t.equal(none.exitCode, 0);
  t.equal(none.stdout, 'no pending change: nothing to roll back\n');
});

t.test('usage', async (t) => {
  const sb = await createSandbox(t);
  const r = await sb.runCli([]);
  t.equal(r.exitCode, 1);
  t.match(r.stderr, /^vdsm-ovs: unknown command or arguments: \nusage: vdsm-ovs COMMAND\n/);
  t.equal((await sb.runCli(['plan'])).exitCode, 1, 'plan needs a file');
  const help = await sb.runCli(['--help']);
  t.equal(help.exitCode, 0);
  t.match(help.stderr, /^usage: vdsm-ovs COMMAND\n {2}plan FILE/);
});
