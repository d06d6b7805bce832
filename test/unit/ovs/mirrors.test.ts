import t from 'tap';
import { parseMirrorState, planMirrors, type MirrorState, type OvsMirror, type WantedMirror } from '../../../src/ovs/mirrors.js';

const VM = '4b2c2e3a-6a4f-4e8b-9d43-1f0c5a2b7e11';
// ovsbr-eth1 carries blue (VLAN 10) and green (VLAN 20); vnet7 sits on blue, vnet9 on another bridge
const ports: MirrorState['ports'] = new Map([
  ['blue', { bridge: 'ovsbr-eth1', tag: 10, fakeBridge: true }],
  ['green', { bridge: 'ovsbr-eth1', tag: 20, fakeBridge: true }],
  ['eth1', { bridge: 'ovsbr-eth1', tag: 0, fakeBridge: false }],
  ['vnet7', { bridge: 'ovsbr-eth1', tag: 10, fakeBridge: false }],
  ['vnet9', { bridge: 'br-other', tag: 0, fakeBridge: false }],
]);
const own = (name: string, output: string | undefined, owner: OvsMirror['owner'], vlans = [10]): OvsMirror =>
  ({ uuid: `u-${name}`, name, bridge: 'ovsbr-eth1', vlans, ...(output ? { output } : {}), ...(owner ? { owner } : {}) });
const WANT: WantedMirror = { vm: VM, mac: '00:1a:4a:16:01:60', tap: 'vnet7', network: 'blue' };
const none = () => false;

t.test('a new mirror: the network\'s VLAN on its parent bridge to the tap, marked', async (t) => {
  const plan = planMirrors({ ports, mirrors: [] }, [WANT], none);
  t.same(plan.commands.map((c) => c.args), [
    ['--id=@out0', 'get', 'Port', 'vnet7'],
    ['--id=@mirror0', 'create', 'Mirror', 'name=vdsm-mirror-vnet7', 'select_all=true', 'select_vlan=10', 'output_port=@out0',
      'external_ids:vdsm-hook-ovs=mirror', `external_ids:vdsm-hook-ovs-vm=${VM}`, 'external_ids:vdsm-hook-ovs-mac=00:1a:4a:16:01:60',
      'external_ids:vdsm-hook-ovs-network=blue'],
    ['add', 'Bridge', 'ovsbr-eth1', 'mirrors', '@mirror0'],
  ], 'added to the bridge\'s mirrors, never setting the column (other mirrors stay)');
  t.same([plan.created, plan.removed, plan.mirrored, plan.problems], [['vdsm-mirror-vnet7'], [], [WANT], []]);
});

t.test('the same mirror again: nothing to do', async (t) => {
  const plan = planMirrors({ ports, mirrors: [own('vdsm-mirror-vnet7', 'vnet7', { vm: VM, mac: WANT.mac, network: 'blue' })] }, [WANT], none);
  t.same([plan.commands, plan.mirrored], [[], [WANT]]);
});

t.test('the NIC now on another network: its mirror replaced in the same transaction', async (t) => {
  const was = own('vdsm-mirror-vnet7', 'vnet7', { vm: VM, mac: WANT.mac, network: 'green' }, [20]);
  const plan = planMirrors({ ports, mirrors: [was] }, [WANT], none);
  t.same(plan.commands[0]!.args, ['remove', 'Bridge', 'ovsbr-eth1', 'mirrors', 'u-vdsm-mirror-vnet7']);
  t.same([plan.removed, plan.created], [['vdsm-mirror-vnet7'], ['vdsm-mirror-vnet7']]);
});

t.test('removals: what drop selects and every own mirror whose output port is gone; never a foreign one', async (t) => {
  const mirrors = [
    own('vdsm-mirror-vnet7', 'vnet7', { vm: VM, mac: WANT.mac, network: 'blue' }),
    own('vdsm-mirror-vnet3', undefined, { vm: 'other-vm', mac: '00:1a:4a:16:01:99', network: 'blue' }),
    own('span', undefined, undefined),
    own('span2', 'vnet7', undefined),
  ];
  const plan = planMirrors({ ports, mirrors }, [], (m) => m.owner!.vm === VM);
  t.same(plan.commands.map((c) => c.args), [
    ['remove', 'Bridge', 'ovsbr-eth1', 'mirrors', 'u-vdsm-mirror-vnet7'],
    ['remove', 'Bridge', 'ovsbr-eth1', 'mirrors', 'u-vdsm-mirror-vnet3'],
  ]);
  t.match(plan.commands[1]!.why, /its output port no longer exists/);
});

t.test('wishes that cannot be met are problems, not commands', async (t) => {
  const plan = planMirrors({ ports, mirrors: [] }, [
    { ...WANT, network: 'eth1' },
    { ...WANT, tap: 'vnet8' },
    { ...WANT, tap: 'vnet9' },
  ], none);
  t.same(plan.commands, []);
  t.same(plan.problems, [
    'mirror of network eth1 to VM NIC 00:1a:4a:16:01:60 (vnet7): eth1 is not an OVS network of this hook in OVS',
    'mirror of network blue to VM NIC 00:1a:4a:16:01:60 (vnet8): no port vnet8 on bridge ovsbr-eth1',
    'mirror of network blue to VM NIC 00:1a:4a:16:01:60 (vnet9): no port vnet9 on bridge ovsbr-eth1',
  ]);
});

t.test('the state from OVSDB rows', async (t) => {
  const state = parseMirrorState([
    [{ _uuid: ['uuid', 'b1'], name: 'ovsbr-eth1', ports: ['set', [['uuid', 'p1'], ['uuid', 'p2']]], mirrors: ['set', [['uuid', 'm1'], ['uuid', 'm2']]] }],
    [
      { _uuid: ['uuid', 'p1'], name: 'blue', tag: 10, fake_bridge: true },
      { _uuid: ['uuid', 'p2'], name: 'vnet7', tag: ['set', []], fake_bridge: false },
    ],
    [
      { _uuid: ['uuid', 'm1'], name: 'vdsm-mirror-vnet7', output_port: ['uuid', 'p2'], select_vlan: 10,
        external_ids: ['map', [['vdsm-hook-ovs', 'mirror'], ['vdsm-hook-ovs-vm', VM], ['vdsm-hook-ovs-mac', 'm'], ['vdsm-hook-ovs-network', 'blue']]] },
      { _uuid: ['uuid', 'm2'], name: 'span', output_port: ['set', []], select_vlan: ['set', [30, 20]], external_ids: ['map', []] },
    ],
  ]);
  t.same(state.ports.get('blue'), { bridge: 'ovsbr-eth1', tag: 10, fakeBridge: true });
  t.same(state.ports.get('vnet7'), { bridge: 'ovsbr-eth1', tag: 0, fakeBridge: false });
  t.same(state.mirrors, [
    { uuid: 'm1', name: 'vdsm-mirror-vnet7', vlans: [10], bridge: 'ovsbr-eth1', output: 'vnet7', owner: { vm: VM, mac: 'm', network: 'blue' } },
    { uuid: 'm2', name: 'span', vlans: [20, 30], bridge: 'ovsbr-eth1' },
  ]);
});
