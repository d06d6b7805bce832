import t from 'tap';
import type { DesiredState } from '../../../src/model/desired.js';
import type { DhcpRun } from '../../../src/host/dhcp.js';
import type { Ipv6Conf, KernelLink, KernelState } from '../../../src/host/kernel.js';
import { planLinks, renderLeftovers, renderLinks, type LinkPlan } from '../../../src/host/links.js';
import type { MtuRestore } from '../../../src/ovs/planner.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { desiredOn, hostWith } from '../fixtures/desired.js';

const OVS = { ovs: 'true' };
const BOND0 = { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' };

const LINKS_HOST = hostWith(['eth0', 'eth1', 'eth2', 'eth3']);
const desired = (nets: Record<string, Attrs>, bonds: Record<string, Attrs> = {}): DesiredState => desiredOn(LINKS_HOST, nets, bonds);

/** Red's own routing table (42402108: Python's zlib.adler32(b'red')) and rules, as RED_STATIC has them once set. */
const RED_TABLE = 42402108;
const RED_ROUTING: Pick<KernelState, 'hookRules' | 'hookRoutes'> = {
  hookRules: [{ dir: 'from', subnet: '198.51.100.0/24', table: RED_TABLE }, { dir: 'to', subnet: '198.51.100.0/24', table: RED_TABLE }],
  hookRoutes: [
    { dst: 'default', gateway: '198.51.100.1', dev: 'red', table: RED_TABLE },
    { dst: '198.51.100.0/24', dev: 'red', table: RED_TABLE },
  ],
};
const NO_ROUTING: Pick<KernelState, 'hookRules' | 'hookRoutes'> = { hookRules: [], hookRoutes: [] };

/**
 * Kernel links written as name -> [up, mtu, ...ipv4]; all up with MTU 1500 unless said otherwise;
 * no table or rule of the hook unless given.
 */
function kernel(
  links: Record<string, readonly [boolean, number, ...string[]]>,
  defaultRoute?: KernelState['defaultRoute'],
  routing = NO_ROUTING,
): KernelState {
  const map = new Map<string, KernelLink>(
    Object.entries(links).map(([name, [up, mtu, ...addrs]]) => [name, {
      name, up, mtu, mac: '', ipv4: addrs.filter((a) => !a.includes(':')), ipv6: addrs.filter((a) => a.includes(':')), dynamic: [],
    }]),
  );
  const state: KernelState = { links: map, gateways: new Map(), gateways6: new Map(), ipv6conf: new Map(), ...routing };
  return defaultRoute ? { ...state, defaultRoute } : state;
}

/** The ip commands of the plan; no DHCP clients running, nothing to restore beyond MTUs. */
function planLinksIp(d: DesiredState, k: KernelState, mtu: MtuRestore[]): { args: string[]; why: string }[] {
  const plan = planLinks(d, k, new Map(), { mtu, addresses: new Map(), down: [] });
  return plan.ip;
}

const args = (cmds: { args: string[] }[]) => cmds.map((c) => c.args.join(' '));
const RED_STATIC = { nic: 'eth1', ipaddr: '198.51.100.10', netmask: '255.255.255.0', gateway: '198.51.100.1', custom: OVS };

t.test('a new static address is added, then its network\'s own table and rules (the gateway reachable by then)', async (t) => {
  const cmds = planLinksIp(desired({ red: RED_STATIC }), kernel({ eth1: [true, 1500], red: [true, 1500] }), []);
  t.strictSame(args(cmds), [
    'address add 198.51.100.10/24 dev red',
    'route replace default via 198.51.100.1 dev red table 42402108 proto 211',
    'route replace 198.51.100.0/24 dev red table 42402108 proto 211',
    'rule add priority 3200 from 198.51.100.0/24 table 42402108 protocol 211',
    'rule add priority 3200 to 198.51.100.0/24 table 42402108 protocol 211',
  ]);
});

t.test('an address, table and rules already there are left alone', async (t) => {
  const cmds = planLinksIp(desired({ red: RED_STATIC }), kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, undefined, RED_ROUTING), []);
  t.strictSame(cmds, []);
});

