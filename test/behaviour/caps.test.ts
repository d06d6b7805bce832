/**
 * after_get_caps / after_get_stats against a real Open vSwitch: every field
 * compared with what the kernel (`ip -j`) and OVS (`ovs-vsctl`,
 * `ovs-appctl`) say themselves; VDSM's own entries untouched; a fixed number
 * of subprocesses whatever the number of networks; quiet, complete answers
 * when OVS is absent, hung or stopped.
 */
import t, { type Test } from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyOk, ovsBond, ovsNet, setup, type Attrs } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { fixtureJson } from '../lib/fixtures.js';

const example = fixtureJson;
const COUNTER = fileURLToPath(new URL('../lib/count-spawns.cjs', import.meta.url));

/** VDSM's caps for this host: the shared example, with NIC entries for the sandbox's NICs. */
function vdsmCaps() {
  const caps = example('caps-before.json');
  for (const nic of ['eth3', 'eth4']) caps.nics[nic] = { ...caps.nics.eth1, hwaddr: `52:54:00:00:00:0${nic.at(-1)}` };
  return caps;
}

interface IpLink {
  ifname: string; mtu: number; address: string;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

async function ipLink(sb: Sandbox, dev: string): Promise<IpLink> {
  return (JSON.parse((await sb.exec(sb.host, 'ip', ['-j', 'addr', 'show', 'dev', dev])).stdout) as IpLink[])[0]!;
}

/** The IP fields as the kernel itself shows them for a device. */
async function kernelIp(sb: Sandbox, dev: string) {
  const link = await ipLink(sb, dev);
  const v4 = link.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  const v6 = link.addr_info.filter((a) => a.family === 'inet6' && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
  const route = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', 'route', 'show', 'default'])).stdout) as { dev: string; gateway: string }[];
  const mine = route.find((r) => r.dev === dev);
  return {
    mtu: String(link.mtu), ipv4addrs: v4, ipv6addrs: v6, addr: v4[0]?.split('/')[0] ?? '',
    gateway: mine?.gateway ?? '', ipv4defaultroute: mine !== undefined,
  };
}

async function host(t: Test) {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3', 'eth4'] });
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pv30', 30, '10.30.0.2/24');
  await applyOk(t, sb, setup({
    blue: ovsNet({ bonding: 'bond0', vlan: '10', ipaddr: '10.10.0.1', prefix: '24', gateway: '10.10.0.254', defaultRoute: 'true' }),
    red: ovsNet({ nic: 'eth3', bridged: 'false', ipaddr: '10.1.0.1', netmask: '255.255.255.0' }),
    green: ovsNet({ nic: 'eth4', vlan: '30', bridged: 'false', mtu: '9000', ipaddr: '10.30.0.1', prefix: '24' }),
  }, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_mode:active-backup') }));
  // a VM NIC as libvirt plugs it into an OVS network
  await sb.addVmNic('vnet0', 'vm0');
  await sb.hostOvs.vsctl('add-port', 'blue', 'vnet0');
  return sb;
}

t.test('caps: each OVS network, VLAN and bond, field by field against the kernel and OVS', async (t) => {
  const sb = await host(t);
  t.ok(await sb.ping(sb.host, '10.10.0.2'), 'blue carries traffic');
  const input = vdsmCaps();
  const r = await sb.runHook('after_get_caps', input);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stderr, '', 'a normal call logs nothing');
  const caps = r.output;

  const blue = caps.networks.blue;
  const kb = await kernelIp(sb, 'blue');
  t.strictSame([blue.iface, blue.bridged, blue.southbound, blue.vlanid, blue.switch], ['blue', true, 'bond0.10', 10, 'legacy']);
  t.equal(Number(await sb.hostOvs.vsctl('br-to-vlan', 'blue')), blue.vlanid, 'vlanid: as OVS has the fake bridge');
  const ovsPorts = (await sb.hostOvs.vsctl('list-ports', 'blue')).split('\n').filter(Boolean);
  t.strictSame(blue.ports, [...ovsPorts, 'bond0.10'], 'ports: the VM taps OVS lists on the network, then the VLAN');
  t.strictSame(ovsPorts, ['vnet0'], 'the VM tap is among them');
  const stp = (await sb.hostOvs.vsctl('get', 'Bridge', await sb.hostOvs.vsctl('br-to-parent', 'blue'), 'stp_enable')) === 'true';
  t.equal(blue.stp, stp ? 'on' : 'off', 'stp: as the parent bridge has it');
  for (const key of ['mtu', 'ipv4addrs', 'ipv6addrs', 'addr', 'gateway', 'ipv4defaultroute'] as const) {
    t.strictSame(blue[key], kb[key], `networks.blue.${key} as the kernel has it`);
  }
  t.equal(blue.gateway, '10.10.0.254', 'the default route is blue\'s');
  t.equal(blue.netmask, '255.255.255.0');
  const bridge = caps.bridges.blue;
  t.strictSame([bridge.ports, bridge.stp, bridge.ipv4addrs, bridge.mtu], [blue.ports, blue.stp, kb.ipv4addrs, kb.mtu]);
  t.strictSame(bridge.opts, {
    stp_state: '0', multicast_snooping: '0', multicast_router: '1', hash_max: '2048', multicast_membership_interval: '30000',
    ageing_time: '30000', forward_delay: '1500', hello_time: '200', max_age: '2000', priority: '32768',
  }, 'opts: every option OVS honours, its defaults in Linux units, as sysfs reads');
  t.strictSame(caps.vlans['bond0.10'], {
    ...emptyIp(), mtu: kb.mtu, iface: 'bond0', vlanid: 10,
  }, 'the VLAN of a bridged network: no address (it is on the bridge)');

  const red = caps.networks.red;
  const kr = await kernelIp(sb, 'red');
  t.strictSame([red.iface, red.interface, red.bridged, red.southbound, red.vlanid], ['eth3', 'eth3', false, 'eth3', undefined]);
  t.strictSame([red.ports, red.stp], [undefined, undefined], 'a bridgeless network has no ports or STP');
  t.strictSame([red.ipv4addrs, red.mtu, red.netmask], [kr.ipv4addrs, kr.mtu, '255.255.255.0']);
  t.strictSame(caps.nics.eth3, { ...input.nics.eth3, ...pickIp(red) }, 'the NIC keeps its entry and shows the address');
  t.notOk('red' in caps.bridges, 'no bridge entry for a bridgeless network');

  const green = caps.networks.green;
  const kg = await kernelIp(sb, 'green');
  t.strictSame([green.iface, green.vlanid, green.mtu, green.ipv4addrs], ['eth4.30', 30, '9000', kg.ipv4addrs]);
  t.equal(kg.mtu, '9000', 'MTU 9000 really on the device');
  t.strictSame(caps.vlans['eth4.30'], { ...pickIp(green), mtu: '9000', iface: 'eth4', vlanid: 30 },
    'the VLAN of a bridgeless network carries its address');

  const bond = caps.bondings.bond0;
  const show = await sb.hostOvs.appctl('bond/show', 'bond0');
  t.equal(bond.active_slave, /active member mac: \S+\((\S+)\)/.exec(show)?.[1], 'active_slave: as bond/show says');
  t.strictSame(bond.slaves, [...show.matchAll(/^member (\S+):/gm)].map((m) => m[1]).sort(), 'slaves: the members OVS has');
  t.strictSame(bond.opts, { custom: 'ovs:True,ovs_mode:active-backup' }, 'opts: the custom options as the Engine set them');
  t.equal(bond.hwaddr, (await ipLink(sb, 'eth1')).address, 'hwaddr: as a Linux bond\'s, its first slave\'s');
  t.equal(bond.mtu, String((await ipLink(sb, 'eth1')).mtu));

  for (const table of ['networks', 'bridges', 'vlans', 'bondings', 'nics']) {
    for (const [name, entry] of Object.entries(input[table] as object)) {
      if (table === 'nics' && name === 'eth3') continue;
      t.strictSame(caps[table][name], entry, `${table}.${name} (VDSM's own) untouched`);
    }
  }
  for (const key of Object.keys(input).filter((k) => !['networks', 'bridges', 'vlans', 'bondings', 'nics'].includes(k))) {
    t.strictSame(caps[key], input[key], `${key} untouched`);
  }

  // the bond fails over: caps follow
  const active = bond.active_slave as string;
  await sb.setLink(sb.peer, `p-${active}`, false);
  await sb.setLink(sb.host, active, false);
  t.ok(await sb.ping(sb.host, '10.10.0.2', { timeoutS: 10 }), 'traffic over the other slave');
  const after = await sb.runHook('after_get_caps', input);
  t.equal(after.output.bondings.bond0.active_slave, active === 'eth1' ? 'eth2' : 'eth1', 'the new active slave is reported');
});

t.test('stats: the VLAN and the bond get entries from the devices that carry them', async (t) => {
  const sb = await host(t);
  t.ok(await sb.ping(sb.host, '10.30.0.2'), 'green carries traffic');
  t.ok(await sb.ping(sb.host, '10.10.0.2'), 'blue carries traffic over the bond');
  // VDSM's own sample: every link, counters as strings
  const links = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', '-s', 'link', 'show'])).stdout) as {
    ifname: string; operstate: string; stats64: { rx: Record<string, number>; tx: Record<string, number> };
  }[];
  const network = Object.fromEntries(links.map((l) => [l.ifname, {
    name: l.ifname, state: l.operstate === 'DOWN' ? 'down' : 'up', speed: '1000', sampleTime: 4296.31,
    rx: String(l.stats64.rx['bytes']), tx: String(l.stats64.tx['bytes']),
    rxDropped: String(l.stats64.rx['dropped']), txDropped: String(l.stats64.tx['dropped']),
    rxErrors: String(l.stats64.rx['errors']), txErrors: String(l.stats64.tx['errors']),
  }]));
  const input = { ...example('stats.json'), network };
  const r = await sb.runHook('after_get_stats', input);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stderr, '');
  const out = r.output.network;
  t.strictSame(Object.keys(out).filter((k) => !(k in network)).sort(), ['bond0', 'bond0.10', 'eth4.30'], 'three names added');
  t.strictSame(out['eth4.30'], { ...network['green'], name: 'eth4.30' }, 'eth4.30: the green device');
  t.strictSame(out['bond0.10'], { ...network['blue'], name: 'bond0.10' });
  const sum = (key: string) => String(BigInt(network['eth1']![key as 'rx']) + BigInt(network['eth2']![key as 'rx']));
  t.equal(out.bond0.rx, sum('rx'), 'bond0: the slaves\' bytes received');
  t.equal(out.bond0.tx, sum('tx'));
  t.ok(BigInt(out.bond0.tx) > 0n, 'which counted the pings');
  t.equal(out.bond0.state, 'up');
  for (const [name, entry] of Object.entries(network)) t.strictSame(out[name], entry, `${name} untouched`);
  for (const key of Object.keys(input).filter((k) => k !== 'network')) t.strictSame(r.output[key], input[key], `${key} untouched`);
});

t.test('caps start the same subprocesses for 2 networks as for 24: one ip (root reads OVS through its sockets)', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  const count = async () => {
    const log = join(sb.root, 'spawns.log');
    const r = await sb.runHook('after_get_caps', vdsmCaps(), { env: { NODE_OPTIONS: `--require=${COUNTER}`, VHO_SPAWN_LOG: log } });
    t.equal(r.exitCode, 0, r.stderr);
    const names = readFileSync(log, 'utf8').split('\n').filter(Boolean).sort();
    rmSync(log);
    return { names, networks: Object.keys(r.output.networks).filter((n) => n !== 'ovirtmgmt').length };
  };
  const nets = (n: number): Record<string, Attrs> => Object.fromEntries(Array.from({ length: n }, (_, i) =>
    [`n${i}`, ovsNet({ bonding: 'bond0', vlan: String(100 + i), ipaddr: `10.${i}.0.1`, prefix: '24' })]));
  await applyOk(t, sb, setup({ ...nets(1), flat: ovsNet({ nic: 'eth3' }) }, { bond0: ovsBond(['eth1', 'eth2']) }));
  const few = await count();
  await applyOk(t, sb, setup(nets(23)));
  const many = await count();
  t.equal(few.networks, 2, '2 networks reported');
  t.equal(many.networks, 24, '24 networks reported');
  t.strictSame(few.names, ['ip']);
  t.strictSame(many.names, few.names, 'the same with 12 times the networks');
});

