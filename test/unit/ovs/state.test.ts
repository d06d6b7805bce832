import t from 'tap';
import { OvsError } from '../../../src/runtime/errors.js';
import { foreignNames, parseOvsState as parseRows } from '../../../src/ovs/state.js';
import { rowsOfSelect } from '../../../src/ovs/vsctl.js';
import { rowsOfList } from '../../lib/ovs-list.js';

const parseOvsState = (text: string) => parseRows(rowsOfList(text, 6));

// `ovs-vsctl --format=json --data=json --columns=... list Bridge -- ... list Port -- ... list Interface`:
// one table per line. Two hook bridges (a NIC uplink with a VLAN network, a bond) and OVN's br-int.
const BRIDGES = JSON.stringify({
  data: [
    [['uuid', 'b-eth1'], 'ovsbr-eth1', ['set', [['uuid', 'p-br1'], ['uuid', 'p-eth1'], ['uuid', 'p-red']]], 'netdev', false, true, true,
      ['map', [['rstp-priority', '8192'], ['mac-table-size', '9000']]],
      ['map', [['vdsm-hook-ovs', 'bridge'], ['vdsm-hook-ovs-opts', 'rstp-priority']]]],
    [['uuid', 'b-bond0'], 'ovsbr-bond0', ['set', [['uuid', 'p-br2'], ['uuid', 'p-bond0']]], 'system', true, false, false, ['map', []],
      ['map', [['vdsm-hook-ovs', 'bridge'], ['other', 'x']]]],
    [['uuid', 'b-int'], 'br-int', ['uuid', 'p-int'], '', false, false, false, ['map', []], ['map', [['ovn-bridge-mappings', 'physnet1:br-ex']]]],
  ],
  headings: ['_uuid', 'name', 'ports', 'datapath_type', 'stp_enable', 'rstp_enable', 'mcast_snooping_enable', 'other_config', 'external_ids'],
});
const PORTS = JSON.stringify({
  data: [
    [['uuid', 'p-br1'], 'ovsbr-eth1', ['uuid', 'i-br1'], ['set', []], false, ['set', []], ['set', []], 0, 0, ['map', []], ['set', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'p-eth1'], 'eth1', ['uuid', 'i-eth1'], ['set', []], false, ['set', []], ['set', []], 0, 0, ['map', []], ['uuid', 'qos-1'], ['map', [['vdsm-hook-ovs', 'uplink']]]],
    [['uuid', 'p-red'], 'red', ['uuid', 'i-red'], 100, true, ['set', []], ['set', []], 0, 0, ['map', [['mcast-snooping-flood', 'true']]], ['set', []],
      ['map', [['vdsm-hook-ovs', 'network']]]],
    [['uuid', 'p-br2'], 'ovsbr-bond0', ['uuid', 'i-br2'], ['set', []], false, ['set', []], ['set', []], 0, 0, ['map', []], ['set', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'p-bond0'], 'bond0', ['set', [['uuid', 'i-eth2'], ['uuid', 'i-eth3']]], ['set', []], false, 'balance-tcp', 'active', 150, 50,
      ['map', [['bond-detect-mode', 'miimon'], ['bond-miimon-interval', '100'], ['bond-rebalance-interval', '5000']]], ['set', []],
      ['map', [['vdsm-hook-ovs', 'bond']]]],
    [['uuid', 'p-int'], 'br-int', ['uuid', 'i-int'], ['set', []], false, ['set', []], ['set', []], 0, 0, ['map', []], ['set', []], ['map', [['vdsm-hook-ovs', 'somebody-else']]]],
  ],
  headings: ['_uuid', 'name', 'interfaces', 'tag', 'fake_bridge', 'bond_mode', 'lacp', 'bond_updelay', 'bond_downdelay', 'other_config',
    'qos', 'external_ids'],
});
const IFACES = JSON.stringify({
  data: [
    [['uuid', 'i-br1'], 'ovsbr-eth1', 'internal', ['set', []], ['set', []], ['map', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'i-eth1'], 'eth1', '', 9000, ['set', []], ['map', []], ['map', [['vdsm-hook-ovs', 'uplink'], ['vdsm-hook-ovs-orig-mtu', '1500']]]],
    [['uuid', 'i-red'], 'red', 'internal', 9000, '52:54:00:00:00:01', ['map', []], ['map', [['vdsm-hook-ovs', 'network']]]],
    [['uuid', 'i-br2'], 'ovsbr-bond0', 'internal', ['set', []], ['set', []], ['map', []], ['map', [['vdsm-hook-ovs', 'bridge']]]],
    [['uuid', 'i-eth2'], 'eth2', '', 1500, ['set', []], ['map', []], ['map', [['vdsm-hook-ovs', 'slave'], ['vdsm-hook-ovs-orig-mtu', '1400']]]],
    [['uuid', 'i-eth3'], 'eth3', '', ['set', []], ['set', []], ['map', []], ['map', [['vdsm-hook-ovs', 'slave']]]],
    [['uuid', 'i-tun'], 'vtun-1', 'vxlan', ['set', []], ['set', []], ['map', [['key', '5001'], ['remote_ip', '198.51.100.2']]],
      ['map', [['vdsm-hook-ovs', 'tunnel']]]],
    [['uuid', 'i-int'], 'br-int', 'internal', ['set', []], ['set', []], ['map', []], ['map', []]],
  ],
  headings: ['_uuid', 'name', 'type', 'mtu_request', 'mac', 'options', 'external_ids'],
});
const QOS = JSON.stringify({
  data: [[['uuid', 'qos-1'], 'linux-htb', ['map', [[0, ['uuid', 'queue-0']], [10, ['uuid', 'queue-10']]]], ['map', [['vdsm-hook-ovs', 'qos']]]]],
  headings: ['_uuid', 'type', 'queues', 'external_ids'],
});
const QUEUES = JSON.stringify({
  data: [
    [['uuid', 'queue-0'], ['map', []], ['map', [['vdsm-hook-ovs', 'queue']]]],
    [['uuid', 'queue-10'], ['map', [['max-rate', '50000000']]], ['map', [['vdsm-hook-ovs', 'queue'], ['vdsm-hook-ovs-ls', '20']]]],
  ],
  headings: ['_uuid', 'other_config', 'external_ids'],
});
// the Open_vSwitch row: OVN's keys beside OVS's own
const SYSTEM = JSON.stringify({
  data: [[['map', [['system-id', 'host1.example.com'], ['ovn-bridge-mappings', 'physnet1:br-ex,red:ovsbr-eth1']]]]],
  headings: ['external_ids'],
});
const OUTPUT = `${BRIDGES}\n${PORTS}\n${IFACES}\n${QOS}\n${QUEUES}\n${SYSTEM}\n`;

