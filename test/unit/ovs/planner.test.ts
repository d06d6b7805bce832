import t, { type Test } from 'tap';
import type { DesiredState } from '../../../src/model/desired.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { ORIG_MTU_KEY, type OvsState, type Role } from '../../../src/ovs/state.js';
import { planTransaction, type TransactionPlan } from '../../../src/ovs/planner.js';
import type { Command } from '../../../src/ovs/vsctl.js';
import { desiredOn, hostWith } from '../fixtures/desired.js';

const OVS = { ovs: 'true' };
const MARK = (role: Role) => `external_ids:vdsm-hook-ovs=${role}`;
const HOST = hostWith(['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5'], { foreignOvs: new Set(['br-int', 'patch-tun']) });
/** eth<N> has MTU 1500 and MAC 52:54:00:00:00:0<N> */
const KERNEL = new Map([1, 2, 3, 4, 5].map((n) => [`eth${n}`, { mtu: 1500, mac: `52:54:00:00:00:0${n}` }]));
const plans: TransactionPlan[] = [];

const desired = (nets: Record<string, Attrs>, bonds: Record<string, Attrs> = {}): DesiredState => desiredOn(HOST, nets, bonds);

type Row =
  | { bridge: string; role?: Role; dp?: string; stp?: boolean; rstp?: boolean; mcast?: boolean; other?: Record<string, string>; hookOpts?: string[] }
  | { port: string; on: string; role?: Role; tag?: number; ifaces?: string[]; bond?: [string, string]; delays?: [number, number];
    other?: Record<string, string> }
  | { iface: string; role?: Role; mtu?: number; orig?: number; type?: string; mac?: string; options?: Record<string, string> }
  | { mappings: string };

/** An observed OVS DB from short rows; a port's `on` is its bridge, its interfaces default to [its name]. */
function ovs(...rows: Row[]): OvsState {
  const state: OvsState = { bridges: new Map(), ports: new Map(), interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {} };
  for (const r of rows) {
    if ('bridge' in r) {
      state.bridges.set(r.bridge, {
        uuid: `uuid-br-${r.bridge}`, name: r.bridge, datapathType: r.dp ?? 'system', stp: r.stp ?? false, rstp: r.rstp ?? false,
        mcastSnooping: r.mcast ?? false, otherConfig: new Map(Object.entries(r.other ?? {})), hookOpts: r.hookOpts ?? [], ports: [],
        ...(r.role ? { role: r.role } : {}),
      });
    } else if ('mappings' in r) {
      state.systemIds['ovn-bridge-mappings'] = r.mappings;
    } else if ('port' in r) {
      state.bridges.get(r.on)!.ports.push(r.port);
      state.ports.set(r.port, {
        uuid: `uuid-port-${r.port}`, name: r.port, bridge: r.on, tag: r.tag ?? null, fakeBridge: r.role === 'network',
        bondMode: r.bond?.[0] ?? null, lacp: r.bond?.[1] ?? null, interfaces: r.ifaces ?? [r.port],
        bondUpdelay: r.delays?.[0] ?? 0, bondDowndelay: r.delays?.[1] ?? 0, otherConfig: new Map(Object.entries(r.other ?? {})), qos: null,
        ...(r.role ? { role: r.role } : {}),
      });
    } else {
      state.interfaces.set(r.iface, {
        uuid: `uuid-if-${r.iface}`, name: r.iface, type: r.type ?? '', mtuRequest: r.mtu ?? null, mac: r.mac ?? null, options: r.options ?? {},
        ...(r.role ? { role: r.role } : {}), ...(r.orig ? { origMtu: r.orig } : {}),
      });
    }
  }
  return state;
}

function plan(want: DesiredState, seen: OvsState, datapath = 'system'): TransactionPlan {
  const p = planTransaction(want, seen, KERNEL, datapath);
  plans.push(p);
  return p;
}

/** Index of the first command whose args start with `prefix` and contain every one of `also`; -1 if none. */
function find(cmds: Command[], prefix: string[], ...also: string[]): number {
  return cmds.findIndex((c) => prefix.every((p, i) => c.args[i] === p) && also.every((a) => c.args.includes(a)));
}

const EMPTY = ovs();
/** What the hook leaves in OVS for network red, untagged on eth1 (eth1 had MTU 1400 before). */
const RED_ON_ETH1: Row[] = [
  { bridge: 'ovsbr-eth1', role: 'bridge' },
  { port: 'ovsbr-eth1', on: 'ovsbr-eth1', role: 'bridge' },
  { port: 'eth1', on: 'ovsbr-eth1', role: 'uplink' },
  { port: 'red', on: 'ovsbr-eth1', role: 'network', tag: 0 },
  { iface: 'ovsbr-eth1', role: 'bridge', type: 'internal' },
  { iface: 'eth1', role: 'uplink', mtu: 1500, orig: 1400 },
  { iface: 'red', role: 'network', mtu: 1500, type: 'internal', mac: '52:54:00:00:00:01' },
  { mappings: 'red:ovsbr-eth1' },
];
/** Someone else's bridge, e.g. OVN's, which the hook must never touch. */
const FOREIGN: Row[] = [
  { bridge: 'br-int', dp: 'system' },
  { port: 'br-int', on: 'br-int' },
  { port: 'patch-tun', on: 'br-int', ifaces: ['patch-tun'] },
  { iface: 'br-int', type: 'internal' },
  { iface: 'patch-tun', type: 'patch' },
];
/** bond0 (eth1, eth2; balance-tcp, LACP active) with network red untagged on it. */
const RED_ON_BOND0: Row[] = [
  { bridge: 'ovsbr-bond0', role: 'bridge' },
  { port: 'ovsbr-bond0', on: 'ovsbr-bond0', role: 'bridge' },
  { port: 'bond0', on: 'ovsbr-bond0', role: 'bond', ifaces: ['eth1', 'eth2'], bond: ['balance-tcp', 'active'] },
  { port: 'red', on: 'ovsbr-bond0', role: 'network', tag: 0 },
  { iface: 'ovsbr-bond0', role: 'bridge', type: 'internal' },
  { iface: 'eth1', role: 'slave', mtu: 1500, orig: 1400 },
  { iface: 'eth2', role: 'slave', mtu: 1500, orig: 1500 },
  { iface: 'red', role: 'network', mtu: 1500, type: 'internal', mac: '52:54:00:00:00:01' },
  { mappings: 'red:ovsbr-bond0' },
];
const BOND0 = { nics: ['eth1', 'eth2'], options: 'custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active' };

