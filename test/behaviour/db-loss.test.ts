/**
 * Recovery after Open vSwitch lost its database, on the userspace datapath:
 * the daemons restarted on an empty conf.db while the tap devices of the
 * hook's internal ports stay in the kernel. Replaying the request, or
 * 'vdsm-ovs restore', removes those leftovers and rebuilds the networks as
 * they were; a device of a network's name that is not such a leftover is
 * still refused with nothing changed.
 */
import t, { type Test } from 'tap';
import { dhcpClient, dhcpServer, hookConfig, pidRunsFor } from '../lib/dhcp.js';
import { hostState } from '../lib/host-state.js';
import { applyOk, ovsBond, ovsNet, setup } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';

const NICS = ['eth1', 'eth2', 'eth3'];
/** blue: VLAN 10 on the OVS bond bond0 (eth1, eth2); red: untagged on eth3; both with a static address. */
const REQUEST = setup({
  blue: ovsNet({ bonding: 'bond0', vlan: '10', ipaddr: '10.10.0.1', netmask: '255.255.255.0' }),
  red: ovsNet({ nic: 'eth3', ipaddr: '10.1.0.1', prefix: '24' }),
}, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_mode:balance-slb') });
/** The hook's internal ports, each a tap device in the userspace datapath, with what the running config says it is. */
const DEVICES: [string, string][] = [
  ['blue', "network 'blue'"], ['red', "network 'red'"], ['ovsbr-bond0', "bridge 'ovsbr-bond0'"], ['ovsbr-eth3', "bridge 'ovsbr-eth3'"],
];

async function networkedHost(t: Test): Promise<Sandbox> {
  const sb = await createSandbox(t, { nics: NICS });
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await applyOk(t, sb, REQUEST);
  t.ok(await peerReaches(sb), 'the peer reaches both networks');
  return sb;
}

async function peerReaches(sb: Sandbox, timeoutS?: number): Promise<boolean> {
  const opts = timeoutS === undefined ? {} : { timeoutS };
  return (await sb.ping(sb.peer, '10.10.0.1', opts)) && (await sb.ping(sb.peer, '10.1.0.1', opts));
}

/**
 * The rebuilt devices have new MAC addresses (the userspace datapath's internal
 * ports get random ones): the host's first packets (its ARP requests) tell the
 * peer, whose cache still holds the old ones until their entries expire.
 */
async function trafficFlowsAgain(t: Test, sb: Sandbox): Promise<void> {
  t.ok((await sb.ping(sb.host, '10.10.0.2')) && (await sb.ping(sb.host, '10.1.0.2')), 'the host reaches the peer on both networks again');
  t.ok(await peerReaches(sb), 'and the peer reaches both networks');
}

interface IpLink { ifname: string; linkinfo?: { info_kind?: string; info_data?: { type?: string; persist?: boolean } } }

/** name -> "tap, persistent" / the link kind, as `ip -d` tells it. */
async function linkKinds(sb: Sandbox): Promise<Map<string, string>> {
  const links = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', '-d', 'link', 'show'])).stdout) as IpLink[];
  return new Map(links.map((l) => {
    const data = l.linkinfo?.info_data;
    const kind = l.linkinfo?.info_kind === 'tun' ? `${data?.type}${data?.persist ? ', persistent' : ''}` : l.linkinfo?.info_kind ?? 'none';
    return [l.ifname, kind];
  }));
}

/** The database wiped and both daemons back on an empty one: the tap devices stay, traffic stops. */
async function wipe(t: Test, sb: Sandbox): Promise<void> {
  await sb.hostOvs.wipeDatabase();
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'the OVS database holds no bridge');
  const kinds = await linkKinds(sb);
  t.same(DEVICES.map(([dev]) => kinds.get(dev)), DEVICES.map(() => 'tap, persistent'),
    'the internal ports are left behind as persistent tap devices');
  t.notOk(await peerReaches(sb, 2), 'the peer reaches neither network');
}

function leftoverLines(t: Test, stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l.includes('left behind'));
  t.equal(lines.length, DEVICES.length, 'one log line per leftover device');
  for (const [dev, owner] of DEVICES) {
    t.ok(lines.some((l) => l.startsWith(`info: ${owner}: ${dev} is a tap device that Open vSwitch's userspace datapath left behind`)
      && l.endsWith(`the transaction builds it anew: ip link del dev ${dev}`)), `${dev} removed and rebuilt, says the log`);
  }
}

