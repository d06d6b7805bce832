/**
 * before_network_setup against a real Open vSwitch: networks carry traffic to
 * a peer, edits and removals converge, re-runs write nothing, and nothing the
 * hook does not own is touched.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { applyOk, ovsNet, remove, setup } from '../lib/requests.js';

const apply = applyOk;

async function kernelMtu(sb: Sandbox, ns: string, dev: string): Promise<number> {
  const out = await sb.exec(ns, 'ip', ['-j', 'link', 'show', 'dev', dev]);
  return (JSON.parse(out.stdout) as { mtu: number }[])[0]!.mtu;
}

t.test('untagged network carries traffic and is recorded in the running config', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  const r = await apply(t, sb, setup({ red: ovsNet({ nic: 'eth1', ipaddr: '10.1.0.1', netmask: '255.255.255.0' }) }));
  t.same(r.output.request.networks, {}, 'the OVS network is taken out of what VDSM gets back');
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'host reaches the peer over the untagged network');
  t.equal(await sb.hostOvs.vsctl('br-to-vlan', 'red'), '0');
  t.equal(await sb.hostOvs.vsctl('br-to-parent', 'red'), 'ovsbr-eth1');
  const saved = (await sb.files())['var/run/vdsm/netconf/nets/red'];
  t.same(JSON.parse(saved!), ovsNet({ nic: 'eth1', ipaddr: '10.1.0.1', netmask: '255.255.255.0' }),
    'running config holds the attributes as requested');
  t.match(r.stderr, /add-br red ovsbr-eth1 0\s+# network red added on eth1, untagged/, 'transaction logged with why');
});

t.test('VLAN network reaches its VLAN and not another one; a VLAN edit moves it', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pv20', 20, '10.20.0.2/24');
  // an address in the other VLAN's subnet on the network device: reaching the peer
  // through it would need frames to cross from one VLAN into the other
  const probe = async (cidr: string, peer: string) => {
    await sb.exec(sb.host, 'ip', ['addr', 'add', cidr, 'dev', 'blue']);
    const reached = await sb.ping(sb.host, peer, { timeoutS: 2 });
    await sb.exec(sb.host, 'ip', ['addr', 'del', cidr, 'dev', 'blue']);
    return reached;
  };
  await apply(t, sb, setup({ blue: ovsNet({ nic: 'eth1', vlan: '10', ipaddr: '10.10.0.1', prefix: '24' }) }));
  t.ok(await sb.ping(sb.host, '10.10.0.2'), 'same VLAN reachable');
  t.notOk(await probe('10.20.0.9/24', '10.20.0.2'), 'other VLAN not reachable');

  const before = await sb.hostOvs.nextCfg();
  const r = await apply(t, sb, setup({ blue: ovsNet({ nic: 'eth1', vlan: 20, ipaddr: '10.20.0.1', prefix: 24 }) }));
  t.match(r.stderr, /set Port blue tag=20\s+# network blue: VLAN 10 -> 20/);
  t.match(r.stderr, /ip address del 10.10.0.1\/24 dev blue/, 'the old address goes');
  t.equal(await sb.hostOvs.nextCfg(), before + 1, 'the edit is one transaction');
  t.ok(await sb.ping(sb.host, '10.20.0.2'), 'new VLAN reachable after the edit');
  t.notOk(await probe('10.10.0.9/24', '10.10.0.2'), 'old VLAN no longer reachable');
});

t.test('two untagged networks on two NICs each reach their own peer', async (t) => {
  const sb = await createSandbox(t);
  // split the peer switch: p-eth2 goes to its own bridge so the two links are separate L2 segments
  await sb.peerOvs.vsctl('del-port', 'pbr', 'p-eth2', '--', 'add-br', 'pbr2', '--', 'set', 'bridge', 'pbr2',
    'datapath_type=netdev', '--', 'add-port', 'pbr2', 'p-eth2', '--', 'add-port', 'pbr2', 'pu2', '--', 'set',
    'Interface', 'pu2', 'type=internal');
  await sb.exec(sb.peer, 'ip', ['addr', 'add', '10.22.0.2/24', 'dev', 'pu2']);
  await sb.exec(sb.peer, 'ip', ['link', 'set', 'pu2', 'up']);
  await sb.peerEndpoint('pu1', 0, '10.21.0.2/24');
  await apply(t, sb, setup({
    one: ovsNet({ nic: 'eth1', ipaddr: '10.21.0.1', netmask: '255.255.255.0' }),
    two: ovsNet({ nic: 'eth2', ipaddr: '10.22.0.1', netmask: '255.255.255.0' }),
  }));
  t.ok(await sb.ping(sb.host, '10.21.0.2'), 'network one reaches peer one');
  t.ok(await sb.ping(sb.host, '10.22.0.2'), 'network two reaches peer two');
  t.not(await sb.hostOvs.vsctl('br-to-parent', 'one'), await sb.hostOvs.vsctl('br-to-parent', 'two'),
    'each uplink has its own parent bridge');
});

t.test('idempotence: the same request twice writes nothing the second time', async (t) => {
  const sb = await createSandbox(t);
  const payload = setup({
    a: ovsNet({ nic: 'eth1', vlan: '11', ipaddr: '10.11.0.1', netmask: '255.255.255.0', mtu: 1400 }),
    b: ovsNet({ nic: 'eth1', ipaddr: '10.12.0.1', netmask: '255.255.255.0' }),
  });
  await apply(t, sb, payload);
  const cfg = await sb.hostOvs.nextCfg();
  const db = await sb.hostOvs.snapshot();
  const files = await sb.files();
  const r = await apply(t, sb, payload);
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'next_cfg unchanged');
  t.equal(await sb.hostOvs.snapshot(), db, 'OVS DB unchanged');
  t.same(await sb.files(), files, 'files unchanged');
  t.match(r.stderr, /nothing to change: OVS, links and files already match the request/);
});

t.test('removal returns the OVS DB and the files to their earlier content', async (t) => {
  const sb = await createSandbox(t);
  const db = await sb.hostOvs.snapshot();
  const files = await sb.files();
  await apply(t, sb, setup({
    a: ovsNet({ nic: 'eth1', vlan: '30' }),
    b: ovsNet({ nic: 'eth2', ipaddr: '10.31.0.1', netmask: '255.255.255.0' }),
  }));
  t.not(await sb.hostOvs.snapshot(), db, 'networks were created');
  const r = await apply(t, sb, setup({ a: remove, b: remove }));
  t.same(r.output.request.networks, {}, 'removals of OVS networks are not handed to VDSM');
  t.equal(await sb.hostOvs.snapshot(), db, 'OVS DB back to its earlier content');
  t.same(await sb.files(), files, 'running config back to its earlier content');
});

t.test('a foreign bridge is left exactly as it was', async (t) => {
  const sb = await createSandbox(t);
  await sb.hostOvs.vsctl('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev',
    'external_ids:owner=ovn', '--', 'add-port', 'br-int', 'eth2');
  const foreign = async () => (await sb.hostOvs.snapshot()).includes('br-int') && sb.hostOvs.vsctl('list', 'Bridge', 'br-int');
  const before = await sb.hostOvs.vsctl('--columns=name,ports,external_ids,datapath_type,stp_enable', 'list', 'Bridge', 'br-int');
  t.ok(await foreign());
  await apply(t, sb, setup({ n: ovsNet({ nic: 'eth1', vlan: '5' }) }));
  await apply(t, sb, setup({ n: ovsNet({ nic: 'eth1', vlan: '6' }) }));
  await apply(t, sb, setup({ n: remove }));
  const after = await sb.hostOvs.vsctl('--columns=name,ports,external_ids,datapath_type,stp_enable', 'list', 'Bridge', 'br-int');
  t.equal(after, before, 'br-int row identical');
  t.equal(await sb.hostOvs.vsctl('port-to-br', 'eth2'), 'br-int', 'its port is still there');
  const r = await sb.runHook('before_network_setup', setup({ 'br-int': ovsNet({ nic: 'eth1' }) }));
  t.equal(r.exitCode, 2, 'a network named like a foreign bridge is refused');
  t.match(r.stderr.split('\n')[0], /^network 'br-int': name: a device of that name already exists/);
});

t.test('MTU: network device, uplink raised to the largest, lowered and restored as networks go', async (t) => {
  const sb = await createSandbox(t);
  await sb.exec(sb.peer, 'ip', ['link', 'set', 'p-eth1', 'mtu', '9000']);
  await sb.peerEndpoint('pj', 40, '10.40.0.2/24');
  await sb.exec(sb.peer, 'ip', ['link', 'set', 'pj', 'mtu', '9000']);
  await sb.peerOvs.vsctl('set', 'Interface', 'pj', 'mtu_request=9000');
  await apply(t, sb, setup({
    jumbo: ovsNet({ nic: 'eth1', vlan: '40', mtu: 9000, ipaddr: '10.40.0.1', netmask: '255.255.255.0' }),
    small: ovsNet({ nic: 'eth1', vlan: '41', mtu: '1500' }),
  }));
  t.equal(await kernelMtu(sb, sb.host, 'jumbo'), 9000, 'network device MTU');
  t.equal(await kernelMtu(sb, sb.host, 'small'), 1500, 'other network keeps its MTU');
  t.equal(await kernelMtu(sb, sb.host, 'eth1'), 9000, 'uplink raised to the largest MTU of its networks');
  const big = await sb.exec(sb.host, 'ping', ['-c', '2', '-W', '2', '-M', 'do', '-s', '8000', '10.40.0.2'], { reject: false });
  t.equal(big.exitCode, 0, 'an 8000-byte unfragmented ping crosses');

  await apply(t, sb, setup({ jumbo: remove }));
  t.equal(await kernelMtu(sb, sb.host, 'eth1'), 1500, 'uplink lowered when the big network goes');
  await apply(t, sb, setup({ small: remove }));
  t.equal(await kernelMtu(sb, sb.host, 'eth1'), 1500, 'uplink keeps its own MTU after leaving OVS');
});

t.test('uplink leaving OVS gets back the MTU it had before', async (t) => {
  const sb = await createSandbox(t);
  await sb.exec(sb.host, 'ip', ['link', 'set', 'eth1', 'mtu', '1450']);
  await apply(t, sb, setup({ j: ovsNet({ nic: 'eth1', mtu: '9000' }) }));
  t.equal(await kernelMtu(sb, sb.host, 'eth1'), 9000);
  await apply(t, sb, setup({ j: remove }));
  t.equal(await kernelMtu(sb, sb.host, 'eth1'), 1450, 'original MTU restored');
});

t.test('replay after the OVS DB was wiped brings everything back', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pw', 50, '10.50.0.2/24');
  const payload = setup({ w: ovsNet({ nic: 'eth1', vlan: '50', ipaddr: '10.50.0.1', netmask: '255.255.255.0' }) });
  await apply(t, sb, payload);
  const db = await sb.hostOvs.snapshot();
  for (const br of (await sb.hostOvs.vsctl('list-br')).split('\n').filter(Boolean)) {
    await sb.hostOvs.vsctl('--if-exists', 'del-br', br);
  }
  t.notOk(await sb.ping(sb.host, '10.50.0.2', { timeoutS: 2 }), 'the wipe cut the network');
  const r = await apply(t, sb, payload);
  t.match(r.stderr, /add-br w ovsbr-eth1 50/, 'the plan diffs against what OVS really holds');
  t.equal(await sb.hostOvs.snapshot(), db, 'OVS DB as it was before the wipe');
  t.ok(await sb.ping(sb.host, '10.50.0.2'), 'traffic flows again');
});

t.test('running config survives a move of a network from a NIC to a bond', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  await sb.peerEndpoint('pm', 60, '10.60.0.2/24');
  await apply(t, sb, setup({ m: ovsNet({ nic: 'eth3', vlan: '60', ipaddr: '10.60.0.1', netmask: '255.255.255.0' }) }));
  t.ok(await sb.ping(sb.host, '10.60.0.2'), 'on the NIC');
  const before = await sb.hostOvs.nextCfg();
  await apply(t, sb, setup(
    { m: ovsNet({ bonding: 'bond0', vlan: '60', ipaddr: '10.60.0.1', netmask: '255.255.255.0' }) },
    { bond0: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' } },
  ));
  t.equal(await sb.hostOvs.nextCfg(), before + 1, 'the move is one transaction');
  t.equal(await sb.hostOvs.vsctl('br-to-parent', 'm'), 'ovsbr-bond0');
  t.equal(await sb.hostOvs.vsctl('--bare', '--columns=name', 'find', 'Interface', 'name=eth3'), '',
    'eth3 left OVS with its bridge');
  t.ok(await sb.ping(sb.host, '10.60.0.2'), 'on the bond');
  t.ok(existsSync(join(sb.root, 'var/run/vdsm/netconf/bonds/bond0')), 'bond recorded');
});

t.test('default route via the network gateway, removed when the network stops holding it', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pgw', 70, '10.70.0.2/24');
  // an address only reachable through the default route
  await sb.exec(sb.peer, 'ip', ['addr', 'add', '192.0.2.77/32', 'dev', 'pgw']);
  const net = { nic: 'eth1', vlan: '70', ipaddr: '10.70.0.1', netmask: '255.255.255.0', gateway: '10.70.0.2' };
  await apply(t, sb, setup({ gw: ovsNet({ ...net, defaultRoute: true }) }));
  const routes = async () => JSON.parse((await sb.exec(sb.host, 'ip', ['-j', 'route', 'show', 'default'])).stdout);
  t.same((await routes()).map((r: { gateway: string; dev: string }) => [r.gateway, r.dev]), [['10.70.0.2', 'gw']]);
  t.ok(await sb.ping(sb.host, '192.0.2.77'), 'a host beyond the gateway is reached');
  await apply(t, sb, setup({ gw: ovsNet(net) }));
  t.same(await routes(), [], 'default route gone with defaultRoute false');
});

t.test('STP is set on the parent bridge; every row the hook creates carries its mark', async (t) => {
  const sb = await createSandbox(t);
  await apply(t, sb, setup({
    s1: ovsNet({ nic: 'eth1', vlan: 1, stp: true }),
    // a network that does not mention STP leaves it to the others on its uplink (one saying 'no' would be refused)
    s2: ovsNet({ nic: 'eth1', vlan: 2 }),
    s3: ovsNet({ nic: 'eth2', vlan: 3 }),
  }));
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'stp_enable'), 'true', 'a network asking for STP');
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth2', 'stp_enable'), 'false', 'no network asking');
  for (const table of ['Bridge', 'Port', 'Interface']) {
    const rows = JSON.parse(await sb.hostOvs.vsctl('--format=json', '--data=json', '--columns=name,external_ids', 'list', table))
      .data as [string, ['map', [string, string][]]][];
    const unmarked = rows.filter(([, ids]) => !ids[1].some(([k]) => k === 'vdsm-hook-ovs')).map(([name]) => name);
    t.ok(rows.length >= 2, `${table} has rows`);
    t.same(unmarked, [], `every ${table} row is marked`);
  }
  await apply(t, sb, setup({ s1: ovsNet({ nic: 'eth1', vlan: 1 }) }));
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'stp_enable'), 'false', 'off when no network asks');
});

t.test('a removal that outlasts the ovs-vsctl timeout after the commit is recognised as done', async (t) => {
  const sb = await createSandbox(t);
  const names = Array.from({ length: 200 }, (_, i) => `t${i}`);
  await apply(t, sb, setup(Object.fromEntries(names.map((n, i) => [n, ovsNet({ nic: 'eth1', vlan: 100 + i })]))));
  // deleting 200 internal ports takes the userspace datapath ~4 s, well over a 1 s timeout
  const r = await sb.runHook('before_network_setup', setup(Object.fromEntries(names.map((n) => [n, remove]))),
    { env: { VDSM_HOOK_OVS_TIMEOUT: '1' } });
  t.match(r.stderr, /ovs-vsctl: transaction failed: no answer within the 1 s timeout; the OVS database holds the requested state/,
    'the timeout happened and was checked against the DB');
  t.equal(r.exitCode, 0, 'and the hook succeeded');
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'everything removed');
  t.same(Object.keys(await sb.files()), ['var/lib/vdsm-hook-ovs/pending.json'],
    'running config entries removed; only the snapshot waits for VDSM');
});