t.test('OVS absent, hung or stopped: caps exit 0 quickly, as complete as can be, logging once per change', async (t) => {
  const sb = await host(t);
  const input = vdsmCaps();
  const logLines = () => readFileSync(join(sb.root, 'var/log/vdsm/ovs-hook.log'), 'utf8').split('\n')
    .filter((l) => / after_get_caps\[/.test(l));
  const run = async (env: Record<string, string> = {}) => {
    const started = Date.now();
    const r = await sb.runHook('after_get_caps', input, { env });
    t.equal(r.exitCode, 0, `exit 0 ${r.stderr}`);
    return { ...r, seconds: (Date.now() - started) / 1000 };
  };
  const healthy = (await run()).output;

  // absent: no OVS daemons where OVS_RUNDIR points
  const absent = { OVS_RUNDIR: join(sb.root, 'no-ovs-here') };
  const first = await run(absent);
  t.match(first.stderr, /^warn: ovsdb-server: reading the OVS database failed: cannot connect to \S+\/no-ovs-here\/db\.sock \(ENOENT\): not running\?; reporting from the running config and the kernel only \(logged once, until it changes\)$/m);
  t.ok(first.seconds < 5, `answered in ${first.seconds} s`);
  t.strictSame(first.output.networks.blue, { ...healthy.networks.blue, ports: ['bond0.10'] },
    'the devices still exist: networks as the kernel shows them, VM taps unknown');
  t.strictSame(first.output.bondings.bond0, { ...healthy.bondings.bond0, active_slave: '' }, 'the bond from the running config');
  for (let i = 0; i < 2; i++) t.equal((await run(absent)).stderr, '', 'the next calls log nothing');
  const back = await run();
  t.match(back.stderr, /^info: resolved: ovsdb-server: reading the OVS database failed/m, 'its end is logged once');
  t.strictSame(back.output, healthy);

  // hung: ovsdb-server stopped by SIGSTOP
  await sb.hostOvs.signal('ovsdb-server', 'SIGSTOP');
  t.teardown(() => sb.hostOvs.signal('ovsdb-server', 'SIGCONT').catch(() => undefined));
  const hung = await run();
  t.ok(hung.seconds < 2 + 3, `a hung ovsdb-server costs at most the 2 s report timeout (${hung.seconds} s)`);
  t.match(hung.stderr, /no answer within the 2 s timeout/);
  t.equal((await run()).stderr, '', 'logged once');
  await sb.hostOvs.signal('ovsdb-server', 'SIGCONT');
  t.strictSame((await run()).output, healthy, 'answers again');

  // stopped: ovs-vswitchd gone, and with it the network devices (userspace datapath)
  await sb.hostOvs.stopVswitchd();
  const stopped = await run();
  t.match(stopped.stderr, /^warn: ovs-vswitchd: reading the bonds failed: cannot read \S+\/ovs-vswitchd\.pid \(ENOENT\): not running\?; bonds reported without an active slave/m);
  const device = await sb.exec(sb.host, 'ip', ['link', 'show', 'blue'], { reject: false });
  t.equal('blue' in stopped.output.networks, device.exitCode === 0, 'a network is reported exactly when its device exists');
  t.strictSame(stopped.output.networks.ovirtmgmt, input.networks.ovirtmgmt, 'VDSM\'s network as it was');
  t.equal((await run()).stderr, '', 'logged once');
  t.equal(logLines().filter((l) => / warn: /.test(l)).length, 3, 'one warning per outage in the hook log');
});

t.test('a running config entry that does not parse is left out, named once', async (t) => {
  const sb = await host(t);
  writeFileSync(join(sb.root, 'var/run/vdsm/netconf/nets/broken'), JSON.stringify({ nic: 'eth9', vlan: 'x', custom: { ovs: 'true' } }));
  const r = await sb.runHook('after_get_caps', vdsmCaps());
  t.equal(r.exitCode, 0);
  t.match(r.stderr, /^warn: running config network 'broken' left out: network 'broken': vlan: "x" is not an integer in 0-4094/m);
  t.ok('blue' in r.output.networks, 'the other networks are reported');
  t.equal((await sb.runHook('after_get_caps', vdsmCaps())).stderr, '', 'logged once');
  const stats = await sb.runHook('after_get_stats', example('stats.json'));
  t.equal(stats.exitCode, 0);
  t.match(stats.stderr, /left out/, 'stats name it in their own right, once');
});

function emptyIp() {
  return {
    addr: '', netmask: '', ipv4addrs: [], ipv6addrs: [], gateway: '', ipv6gateway: '::',
    ipv4defaultroute: false, ipv6autoconf: false, dhcpv4: false, dhcpv6: false,
  };
}

function pickIp(entry: Record<string, unknown>) {
  return Object.fromEntries(Object.keys(emptyIp()).map((k) => [k, entry[k]]));
}

t.test("a host without OVS networks of the hook: caps name its OVN chassis while OVS answers, quietly nothing while not", async (t) => {
  const sb = await createSandbox(t);
  const input = vdsmCaps();
  const bare = await sb.runHook('after_get_caps', input);
  t.equal(bare.exitCode, 0, bare.stderr);
  t.strictSame(bare.output, input, 'no system-id: caps exactly as VDSM sent them');
  await sb.hostOvs.vsctl('set', 'Open_vSwitch', '.', 'external_ids:system-id=host9.example.com');
  const r = await sb.runHook('after_get_caps', input);
  t.equal(r.exitCode, 0, r.stderr);
  t.strictSame(r.output, { ...input, openstack_binding_host_ids: { OVIRT_PROVIDER_OVN: 'host9.example.com' } }, 'only the chassis name added');
  const down = await sb.runHook('after_get_caps', input, { env: { OVS_RUNDIR: join(sb.root, 'no-ovs-here') } });
  t.equal(down.exitCode, 0);
  t.strictSame(down.output, input, 'OVS absent: caps as VDSM sent them');
  t.equal(down.stderr, '', 'and nothing logged: such a host may have no OVS at all');
});