t.test('bridges: uuid, datapath, STP, port names (one-element set as a bare atom), role', async (t) => {
  const { bridges } = parseOvsState(OUTPUT);
  t.strictSame([...bridges.keys()], ['ovsbr-eth1', 'ovsbr-bond0', 'br-int']);
  t.strictSame(bridges.get('ovsbr-eth1'), {
    uuid: 'b-eth1', name: 'ovsbr-eth1', role: 'bridge', datapathType: 'netdev', stp: false, rstp: true, mcastSnooping: true,
    otherConfig: new Map([['rstp-priority', '8192'], ['mac-table-size', '9000']]), hookOpts: ['rstp-priority'],
    ports: ['ovsbr-eth1', 'eth1', 'red'],
  });
  t.equal(bridges.get('ovsbr-bond0')!.stp, true);
  t.equal(bridges.get('ovsbr-bond0')!.role, 'bridge', 'other external_ids keys do not matter');
  const int = bridges.get('br-int')!;
  t.strictSame(int.ports, ['br-int'], 'single port given as a bare uuid');
  t.equal(int.role, undefined, 'not ours: no role');
  t.equal(int.datapathType, '');
});

t.test('ports: parent bridge, tag, fake bridge, bond mode, LACP, delays and other_config, interfaces', async (t) => {
  const { ports } = parseOvsState(OUTPUT);
  t.strictSame(ports.get('red'), {
    uuid: 'p-red', name: 'red', role: 'network', bridge: 'ovsbr-eth1', tag: 100, fakeBridge: true,
    bondMode: null, lacp: null, bondUpdelay: 0, bondDowndelay: 0, interfaces: ['red'], otherConfig: new Map([['mcast-snooping-flood', 'true']]), qos: null,
  });
  t.strictSame(ports.get('eth1'), {
    uuid: 'p-eth1', name: 'eth1', role: 'uplink', bridge: 'ovsbr-eth1', tag: null, fakeBridge: false,
    bondMode: null, lacp: null, bondUpdelay: 0, bondDowndelay: 0, interfaces: ['eth1'], otherConfig: new Map(), qos: 'qos-1',
  }, 'empty sets: no tag, no bond mode');
  const bond = ports.get('bond0')!;
  t.equal(bond.role, 'bond');
  t.equal(bond.bridge, 'ovsbr-bond0');
  t.equal(bond.bondMode, 'balance-tcp');
  t.equal(bond.lacp, 'active');
  t.strictSame([bond.bondUpdelay, bond.bondDowndelay], [150, 50]);
  t.strictSame(bond.otherConfig, new Map([['bond-detect-mode', 'miimon'], ['bond-miimon-interval', '100'], ['bond-rebalance-interval', '5000']]),
    'other_config whole, keys the hook does not own too');
  t.strictSame(bond.interfaces, ['eth2', 'eth3']);
  t.equal(ports.get('br-int')!.bridge, 'br-int');
  t.equal(ports.get('br-int')!.role, undefined, 'an unknown role value is not ours');
});