t.test('from an empty OVS: an untagged network on eth1', async (t) => {
  const { commands: c, restoreMtu } = plan(desired({ red: { nic: 'eth1', mtu: 1500, custom: OVS } }), EMPTY, 'netdev');
  const addBr = find(c, ['add-br', 'ovsbr-eth1']);
  const setBr = find(c, ['set', 'Bridge', 'ovsbr-eth1'], 'datapath_type=netdev', MARK('bridge'));
  const addPort = find(c, ['add-port', 'ovsbr-eth1', 'eth1']);
  const addNet = find(c, ['add-br', 'red', 'ovsbr-eth1', '0']);
  t.ok(addBr >= 0, 'add-br ovsbr-eth1');
  t.ok(setBr > addBr, 'the bridge gets datapath_type netdev and the mark');
  t.ok(addPort > addBr, 'add-port ovsbr-eth1 eth1 after the bridge exists');
  t.ok(addNet > addBr, 'fake bridge red on ovsbr-eth1, VLAN 0');
  t.ok(find(c, ['set', 'Port', 'eth1'], MARK('uplink')) > addPort, 'uplink port marked');
  t.ok(find(c, ['set', 'Interface', 'eth1'], MARK('uplink'), 'mtu_request=1500', `external_ids:${ORIG_MTU_KEY}=1500`) > addPort,
    'uplink interface marked, with its MTU and the MTU it had before');
  t.ok(find(c, ['set', 'Port', 'red'], MARK('network')) > addNet, 'network port marked');
  t.ok(find(c, ['set', 'Interface', 'red'], MARK('network'), 'mtu_request=1500') > addNet, 'network interface marked, MTU');
  t.notOk(c.some((x) => x.args.includes('del-br') || x.args.includes('del-port')), 'nothing removed');
  t.strictSame(restoreMtu, []);
});

t.test('the datapath type is the one passed in', async (t) => {
  const { commands: c } = plan(desired({ red: { nic: 'eth1', custom: OVS } }), EMPTY, 'system');
  t.ok(find(c, ['set', 'Bridge', 'ovsbr-eth1'], 'datapath_type=system') >= 0);
  t.notOk(c.some((x) => x.args.includes('datapath_type=netdev')));
});

t.test('a VLAN network is a fake bridge with that VLAN', async (t) => {
  const { commands: c } = plan(desired({ blue: { nic: 'eth1', vlan: '100', custom: OVS } }), EMPTY);
  t.ok(find(c, ['add-br', 'blue', 'ovsbr-eth1', '100']) >= 0);
});

t.test('a named bridge (custom ovs=2) is the parent', async (t) => {
  const { commands: c } = plan(desired({ red: { nic: 'eth1', custom: { ovs: '2' } } }), EMPTY);
  t.ok(find(c, ['add-br', 'ovsbr2']) >= 0);
  t.ok(find(c, ['add-port', 'ovsbr2', 'eth1']) >= 0);
  t.ok(find(c, ['add-br', 'red', 'ovsbr2', '0']) >= 0);
  t.equal(find(c, ['add-br', 'ovsbr-eth1']), -1);
});

t.test('a bond: add-bond with both NICs, then its mode and LACP', async (t) => {
  const { commands: c } = plan(desired({ red: { bonding: 'bond0', vlan: 10, custom: OVS } }, { bond0: BOND0 }), EMPTY);
  const addBond = find(c, ['add-bond', 'ovsbr-bond0', 'bond0', 'eth1', 'eth2']);
  t.ok(find(c, ['add-br', 'ovsbr-bond0']) >= 0, 'its bridge');
  t.ok(addBond >= 0, 'add-bond ovsbr-bond0 bond0 eth1 eth2');
  t.ok(find(c, ['set', 'Port', 'bond0'], 'bond_mode=balance-tcp', 'lacp=active', MARK('bond')) > addBond);
  t.ok(find(c, ['set', 'Interface', 'eth1'], MARK('slave')) > addBond, 'slave eth1 marked');
  t.ok(find(c, ['set', 'Interface', 'eth2'], MARK('slave')) > addBond, 'slave eth2 marked');
  t.ok(find(c, ['add-br', 'red', 'ovsbr-bond0', '10']) > addBond);
});

t.test('STP of a network is set on the bridge', async (t) => {
  const { commands: c } = plan(desired({ red: { nic: 'eth1', STP: 'yes', custom: OVS } }), EMPTY);
  t.ok(find(c, ['set', 'Bridge', 'ovsbr-eth1'], 'stp_enable=true') >= 0);
  const { commands: off } = plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs({ bridge: 'ovsbr-eth1', role: 'bridge', stp: true }, ...RED_ON_ETH1.slice(1)));
  t.ok(find(off, ['set', 'Bridge', 'ovsbr-eth1'], 'stp_enable=false') >= 0, 'and turned off when no network wants it');
});

