import t, { type Test } from 'tap';
import type { DesiredState, HostFacts } from '../../../src/model/desired.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { ORIG_MTU_KEY, type OvsState, type Role } from '../../../src/ovs/state.js';
import { planTransaction, type TransactionPlan } from '../../../src/ovs/planner.js';
import type { Command } from '../../../src/ovs/vsctl.js';
import { desiredOn } from '../fixtures/desired.js';

const OVS = { ovs: 'true' };
const MARK = (role: Role) => `external_ids:vdsm-hook-ovs=${role}`;
const HOST: HostFacts = {
  links: new Set(['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5']),
  foreignOvs: new Set(['br-int', 'patch-tun']),
  ownDevices: new Set(),
};
const KERNEL_MTU = new Map([['eth1', 1500], ['eth2', 1500], ['eth3', 1500], ['eth4', 1500], ['eth5', 1500]]);
const plans: TransactionPlan[] = [];

const desired = (nets: Record<string, Attrs>, bonds: Record<string, Attrs> = {}): DesiredState => desiredOn(HOST, nets, bonds);

type Row =
  | { bridge: string; role?: Role; dp?: string; stp?: boolean }
  | { port: string; on: string; role?: Role; tag?: number; ifaces?: string[]; bond?: [string, string] }
  | { iface: string; role?: Role; mtu?: number; orig?: number; type?: string }
  | { mappings: string };

/** An observed OVS DB from short rows; a port's `on` is its bridge, its interfaces default to [its name]. */
function ovs(...rows: Row[]): OvsState {
  const state: OvsState = { bridges: new Map(), ports: new Map(), interfaces: new Map(), systemIds: {} };
  for (const r of rows) {
    if ('bridge' in r) {
      state.bridges.set(r.bridge, {
        uuid: `uuid-br-${r.bridge}`, name: r.bridge, datapathType: r.dp ?? 'system', stp: r.stp ?? false, ports: [],
        ...(r.role ? { role: r.role } : {}),
      });
    } else if ('mappings' in r) {
      state.systemIds['ovn-bridge-mappings'] = r.mappings;
    } else if ('port' in r) {
      state.bridges.get(r.on)!.ports.push(r.port);
      state.ports.set(r.port, {
        uuid: `uuid-port-${r.port}`, name: r.port, bridge: r.on, tag: r.tag ?? null, fakeBridge: r.role === 'network',
        bondMode: r.bond?.[0] ?? null, lacp: r.bond?.[1] ?? null, interfaces: r.ifaces ?? [r.port],
        ...(r.role ? { role: r.role } : {}),
      });
    } else {
      state.interfaces.set(r.iface, {
        uuid: `uuid-if-${r.iface}`, name: r.iface, type: r.type ?? '', mtuRequest: r.mtu ?? null,
        ...(r.role ? { role: r.role } : {}), ...(r.orig ? { origMtu: r.orig } : {}),
      });
    }
  }
  return state;
}

function plan(want: DesiredState, seen: OvsState, datapath = 'system'): TransactionPlan {
  const p = planTransaction(want, seen, KERNEL_MTU, datapath);
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
  { iface: 'red', role: 'network', mtu: 1500, type: 'internal' },
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
  { iface: 'red', role: 'network', mtu: 1500, type: 'internal' },
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
