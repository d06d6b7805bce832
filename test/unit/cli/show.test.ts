import t from 'tap';
import { capsAdditions } from '../../../src/vdsm/caps.js';
import { parseKernelState } from '../../../src/host/kernel.js';
import { parseBond, parseNetwork } from '../../../src/model/definitions.js';
import type { OvsState } from '../../../src/ovs/state.js';
import { renderMirrors, renderOwned } from '../../../src/cli/show.js';

const bridge = (name: string, role?: 'bridge') =>
  ({ uuid: name, name, datapathType: 'system', stp: name === 'ovsbr-eth3', rstp: false, mcastSnooping: false,
    otherConfig: new Map<string, string>(), hookOpts: [], ports: [], ...(role && { role }) });
const port = (name: string, bridge: string, role: 'uplink' | 'bond' | 'network' | undefined, extra = {}) =>
  ({ uuid: name, name, bridge, tag: null, fakeBridge: false, bondMode: null, lacp: null, bondUpdelay: 0, bondDowndelay: 0, interfaces: [name], otherConfig: new Map<string, string>(), qos: null,
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
    ['vnet0', port('vnet0', 'ovsbr-bond0', undefined, { tag: 10 })],
    ['red', port('red', 'ovsbr-eth3', 'network', { fakeBridge: true })],
    ['eth3', port('eth3', 'ovsbr-eth3', 'uplink')],
    ['vm1', port('vm1', 'br-int', undefined)],
  ]),
  interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {},
};

const kernel = parseKernelState([
  JSON.stringify([
    { ifname: 'blue', mtu: 9000, flags: ['UP'], addr_info: [{ family: 'inet', local: '10.10.0.1', prefixlen: 24, scope: 'global' }] },
    { ifname: 'red', mtu: 1500, flags: [], addr_info: [{ family: 'inet6', local: '2001:db8::1', prefixlen: 64, scope: 'global' }] },
    { ifname: 'eth1', mtu: 9000, flags: ['UP'] },
    { ifname: 'eth2', mtu: 9000, flags: ['UP'] },
  ]),
  JSON.stringify([{ dst: 'default', gateway: '10.10.0.254', dev: 'blue' }]),
  // blue's own table: 69140905, Python's zlib.adler32(b'blue')
  JSON.stringify([
    { priority: 3200, src: '10.10.0.0', srclen: 24, table: '69140905', protocol: '211' },
    { priority: 3200, src: 'all', dst: '10.10.0.0', dstlen: 24, table: '69140905', protocol: '211' },
    { priority: 3200, src: '10.10.0.0', srclen: 24, table: '7' },
  ]),
  JSON.stringify([
    { dst: 'default', gateway: '10.10.0.254', dev: 'blue', table: '69140905' },
    { dst: '10.10.0.0/24', dev: 'blue', table: '69140905' },
  ]),
].join('\n'));