t.test('idempotence: observed == desired gives no command', async (t) => {
  t.strictSame(plan(desired({ red: { nic: 'eth1', mtu: '1500', custom: OVS } }), ovs(...RED_ON_ETH1)),
    { commands: [], restoreMtu: [] }, 'network on a NIC');
  t.strictSame(plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }), ovs(...RED_ON_BOND0)),
    { commands: [], restoreMtu: [] }, 'network on a bond');
  t.strictSame(plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs(...RED_ON_ETH1, ...FOREIGN)),
    { commands: [], restoreMtu: [] }, 'with a foreign bridge next to it');
  const swapped = RED_ON_BOND0.map((r) => ('port' in r && r.port === 'bond0' ? { ...r, ifaces: ['eth2', 'eth1'] } : r));
  t.strictSame(plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }), ovs(...swapped)),
    { commands: [], restoreMtu: [] }, 'slaves listed in another order');
});

t.test('VLAN edit: exactly one set Port NET tag=NEW', async (t) => {
  const { commands: c } = plan(desired({ red: { nic: 'eth1', vlan: '100', custom: OVS } }), ovs(...RED_ON_ETH1));
  t.strictSame(c.map((x) => x.args), [['set', 'Port', 'red', 'tag=100']]);
});

t.test('removing the last network: del-br of its parent only, uplink MTU restored', async (t) => {
  const { commands: c, restoreMtu } = plan(desired({}), ovs(...RED_ON_ETH1));
  t.strictSame(c.map((x) => x.args), [['del-br', 'ovsbr-eth1'], ['remove', 'Open_vSwitch', '.', 'external_ids', 'ovn-bridge-mappings']],
    'one del-br (the fake bridge goes with its parent), and its OVN mapping, the last one');
  t.strictSame(restoreMtu, [{ dev: 'eth1', mtu: 1400 }], 'eth1 gets the MTU it had before OVS');
});

t.test('removing one of two networks on an uplink deletes only its fake bridge', async (t) => {
  const seen = ovs(...RED_ON_ETH1, { port: 'blue', on: 'ovsbr-eth1', role: 'network', tag: 100 }, { iface: 'blue', role: 'network', mtu: 1500 },
    { mappings: 'blue:ovsbr-eth1,red:ovsbr-eth1' });
  const { commands: c, restoreMtu } = plan(desired({ red: { nic: 'eth1', custom: OVS } }), seen);
  t.strictSame(c.map((x) => x.args), [['del-br', 'blue'], ['set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings="red:ovsbr-eth1"']]);
  t.strictSame(restoreMtu, []);
});

t.test('removing a bond and its network restores both slaves', async (t) => {
  const { commands: c, restoreMtu } = plan(desired({}), ovs(...RED_ON_BOND0));
  t.strictSame(c.map((x) => x.args), [['del-br', 'ovsbr-bond0'], ['remove', 'Open_vSwitch', '.', 'external_ids', 'ovn-bridge-mappings']]);
  t.strictSame([...restoreMtu].sort((a, b) => a.dev.localeCompare(b.dev)), [{ dev: 'eth1', mtu: 1400 }, { dev: 'eth2', mtu: 1500 }]);
});

t.test('a foreign bridge never appears in any command', async (t) => {
  const scenarios = [
    plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs(...FOREIGN)),
    plan(desired({}), ovs(...RED_ON_ETH1, ...FOREIGN)),
    plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }), ovs(...RED_ON_ETH1, ...FOREIGN)),
    plan(desired({ red: { nic: 'eth1', vlan: 5, mtu: 9000, custom: OVS } }), ovs(...RED_ON_ETH1, ...FOREIGN)),
  ];
  for (const { commands } of scenarios) {
    t.ok(commands.length > 0, 'something to do');
    for (const c of commands) {
      t.notOk(c.args.some((a) => a.includes('br-int') || a.includes('patch-tun')), c.args.join(' '));
    }
  }
  t.notOk(plan(desired({}), ovs(...FOREIGN)).commands.length, 'nothing of ours: nothing to do');
});

t.test('moving a network from a NIC to a bond of that NIC', async (t) => {
  const { commands: c, restoreMtu } = plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }), ovs(...RED_ON_ETH1));
  const delOld = find(c, ['del-br', 'ovsbr-eth1']);
  const addBond = find(c, ['add-bond', 'ovsbr-bond0', 'bond0', 'eth1', 'eth2']);
  t.ok(delOld >= 0, 'the old parent bridge goes');
  t.equal(find(c, ['del-br', 'red']), -1, 'no separate del-br of the fake bridge');
  t.ok(addBond > delOld, 'eth1 joins the bond after it left its bridge');
  t.ok(find(c, ['add-br', 'red', 'ovsbr-bond0', '0']) > addBond, 'red re-created on the bond bridge');
  t.ok(find(c, ['set', 'Interface', 'eth1'], MARK('slave'), `external_ids:${ORIG_MTU_KEY}=1400`) > addBond,
    'eth1 keeps the MTU it had before the hook first took it');
  t.strictSame(restoreMtu, [], 'eth1 is still in OVS: nothing to restore');
});

