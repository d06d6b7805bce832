/**
 * custom.bridge_opts on real Open vSwitch: the options land on the parent
 * bridge in OVS's units, caps report them in Linux's, a repeat writes
 * nothing, removal clears only what the hook set, rollback and restore put
 * them back; and IGMP snooping really keeps a group's traffic to its member.
 */
import t, { type Test } from 'tap';
import { applyOk, ovsNet, setup } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { fixtureJson } from '../lib/fixtures.js';

const SNOOP = 'multicast_snooping=1 hash_max=512 multicast_membership_interval=6000 ageing_time=4500';
const red = (bridgeOpts?: string) =>
  ovsNet({ nic: 'eth1', ipaddr: '10.1.0.1', prefix: '24', custom: { ovs: 'true', ...(bridgeOpts ? { bridge_opts: bridgeOpts } : {}) } });
const stpNet = ovsNet({ nic: 'eth2', vlan: '7', STP: 'yes', custom: { ovs: 'true', bridge_opts: 'forward_delay=1000 hello_time=100 max_age=1200 priority=4096' } });

/** other_config key of a bridge as OVS has it ('' when absent). */
async function otherConfig(sb: Sandbox, bridge: string, key: string): Promise<string> {
  const v = await sb.hostOvs.vsctl('--if-exists', 'get', 'Bridge', bridge, `other_config:${key}`);
  return v.replace(/^"|"$/g, '');
}

async function capsOf(t: Test, sb: Sandbox): Promise<any> {
  const r = await sb.runHook('after_get_caps', fixtureJson('caps-before.json'));
  t.equal(r.exitCode, 0, r.stderr);
  return r.output;
}

t.test('bridge options: applied in OVS units, reported in Linux units, idempotent, cleared only where the hook set them', async (t) => {
  const sb = await createSandbox(t);
  const cfg0 = await sb.hostOvs.nextCfg();
  await applyOk(t, sb, setup({ red: red(SNOOP), green: stpNet }));
  t.equal(await sb.hostOvs.nextCfg(), cfg0 + 1, 'one transaction');
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'mcast_snooping_enable'), 'true');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'mcast-snooping-table-size'), '512');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'mcast-snooping-aging-time'), '60', '6000 cs = 60 s');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'mac-aging-time'), '45');
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth2', 'stp_enable'), 'true');
  t.equal(await otherConfig(sb, 'ovsbr-eth2', 'stp-forward-delay'), '10');
  t.equal(await otherConfig(sb, 'ovsbr-eth2', 'stp-hello-time'), '1');
  t.equal(await otherConfig(sb, 'ovsbr-eth2', 'stp-max-age'), '12');
  t.equal(await otherConfig(sb, 'ovsbr-eth2', 'stp-priority'), '4096', 'decimal, as OVS takes it');
  t.match(await sb.hostOvs.appctl('stp/show', 'ovsbr-eth2'), /priority\s+4096/, 'ovs-vswitchd runs STP with that priority');
  t.match((await sb.files())['etc/sysconfig/network-scripts/ifcfg-ovsbr-eth2'],
    /other_config:stp-priority=4096/, 'the ifcfg file sets them at boot');

  const caps = await capsOf(t, sb);
  t.strictSame(caps.bridges.red.opts, {
    stp_state: '0', multicast_snooping: '1', multicast_router: '1', hash_max: '512', multicast_membership_interval: '6000',
    ageing_time: '4500', forward_delay: '1500', hello_time: '200', max_age: '2000', priority: '32768',
  }, 'red: as asked, OVS defaults elsewhere');
  t.strictSame(caps.bridges.green.opts, {
    stp_state: '1', multicast_snooping: '0', multicast_router: '1', hash_max: '2048', multicast_membership_interval: '30000',
    ageing_time: '30000', forward_delay: '1000', hello_time: '100', max_age: '1200', priority: '4096',
  });
  t.equal(caps.bridges.green.stp, 'on');
  t.equal(caps.networks.green.stp, 'on');
  t.equal(caps.networks.red.stp, 'off');

  const cfg = await sb.hostOvs.nextCfg();
  const files = await sb.files();
  await applyOk(t, sb, setup({ red: red(SNOOP), green: stpNet }));
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'the same request again writes nothing to OVS');
  t.same(await sb.files(), files, 'nor any file');

  await sb.hostOvs.vsctl('set', 'Bridge', 'ovsbr-eth1', 'other_config:mac-table-size=9000');
  await applyOk(t, sb, setup({ red: red('multicast_snooping=1') }));
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'mcast-snooping-table-size'), '', 'an option no longer asked for is cleared');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'mac-aging-time'), '');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'mac-table-size'), '9000', 'a key the hook did not set stays');
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'mcast_snooping_enable'), 'true');
});

