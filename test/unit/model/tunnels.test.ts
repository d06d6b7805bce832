import t from 'tap';
import { parseNetwork, type Attrs } from '../../../src/model/definitions.js';
import { checkTunnelMtu, inSubnet, tunnelPortName, tunnelPorts, underlayDevice, type Underlay } from '../../../src/model/tunnels.js';
import { assertInvalid } from '../fixtures/invalid.js';

const BLUE = "network 'blue'";
const net = (custom: Record<string, string>, attrs: Attrs = {}) =>
  parseNetwork('blue', { nic: 'eth1', mtu: 1450, custom: { ovs: 'true', ...custom }, ...attrs });
const vxlan = (remotes: string, extra: Record<string, string> = {}) =>
  net({ ovs_tunnel: 'vxlan:5001', ovs_tunnel_remotes: remotes, ...extra });

/** Host 198.51.100.1/24 on ul (MTU 1500), default route via mgmt (MTU 9000). */
const HOST: Underlay = {
  addresses: new Map([['ul', ['198.51.100.1/24']], ['mgmt', ['10.0.0.5/16']]]),
  mtus: new Map([['ul', 1500], ['mgmt', 9000]]),
  defaultDev: 'mgmt',
};

t.test('ovs_tunnel: type and key, remotes, local', async (t) => {
  const def = vxlan('198.51.100.1, 198.51.100.2', { ovs_tunnel_local: '198.51.100.1' });
  t.strictSame(def.tunnel, { type: 'vxlan', key: 5001, remotes: ['198.51.100.1', '198.51.100.2'], local: '198.51.100.1' });
  t.same(def.uplink, { kind: 'own', name: 'blue' }, 'an overlay has a bridge of its own');
  t.same(def.attachment, { kind: 'nic', name: 'eth1' }, 'and stays attached where the Engine put it');
  t.equal(net({ ovs_tunnel: 'gre:4294967295', ovs_tunnel_remotes: '192.0.2.1' }).tunnel?.key, 4294967295, 'GRE keys are 32 bits');
  t.equal(net({ ovs_tunnel: 'geneve:0', ovs_tunnel_remotes: '192.0.2.1' }).tunnel?.type, 'geneve');
  t.notOk(net({}).tunnel, 'no ovs_tunnel: not an overlay');
});

t.test('ovs_tunnel: bad values refused, naming the property', async (t) => {
  assertInvalid(t, () => net({ ovs_tunnel: 'stt:1', ovs_tunnel_remotes: '192.0.2.1' }), BLUE, 'custom.ovs_tunnel');
  assertInvalid(t, () => net({ ovs_tunnel: 'vxlan', ovs_tunnel_remotes: '192.0.2.1' }), BLUE, 'custom.ovs_tunnel');
  assertInvalid(t, () => net({ ovs_tunnel: 'vxlan:16777216', ovs_tunnel_remotes: '192.0.2.1' }), BLUE, 'custom.ovs_tunnel');
  assertInvalid(t, () => net({ ovs_tunnel: 'vxlan:1' }), BLUE, 'custom.ovs_tunnel_remotes');
  assertInvalid(t, () => vxlan('192.0.2.1,192.0.2.1'), BLUE, 'custom.ovs_tunnel_remotes');
  assertInvalid(t, () => vxlan('192.0.2.1;192.0.2.2'), BLUE, 'custom.ovs_tunnel_remotes');
  assertInvalid(t, () => vxlan('192.0.2.1', { ovs_tunnel_local: 'eth1' }), BLUE, 'custom.ovs_tunnel_local');
  assertInvalid(t, () => net({ ovs_tunnel_remotes: '192.0.2.1' }), BLUE, 'custom.ovs_tunnel_remotes');
  assertInvalid(t, () => vxlan('192.0.2.1', { ovs_tunnel_psk: 'swordfish' }), BLUE, 'custom.ovs_tunnel_psk');
  assertInvalid(t, () => vxlan('192.0.2.1', { ovs_tunnel_mode: 'x' }), BLUE, 'custom.ovs_tunnel_mode');
});

t.test('tunnel ports: one per remote that is not this host, with stable short names', async (t) => {
  const ports = tunnelPorts([vxlan('198.51.100.1,198.51.100.2,198.51.100.3')], () => 'ovsbr-blue', HOST);
  t.same([...ports.values()].map((p) => [p.remote, p.bridge, p.key, p.type]),
    [['198.51.100.2', 'ovsbr-blue', 5001, 'vxlan'], ['198.51.100.3', 'ovsbr-blue', 5001, 'vxlan']]);
  for (const p of ports.values()) t.ok(p.port.length <= 15 && p.port.startsWith('vtun-'), `${p.port}: a valid device name`);
  t.equal(tunnelPortName('blue', '198.51.100.2'), tunnelPortName('blue', '198.51.100.2'), 'the same name each time');
  t.not(tunnelPortName('blue', '198.51.100.2'), tunnelPortName('red', '198.51.100.2'), 'another network, another port');
});

t.test('underlay device: the local address\'s, else the remotes\' subnet\'s, else the default route\'s', async (t) => {
  t.equal(underlayDevice(vxlan('198.51.100.2'), HOST), 'ul');
  t.equal(underlayDevice(vxlan('203.0.113.9'), HOST), 'mgmt', 'routed remote: the default route');
  t.equal(underlayDevice(vxlan('203.0.113.9', { ovs_tunnel_local: '198.51.100.1' }), HOST), 'ul');
  t.ok(inSubnet('10.0.255.1', '10.0.0.5/16'));
  t.notOk(inSubnet('10.1.0.1', '10.0.0.5/16'));
  t.ok(inSubnet('1.2.3.4', '0.0.0.0/0'));
});

t.test('MTU: the network MTU plus 50 (VXLAN, Geneve) must fit the underlay device', async (t) => {
  t.doesNotThrow(() => checkTunnelMtu(vxlan('198.51.100.2'), HOST), '1450 + 50 fits 1500');
  t.throws(() => checkTunnelMtu(net({ ovs_tunnel: 'geneve:1', ovs_tunnel_remotes: '198.51.100.2' }, { mtu: 1451 }), HOST), {
    message: "mtu: 1451 does not fit the underlay: geneve takes 50 bytes of the MTU 1500 of ul; " +
      "set the network's MTU to at most 1450, or the MTU of ul to at least 1501",
  });
  t.doesNotThrow(() => checkTunnelMtu(vxlan('203.0.113.9', {}), HOST), 'a routed remote over the 9000 default route');
});