t.test('source routing: a gateway change replaces the table\'s default route, alone', async (t) => {
  const cmds = planLinksIp(desired({ red: { ...RED_STATIC, gateway: '198.51.100.254' } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, undefined, RED_ROUTING), []);
  t.strictSame(args(cmds), ['route replace default via 198.51.100.254 dev red table 42402108 proto 211']);
});

t.test('source routing: a new subnet replaces rules and routes; the old ones go first', async (t) => {
  const cmds = args(planLinksIp(desired({ red: { ...RED_STATIC, ipaddr: '198.51.100.200', netmask: '255.255.255.128' } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, undefined, RED_ROUTING), []));
  t.strictSame(cmds.filter((c) => !c.startsWith('address')), [
    'rule del priority 3200 from 198.51.100.0/24 table 42402108 protocol 211',
    'rule del priority 3200 to 198.51.100.0/24 table 42402108 protocol 211',
    'route del 198.51.100.0/24 dev red table 42402108 proto 211',
    // the old address was red's last: the kernel drops every route through red with it
    'route replace default via 198.51.100.1 dev red table 42402108 proto 211',
    'route replace 198.51.100.128/25 dev red table 42402108 proto 211',
    'rule add priority 3200 from 198.51.100.128/25 table 42402108 protocol 211',
    'rule add priority 3200 to 198.51.100.128/25 table 42402108 protocol 211',
  ]);
});

t.test('source routing: none without a gateway; a removed network\'s rules go (its routes went with its device)', async (t) => {
  const noGw = planLinksIp(desired({ red: { ...RED_STATIC, gateway: undefined } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, undefined, RED_ROUTING), []);
  t.strictSame(args(noGw), [
    'rule del priority 3200 from 198.51.100.0/24 table 42402108 protocol 211',
    'rule del priority 3200 to 198.51.100.0/24 table 42402108 protocol 211',
    'route del default via 198.51.100.1 dev red table 42402108 proto 211',
    'route del 198.51.100.0/24 dev red table 42402108 proto 211',
  ], 'the gateway dropped: table and rules go');
  const gone = planLinksIp(desired({}), kernel({ eth1: [true, 1500] }, undefined, { ...RED_ROUTING, hookRoutes: [] }), []);
  t.strictSame(args(gone), [
    'rule del priority 3200 from 198.51.100.0/24 table 42402108 protocol 211',
    'rule del priority 3200 to 198.51.100.0/24 table 42402108 protocol 211',
  ]);
  t.match(gone[0]!.why, /table 42402108: rule from 198\.51\.100\.0\/24 no longer wanted/);
});

t.test('source routing: a static network is the default route and has its table too, as in VDSM', async (t) => {
  const cmds = args(planLinksIp(desired({ red: { ...RED_STATIC, defaultRoute: true } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }), []));
  t.ok(cmds.includes('route replace 0.0.0.0/0 via 198.51.100.1 dev red'), 'main table');
  t.ok(cmds.includes('route replace default via 198.51.100.1 dev red table 42402108 proto 211'), 'its own table');
});

t.test('a changed address: the old one deleted, the new one added', async (t) => {
  const cmds = args(planLinksIp(desired({ red: { ...RED_STATIC, netmask: undefined, prefix: 25 } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }), []));
  t.ok(cmds.includes('address del 198.51.100.10/24 dev red'), 'old prefix removed');
  t.ok(cmds.includes('address add 198.51.100.10/25 dev red'), 'new prefix added');
  t.ok(cmds.indexOf('address del 198.51.100.10/24 dev red') < cmds.indexOf('address add 198.51.100.10/25 dev red'));
});

t.test('a network without IP loses a stale address', async (t) => {
  const cmds = planLinksIp(desired({ red: { nic: 'eth1', custom: OVS } }), kernel({ eth1: [true, 1500], red: [true, 1500, '10.9.9.9/8'] }), []);
  t.strictSame(args(cmds), ['address del 10.9.9.9/8 dev red']);
});

t.test('links are set up only when they are down', async (t) => {
  const down = args(planLinksIp(desired({ red: { nic: 'eth1', custom: OVS } }), kernel({ eth1: [false, 1500], red: [false, 1500] }), []));
  t.ok(down.includes('link set dev eth1 up'), 'uplink up');
  t.ok(down.includes('link set dev red up'), 'network device up');
  t.strictSame(planLinksIp(desired({ red: { nic: 'eth1', custom: OVS } }), kernel({ eth1: [true, 1500], red: [true, 1500] }), []), [],
    'all up already: nothing');
});

t.test('bond slaves are set up, each one', async (t) => {
  const cmds = args(planLinksIp(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }),
    kernel({ eth1: [false, 1500], eth2: [true, 1500], red: [true, 1500] }), []));
  t.strictSame(cmds, ['link set dev eth1 up']);
});

t.test('default route: replaced when it is elsewhere or missing', async (t) => {
  const net = { red: { ...RED_STATIC, defaultRoute: true } };
  const links = { eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] } as const;
  const want = 'route replace 0.0.0.0/0 via 198.51.100.1 dev red';
  t.strictSame(args(planLinksIp(desired(net), kernel({ ...links }, { dev: 'eth0', gateway: '192.0.2.1' }, RED_ROUTING), [])), [want], 'via eth0 before');
  t.strictSame(args(planLinksIp(desired(net), kernel({ ...links }, undefined, RED_ROUTING), [])), [want], 'no default route before');
  t.strictSame(args(planLinksIp(desired(net), kernel({ ...links }, { dev: 'red', gateway: '198.51.100.254' }, RED_ROUTING), [])), [want],
    'same device, other gateway');
});