t.test('rollback, restore and vdsm-ovs plan carry the options', async (t) => {
  const sb = await createSandbox(t);
  await applyOk(t, sb, setup({ red: red('priority=8192 stp_state=2 forward_delay=600') }));
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'rstp_enable'), 'true', 'stp_state=2 is RSTP');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'rstp-priority'), '8192');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'rstp-forward-delay'), '6');
  t.equal((await capsOf(t, sb)).bridges.red.stp, 'on');

  const plan = await sb.runCli(['plan', '-'], { input: JSON.stringify(setup({ red: red(SNOOP) })) });
  t.equal(plan.exitCode, 0, plan.stderr);
  t.match(plan.stdout, /ovs-vsctl set Bridge ovsbr-eth1 rstp_enable=false mcast_snooping_enable=true .*# bridge ovsbr-eth1: options multicast_snooping=1/);
  t.match(plan.stdout, /ovs-vsctl remove Bridge ovsbr-eth1 other_config rstp-forward-delay rstp-priority/);

  const r = await sb.runHook('before_network_setup', setup({ red: red(SNOOP) }));
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'rstp_enable'), 'false');
  const fail = await sb.runHook('after_network_setup_fail', r.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'rstp_enable'), 'true', 'rolled back: RSTP again');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'rstp-priority'), '8192');
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'mcast_snooping_enable'), 'false', 'snooping off again');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'mcast-snooping-table-size'), '');

  await sb.hostOvs.vsctl('set', 'Bridge', 'ovsbr-eth1', 'rstp_enable=false', '--', 'remove', 'Bridge', 'ovsbr-eth1', 'other_config', 'rstp-priority');
  const restore = await sb.runCli(['restore']);
  t.equal(restore.exitCode, 0, restore.stderr);
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'rstp_enable'), 'true', 'restore puts the options back');
  t.equal(await otherConfig(sb, 'ovsbr-eth1', 'rstp-priority'), '8192');
});

t.test('bad options are refused naming the network and the key, with nothing changed', async (t) => {
  const sb = await createSandbox(t);
  await applyOk(t, sb, setup({ red: red('priority=4096') }));
  const db = await sb.hostOvs.snapshot();
  const files = await sb.files();
  const cases: [string, unknown, RegExp][] = [
    ['no OVS counterpart', setup({ red: red('multicast_querier=1') }),
      /^network 'red': custom\.bridge_opts: multicast_querier has no Open vSwitch counterpart$/],
    ['not whole seconds', setup({ red: red('forward_delay=1550') }), /^network 'red': custom\.bridge_opts: forward_delay=1550 is not whole seconds/],
    ['two networks on one uplink, different values',
      setup({ blue: ovsNet({ nic: 'eth1', vlan: '5', custom: { ovs: 'true', bridge_opts: 'priority=8192' } }) }),
      /^network 'blue': custom\.bridge_opts: priority=8192 differs from priority=4096 of network 'red' on the same uplink eth1/],
    ['two networks on one uplink, different STP', setup({ blue: ovsNet({ nic: 'eth1', vlan: '5', STP: 'yes' }), red: red('stp_state=0') }),
      /^network '(red|blue)': custom\.bridge_opts: stp_state=\d differs from stp_state=\d of network '(red|blue)'/],
  ];
  for (const [what, payload, error] of cases) {
    const r = await sb.runHook('before_network_setup', payload);
    t.equal(r.exitCode, 2, `${what}: refused`);
    t.match(r.stderr.split('\n')[0], error, what);
  }
  t.equal(await sb.hostOvs.snapshot(), db, 'OVS as it was');
  t.same(await sb.files(), files, 'files and running config as they were');
});

t.test('multicast_snooping=1: an IGMP join is learned and the group reaches only its member', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await applyOk(t, sb, setup({ red: red('multicast_snooping=1') }));
  for (const [tap, vmIf, addr] of [['vnet0', 'vm-a', '10.1.0.11'], ['vnet1', 'vm-b', '10.1.0.12']] as const) {
    await sb.addVmNic(tap, vmIf);
    await sb.hostOvs.vsctl('add-port', 'red', tap);
    await sb.setLink(sb.host, tap, true);
    await sb.exec(sb.vm, 'ip', ['addr', 'add', `${addr}/24`, 'dev', vmIf]);
  }
  t.ok(await sb.ping(sb.vm, '10.1.0.2'), 'the VM NICs reach the peer');

  // vm-a joins 239.1.2.3 (the kernel sends the IGMP report) and stays joined while the peer sends
  const member = sb.exec(sb.vm, 'node', ['-e', `
    const s = require('dgram').createSocket({ type: 'udp4', reuseAddr: true });
    s.bind(5000, () => { s.addMembership('239.1.2.3', '10.1.0.11'); setTimeout(() => process.exit(0), 9000); });`]);
  const capture = (dev: string) => sb.exec(sb.vm, 'timeout', ['7', 'tcpdump', '-i', dev, '-nn', '-l', 'udp and dst host 239.1.2.3'], { reject: false });
  let learned = '';
  for (let i = 0; i < 30 && !learned.includes('239.1.2.3'); i++) {
    learned = await sb.hostOvs.appctl('mdb/show', 'ovsbr-eth1');
    if (!learned.includes('239.1.2.3')) await new Promise((r) => setTimeout(r, 100));
  }
  t.match(learned, /239\.1\.2\.3/, 'mdb/show lists the group vm-a joined');
  const [a, b] = [capture('vm-a'), capture('vm-b')];
  await new Promise((r) => setTimeout(r, 1500)); // tcpdump listening
  await sb.exec(sb.peer, 'node', ['-e', `
    const s = require('dgram').createSocket('udp4');
    s.bind(() => { s.setMulticastInterface('10.1.0.2'); let n = 0;
      const iv = setInterval(() => { s.send('x', 5000, '239.1.2.3'); if (++n === 5) { clearInterval(iv); setTimeout(() => s.close(), 100); } }, 100); });`]);
  const count = (out: string) => out.split('\n').filter((l) => l.includes('239.1.2.3.5000')).length;
  t.equal(count((await a).stdout), 5, 'the member gets all 5 datagrams');
  t.equal(count((await b).stdout), 0, 'the other VM NIC gets none');
  await member;
});