t.test('moving a network from one NIC to another', async (t) => {
  const { commands: c, restoreMtu } = plan(desired({ red: { nic: 'eth2', custom: OVS } }), ovs(...RED_ON_ETH1));
  t.ok(find(c, ['del-br', 'ovsbr-eth1']) >= 0);
  t.ok(find(c, ['add-port', 'ovsbr-eth2', 'eth2']) > find(c, ['del-br', 'ovsbr-eth1']));
  t.ok(find(c, ['add-br', 'red', 'ovsbr-eth2', '0']) >= 0);
  t.strictSame(restoreMtu, [{ dev: 'eth1', mtu: 1400 }]);
});

t.test('moving a network from a bond to one of its NICs', async (t) => {
  const { commands: c, restoreMtu } = plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs(...RED_ON_BOND0));
  const delOld = find(c, ['del-br', 'ovsbr-bond0']);
  t.ok(delOld >= 0, 'the bond bridge goes, and the bond with it');
  t.ok(find(c, ['add-port', 'ovsbr-eth1', 'eth1']) > delOld);
  t.ok(find(c, ['set', 'Interface', 'eth1'], MARK('uplink'), `external_ids:${ORIG_MTU_KEY}=1400`) > delOld,
    'eth1 keeps its original MTU on record');
  t.strictSame(restoreMtu, [{ dev: 'eth2', mtu: 1500 }], 'eth2 leaves OVS');
});

t.test('MAC: a network takes its NIC\'s MAC, VLAN networks too', async (t) => {
  const { commands: c } = plan(desired({
    red: { nic: 'eth1', custom: OVS },
    blue: { nic: 'eth1', vlan: '10', custom: OVS },
    green: { nic: 'eth2', vlan: '20', custom: OVS },
  }), EMPTY);
  t.ok(find(c, ['set', 'Interface', 'red'], MARK('network'), 'mac="52:54:00:00:00:01"') >= 0, 'red: eth1\'s MAC');
  t.ok(find(c, ['set', 'Interface', 'blue'], MARK('network'), 'mac="52:54:00:00:00:01"') >= 0, 'blue (VLAN 10 on eth1): eth1\'s MAC');
  t.ok(find(c, ['set', 'Interface', 'green'], MARK('network'), 'mac="52:54:00:00:00:02"') >= 0, 'green: eth2\'s MAC');
});

t.test('MAC: on a bond, its hwaddr, else its primary\'s, else its first slave\'s', async (t) => {
  const bond = { nics: ['eth3', 'eth2'], options: 'custom=ovs:True' };
  const first = plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: bond }), EMPTY).commands;
  t.ok(find(first, ['set', 'Interface', 'red'], 'mac="52:54:00:00:00:03"') >= 0, 'eth3, the first slave as listed');
  const forced = plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: { ...bond, hwaddr: '02:AA:bb:00:00:09' } }), EMPTY).commands;
  t.ok(find(forced, ['set', 'Interface', 'red'], 'mac="02:aa:bb:00:00:09"') >= 0, 'the hwaddr, in lower case');
  const primary = plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: { ...bond, options: 'mode=1 primary=eth2 custom=ovs:True' } }), EMPTY).commands;
  t.ok(find(primary, ['set', 'Interface', 'red'], 'mac="52:54:00:00:00:02"') >= 0, 'eth2, the primary');
  const kept = plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: { ...BOND0, hwaddr: '02:aa:bb:00:00:09' } }), ovs(...RED_ON_BOND0)).commands;
  t.strictSame(kept.map((x) => x.args), [['set', 'Interface', 'red', 'mac="02:aa:bb:00:00:09"']], 'a new hwaddr: only the MAC is set');
});

t.test('MAC: a kept network whose MAC differs from its uplink\'s gets it back, alone', async (t) => {
  const rows = RED_ON_ETH1.map((r) => ('iface' in r && r.iface === 'red' ? { ...r, mac: '02:00:00:00:00:99' } : r));
  t.strictSame(plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs(...rows)).commands.map((x) => x.args),
    [['set', 'Interface', 'red', 'mac="52:54:00:00:00:01"']]);
  const unset = RED_ON_ETH1.map((r) => ('iface' in r && r.iface === 'red' ? { ...r, mac: undefined } : r));
  t.strictSame(plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs(...unset)).commands.map((x) => x.args),
    [['set', 'Interface', 'red', 'mac="52:54:00:00:00:01"']], 'a network made before MACs were set gets it too');
});

t.test('MAC: a network moving to another NIC takes that NIC\'s MAC', async (t) => {
  const { commands: c } = plan(desired({ red: { nic: 'eth2', custom: OVS } }), ovs(...RED_ON_ETH1));
  t.ok(find(c, ['set', 'Interface', 'red'], 'mac="52:54:00:00:00:02"') > find(c, ['add-br', 'red', 'ovsbr-eth2', '0']));
});

t.test('plans against what OVS really holds: a missing uplink port is added again', async (t) => {
  const halfDone = RED_ON_ETH1.filter((r) => !('port' in r && r.port === 'eth1') && !('iface' in r && r.iface === 'eth1'));
  const { commands: c } = plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs(...halfDone));
  t.ok(find(c, ['add-port', 'ovsbr-eth1', 'eth1']) >= 0);
  t.equal(find(c, ['add-br']), -1, 'bridge and network are there already');
});

t.test('a changed datapath type is set on an existing bridge', async (t) => {
  const { commands: c } = plan(desired({ red: { nic: 'eth1', custom: OVS } }), ovs(...RED_ON_ETH1), 'netdev');
  t.strictSame(c.map((x) => x.args), [['set', 'Bridge', 'ovsbr-eth1', 'datapath_type=netdev']]);
});

