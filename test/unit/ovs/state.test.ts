import t from 'tap';
import { OvsError } from '../../../src/runtime/errors.js';
import { foreignNames, parseOvsState as parseRows } from '../../../src/ovs/state.js';
import { rowsOfSelect } from '../../../src/ovs/vsctl.js';
import { rowsOfList } from '../../lib/ovs-list.js';

const parseOvsState = (text: string) => parseRows(rowsOfList(text, 4));

// `ovs-vsctl --format=json --data=json --columns=... list Bridge -- ... list Port -- ... list Interface`:
// one table per line. Two hook bridges (a NIC uplink with a VLAN network, a bond) and OVN's br-int.
const BRIDGES = JSON.stringify({
  data: [
    [['uuid', 'b-eth1'], 'ovsbr-eth1', ['set', [['uuid', 'p-br1'], ['uuid', 'p-eth1'], ['uuid', 'p-red']]], 'netdev', false,
      ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'b-bond0'], 'ovsbr-bond0', ['set', [['uuid', 'p-br2'], ['uuid', 'p-bond0']]], 'system', true,
      ['map', [['vdsm-hook-ovs', 'bridge'], ['other', 'x']]]],
    [['uuid', 'b-int'], 'br-int', ['uuid', 'p-int'], '', false, ['map', [['ovn-bridge-mappings', 'physnet1:br-ex']]]],
  ],
  headings: ['_uuid', 'name', 'ports', 'datapath_type', 'stp_enable', 'external_ids'],
});
const PORTS = JSON.stringify({
  data: [
    [['uuid', 'p-br1'], 'ovsbr-eth1', ['uuid', 'i-br1'], ['set', []], false, ['set', []], ['set', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'p-eth1'], 'eth1', ['uuid', 'i-eth1'], ['set', []], false, ['set', []], ['set', []], ['map', [['vdsm-hook-ovs', 'uplink']]]],
    [['uuid', 'p-red'], 'red', ['uuid', 'i-red'], 100, true, ['set', []], ['set', []], ['map', [['vdsm-hook-ovs', 'network']]]],
    [['uuid', 'p-br2'], 'ovsbr-bond0', ['uuid', 'i-br2'], ['set', []], false, ['set', []], ['set', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'p-bond0'], 'bond0', ['set', [['uuid', 'i-eth2'], ['uuid', 'i-eth3']]], ['set', []], false, 'balance-tcp', 'active',
      ['map', [['vdsm-hook-ovs', 'bond']]]],
    [['uuid', 'p-int'], 'br-int', ['uuid', 'i-int'], ['set', []], false, ['set', []], ['set', []], ['map', [['vdsm-hook-ovs', 'somebody-else']]]],
  ],
  headings: ['_uuid', 'name', 'interfaces', 'tag', 'fake_bridge', 'bond_mode', 'lacp', 'external_ids'],
});
const IFACES = JSON.stringify({
  data: [
    [['uuid', 'i-br1'], 'ovsbr-eth1', 'internal', ['set', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'i-eth1'], 'eth1', '', 9000, ['map', [['vdsm-hook-ovs', 'uplink'], ['vdsm-hook-ovs-orig-mtu', '1500']]]],
    [['uuid', 'i-red'], 'red', 'internal', 9000, ['map', [['vdsm-hook-ovs', 'network']]]],
    [['uuid', 'i-br2'], 'ovsbr-bond0', 'internal', ['set', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'i-eth2'], 'eth2', '', 1500, ['map', [['vdsm-hook-ovs', 'slave'], ['vdsm-hook-ovs-orig-mtu', '1400']]]],
    [['uuid', 'i-eth3'], 'eth3', '', ['set', []], ['map', [['vdsm-hook-ovs', 'slave']]]],
    [['uuid', 'i-int'], 'br-int', 'internal', ['set', []], ['map', []]],
  ],
  headings: ['_uuid', 'name', 'type', 'mtu_request', 'external_ids'],
});
// the Open_vSwitch row: OVN's keys beside OVS's own
const SYSTEM = JSON.stringify({
  data: [[['map', [['system-id', 'host1.example.com'], ['ovn-bridge-mappings', 'physnet1:br-ex,red:ovsbr-eth1']]]]],
  headings: ['external_ids'],
});
const OUTPUT = `${BRIDGES}\n${PORTS}\n${IFACES}\n${SYSTEM}\n`;

