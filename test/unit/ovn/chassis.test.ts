import t from 'tap';
import { chassisKeys, planOvnConfig, planOvnUnconfigure, remoteOf, resolveTunnel, type ChassisObserved } from '../../../src/ovn/chassis.js';
import type { KernelLink, KernelState } from '../../../src/host/kernel.js';
import type { OvnConfigRequest } from '../../../src/ovn/options.js';

const REQ: OvnConfigRequest = { central: '192.0.2.1', tunnel: { network: 'ovsmgmt' }, encap: 'geneve', start: false };
const SSL = { key: '/etc/pki/vdsm/keys/vdsmkey.pem', cert: '/etc/pki/vdsm/certs/vdsmcert.pem', ca: '/etc/pki/vdsm/certs/cacert.pem' };
const seen = (systemIds: Record<string, string>, bridges: string[] = [], ssl?: typeof SSL): ChassisObserved =>
  ({ systemIds, bridges: new Set(bridges), ...(ssl ? { ssl } : {}) });
const args = (commands: { args: string[] }[]) => commands.map((c) => c.args);

t.test('remote: tcp without SSL, ssl with; port 6642; IPv6 in brackets', async (t) => {
  t.equal(remoteOf('192.0.2.1', false), 'tcp:192.0.2.1:6642');
  t.equal(remoteOf('engine.example.com', true), 'ssl:engine.example.com:6642');
  t.equal(remoteOf('2001:db8::1', false), 'tcp:[2001:db8::1]:6642');
});

t.test("the keys: oVirt's, br-int on the hook's datapath, system-id only with --fqdn", async (t) => {
  t.strictSame(chassisKeys(REQ, '198.18.0.11', 'netdev'), {
    'ovn-remote': 'tcp:192.0.2.1:6642', 'ovn-encap-type': 'geneve', 'ovn-encap-ip': '198.18.0.11',
    'ovn-remote-probe-interval': '60000', 'ovn-openflow-probe-interval': '60',
    'ovn-bridge': 'br-int', 'ovn-bridge-datapath-type': 'netdev',
  });
  t.equal(chassisKeys({ ...REQ, fqdn: 'h1.example.com', ssl: SSL }, '198.18.0.11', 'system')['system-id'], 'h1.example.com');
  t.equal(chassisKeys({ ...REQ, ssl: SSL }, '198.18.0.11', 'system')['ovn-remote'], 'ssl:192.0.2.1:6642');
});

const KEYS = { 'ovn-remote': 'tcp:192.0.2.1:6642', 'ovn-encap-type': 'geneve', 'ovn-encap-ip': '198.18.0.11' };

t.test('a first ovn-config: one set of the changed keys and the record of them, br-int created', async (t) => {
  t.strictSame(args(planOvnConfig(KEYS, undefined, seen({ 'system-id': 'abc', hostname: 'h1' }), 'netdev')), [
    ['set', 'Open_vSwitch', '.', 'external_ids:ovn-remote="tcp:192.0.2.1:6642"', 'external_ids:ovn-encap-type="geneve"',
      'external_ids:ovn-encap-ip="198.18.0.11"', 'external_ids:vdsm-hook-ovs-ovn="ovn-encap-ip,ovn-encap-type,ovn-remote"'],
    ['--may-exist', 'add-br', 'br-int'],
    ['set', 'Bridge', 'br-int', 'fail_mode=secure', 'other_config:disable-in-band=true', 'datapath_type=netdev'],
  ]);
});

t.test('the same again: nothing; a changed address: only that key; an existing br-int is left to ovn-controller', async (t) => {
  const ids = { ...KEYS, 'vdsm-hook-ovs-ovn': 'ovn-encap-ip,ovn-encap-type,ovn-remote' };
  t.strictSame(planOvnConfig(KEYS, undefined, seen(ids, ['br-int']), 'netdev'), []);
  t.strictSame(args(planOvnConfig({ ...KEYS, 'ovn-encap-ip': '198.18.0.12' }, undefined, seen(ids, ['br-int']), 'netdev')), [
    ['set', 'Open_vSwitch', '.', 'external_ids:ovn-encap-ip="198.18.0.12"', 'external_ids:vdsm-hook-ovs-ovn="ovn-encap-ip,ovn-encap-type,ovn-remote"'],
  ]);
});