t.test('replaying the request after the database was lost brings back the networks as they were', async (t) => {
  const sb = await networkedHost(t);
  const before = await hostState(sb);
  await wipe(t, sb);

  const r = await applyOk(t, sb, REQUEST);
  leftoverLines(t, r.stderr);
  await trafficFlowsAgain(t, sb);
  t.same(await hostState(sb), before, 'OVS rows, addresses, links, route, running config and ifcfg files as before the wipe');
  const again = await sb.runHook('before_network_setup', REQUEST);
  t.equal(again.exitCode, 0, again.stderr);
  t.match(again.stderr, /nothing to change/, 'a second replay finds nothing to do');
});

t.test('vdsm-ovs restore after the database was lost brings back the networks as they were', async (t) => {
  const sb = await networkedHost(t);
  const before = await hostState(sb);
  await wipe(t, sb);

  const r = await sb.runCli(['restore']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout.split('\n')[0], 'restored from the running config:', 'the output says what was done');
  for (const [dev] of DEVICES) t.match(r.stdout, `  ip link del dev ${dev}   # `, `the output names the removal of ${dev}`);
  leftoverLines(t, r.stderr);
  await trafficFlowsAgain(t, sb);
  t.same(await hostState(sb), before, 'OVS rows, addresses, links, route, running config and ifcfg files as before the wipe');
});

t.test('a DHCP network rebuilt after the database was lost gets a new client on its new device, and its lease', async (t) => {
  const sb = await createSandbox(t);
  hookConfig(sb, 'dhcp_timeout = 15\n');
  await dhcpServer(sb, 'pd30', 30, '10.30.0');
  const request = setup({ dyn: ovsNet({ nic: 'eth1', vlan: '30', bootproto: 'dhcp', blockingdhcp: 'true' }) });
  await applyOk(t, sb, request);
  const old = dhcpClient(sb, 'dyn');
  t.ok(old?.alive, 'a DHCP client runs for dyn');
  await sb.hostOvs.wipeDatabase();
  t.ok(dhcpClient(sb, 'dyn')?.alive, 'it still runs after the wipe, bound to the tap left behind');

  const r = await applyOk(t, sb, request);
  t.match(r.stderr, /network dyn: its device was rebuilt, the DHCPv4 client served the old one/, 'the log says why it is restarted');
  const renewed = dhcpClient(sb, 'dyn');
  t.ok(renewed?.alive && renewed.pid !== old!.pid, 'a new client runs for dyn');
  t.notOk(pidRunsFor(old!.pid, 'dyn'), 'the old one was stopped');
  const [link] = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', '-4', 'addr', 'show', 'dev', 'dyn'])).stdout) as
    { addr_info: { local: string }[] }[];
  const leased = link!.addr_info.map((a) => a.local);
  t.match(leased, [/^10\.30\.0\.(5\d|60)$/], 'the new device has a lease (blockingdhcp waited for it)');
  t.ok(await sb.ping(sb.host, '10.30.0.2'), 'dyn reaches the DHCP server');
  t.ok(await sb.ping(sb.peer, leased[0]!), 'and the peer reaches dyn');
});

t.test('a device of a network\'s name that is not a leftover tap of the hook\'s is refused, nothing changed', async (t) => {
  const sb = await networkedHost(t);
  await wipe(t, sb);
  const refused = async (what: string, run: () => Promise<{ exitCode: number; stderr: string }>, error: string): Promise<void> => {
    const state = await hostState(sb);
    const cfg = await sb.hostOvs.nextCfg();
    const r = await run();
    t.equal(r.exitCode, 2, `${what}: refused`);
    t.ok(r.stderr.split('\n').includes(error), `${what}: the error names the device and its kind`);
    t.equal(await sb.hostOvs.nextCfg(), cfg, `${what}: no OVS transaction`);
    t.same(await hostState(sb), state, `${what}: OVS, links (the leftover taps included), addresses and files unchanged`);
  };

  // a persistent tap, as OVS leaves them, but of a name the running config does not give the hook
  await sb.exec(sb.host, 'ip', ['tuntap', 'add', 'mode', 'tap', 'name', 'green']);
  await refused('a tap of a name the running config does not own',
    () => sb.runHook('before_network_setup', setup({ green: ovsNet({ nic: 'eth3', vlan: '30' }) })),
    "network 'green': name: a device of that name already exists on this host (a tap device)");

  // red's leftover replaced by a veth: a name the hook owns, but not what an OVS internal port leaves
  await sb.exec(sb.host, 'ip', ['link', 'del', 'red']);
  await sb.exec(sb.host, 'ip', ['link', 'add', 'red', 'type', 'veth', 'peer', 'name', 'red-peer']);
  const vethError = "network 'red': name: a device of that name already exists on this host (a veth device)";
  await refused('a veth of an owned name, replaying the request', () => sb.runHook('before_network_setup', REQUEST), vethError);
  await refused('a veth of an owned name, vdsm-ovs restore', () => sb.runCli(['restore']), `error: ${vethError}`);
});