t.test('default route: nothing when it is already right', async (t) => {
  const cmds = planLinksIp(desired({ red: { ...RED_STATIC, defaultRoute: 'true' } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, { dev: 'red', gateway: '198.51.100.1' }, RED_ROUTING), []);
  t.strictSame(cmds, []);
});

t.test('default route: deleted when the network no longer has it', async (t) => {
  const cmds = planLinksIp(desired({ red: RED_STATIC }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, { dev: 'red', gateway: '198.51.100.1' }, RED_ROUTING), []);
  t.strictSame(args(cmds), ['route del 0.0.0.0/0 dev red']);
});

t.test('default route of another device is not touched', async (t) => {
  const cmds = planLinksIp(desired({ red: RED_STATIC }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, { dev: 'eth0', gateway: '192.0.2.1' }, RED_ROUTING), []);
  t.strictSame(cmds, []);
});

t.test('MTU restore of uplinks that left OVS, only when needed', async (t) => {
  const restore = [{ dev: 'eth2', mtu: 1400 }, { dev: 'eth3', mtu: 1500 }];
  const cmds = planLinksIp(desired({}), kernel({ eth2: [true, 9000], eth3: [true, 1500] }), restore);
  t.strictSame(args(cmds), ['link set dev eth2 mtu 1400']);
  t.strictSame(planLinksIp(desired({}), kernel({}), [{ dev: 'eth9', mtu: 1500 }]), [], 'a device that is gone is skipped');
});

t.test('every command says why', async (t) => {
  const cmds = planLinksIp(desired({ red: { ...RED_STATIC, defaultRoute: true } }),
    kernel({ eth1: [false, 1500], eth2: [true, 9000], red: [false, 1500, '10.1.1.1/8'] }, { dev: 'eth0' }), [{ dev: 'eth2', mtu: 1500 }]);
  t.ok(cmds.length >= 5);
  for (const c of cmds) t.ok(c.why.trim() !== '', `${c.args.join(' ')}: ${c.why}`);
});

/** A kernel where red has the given IPv6 sysctls and addresses (dynamic ones marked with a trailing '*'). */
function kernel6(conf: Ipv6Conf, redAddrs: string[] = [], defaultRoute6?: KernelState['defaultRoute6']): KernelState {
  const k = kernel({ eth1: [true, 1500], red: [true, 1500, ...redAddrs.map((a) => a.replace('*', ''))] });
  k.links.get('red')!.dynamic = redAddrs.filter((a) => a.endsWith('*')).map((a) => a.slice(0, -1));
  k.ipv6conf.set('red', conf);
  return defaultRoute6 ? { ...k, defaultRoute6 } : k;
}
const V6_DEFAULTS: Ipv6Conf = { disabled: false, learning: { acceptRa: true, autoconf: true } }; // a new device's
const sysctls = (plan: LinkPlan) => plan.sysctls.map((s) => `${s.path}=${s.value}`);
const NO_RESTORE = { mtu: [], addresses: new Map(), down: [] };

t.test('IPv6 is switched off on a network that configures none, as VDSM does', async (t) => {
  const plan = planLinks(desired({ red: { nic: 'eth1', custom: OVS } }), kernel6(V6_DEFAULTS), new Map(), NO_RESTORE);
  t.strictSame(sysctls(plan), ['/proc/sys/net/ipv6/conf/red/disable_ipv6=1']);
  const off = planLinks(desired({ red: { nic: 'eth1', custom: OVS } }), kernel6({ ...V6_DEFAULTS, disabled: true }), new Map(), NO_RESTORE);
  t.strictSame(sysctls(off), [], 'already off: nothing');
});

t.test('static IPv6: on, no RAs, no autoconf; the address and the default route added', async (t) => {
  const net = { red: { nic: 'eth1', custom: OVS, ipv6addr: '2001:db8::10/64', ipv6gateway: '2001:db8::1', defaultRoute: true } };
  const plan = planLinks(desired(net), kernel6({ disabled: true, learning: { acceptRa: true, autoconf: true } }), new Map(), NO_RESTORE);
  t.strictSame(sysctls(plan), [
    '/proc/sys/net/ipv6/conf/red/disable_ipv6=0',
    '/proc/sys/net/ipv6/conf/red/accept_ra=0',
    '/proc/sys/net/ipv6/conf/red/autoconf=0',
  ]);
  t.strictSame(args(plan.ip), ['address add 2001:db8::10/64 dev red', 'route replace ::/0 via 2001:db8::1 dev red']);
  const again = planLinks(desired(net), kernel6({ disabled: false, learning: { acceptRa: false, autoconf: false } }, ['2001:db8::10/64'],
    { dev: 'red', gateway: '2001:db8::1' }), new Map(), NO_RESTORE);
  t.strictSame([...sysctls(again), ...args(again.ip)], [], 'in place: nothing');
});

t.test('RA and autoconf sysctls not read (the network had no IPv6 when they were read): both written', async (t) => {
  const net = { red: { nic: 'eth1', custom: OVS, ipv6autoconf: true } };
  const plan = planLinks(desired(net), kernel6({ disabled: true }), new Map(), NO_RESTORE);
  t.strictSame(sysctls(plan), [
    '/proc/sys/net/ipv6/conf/red/disable_ipv6=0',
    '/proc/sys/net/ipv6/conf/red/accept_ra=1',
    '/proc/sys/net/ipv6/conf/red/autoconf=1',
  ]);
});

t.test('IPv6 default route: removed when the network gives it up, kept for autoconf', async (t) => {
  const route = { dev: 'red', gateway: '2001:db8::1' };
  const on = { disabled: false, learning: { acceptRa: false, autoconf: false } };
  const plain = planLinks(desired({ red: { nic: 'eth1', custom: OVS, ipv6addr: '2001:db8::10/64' } }),
    kernel6(on, ['2001:db8::10/64'], route), new Map(), NO_RESTORE);
  t.strictSame(args(plain.ip), ['route del ::/0 dev red']);
  const auto = planLinks(desired({ red: { nic: 'eth1', custom: OVS, ipv6autoconf: true } }),
    kernel6({ disabled: false, learning: { acceptRa: true, autoconf: true } }, ['2001:db8::aa/64*'], route), new Map(), NO_RESTORE);
  t.strictSame([...sysctls(auto), ...args(auto.ip)], [], 'an RA route and a SLAAC address stay');
});

t.test('DHCP keeps leased addresses, drops a static one left from before', async (t) => {
  const plan = planLinks(desired({ red: { nic: 'eth1', custom: OVS, bootproto: 'dhcp' } }),
    kernel6({ ...V6_DEFAULTS, disabled: true }, ['10.0.0.7/24*', '198.51.100.10/24']), new Map(), NO_RESTORE);
  t.strictSame(args(plan.ip), ['address del 198.51.100.10/24 dev red']);
  const toStatic = planLinks(desired({ red: RED_STATIC }),
    kernel6({ ...V6_DEFAULTS, disabled: true }, ['10.0.0.7/24*']), new Map(), NO_RESTORE);
  t.strictSame(args(toStatic.ip).filter((c) => c.startsWith('address')), ['address del 10.0.0.7/24 dev red', 'address add 198.51.100.10/24 dev red'],
    'static again: the leased address goes');
});

t.test('NICs OVS takes lose their addresses; a rollback gives them back once they left', async (t) => {
  const k = kernel({ eth1: [true, 1500, '192.0.2.5/24', '2001:db8::5/64'], eth2: [true, 1500], red: [true, 1500] });
  const plan = planLinks(desired({ red: { nic: 'eth1', custom: OVS } }), k, new Map(), NO_RESTORE);
  t.strictSame(args(plan.ip), ['address flush dev eth1 scope global']);
  t.match(plan.ip[0]!.why, /192\.0\.2\.5\/24, 2001:db8::5\/64/, 'the log says which addresses went');
  const back = planLinks(desired({}), kernel({ eth1: [true, 1500, '192.0.2.5/24'] }), new Map(),
    { mtu: [], addresses: new Map([['eth1', ['192.0.2.5/24', '2001:db8::5/64']], ['eth9', ['10.0.0.1/8']]]), down: [] });
  t.strictSame(args(back.ip), ['address add 2001:db8::5/64 dev eth1'], 'only what is missing, only on NICs that exist');
  const stillOvs = planLinks(desired({ red: { nic: 'eth1', custom: OVS } }), kernel({ eth1: [true, 1500], red: [true, 1500] }),
    new Map(), { mtu: [], addresses: new Map([['eth1', ['192.0.2.5/24']]]), down: ['eth1'] });
  t.strictSame(args(stillOvs.ip), [], 'not while OVS still holds the NIC');
  const downAgain = planLinks(desired({}), kernel({ eth1: [true, 1500], eth2: [true, 1500] }), new Map(),
    { mtu: [], addresses: new Map(), down: ['eth1'] });
  t.strictSame(args(downAgain.ip), ['link set dev eth1 down'], 'a NIC that was down before OVS took it is down again');
});

t.test('DHCP clients: started, kept, restarted, stopped', async (t) => {
  const run = (over: Partial<DhcpRun>): DhcpRun =>
    ({ dev: 'red', family: 4, client: 'dhclient', pid: 4242, defaultRoute: false, table: RED_TABLE, alive: true, ...over });
  const dhcp = { red: { nic: 'eth1', custom: OVS, bootproto: 'dhcp' } };
  const k = kernel({ eth1: [true, 1500], red: [true, 1500] });
  const started = planLinks(desired(dhcp), k, new Map(), NO_RESTORE);
  t.strictSame(started.dhcpStart.map((s) => [s.dev, s.family, s.blocking, s.defaultRoute, s.table]), [['red', 4, false, false, RED_TABLE]],
    'off the default route: the lease\'s routers go into red\'s table');
  t.strictSame(started.dhcpStop, []);
  const kept = planLinks(desired(dhcp), k, new Map([['red-4', run({})]]), NO_RESTORE);
  t.strictSame([kept.dhcpStart, kept.dhcpStop], [[], []], 'a live client for the same role is kept');
  const dead = planLinks(desired(dhcp), k, new Map([['red-4', run({ alive: false })]]), NO_RESTORE);
  t.strictSame([dead.dhcpStop.length, dead.dhcpStart.length], [1, 1], 'a dead one is cleaned up and started again');
  const rebuilt = planLinks(desired(dhcp), k, new Map([['red-4', run({})]]), NO_RESTORE, new Set(['red']));
  t.strictSame([rebuilt.dhcpStop.map((s) => s.why), rebuilt.dhcpStart.map((s) => s.dev)],
    [['network red: its device was rebuilt, the DHCPv4 client served the old one'], ['red']],
    'a live client of a device rebuilt from a leftover is stopped and started on the new device');
  const role = planLinks(desired({ red: { ...dhcp.red, defaultRoute: true } }), k, new Map([['red-4', run({})]]), NO_RESTORE);
  t.strictSame([role.dhcpStop.length, role.dhcpStart[0]?.defaultRoute, role.dhcpStart[0]?.table], [1, true, null],
    'the default route role changed: routers into the main table, none into its own');
  const older = planLinks(desired(dhcp), k, new Map([['red-4', run({ table: null })]]), NO_RESTORE);
  t.strictSame([older.dhcpStop.length, older.dhcpStart[0]?.table], [1, RED_TABLE], 'a client without the table is replaced by one with it');
  const gone = planLinks(desired({ red: RED_STATIC }), k, new Map([['red-4', run({}), ], ['blue-6', run({ dev: 'blue', family: 6 })]]), NO_RESTORE);
  t.strictSame(gone.dhcpStop.map((s) => `${s.run.dev}-${s.run.family}`), ['red-4', 'blue-6'], 'static again, network removed');
  const both = planLinks(desired({ red: { ...dhcp.red, dhcpv6: true, blockingdhcp: true } }), k, new Map(), NO_RESTORE);
  t.strictSame(both.dhcpStart.map((s) => [s.family, s.blocking, s.table]), [[4, true, RED_TABLE], [6, false, null]],
    'blockingdhcp and tables are about DHCPv4');
  t.match(renderLinks(both), [/# network red: DHCPv4, the lease's routers into its table 42402108$/, /# network red: DHCPv6$/]);
});

t.test('DHCP source routing: a running client\'s table and rules are its own; others\' go', async (t) => {
  const run: DhcpRun = { dev: 'red', family: 4, client: 'dhclient', pid: 4242, defaultRoute: false, table: RED_TABLE, alive: true };
  const dhcp = { red: { nic: 'eth1', custom: OVS, bootproto: 'dhcp' } };
  // what red's client wrote for its lease 198.51.100.10/24 (RED_ROUTING's rules and routes)
  const k = kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, undefined, RED_ROUTING);
  k.links.get('red')!.dynamic = ['198.51.100.10/24'];
  t.strictSame(args(planLinks(desired(dhcp), k, new Map([['red-4', run]]), NO_RESTORE).ip), [], 'the client runs on: left to it');
  const deleted = [
    'rule del priority 3200 from 198.51.100.0/24 table 42402108 protocol 211',
    'rule del priority 3200 to 198.51.100.0/24 table 42402108 protocol 211',
    'route del default via 198.51.100.1 dev red table 42402108 proto 211',
    'route del 198.51.100.0/24 dev red table 42402108 proto 211',
  ];
  const restarted = planLinks(desired(dhcp), k, new Map([['red-4', { ...run, alive: false }]]), NO_RESTORE);
  t.strictSame(args(restarted.ip), deleted, 'a client started anew: what the old one wrote goes first');
  const toDefault = planLinks(desired({ red: { ...dhcp.red, defaultRoute: true } }), k, new Map([['red-4', run]]), NO_RESTORE);
  t.strictSame(args(toDefault.ip), deleted, 'the default-route network: its routers go to the main table, its own table empties');
  // from static (RED_ROUTING as the hook wrote it for RED_STATIC) to DHCP: no client yet
  const k2 = kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, undefined, RED_ROUTING);
  t.strictSame(args(planLinks(desired(dhcp), k2, new Map(), NO_RESTORE).ip), [...deleted, 'address del 198.51.100.10/24 dev red'],
    'static to DHCP: table and rules go (before the address, which takes the routes with it), then the address; then the client starts');
});

t.test('devices OVS left behind: removed with ip link del, saying why and whether they come back', async (t) => {
  t.strictSame(renderLeftovers([
    { name: 'blue', owner: "network 'blue'", rebuilt: true },
    { name: 'ovsbr-eth1', owner: "bridge 'ovsbr-eth1'", rebuilt: false },
  ]), [
    "ip link del dev blue   # network 'blue': blue is a tap device that Open vSwitch's userspace datapath left behind, " +
      'in no OVS row (its database lost); the transaction builds it anew',
    "ip link del dev ovsbr-eth1   # bridge 'ovsbr-eth1': ovsbr-eth1 is a tap device that Open vSwitch's userspace datapath " +
      'left behind, in no OVS row (its database lost); not rebuilt: the desired state has it no more',
  ]);
});