t.test('adding a bond slave touches only that slave', async (t) => {
  const { commands: c, restoreMtu } = plan(
    desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: { ...BOND0, nics: ['eth1', 'eth2', 'eth3'] } }), ovs(...RED_ON_BOND0));
  const create = c.findIndex((x) => x.args.includes('create') && x.args.includes('Interface') && x.args.includes('name=eth3'));
  t.ok(create >= 0, 'an Interface eth3 is created');
  t.ok(c[create]!.args.includes(MARK('slave')), 'marked as a slave');
  t.ok(c[create]!.args.includes('mtu_request=1500'));
  t.ok(find(c, ['add', 'Port', 'bond0', 'interfaces']) > create, 'and added to bond0');
  for (const x of c) t.ok(x.args.some((a) => a.includes('eth3')), `only about eth3: ${x.args.join(' ')}`);
  t.strictSame(restoreMtu, []);
});

t.test('removing a bond slave: out of the port, its MTU restored', async (t) => {
  const seen = ovs(...RED_ON_BOND0.map((r) => ('port' in r && r.port === 'bond0' ? { ...r, ifaces: ['eth1', 'eth2', 'eth3'] } : r)),
    { iface: 'eth3', role: 'slave', mtu: 1500, orig: 1450 });
  const { commands: c, restoreMtu } = plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }), seen);
  t.strictSame(c.map((x) => x.args), [['remove', 'Port', 'bond0', 'interfaces', 'uuid-if-eth3']]);
  t.strictSame(restoreMtu, [{ dev: 'eth3', mtu: 1450 }]);
});