t.test('SSL: set when absent, kept when the same, refused when someone else set other files, dropped when no longer asked', async (t) => {
  const first = args(planOvnConfig(KEYS, SSL, seen({}, ['br-int']), 'system'));
  t.strictSame(first[1], ['set-ssl', SSL.key, SSL.cert, SSL.ca]);
  t.match(first[0]!.at(-1), /vdsm-hook-ovs-ovn=".*ssl"/, 'on record as ours');
  const ours = { ...KEYS, 'vdsm-hook-ovs-ovn': 'ovn-encap-ip,ovn-encap-type,ovn-remote,ssl' };
  t.strictSame(planOvnConfig(KEYS, SSL, seen(ours, ['br-int'], SSL), 'system'), []);
  t.throws(() => planOvnConfig(KEYS, SSL, seen({}, ['br-int'], { ...SSL, key: '/other.pem' }), 'system'),
    { name: 'InvalidRequest', message: 'Open vSwitch already holds another SSL configuration (key /other.pem): not replacing it' });
  t.strictSame(args(planOvnConfig(KEYS, undefined, seen(ours, ['br-int'], SSL), 'system')), [
    ['set', 'Open_vSwitch', '.', 'external_ids:vdsm-hook-ovs-ovn="ovn-encap-ip,ovn-encap-type,ovn-remote"'],
    ['del-ssl'],
  ]);
});

t.test('ovn-unconfigure: exactly the recorded keys and the record; the SSL row when it was ours; nothing without a record', async (t) => {
  const ids = { ...KEYS, 'system-id': 'h1.example.com', 'ovn-bridge-mappings': 'physnet1:br-ex', hostname: 'h1',
    'vdsm-hook-ovs-ovn': 'ovn-encap-ip,ovn-encap-type,ovn-remote,ssl,system-id' };
  t.strictSame(args(planOvnUnconfigure(seen(ids, ['br-int'], SSL))), [
    ['remove', 'Open_vSwitch', '.', 'external_ids', 'ovn-encap-ip', 'ovn-encap-type', 'ovn-remote', 'system-id', 'vdsm-hook-ovs-ovn'],
    ['del-ssl'],
  ]);
  t.strictSame(planOvnUnconfigure(seen({ ...KEYS, 'system-id': 'x' })), [], 'set by someone else: not ours to remove');
});

const link = (name: string, ipv4: string[], ipv6: string[] = []): KernelLink => ({ name, mtu: 1500, up: true, mac: '', ipv4, ipv6, dynamic: [] });
const KERNEL: KernelState = {
  links: new Map([
    ['ovsmgmt', link('ovsmgmt', ['198.18.0.11/15'])],
    ['ovirtmgmt', link('ovirtmgmt', ['192.0.2.11/24'])],
    ['eth3.20', link('eth3.20', [], ['2001:db8::11/64'])],
    ['blue', link('blue', [])],
  ]),
  gateways: new Map(), gateways6: new Map(), ipv6conf: new Map(), hookRules: [], hookRoutes: [],
};
const NETWORKS = new Map<string, Record<string, unknown>>([
  ['ovsmgmt', { nic: 'eth1', custom: { ovs: 'true' } }],
  ['ovirtmgmt', { nic: 'eth0', bridged: true }],
  ['storage', { nic: 'eth3', vlan: 20, bridged: false }],
  ['blue', { nic: 'eth2', vlan: 10, custom: { ovs: 'true' } }],
  ['gone', { nic: 'eth4', bridged: true }],
]);

t.test("tunnel: a network's address from its device, an address must be this host's", async (t) => {
  t.equal(resolveTunnel({ network: 'ovsmgmt' }, NETWORKS, KERNEL), '198.18.0.11', 'an OVS network: its own device');
  t.equal(resolveTunnel({ network: 'ovirtmgmt' }, NETWORKS, KERNEL), '192.0.2.11', "VDSM's bridged network: its bridge");
  t.equal(resolveTunnel({ network: 'storage' }, NETWORKS, KERNEL), '2001:db8::11', 'bridgeless VLAN: NIC.VLAN');
  t.equal(resolveTunnel({ address: '192.0.2.11' }, NETWORKS, KERNEL), '192.0.2.11');
  t.throws(() => resolveTunnel({ address: '192.0.2.99' }, NETWORKS, KERNEL), { message: 'is not an address of this host' });
  t.throws(() => resolveTunnel({ network: 'nosuch' }, NETWORKS, KERNEL), { message: /no such network in VDSM's running config/ });
  t.throws(() => resolveTunnel({ network: 'blue' }, NETWORKS, KERNEL), { message: 'tunnel: its device blue has no address on this host' });
  t.throws(() => resolveTunnel({ network: 'gone' }, NETWORKS, KERNEL), { message: 'tunnel: its device gone does not exist on this host' });
});