t.test('interfaces: type, mtu_request, mac, options, role, original MTU', async (t) => {
  const { interfaces } = parseOvsState(OUTPUT);
  t.strictSame(interfaces.get('eth1'), { uuid: 'i-eth1', name: 'eth1', role: 'uplink', type: '', mtuRequest: 9000, mac: null, options: {}, origMtu: 1500 });
  t.strictSame(interfaces.get('red'), {
    uuid: 'i-red', name: 'red', role: 'network', type: 'internal', mtuRequest: 9000, mac: '52:54:00:00:00:01', options: {},
  });
  t.strictSame(interfaces.get('vtun-1'), {
    uuid: 'i-tun', name: 'vtun-1', role: 'tunnel', type: 'vxlan', mtuRequest: null, mac: null, options: { key: '5001', remote_ip: '198.51.100.2' },
  });
  t.equal(interfaces.get('eth2')!.origMtu, 1400);
  t.equal(interfaces.get('eth3')!.mtuRequest, null, 'empty set: no MTU requested');
  t.notOk('origMtu' in interfaces.get('eth3')!, 'no original MTU recorded');
  t.equal(interfaces.get('br-int')!.role, undefined);
});

t.test('QoS and queues: by uuid, queue ids to queue uuids, rates and the recorded link share', async (t) => {
  const { qos, queues } = parseOvsState(OUTPUT);
  t.strictSame(qos.get('qos-1'), { uuid: 'qos-1', role: 'qos', type: 'linux-htb', queues: new Map([[0, 'queue-0'], [10, 'queue-10']]) });
  t.strictSame(queues.get('queue-10'), { uuid: 'queue-10', role: 'queue', otherConfig: new Map([['max-rate', '50000000']]), ls: 20 });
  t.strictSame(queues.get('queue-0'), { uuid: 'queue-0', role: 'queue', otherConfig: new Map() });
});

t.test("the Open_vSwitch row's external_ids", async (t) => {
  t.strictSame(parseOvsState(OUTPUT).systemIds, { 'system-id': 'host1.example.com', 'ovn-bridge-mappings': 'physnet1:br-ex,red:ovsbr-eth1' });
});

t.test('foreignNames: every object without the hook mark', async (t) => {
  t.strictSame([...foreignNames(parseOvsState(OUTPUT))], ['br-int']);
});

t.test('an empty database', async (t) => {
  const empty = (headings: string[]) => JSON.stringify({ data: [], headings });
  const state = parseOvsState([...Array.from({ length: 5 }, () => empty(['_uuid', 'name'])), empty(['external_ids'])].join('\n'));
  t.equal(state.bridges.size + state.ports.size + state.interfaces.size, 0);
  t.strictSame(state.systemIds, {}, 'no Open_vSwitch row (never initialised): no keys');
  t.equal(foreignNames(state).size, 0);
});

t.test('output that is not six tables is an OVS error', async (t) => {
  t.throws(() => parseOvsState(`${BRIDGES}\n${PORTS}\n`), { name: 'OvsError', message: 'expected 6 tables, got 2' });
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
