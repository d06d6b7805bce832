import t from 'tap';
import { buildDesired, type DesiredState } from '../../src/desired.js';
import type { KernelLink, KernelState } from '../../src/kernel.js';
import { planLinks } from '../../src/links.js';
import type { Attrs } from '../../src/model.js';

const OVS = { ovs: 'true' };
const BOND0 = { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' };

function desired(nets: Record<string, Attrs>, bonds: Record<string, Attrs> = {}): DesiredState {
  const host = { links: new Set(['eth0', 'eth1', 'eth2', 'eth3']), foreignOvs: new Set<string>(), ownDevices: new Set<string>() };
  return buildDesired(
    { networks: new Map(), bonds: new Map() },
    { networks: new Map(Object.entries(nets)), bonds: new Map(Object.entries(bonds)) },
    host,
  ).desired;
}

/** Kernel links written as name -> [up, mtu, ...ipv4]; all up with MTU 1500 unless said otherwise. */
function kernel(links: Record<string, readonly [boolean, number, ...string[]]>, defaultRoute?: KernelState['defaultRoute']): KernelState {
  const map = new Map<string, KernelLink>(
    Object.entries(links).map(([name, [up, mtu, ...ipv4]]) => [name, { name, up, mtu, mac: '', ipv4, ipv6: [] }]),
  );
  const state: KernelState = { links: map, gateways: new Map(), gateways6: new Map() };
  return defaultRoute ? { ...state, defaultRoute } : state;
}

const args = (cmds: { args: string[] }[]) => cmds.map((c) => c.args.join(' '));
const RED_STATIC = { nic: 'eth1', ipaddr: '198.51.100.10', netmask: '255.255.255.0', gateway: '198.51.100.1', custom: OVS };

t.test('a new static address is added', async (t) => {
  const cmds = planLinks(desired({ red: RED_STATIC }), kernel({ eth1: [true, 1500], red: [true, 1500] }), []);
  t.strictSame(args(cmds), ['address add 198.51.100.10/24 dev red']);
});

t.test('an address already there is left alone', async (t) => {
  const cmds = planLinks(desired({ red: RED_STATIC }), kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }), []);
  t.strictSame(cmds, []);
});

t.test('a changed address: the old one deleted, the new one added', async (t) => {
  const cmds = args(planLinks(desired({ red: { ...RED_STATIC, netmask: undefined, prefix: 25 } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }), []));
  t.ok(cmds.includes('address del 198.51.100.10/24 dev red'), 'old prefix removed');
  t.ok(cmds.includes('address add 198.51.100.10/25 dev red'), 'new prefix added');
  t.ok(cmds.indexOf('address del 198.51.100.10/24 dev red') < cmds.indexOf('address add 198.51.100.10/25 dev red'));
});

t.test('a network without IP loses a stale address', async (t) => {
  const cmds = planLinks(desired({ red: { nic: 'eth1', custom: OVS } }), kernel({ eth1: [true, 1500], red: [true, 1500, '10.9.9.9/8'] }), []);
  t.strictSame(args(cmds), ['address del 10.9.9.9/8 dev red']);
});

t.test('links are set up only when they are down', async (t) => {
  const down = args(planLinks(desired({ red: { nic: 'eth1', custom: OVS } }), kernel({ eth1: [false, 1500], red: [false, 1500] }), []));
  t.ok(down.includes('link set dev eth1 up'), 'uplink up');
  t.ok(down.includes('link set dev red up'), 'network device up');
  t.strictSame(planLinks(desired({ red: { nic: 'eth1', custom: OVS } }), kernel({ eth1: [true, 1500], red: [true, 1500] }), []), [],
    'all up already: nothing');
});

t.test('bond slaves are set up, each one', async (t) => {
  const cmds = args(planLinks(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }),
    kernel({ eth1: [false, 1500], eth2: [true, 1500], red: [true, 1500] }), []));
  t.strictSame(cmds, ['link set dev eth1 up']);
});

t.test('default route: replaced when it is elsewhere or missing', async (t) => {
  const net = { red: { ...RED_STATIC, defaultRoute: true } };
  const links = { eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] } as const;
  const want = 'route replace default via 198.51.100.1 dev red';
  t.strictSame(args(planLinks(desired(net), kernel({ ...links }, { dev: 'eth0', gateway: '192.0.2.1' }), [])), [want], 'via eth0 before');
  t.strictSame(args(planLinks(desired(net), kernel({ ...links }), [])), [want], 'no default route before');
  t.strictSame(args(planLinks(desired(net), kernel({ ...links }, { dev: 'red', gateway: '198.51.100.254' }), [])), [want],
    'same device, other gateway');
});

t.test('default route: nothing when it is already right', async (t) => {
  const cmds = planLinks(desired({ red: { ...RED_STATIC, defaultRoute: 'true' } }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, { dev: 'red', gateway: '198.51.100.1' }), []);
  t.strictSame(cmds, []);
});

t.test('default route: deleted when the network no longer has it', async (t) => {
  const cmds = planLinks(desired({ red: RED_STATIC }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, { dev: 'red', gateway: '198.51.100.1' }), []);
  t.strictSame(args(cmds), ['route del default dev red']);
});

t.test('default route of another device is not touched', async (t) => {
  const cmds = planLinks(desired({ red: RED_STATIC }),
    kernel({ eth1: [true, 1500], red: [true, 1500, '198.51.100.10/24'] }, { dev: 'eth0', gateway: '192.0.2.1' }), []);
  t.strictSame(cmds, []);
});

t.test('MTU restore of uplinks that left OVS, only when needed', async (t) => {
  const restore = [{ dev: 'eth2', mtu: 1400 }, { dev: 'eth3', mtu: 1500 }];
  const cmds = planLinks(desired({}), kernel({ eth2: [true, 9000], eth3: [true, 1500] }), restore);
  t.strictSame(args(cmds), ['link set dev eth2 mtu 1400']);
  t.strictSame(planLinks(desired({}), kernel({}), [{ dev: 'eth9', mtu: 1500 }]), [], 'a device that is gone is skipped');
});

t.test('every command says why', async (t) => {
  const cmds = planLinks(desired({ red: { ...RED_STATIC, defaultRoute: true } }),
    kernel({ eth1: [false, 1500], eth2: [true, 9000], red: [false, 1500, '10.1.1.1/8'] }, { dev: 'eth0' }), [{ dev: 'eth2', mtu: 1500 }]);
  t.ok(cmds.length >= 5);
  for (const c of cmds) t.ok(c.why.trim() !== '', `${c.args.join(' ')}: ${c.why}`);
});