t.test('bridges: uuid, datapath, STP, port names (one-element set as a bare atom), role', async (t) => {
  const { bridges } = parseOvsState(OUTPUT);
  t.strictSame([...bridges.keys()], ['ovsbr-eth1', 'ovsbr-bond0', 'br-int']);
  t.strictSame(bridges.get('ovsbr-eth1'), {
    uuid: 'b-eth1', name: 'ovsbr-eth1', role: 'bridge', datapathType: 'netdev', stp: false, ports: ['ovsbr-eth1', 'eth1', 'red'],
  });
  t.equal(bridges.get('ovsbr-bond0')!.stp, true);
  t.equal(bridges.get('ovsbr-bond0')!.role, 'bridge', 'other external_ids keys do not matter');
  const int = bridges.get('br-int')!;
  t.strictSame(int.ports, ['br-int'], 'single port given as a bare uuid');
  t.equal(int.role, undefined, 'not ours: no role');
  t.equal(int.datapathType, '');
});

t.test('ports: parent bridge, tag, fake bridge, bond mode and LACP, interfaces', async (t) => {
  const { ports } = parseOvsState(OUTPUT);
  t.strictSame(ports.get('red'), {
    uuid: 'p-red', name: 'red', role: 'network', bridge: 'ovsbr-eth1', tag: 100, fakeBridge: true,
    bondMode: null, lacp: null, interfaces: ['red'],
  });
  t.strictSame(ports.get('eth1'), {
    uuid: 'p-eth1', name: 'eth1', role: 'uplink', bridge: 'ovsbr-eth1', tag: null, fakeBridge: false,
    bondMode: null, lacp: null, interfaces: ['eth1'],
  }, 'empty sets: no tag, no bond mode');
  const bond = ports.get('bond0')!;
  t.equal(bond.role, 'bond');
  t.equal(bond.bridge, 'ovsbr-bond0');
  t.equal(bond.bondMode, 'balance-tcp');
  t.equal(bond.lacp, 'active');
  t.strictSame(bond.interfaces, ['eth2', 'eth3']);
  t.equal(ports.get('br-int')!.bridge, 'br-int');
  t.equal(ports.get('br-int')!.role, undefined, 'an unknown role value is not ours');
});

t.test('interfaces: type, mtu_request, role, original MTU', async (t) => {
  const { interfaces } = parseOvsState(OUTPUT);
  t.strictSame(interfaces.get('eth1'), { uuid: 'i-eth1', name: 'eth1', role: 'uplink', type: '', mtuRequest: 9000, origMtu: 1500 });
  t.strictSame(interfaces.get('red'), { uuid: 'i-red', name: 'red', role: 'network', type: 'internal', mtuRequest: 9000 });
  t.equal(interfaces.get('eth2')!.origMtu, 1400);
  t.equal(interfaces.get('eth3')!.mtuRequest, null, 'empty set: no MTU requested');
  t.notOk('origMtu' in interfaces.get('eth3')!, 'no original MTU recorded');
  t.equal(interfaces.get('br-int')!.role, undefined);
});

t.test("the Open_vSwitch row's external_ids", async (t) => {
  t.strictSame(parseOvsState(OUTPUT).systemIds, { 'system-id': 'host1.example.com', 'ovn-bridge-mappings': 'physnet1:br-ex,red:ovsbr-eth1' });
});

t.test('foreignNames: every object without the hook mark', async (t) => {
  t.strictSame([...foreignNames(parseOvsState(OUTPUT))], ['br-int']);
});

t.test('an empty database', async (t) => {
  const empty = (headings: string[]) => JSON.stringify({ data: [], headings });
  const state = parseOvsState([empty(['_uuid', 'name']), empty(['_uuid', 'name']), empty(['_uuid', 'name']), empty(['external_ids'])].join('\n'));
  t.equal(state.bridges.size + state.ports.size + state.interfaces.size, 0);
  t.strictSame(state.systemIds, {}, 'no Open_vSwitch row (never initialised): no keys');
  t.equal(foreignNames(state).size, 0);
});

t.test('output that is not four tables is an OVS error', async (t) => {
  t.throws(() => parseOvsState(`${BRIDGES}\n${PORTS}\n${IFACES}\n`), { name: 'OvsError', message: 'expected 4 tables, got 3' });
  t.throws(() => parseOvsState(''), OvsError);
});

t.test("ovsdb-server's select answer: rows per table; a failed select or a missing table is an OVS error", async (t) => {
  const rows = [[{ _uuid: ['uuid', 'b'], name: 'br0' }], [], []];
  t.strictSame(rowsOfSelect(rows.map((r) => ({ rows: r })), 3), rows);
  t.throws(() => rowsOfSelect([{ rows: [] }, { rows: [] }], 3), { name: 'OvsError', message: 'expected 3 tables, got 2' });
  t.throws(() => rowsOfSelect(null, 3), { name: 'OvsError', message: 'expected 3 tables, got 0' });
  t.throws(() => rowsOfSelect([{ rows: [] }, { error: 'unknown column', details: 'no column fake in table Port' }, { rows: [] }], 3),
    { name: 'OvsError', message: 'select failed: unknown column: no column fake in table Port' });
});