t.test('changing bond mode and LACP: one set Port', async (t) => {
  const { commands: c } = plan(desired({ red: { bonding: 'bond0', custom: OVS } }, { bond0: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True,ovs_mode:balance-slb' } }),
    ovs(...RED_ON_BOND0));
  t.strictSame(c.map((x) => x.args), [['set', 'Port', 'bond0', 'bond_mode=balance-slb', 'lacp=off']]);
});

/** bond0 as RED_ON_BOND0 has it, but with other Port settings. */
const bond0Seen = (over: { bond?: [string, string]; delays?: [number, number]; other?: Record<string, string> }) =>
  ovs(...RED_ON_BOND0.map((r) => ('port' in r && r.port === 'bond0' ? { ...r, ...over } : r)));
const RED_ON = { red: { bonding: 'bond0', custom: OVS } };
const bond0With = (options: string) => desired(RED_ON, { bond0: { nics: ['eth1', 'eth2'], options } });

t.test('a new bond from Linux options: mode, LACP, delays and other_config in the same set Port', async (t) => {
  const { commands: c } = plan(bond0With('mode=1 miimon=100 updelay=200 downdelay=50 primary=eth2 custom=ovs:True'), EMPTY);
  t.ok(find(c, ['add-bond', 'ovsbr-bond0', 'bond0', 'eth1', 'eth2']) >= 0);
  const set = c.find((x) => x.args[0] === 'set' && x.args[1] === 'Port' && x.args[2] === 'bond0')!;
  t.strictSame(set.args, ['set', 'Port', 'bond0', 'bond_mode=active-backup', 'lacp=off', 'bond_updelay=200', 'bond_downdelay=50',
    'other_config:bond-detect-mode=miimon', 'other_config:bond-miimon-interval=100', 'other_config:bond-primary=eth2', MARK('bond')]);
  const lacp = plan(bond0With('mode=4 lacp_rate=fast custom=ovs:True'), EMPTY).commands;
  t.ok(find(lacp, ['set', 'Port', 'bond0'], 'bond_mode=balance-tcp', 'lacp=active', 'other_config:lacp-time=fast', MARK('bond')) >= 0,
    'mode=4: balance-tcp with LACP active, fast LACP');
});

t.test('bond options edited: only what differs is written', async (t) => {
  const seen = bond0Seen({ bond: ['balance-tcp', 'active'], delays: [200, 0], other: { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '100' } });
  const { commands: c } = plan(bond0With('mode=4 miimon=250 updelay=200 downdelay=100 custom=ovs:True'), seen);
  t.strictSame(c.map((x) => x.args), [['set', 'Port', 'bond0', 'bond_downdelay=100', 'other_config:bond-miimon-interval=250']]);
});

t.test('bond options removed: delays back to 0, the hook\'s other_config keys cleared, others kept', async (t) => {
  const seen = bond0Seen({
    bond: ['active-backup', 'off'], delays: [200, 100],
    other: { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '100', 'bond-primary': 'eth1', 'bond-rebalance-interval': '5000' },
  });
  const { commands: c } = plan(bond0With('mode=1 custom=ovs:True'), seen);
  t.strictSame(c.map((x) => x.args), [
    ['set', 'Port', 'bond0', 'bond_updelay=0', 'bond_downdelay=0'],
    ['remove', 'Port', 'bond0', 'other_config', 'bond-detect-mode'],
    ['remove', 'Port', 'bond0', 'other_config', 'bond-miimon-interval'],
    ['remove', 'Port', 'bond0', 'other_config', 'bond-primary'],
  ], 'bond-rebalance-interval, set by someone else, is not named');
});

t.test('bond options as OVS already has them: nothing to do', async (t) => {
  const seen = bond0Seen({
    bond: ['balance-tcp', 'active'], delays: [0, 300],
    other: { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '100', 'lacp-time': 'fast', 'bond-rebalance-interval': '5000' },
  });
  t.strictSame(plan(bond0With('mode=802.3ad miimon=100 downdelay=300 lacp_rate=1 custom=ovs:True'), seen).commands, []);
  t.strictSame(plan(bond0With('mode=4 custom=ovs:True'), bond0Seen({ bond: ['balance-tcp', 'active'] })).commands, [],
    'no delays asked: OVS\'s 0 is what is wanted');
});

t.test('MTU: the uplink gets the largest MTU of its networks', async (t) => {
  const { commands: c } = plan(desired({
    red: { nic: 'eth1', mtu: 1500, custom: OVS }, jumbo: { nic: 'eth1', vlan: 100, mtu: '9000', custom: OVS },
  }), EMPTY);
  t.ok(find(c, ['set', 'Interface', 'eth1'], 'mtu_request=9000') >= 0, 'eth1 9000');
  t.ok(find(c, ['set', 'Interface', 'red'], 'mtu_request=1500') >= 0, 'red keeps 1500');
  t.ok(find(c, ['set', 'Interface', 'jumbo'], 'mtu_request=9000') >= 0, 'jumbo 9000');
  const bonded = plan(desired({ red: { bonding: 'bond0', mtu: 9000, custom: OVS } }, { bond0: BOND0 }), EMPTY).commands;
  t.ok(find(bonded, ['set', 'Interface', 'eth1'], 'mtu_request=9000') >= 0, 'bond slaves get it too');
  t.ok(find(bonded, ['set', 'Interface', 'eth2'], 'mtu_request=9000') >= 0);
});

t.test('MTU: raised on an existing uplink when a bigger network comes', async (t) => {
  const { commands: c } = plan(desired({
    red: { nic: 'eth1', custom: OVS }, jumbo: { nic: 'eth1', vlan: 100, mtu: 9000, custom: OVS },
  }), ovs(...RED_ON_ETH1));
  t.ok(find(c, ['set', 'Interface', 'eth1'], 'mtu_request=9000') >= 0);
  t.ok(find(c, ['add-br', 'jumbo', 'ovsbr-eth1', '100']) >= 0);
  t.equal(find(c, ['set', 'Interface', 'red']), -1, 'red is left alone');
});

t.test('MTU: lowered when the big network goes', async (t) => {
  const seen = ovs(...RED_ON_ETH1.map((r) => ('iface' in r && r.iface === 'eth1' ? { ...r, mtu: 9000 } : r)),
    { port: 'jumbo', on: 'ovsbr-eth1', role: 'network', tag: 100 }, { iface: 'jumbo', role: 'network', mtu: 9000 },
    { mappings: 'jumbo:ovsbr-eth1,red:ovsbr-eth1' });
  const { commands: c } = plan(desired({ red: { nic: 'eth1', custom: OVS } }), seen);
  t.ok(find(c, ['del-br', 'jumbo']) >= 0);
  t.ok(find(c, ['set', 'Interface', 'eth1'], 'mtu_request=1500') >= 0, 'eth1 back to 1500');
  t.ok(find(c, ['set', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings="red:ovsbr-eth1"']) >= 0, 'jumbo no longer an OVN physnet');
  t.equal(c.length, 3);
});

t.test('MTU edit of a network: its interface and its uplink', async (t) => {
  const { commands: c } = plan(desired({ red: { nic: 'eth1', mtu: 4000, custom: OVS } }), ovs(...RED_ON_ETH1));
  t.ok(find(c, ['set', 'Interface', 'red'], 'mtu_request=4000') >= 0);
  t.ok(find(c, ['set', 'Interface', 'eth1'], 'mtu_request=4000') >= 0);
  t.equal(c.length, 2);
});

const REMOVALS = new Set(['del-br', 'del-port', 'remove']);
const ADDITIONS = new Set(['add-br', 'add-port', 'add-bond', 'add', 'create']);
function removalsFirst(t: Test, c: Command[]): void {
  const verb = (x: Command) => x.args.find((a) => !a.startsWith('--'))!;
  const verbs = c.map(verb);
  const lastRemoval = verbs.map((v, i) => (REMOVALS.has(v) ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
  const firstAddition = verbs.findIndex((v) => ADDITIONS.has(v));
  t.ok(lastRemoval >= 0 && firstAddition >= 0, 'both removals and additions');
  t.ok(lastRemoval < firstAddition, `removals before additions:\n${c.map((x) => x.args.join(' ')).join('\n')}`);
}

t.test('removals come before additions', async (t) => {
  const seen = ovs(...RED_ON_ETH1, { port: 'blue', on: 'ovsbr-eth1', role: 'network', tag: 100 }, { iface: 'blue', role: 'network', mtu: 1500 });
  removalsFirst(t, plan(desired({ red: { nic: 'eth1', custom: OVS }, green: { nic: 'eth1', vlan: 200, custom: OVS } }), seen).commands);
  removalsFirst(t, plan(desired({ green: { bonding: 'bond0', custom: OVS } }, { bond0: BOND0 }), seen).commands);
});

t.test('a NIC moving from one existing bond to another: removed from the old one first', async (t) => {
  const seen = ovs(
    ...RED_ON_BOND0,
    { bridge: 'ovsbr-bond1', role: 'bridge' },
    { port: 'ovsbr-bond1', on: 'ovsbr-bond1', role: 'bridge' },
    { port: 'bond1', on: 'ovsbr-bond1', role: 'bond', ifaces: ['eth3', 'eth4', 'eth5'], bond: ['active-backup', 'off'] },
    { iface: 'ovsbr-bond1', role: 'bridge', type: 'internal' },
    { iface: 'eth3', role: 'slave', mtu: 1500, orig: 1500 },
    { iface: 'eth4', role: 'slave', mtu: 1500, orig: 1500 },
    { iface: 'eth5', role: 'slave', mtu: 1500, orig: 1500 },
  );
  const want = desired({ red: { bonding: 'bond0', custom: OVS } }, {
    bond0: { ...BOND0, nics: ['eth1', 'eth2', 'eth5'] },
    bond1: { nics: ['eth3', 'eth4'], options: 'custom=ovs:True' },
  });
  const { commands: c, restoreMtu } = plan(want, seen);
  t.ok(find(c, ['remove', 'Port', 'bond1', 'interfaces', 'uuid-if-eth5']) >= 0, 'eth5 leaves bond1');
  t.ok(find(c, ['add', 'Port', 'bond0', 'interfaces']) >= 0, 'eth5 joins bond0');
  removalsFirst(t, c);
  t.strictSame(restoreMtu, [], 'eth5 stays in OVS');
});

t.test('every command says why', async (t) => {
  t.ok(plans.length > 20);
  for (const p of plans) for (const c of p.commands) t.ok(c.why.trim().length > 0, `${c.args.join(' ')}: ${c.why}`);
});

t.test('bridge options: set on the parent bridge in Linux units converted, then nothing to do once OVS has them', async (t) => {
  const want = desired({
    red: { nic: 'eth1', custom: { ...OVS, bridge_opts: 'multicast_snooping=1 multicast_router=2 forward_delay=1000 priority=4096' } },
  });
  const fresh = plan(want, EMPTY).commands;
  const i = find(fresh, ['set', 'Bridge', 'ovsbr-eth1'], 'mcast_snooping_enable=true', 'other_config:stp-forward-delay=10',
    'other_config:stp-priority=4096', 'external_ids:vdsm-hook-ovs-opts=stp-forward-delay,stp-priority');
  t.ok(i > find(fresh, ['add-br', 'ovsbr-eth1']), 'set on the new bridge, in the same transaction');
  t.ok(find(fresh, ['set', 'Port', 'red'], 'other_config:mcast-snooping-flood=true', 'other_config:mcast-snooping-flood-reports=true') >= 0,
    'multicast_router=2: the network port gets all multicast');
  const applied = ovs(
    { bridge: 'ovsbr-eth1', role: 'bridge', mcast: true, other: { 'stp-forward-delay': '10', 'stp-priority': '4096' },
      hookOpts: ['stp-forward-delay', 'stp-priority'] },
    ...RED_ON_ETH1.slice(1, 3),
    { port: 'red', on: 'ovsbr-eth1', role: 'network', tag: 0, other: { 'mcast-snooping-flood': 'true', 'mcast-snooping-flood-reports': 'true' } },
    ...RED_ON_ETH1.slice(4),
  );
  t.strictSame(plan(want, applied).commands, [], 'the same options again: nothing');
});

t.test('bridge options no network asks for: only the keys the hook set are cleared', async (t) => {
  const seen = ovs(
    { bridge: 'ovsbr-eth1', role: 'bridge', stp: true, mcast: true,
      other: { 'stp-priority': '4096', 'mac-table-size': '9000' }, hookOpts: ['stp-priority'] },
    ...RED_ON_ETH1.slice(1, 3),
    { port: 'red', on: 'ovsbr-eth1', role: 'network', tag: 0, other: { 'mcast-snooping-flood': 'true', 'mcast-snooping-flood-reports': 'true' } },
    ...RED_ON_ETH1.slice(4),
  );
  const cmds = plan(desired({ red: { nic: 'eth1', custom: OVS } }), seen).commands.map((c) => c.args);
  t.strictSame(cmds, [
    ['set', 'Bridge', 'ovsbr-eth1', 'stp_enable=false', 'mcast_snooping_enable=false'],
    ['remove', 'Bridge', 'ovsbr-eth1', 'other_config', 'stp-priority'],
    ['remove', 'Bridge', 'ovsbr-eth1', 'external_ids', 'vdsm-hook-ovs-opts'],
    ['remove', 'Port', 'red', 'other_config', 'mcast-snooping-flood', 'mcast-snooping-flood-reports'],
  ], 'mac-table-size, which someone else set, stays');
});

t.test('RSTP: rstp_enable and the rstp-* keys', async (t) => {
  const cmds = plan(desired({ red: { nic: 'eth1', custom: { ...OVS, bridge_opts: 'stp_state=2 priority=8192' } } }), EMPTY).commands;
  t.ok(find(cmds, ['set', 'Bridge', 'ovsbr-eth1'], 'rstp_enable=true', 'other_config:rstp-priority=8192') >= 0);
  t.equal(find(cmds, ['set', 'Bridge', 'ovsbr-eth1'], 'stp_enable=true'), -1, 'not STP as well');
});

t.test('hostQos: an htb QoS on the uplink port, a queue per shaped network; nothing once OVS has it; changes and removal', async (t) => {
  const QOS = { out: { ls: { m2: 20 }, ul: { m2: 50000000 } } };
  const want = desired({ red: { nic: 'eth1', custom: OVS, hostQos: QOS }, blue: { nic: 'eth1', vlan: 10, custom: OVS } });
  const fresh = plan(want, EMPTY).commands.map((c) => c.args);
  for (const cmd of [
    ['--id=@q_eth1_0', 'create', 'Queue', MARK('queue')],
    ['--id=@q_eth1_4095', 'create', 'Queue', 'other_config:max-rate=50000000', MARK('queue'), 'external_ids:vdsm-hook-ovs-ls=20'],
    ['--id=@qos_eth1', 'create', 'QoS', 'type=linux-htb', MARK('qos'), 'queues:0=@q_eth1_0', 'queues:4095=@q_eth1_4095'],
    ['set', 'Port', 'eth1', 'qos=@qos_eth1'],
  ]) t.ok(fresh.some((c) => JSON.stringify(c) === JSON.stringify(cmd)), cmd.join(' '));
  t.ok(fresh.findIndex((c) => c[0] === 'set' && c[2] === 'eth1' && c[3] === 'qos=@qos_eth1') > fresh.findIndex((c) => c[0] === 'add-port'),
    'after the port exists');

  const applied = (maxRate: string): OvsState => {
    const s = ovs(...RED_ON_ETH1, { port: 'blue', on: 'ovsbr-eth1', role: 'network', tag: 10 }, { iface: 'blue', role: 'network', mtu: 1500, type: 'internal', mac: '52:54:00:00:00:01' },
      { mappings: 'blue:ovsbr-eth1,red:ovsbr-eth1' });
    s.ports.get('eth1')!.qos = 'uuid-qos';
    s.qos.set('uuid-qos', { uuid: 'uuid-qos', role: 'qos', type: 'linux-htb', queues: new Map([[0, 'uuid-q0'], [4095, 'uuid-q1']]) });
    s.queues.set('uuid-q0', { uuid: 'uuid-q0', role: 'queue', otherConfig: new Map() });
    s.queues.set('uuid-q1', { uuid: 'uuid-q1', role: 'queue', otherConfig: new Map([['max-rate', maxRate]]), ls: 20 });
    return s;
  };
  t.strictSame(plan(want, applied('50000000')).commands, [], 'the same shaping again: nothing');
  t.strictSame(plan(want, applied('10')).commands.map((c) => c.args), [
    ['--id=@q_eth1_4095', 'create', 'Queue', 'other_config:max-rate=50000000', MARK('queue'), 'external_ids:vdsm-hook-ovs-ls=20'],
    ['set', 'QoS', 'uuid-qos', 'queues:4095=@q_eth1_4095'],
  ], 'a changed queue is replaced in the QoS that stays');
  const moved = desired({ red: { nic: 'eth1', custom: OVS }, blue: { nic: 'eth1', vlan: 10, custom: OVS, hostQos: QOS } });
  t.strictSame(plan(moved, applied('50000000')).commands.map((c) => c.args), [
    ['--id=@q_eth1_10', 'create', 'Queue', 'other_config:max-rate=50000000', MARK('queue'), 'external_ids:vdsm-hook-ovs-ls=20'],
    ['set', 'QoS', 'uuid-qos', 'queues:10=@q_eth1_10'],
    ['remove', 'QoS', 'uuid-qos', 'queues', '4095'],
  ], 'shaping moves from one network to another');
  t.strictSame(plan(desired({ red: { nic: 'eth1', custom: OVS }, blue: { nic: 'eth1', vlan: 10, custom: OVS } }), applied('50000000'))
    .commands.map((c) => c.args), [['clear', 'Port', 'eth1', 'qos']], 'no shaping left: the QoS goes');
});

t.test('overlay: a bridge of its own, no uplink, a tunnel access port per remote; edits in place, drops by name', async (t) => {
  const blue = (key: number, remotes: string) => ({
    blue: { nic: 'eth1', mtu: 1450, custom: { ...OVS, ovs_tunnel: `vxlan:${key}`, ovs_tunnel_remotes: remotes } },
  });
  const want = desired(blue(5001, '198.51.100.2'));
  const [port] = [...want.tunnels.keys()];
  const cmds = plan(want, EMPTY).commands;
  t.ok(find(cmds, ['add-br', 'ovsbr-blue']) >= 0, 'the overlay gets a bridge of its own');
  t.equal(find(cmds, ['add-port', 'ovsbr-blue', 'eth1']), -1, 'the NIC the Engine attached it to is not taken');
  t.ok(find(cmds, ['add-br', 'blue', 'ovsbr-blue', '0']) >= 0);
  t.ok(find(cmds, ['add-port', 'ovsbr-blue', port!]) >= 0);
  t.ok(find(cmds, ['set', 'Port', port!], 'tag=0', MARK('tunnel')) >= 0, 'an access port of the network, marked');
  t.ok(find(cmds, ['set', 'Interface', port!], 'type=vxlan', 'options={key="5001",remote_ip="198.51.100.2"}', MARK('tunnel')) >= 0);

  const seen = ovs(
    { bridge: 'ovsbr-blue', role: 'bridge' },
    { port: 'ovsbr-blue', on: 'ovsbr-blue', role: 'bridge' },
    { port: 'blue', on: 'ovsbr-blue', role: 'network', tag: 0 },
    { port: port!, on: 'ovsbr-blue', role: 'tunnel', tag: 0 },
    { iface: 'ovsbr-blue', role: 'bridge', type: 'internal' },
    { iface: 'blue', role: 'network', type: 'internal', mtu: 1450 },
    { iface: port!, role: 'tunnel', type: 'vxlan', options: { key: '5001', remote_ip: '198.51.100.2' } },
    { mappings: 'blue:ovsbr-blue' },
  );
  t.same(plan(want, seen).commands, [], 'as it is: nothing to do');
  t.same(plan(desired(blue(5002, '198.51.100.2')), seen).commands.map((c) => c.args),
    [['set', 'Interface', port!, 'type=vxlan', 'options={key="5002",remote_ip="198.51.100.2"}']], 'a new VNI: set in place');
  const moved = plan(desired(blue(5001, '198.51.100.3')), seen).commands.map((c) => c.args);
  t.same(moved[0], ['del-port', port!], 'a dropped remote: its port removed');
  t.equal(moved.filter((a) => a[0] === 'add-port').length, 1, 'the new remote: one port added');
});
