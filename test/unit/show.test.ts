import t from 'tap';
import { parseKernelState } from '../../src/kernel.js';
import type { OvsState } from '../../src/ovs-state.js';
import { renderOwned } from '../../src/show.js';

const bridge = (name: string, role?: 'bridge') =>
  ({ uuid: name, name, datapathType: 'system', stp: name === 'ovsbr-eth3', ports: [], ...(role && { role }) });
const port = (name: string, bridge: string, role: 'uplink' | 'bond' | 'network' | undefined, extra = {}) =>
  ({ uuid: name, name, bridge, tag: null, fakeBridge: false, bondMode: null, lacp: null, interfaces: [name],
    ...(role && { role }), ...extra });

const ovs: OvsState = {
  bridges: new Map([
    ['ovsbr-eth3', bridge('ovsbr-eth3', 'bridge')],
    ['ovsbr-bond0', bridge('ovsbr-bond0', 'bridge')],
    ['br-int', bridge('br-int')],
  ]),
  ports: new Map([
    ['bond0', port('bond0', 'ovsbr-bond0', 'bond', { bondMode: 'balance-tcp', lacp: 'active', interfaces: ['eth2', 'eth1'] })],
    ['blue', port('blue', 'ovsbr-bond0', 'network', { tag: 10, fakeBridge: true })],
    ['red', port('red', 'ovsbr-eth3', 'network', { fakeBridge: true })],
    ['eth3', port('eth3', 'ovsbr-eth3', 'uplink')],
    ['vm1', port('vm1', 'br-int', undefined)],
  ]),
  interfaces: new Map(),
};

const kernel = parseKernelState([
  JSON.stringify([
    { ifname: 'blue', mtu: 9000, flags: ['UP'], addr_info: [{ family: 'inet', local: '10.10.0.1', prefixlen: 24, scope: 'global' }] },
    { ifname: 'red', mtu: 1500, flags: [], addr_info: [] },
  ]),
  JSON.stringify([{ dst: 'default', gateway: '10.10.0.254', dev: 'blue' }]),
].join('\n'));

t.test("the hook's bridges, bonds and networks, sorted, without foreign objects", async (t) => {
  t.strictSame(renderOwned(ovs, kernel), [
    'bridge ovsbr-bond0: uplink bond0, datapath system, STP off',
    '  bond bond0: slaves eth1, eth2, mode balance-tcp, LACP active',
    '  network blue: VLAN 10, MTU 9000, up, 10.10.0.1/24, default route via 10.10.0.254',
    'bridge ovsbr-eth3: uplink eth3, datapath system, STP on',
    '  network red: untagged, MTU 1500, DOWN, no IPv4 address',
  ]);
});

t.test('a network whose device is missing, and nothing at all', async (t) => {
  t.match(renderOwned(ovs, parseKernelState('[]\n[]')), ['bridge ovsbr-bond0: uplink bond0, datapath system, STP off', /./,
    '  network blue: VLAN 10, no kernel device']);
  const empty: OvsState = { bridges: new Map(), ports: new Map(), interfaces: new Map() };
  t.strictSame(renderOwned(empty, kernel), ['no OVS bridges, bonds or networks of this hook']);
});