const owned = {
  networks: [
    parseNetwork('blue', { bonding: 'bond0', vlan: 10, custom: { ovs: true } }),
    parseNetwork('red', { nic: 'eth3', bridged: false, custom: { ovs: true } }),
  ],
  bonds: [{ def: parseBond('bond0', { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' }), opts: {} }],
};
const caps = capsAdditions(owned, { kernel, ovs, activeSlaves: new Map([['bond0', 'eth2']]) });

t.test("the hook's bridges, bonds and networks as the Engine sees them, sorted, without foreign objects", async (t) => {
  t.strictSame(renderOwned(ovs, kernel, caps), [
    'bridge ovsbr-bond0: uplink bond0, datapath system, STP off',
    '  bond bond0: slaves eth1, eth2 (active eth2), mode balance-tcp, LACP active',
    '  network blue: VLAN 10 on bond0.10, bridged, ports vnet0 bond0.10, MTU 9000, up, 10.10.0.1/24, gateway 10.10.0.254, default route',
    '    table 69140905: default via 10.10.0.254, 10.10.0.0/24; rules (priority 3200) from 10.10.0.0/24, to 10.10.0.0/24',
    'bridge ovsbr-eth3: uplink eth3, datapath system, STP on',
    '  network red: untagged on eth3, bridgeless, MTU 1500, DOWN, 2001:db8::1/64',
  ]);
});

t.test('a network whose device is missing or that the running config lacks, and nothing at all', async (t) => {
  const noDevices = parseKernelState('[]\n[]');
  t.match(renderOwned(ovs, noDevices, capsAdditions(owned, { kernel: noDevices, ovs })), [
    'bridge ovsbr-bond0: uplink bond0, datapath system, STP off', /./, '  network blue: VLAN 10, no kernel device']);
  t.match(renderOwned(ovs, kernel, capsAdditions({ networks: [], bonds: [] }, { kernel, ovs })), [
    /./, '  bond bond0: slaves eth1, eth2, mode balance-tcp, LACP active', '  network blue: VLAN 10, not in the running config']);
  const empty: OvsState = { bridges: new Map(), ports: new Map(), interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {} };
  t.strictSame(renderOwned(empty, kernel, caps), ['no OVS bridges, bonds or networks of this hook']);
});

t.test('bridge options the hook set and a network\'s host QoS are shown, OVS defaults are not', async (t) => {
  const tuned = { ...bridge('ovsbr-eth3', 'bridge'), mcastSnooping: true, hookOpts: ['stp-priority'],
    otherConfig: new Map([['stp-priority', '4096'], ['mac-table-size', '9000']]) };
  const shaped = structuredClone(caps);
  shaped.networks['red']!.hostQos = { out: { ls: { m2: 20 }, ul: { m2: 50000000 } } };
  const lines = renderOwned({ ...ovs, bridges: new Map([...ovs.bridges, ['ovsbr-eth3', tuned]]) }, kernel, shaped);
  t.equal(lines.find((l) => l.startsWith('bridge ovsbr-eth3')),
    'bridge ovsbr-eth3: uplink eth3, datapath system, STP on, multicast snooping, stp-priority=4096');
  t.ok(lines.includes('    host QoS out: ls 20 (share), ul 50000000 bit/s (cap)'), lines.join('\n'));
  t.notOk(lines.some((l) => l.includes('mac-table-size')), 'a key the hook did not set');
});

t.test('a bond shows what its options set beyond mode and LACP, in OVS terms', async (t) => {
  const tuned = (extra: object) => {
    const ports = new Map(ovs.ports);
    ports.set('bond0', { ...ovs.ports.get('bond0')!, ...extra });
    return renderOwned({ ...ovs, ports }, kernel, caps)[1];
  };
  t.equal(tuned({
    bondMode: 'active-backup', lacp: 'off', bondUpdelay: 200, bondDowndelay: 100,
    otherConfig: new Map(Object.entries({ 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '100', 'bond-primary': 'eth1', 'bond-rebalance-interval': '0' })),
  }), '  bond bond0: slaves eth1, eth2 (active eth2), mode active-backup, LACP off, miimon 100 ms, updelay 200 ms, downdelay 100 ms, primary eth1');
  t.equal(tuned({ otherConfig: new Map([['lacp-time', 'fast'], ['bond-detect-mode', 'carrier']]) }),
    '  bond bond0: slaves eth1, eth2 (active eth2), mode balance-tcp, LACP active, LACP time fast');
});

t.test('mirrors: the hook\'s own with their VM NIC, a gone output said so, others counted', async (t) => {
  const owner = { vm: 'vm-1', mac: '00:1a:4a:16:01:60', network: 'blue' };
  t.same(renderMirrors({ ports: new Map(), mirrors: [
    { uuid: 'a', name: 'vdsm-mirror-vnet7', bridge: 'ovsbr-eth1', output: 'vnet7', vlans: [10], owner },
    { uuid: 'b', name: 'vdsm-mirror-vnet3', bridge: 'ovsbr-eth1', vlans: [10], owner: { ...owner, vm: 'vm-2' } },
    { uuid: 'c', name: 'span', bridge: 'br-int', output: 'tap0', vlans: [] },
  ] }), [
    'mirror vdsm-mirror-vnet3: network blue (VLAN 10 on ovsbr-eth1) to a port that is gone (the next mirror hook run removes it), VM vm-2 NIC 00:1a:4a:16:01:60',
    'mirror vdsm-mirror-vnet7: network blue (VLAN 10 on ovsbr-eth1) to vnet7, VM vm-1 NIC 00:1a:4a:16:01:60',
    'mirrors of other tools: 1 (left alone)',
  ]);
  t.same(renderMirrors({ ports: new Map(), mirrors: [] }), [], 'no mirrors: no lines');
});
