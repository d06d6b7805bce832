import t from 'tap';
import { renderChassis } from '../../../src/ovn/show.js';
import { unitToEnable } from '../../../src/ovn/controller.js';
import type { OvsState } from '../../../src/ovs/state.js';

const port = (name: string, bridge: string) =>
  ({
    uuid: name, name, bridge, tag: null, fakeBridge: false, bondMode: null, lacp: null, bondUpdelay: 0, bondDowndelay: 0,
    interfaces: [name], otherConfig: new Map<string, string>(), qos: null,
  });
const state = (systemIds: Record<string, string>): OvsState => ({
  bridges: new Map([['br-int', {
    uuid: 'b', name: 'br-int', datapathType: 'netdev', stp: false, rstp: false, mcastSnooping: false, otherConfig: new Map<string, string>(),
    hookOpts: [], ports: ['br-int', 'vnet1', 'vnet0', 'ovn-h2-0'],
  }]]),
  ports: new Map([['br-int', port('br-int', 'br-int')], ['vnet0', port('vnet0', 'br-int')], ['vnet1', port('vnet1', 'br-int')],
    ['ovn-h2-0', port('ovn-h2-0', 'br-int')]]),
  interfaces: new Map([
    ['vnet0', { uuid: 'i0', name: 'vnet0', type: '', mtuRequest: null, mac: null, options: {}, ovnPort: 'lsp-a', ovnInstalled: true }],
    ['vnet1', { uuid: 'i1', name: 'vnet1', type: '', mtuRequest: null, mac: null, options: {}, ovnPort: 'lsp-b' }],
    ['ovn-h2-0', { uuid: 'i2', name: 'ovn-h2-0', type: 'geneve', mtuRequest: null, mac: null, options: {} }],
  ]),
  qos: new Map(),
  queues: new Map(),
  systemIds,
});

t.test('a chassis: remote and its connection, encap, physical networks, VM ports on br-int', async (t) => {
  t.strictSame(renderChassis(state({
    'system-id': 'h1.example.com', 'ovn-remote': 'tcp:192.0.2.1:6642', 'ovn-encap-type': 'geneve', 'ovn-encap-ip': '198.18.0.11',
    'ovn-bridge': 'br-int', 'ovn-bridge-mappings': 'physnet1:br-ex,red:ovsbr-eth1',
  }), 'connected'), [
    'OVN chassis h1.example.com: remote tcp:192.0.2.1:6642, connected',
    '  encap geneve 198.18.0.11, integration bridge br-int',
    '  physical networks: physnet1:br-ex red:ovsbr-eth1',
    '  VM ports: vnet0 -> lsp-a (ovn-installed), vnet1 -> lsp-b (not installed)',
  ]);
  t.equal(renderChassis(state({ 'ovn-remote': 'ssl:192.0.2.1:6642' }), undefined)[0],
    'OVN chassis (no system-id): remote ssl:192.0.2.1:6642, ovn-controller not answering');
});

t.test('not a chassis: one line, with the networks it would offer', async (t) => {
  t.strictSame(renderChassis(state({ 'ovn-bridge-mappings': 'red:ovsbr-eth1' }), undefined),
    ["OVN chassis: not configured ('vdsm-ovs ovn-config' joins this host); physical networks offered: red:ovsbr-eth1"]);
});

t.test("the unit to enable: the controller's own on EL, Debian's ovn-host when the controller's is static", async (t) => {
  t.equal(unitToEnable('disabled'), 'ovn-controller.service');
  t.equal(unitToEnable('enabled'), 'ovn-controller.service');
  t.equal(unitToEnable('static'), 'ovn-host.service');
});
