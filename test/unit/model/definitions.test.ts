import t from 'tap';
import {
  bondIsOvs, customOf, isRemoval, networkIsOvs, parseBond, parseNetwork, parseOvsFlag, type Attrs,
} from '../../../src/model/definitions.js';
import { assertInvalid } from '../fixtures/invalid.js';
import { fixtureJson } from '../../lib/fixtures.js';

const OVS = { ovs: 'true' };
const RED = "network 'red'";
const BOND = "bond 'bond0'";

function example(file: string): { networks: Record<string, Attrs>; bondings: Record<string, Attrs> } {
  return fixtureJson(file).request;
}

t.test('custom.ovs: which values make a network OVS', async (t) => {
  for (const v of ['true', 'TRUE', 'True', 'yes', 'on', '1', true, 1]) {
    t.strictSame(parseOvsFlag(RED, v), { ovs: true }, `${JSON.stringify(v)}: OVS on the default bridge`);
    t.equal(networkIsOvs('red', { nic: 'eth1', custom: { ovs: v } }), true, `custom.ovs ${JSON.stringify(v)}`);
  }
  for (const v of ['false', '0', '', undefined, false, 0]) {
    t.strictSame(parseOvsFlag(RED, v), { ovs: false }, `${JSON.stringify(v)}: not OVS`);
    t.equal(networkIsOvs('red', { nic: 'eth1', custom: { ovs: v } }), false, `custom.ovs ${JSON.stringify(v)}`);
  }
  t.equal(networkIsOvs('red', { nic: 'eth1' }), false, 'no custom at all: not OVS');
  t.equal(networkIsOvs('red', { nic: 'eth1', custom: { bridge_opts: 'forward_delay=1500' } }), false);
});

t.test('custom.ovs: an integer names bridge ovsbrN', async (t) => {
  t.strictSame(parseOvsFlag(RED, '2'), { ovs: true, bridge: 'ovsbr2' });
  t.strictSame(parseOvsFlag(RED, 2), { ovs: true, bridge: 'ovsbr2' });
  t.strictSame(parseOvsFlag(RED, '17'), { ovs: true, bridge: 'ovsbr17' });
  t.equal(networkIsOvs('red', { nic: 'eth1', custom: { ovs: '2' } }), true);
  t.equal(parseNetwork('red', { nic: 'eth1', custom: { ovs: '2' } }).bridge, 'ovsbr2');
  t.equal(parseNetwork('red', { nic: 'eth1', custom: { ovs: 'true' } }).bridge, undefined, 'default bridge: none named');
});

t.test('custom.ovs: anything else is an error, not a silent "no"', async (t) => {
  for (const v of ['maybe', 'ovs', '-1', '2.5']) {
    assertInvalid(t, () => parseOvsFlag(RED, v), RED, 'custom.ovs');
    assertInvalid(t, () => networkIsOvs('red', { custom: { ovs: v } }), RED, 'custom.ovs');
  }
  assertInvalid(t, () => customOf(RED, { custom: 'ovs=true' }), RED, 'custom');
});

t.test('custom.ovs_bridge names the bridge; it must agree with custom.ovs', async (t) => {
  t.equal(parseNetwork('red', { nic: 'eth1', custom: { ovs: 'true', ovs_bridge: 'br-vm' } }).bridge, 'br-vm');
  t.equal(parseNetwork('red', { nic: 'eth1', custom: { ovs: '2', ovs_bridge: 'ovsbr2' } }).bridge, 'ovsbr2');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: { ovs: '2', ovs_bridge: 'br-vm' } }), RED, 'ovs_bridge');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: { ovs: 'true', ovs_bridge: 'br/vm' } }), RED, 'ovs_bridge');
});

t.test('raw Engine values and VDSM canonical values give the same networks', async (t) => {
  const raw = example('setup-add-vlan-over-bond.json');
  const canonical = example('setup-add-vlan-over-bond.canonical.json');
  const expected = {
    ovsmgmt: {
      uplink: { kind: 'bond', name: 'bond0' }, vlan: 0, mtu: 1500, bridged: true, stp: false, defaultRoute: false,
      ipv4: { address: '198.51.100.10', prefix: 24, gateway: '198.51.100.1' },
    },
    vmnet100: { uplink: { kind: 'bond', name: 'bond0' }, vlan: 100, mtu: 1500, bridged: true, stp: false, defaultRoute: false },
    vmnet200: { uplink: { kind: 'bond', name: 'bond0' }, vlan: 200, mtu: 1500, bridged: true, stp: false, defaultRoute: false },
  };
  for (const [name, want] of Object.entries(expected)) {
    for (const [shape, req] of [['raw', raw], ['canonical', canonical]] as const) {
      const net = parseNetwork(name, req.networks[name]!);
      const { uplink, vlan, mtu, bridged, stp, defaultRoute, ipv4 } = net;
      t.strictSame({ uplink, vlan, mtu, bridged, stp, defaultRoute, ...(ipv4 ? { ipv4 } : {}) }, want, `${name} (${shape})`);
      t.equal(net.name, name);
      t.equal(net.attrs, req.networks[name], `${name} (${shape}): attrs kept as sent`);
    }
  }
});

t.test('raw and canonical bonds are the same bond', async (t) => {
  for (const file of ['setup-add-vlan-over-bond.json', 'setup-add-vlan-over-bond.canonical.json']) {
    const bond = parseBond('bond0', example(file).bondings['bond0']!);
    t.strictSame({ name: bond.name, nics: bond.nics, mode: bond.mode, lacp: bond.lacp },
      { name: 'bond0', nics: ['eth1', 'eth2'], mode: 'balance-tcp', lacp: 'active' }, file);
  }
});

t.test('network defaults: untagged, bridged, no STP, MTU 1500, no IP, no default route', async (t) => {
  const net = parseNetwork('red', { nic: 'eth1', custom: OVS });
  t.strictSame(net.uplink, { kind: 'nic', name: 'eth1' });
  t.equal(net.vlan, 0);
  t.equal(net.bridged, true);
  t.equal(net.stp, false);
  t.equal(net.mtu, 1500);
  t.equal(net.ipv4, undefined);
  t.equal(net.defaultRoute, false);
});

t.test('upper-case STP from the Engine and lower-case stp from VDSM', async (t) => {
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, STP: 'no' }).stp, false);
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, STP: 'yes' }).stp, true);
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, stp: true }).stp, true);
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, stp: false }).stp, false);
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, STP: 'sometimes' }), RED, 'stp');
});

t.test('strings and numbers for vlan, mtu, bridged, defaultRoute, prefix', async (t) => {
  const raw = parseNetwork('red', {
    nic: 'eth1', custom: OVS, vlan: '4094', mtu: '9000', bridged: 'false', defaultRoute: 'true',
    ipaddr: '10.0.0.2', prefix: '8', gateway: '10.0.0.1',
  });
  const canonical = parseNetwork('red', {
    nic: 'eth1', custom: OVS, vlan: 4094, mtu: 9000, bridged: false, defaultRoute: true,
    ipaddr: '10.0.0.2', prefix: 8, gateway: '10.0.0.1',
  });
  for (const net of [raw, canonical]) {
    t.equal(net.vlan, 4094);
    t.equal(net.mtu, 9000);
    t.equal(net.bridged, false);
    t.equal(net.defaultRoute, true);
    t.strictSame(net.ipv4, { address: '10.0.0.2', prefix: 8, gateway: '10.0.0.1' });
  }
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, vlan: 0 }).vlan, 0, 'VLAN 0 is untagged');
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, vlan: '' }).vlan, 0, 'empty VLAN is untagged');
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, mtu: 68 }).mtu, 68, 'smallest IPv4 MTU');
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, mtu: 65535 }).mtu, 65535, 'largest MTU');
});

t.test('netmask is turned into a prefix', async (t) => {
  const net = parseNetwork('red', { nic: 'eth1', custom: OVS, ipaddr: '192.0.2.5', netmask: '255.255.255.192' });
  t.strictSame(net.ipv4, { address: '192.0.2.5', prefix: 26 });
});

t.test('network names: Linux interface name rules', async (t) => {
  for (const name of ['x'.repeat(16), 'red/blue', 'red net', 'red\t', '-red', '']) {
    assertInvalid(t, () => parseNetwork(name, { nic: 'eth1', custom: OVS }), `network '${name}'`, 'name');
  }
  t.equal(parseNetwork('x'.repeat(15), { nic: 'eth1', custom: OVS }).name, 'x'.repeat(15), '15 characters are fine');
});

t.test('VLAN outside 0-4094 or not a number', async (t) => {
  for (const vlan of [4095, '4095', -1, '-1', 'abc', 1.5]) {
    assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, vlan }), RED, 'vlan');
  }
});

t.test('MTU outside 68-65535', async (t) => {
  for (const mtu of [67, '67', 65536, '65536', 0, 'jumbo']) {
    assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, mtu }), RED, 'mtu');
  }
});

t.test('uplink: at most one of nic and bonding, each a valid name; none only for a bridged untagged network', async (t) => {
  t.same(parseNetwork('red', { custom: OVS }).uplink, { kind: 'own', name: 'red' }, 'NIC-less: a bridge of its own');
  t.notOk(parseNetwork('red', { custom: OVS }).attachment, 'attached to nothing');
  assertInvalid(t, () => parseNetwork('red', { custom: OVS, vlan: 5 }), RED, 'nic');
  assertInvalid(t, () => parseNetwork('red', { custom: OVS, bridged: 'false' }), RED, 'bonding');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', bonding: 'bond0', custom: OVS }), RED, 'bonding');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth 1', custom: OVS }), RED, 'nic');
  assertInvalid(t, () => parseNetwork('red', { bonding: '-bond0', custom: OVS }), RED, 'bonding');
  assertInvalid(t, () => parseNetwork('red', { nic: ['eth1'], custom: OVS }), RED, 'nic');
});

t.test('IPv4: ipaddr needs exactly one of netmask and prefix; a gateway needs ipaddr', async (t) => {
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2' }), RED, 'netmask');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2' }), RED, 'prefix');
  assertInvalid(t, () => parseNetwork('red', {
    nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2', netmask: '255.0.0.0', prefix: 8,
  }), RED, 'prefix');
  assertInvalid(t, () => parseNetwork('red', {
    nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2', netmask: '255.0.255.0',
  }), RED, 'netmask');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2', prefix: 33 }), RED, 'prefix');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, ipaddr: '10.0.0.300', prefix: 8 }), RED, 'ipaddr');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, gateway: '10.0.0.1' }), RED, 'gateway');
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, netmask: '255.0.0.0' }), RED, 'netmask');
  assertInvalid(t, () => parseNetwork('red', {
    nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2', prefix: 8, gateway: '10.0.0.256',
  }), RED, 'gateway');
});

t.test('defaultRoute with a static address needs a gateway', async (t) => {
  assertInvalid(t, () => parseNetwork('red', {
    nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2', prefix: 8, defaultRoute: true,
  }), RED, 'defaultRoute');
});

t.test('hostQos: the curves the Engine sends; an unknown bootproto is refused', async (t) => {
  t.strictSame(parseNetwork('red', {
    nic: 'eth1', custom: OVS, hostQos: { out: { ul: { m2: 8000000 }, ls: { m2: '20' }, rt: { m1: 0, d: 0, m2: 1000000 } } },
  }).hostQos, { ul: 8000000, ls: 20, rt: 1000000 });
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, bootproto: 'bootp' }), RED, 'bootproto');
});

t.test('addresses: DHCP, static IPv6, autoconf and nameservers as VDSM takes them', async (t) => {
  const off = parseNetwork('red', {
    nic: 'eth1', custom: OVS, bootproto: 'none', dhcpv6: false, ipv6autoconf: false, switch: 'ovs', nameservers: [],
  });
  t.same(
    [off.dhcpv4, off.blockingDhcp, off.ipv6, off.ipv6autoconf, off.dhcpv6, off.nameservers],
    [false, false, undefined, false, false, []],
    "VDSM's canonical 'off' values",
  );
  const dhcp = parseNetwork('red', { nic: 'eth1', custom: OVS, bootproto: 'dhcp', blockingdhcp: 'true' });
  t.same([dhcp.dhcpv4, dhcp.blockingDhcp, dhcp.ipv4], [true, true, undefined]);
  t.equal(parseNetwork('red', { nic: 'eth1', custom: OVS, blockingdhcp: true }).blockingDhcp, false,
    'blockingdhcp means nothing without DHCP');
  const v6 = parseNetwork('red', {
    nic: 'eth1', custom: OVS, ipv6addr: '2001:DB8:0:0::0A/64', ipv6gateway: '2001:db8:0::1',
  });
  t.same(v6.ipv6, { address: '2001:db8::a', prefix: 64, gateway: '2001:db8::1' }, 'in the spelling ip prints');
  const auto = parseNetwork('red', { nic: 'eth1', custom: OVS, ipv6autoconf: 'yes', dhcpv6: 'true' });
  t.same([auto.ipv6autoconf, auto.dhcpv6], [true, true]);
  const dns = parseNetwork('red', {
    nic: 'eth1', custom: OVS, ipaddr: '10.0.0.2', prefix: 8, gateway: '10.0.0.1', defaultRoute: true,
    nameservers: ['10.0.0.53', '2001:DB8::53'],
  });
  t.same(dns.nameservers, ['10.0.0.53', '2001:db8::53']);
});

t.test('address attributes that contradict each other are refused, naming the attribute', async (t) => {
  const net = (attrs: Record<string, unknown>) => () => parseNetwork('red', { nic: 'eth1', custom: OVS, ...attrs });
  assertInvalid(t, net({ bootproto: 'dhcp', ipaddr: '10.0.0.2', prefix: 8 }), RED, 'ipaddr');
  assertInvalid(t, net({ ipv6addr: '2001:db8::1/64', dhcpv6: true }), RED, 'ipv6addr');
  assertInvalid(t, net({ ipv6addr: '2001:db8::1/64', ipv6autoconf: true }), RED, 'ipv6addr');
  assertInvalid(t, net({ ipv6addr: '2001:db8::1' }), RED, 'ipv6addr');
  assertInvalid(t, net({ ipv6addr: '2001:db8::1/129' }), RED, 'ipv6addr');
  assertInvalid(t, net({ ipv6addr: '2001:db8::g/64' }), RED, 'ipv6addr');
  assertInvalid(t, net({ ipv6addr: 'fe80::1%eth1/64' }), RED, 'ipv6addr');
  assertInvalid(t, net({ ipv6gateway: '2001:db8::1' }), RED, 'ipv6gateway');
  assertInvalid(t, net({ ipv6addr: '2001:db8::2/64', ipv6gateway: '10.0.0.1' }), RED, 'ipv6gateway');
  assertInvalid(t, net({ dhcpv6: 'maybe' }), RED, 'dhcpv6');
  assertInvalid(t, net({ nameservers: ['10.0.0.53'] }), RED, 'nameservers');
  assertInvalid(t, net({ bootproto: 'dhcp', defaultRoute: true, nameservers: '10.0.0.53' }), RED, 'nameservers');
  assertInvalid(t, net({ bootproto: 'dhcp', defaultRoute: true, nameservers: ['10.0.0.300'] }), RED, 'nameservers[0]');
});

t.test('unknown attributes are refused, naming the attribute', async (t) => {
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1', custom: OVS, colour: 'red' }), RED, 'colour');
  assertInvalid(t, () => parseBond('bond0', { nics: ['eth1', 'eth2'], colour: 'red' }), BOND, 'colour');
});

t.test('a network without custom.ovs is not parsed as an OVS network', async (t) => {
  assertInvalid(t, () => parseNetwork('red', { nic: 'eth1' }), RED, 'custom.ovs');
});

t.test('bond: hwaddr is taken, in lower case; a bad one is refused naming it', async (t) => {
  const nics = ['eth1', 'eth2'];
  t.equal(parseBond('bond0', { nics, options: 'custom=ovs:True', hwaddr: '02:AB:cd:00:11:22' }).hwaddr, '02:ab:cd:00:11:22');
  t.equal(parseBond('bond0', { nics, options: 'custom=ovs:True' }).hwaddr, undefined, 'absent: none');
  t.equal(parseBond('bond0', { nics, options: 'custom=ovs:True', hwaddr: '' }).hwaddr, undefined, 'empty (the Engine\'s unset): none');
  for (const bad of ['02:ab:cd:00:11', '02-ab-cd-00-11-22', '02:ab:cd:00:11:2g', '01:00:5e:00:00:01', '00:00:00:00:00:00', 'x']) {
    assertInvalid(t, () => parseBond('bond0', { nics, options: 'custom=ovs:True', hwaddr: bad }), BOND, 'hwaddr');
  }
  assertInvalid(t, () => parseBond('bond0', { nics, options: 'custom=ovs:True', hwaddr: 7 }), BOND, 'hwaddr');
});

t.test('bond: defaults active-backup without LACP', async (t) => {
  const bond = parseBond('bond0', { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' });
  t.equal(bond.mode, 'active-backup');
  t.equal(bond.lacp, 'off');
  t.strictSame(bond.nics, ['eth1', 'eth2']);
});

t.test('bond: both option spellings, with kernel options next to custom', async (t) => {
  for (const options of [
    'custom=ovs=True,ovs_mode=balance-tcp,ovs_lacp=active',
    'custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active',
    'mode=4 miimon=100 custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active',
  ]) {
    const bond = parseBond('bond0', { nics: ['eth1', 'eth2'], options });
    t.equal(bond.mode, 'balance-tcp', options);
    t.equal(bond.lacp, 'active', options);
  }
  t.equal(parseBond('bond0', { nics: ['eth1', 'eth2'], options: 'custom=ovs:True,ovs_mode:balance-slb,ovs_lacp:passive' }).lacp, 'passive');
});

t.test('bond: modes and LACP outside the OVS sets, balance-tcp without LACP', async (t) => {
  const nics = ['eth1', 'eth2'];
  assertInvalid(t, () => parseBond('bond0', { nics, options: 'custom=ovs:True,ovs_mode:balance-rr' }), BOND, 'ovs_mode');
  assertInvalid(t, () => parseBond('bond0', { nics, options: 'custom=ovs:True,ovs_mode:802.3ad' }), BOND, 'ovs_mode');
  assertInvalid(t, () => parseBond('bond0', { nics, options: 'custom=ovs:True,ovs_lacp:fast' }), BOND, 'ovs_lacp');
  assertInvalid(t, () => parseBond('bond0', { nics, options: 'custom=ovs:True,ovs_mode:balance-tcp' }), BOND, 'ovs_mode');
  assertInvalid(t, () => parseBond('bond0', { nics, options: 'custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:off' }), BOND, 'balance-tcp');
});

t.test('bond: malformed option strings', async (t) => {
  assertInvalid(t, () => parseBond('bond0', { nics: ['eth1', 'eth2'], options: 'custom=ovs' }), BOND, 'options');
  assertInvalid(t, () => parseBond('bond0', { nics: ['eth1', 'eth2'], options: 'mode' }), BOND, 'options');
  assertInvalid(t, () => parseBond('bond0', { nics: ['eth1', 'eth2'], options: 4 }), BOND, 'options');
});

t.test('bond: at least two distinct NICs, given as a list of names', async (t) => {
  assertInvalid(t, () => parseBond('bond0', { nics: ['eth1'], options: 'custom=ovs:True' }), BOND, 'nics');
  assertInvalid(t, () => parseBond('bond0', { nics: [], options: 'custom=ovs:True' }), BOND, 'nics');
  assertInvalid(t, () => parseBond('bond0', { nics: ['eth1', 'eth1'], options: 'custom=ovs:True' }), BOND, 'nics');
  assertInvalid(t, () => parseBond('bond0', { nics: 'eth1 eth2', options: 'custom=ovs:True' }), BOND, 'nics');
  assertInvalid(t, () => parseBond('bond0', { options: 'custom=ovs:True' }), BOND, 'nics');
  assertInvalid(t, () => parseBond('bond0', { nics: ['eth1', 'eth/2'], options: 'custom=ovs:True' }), BOND, 'nics');
});

t.test('bond: names follow interface rules', async (t) => {
  assertInvalid(t, () => parseBond('bond 0', { nics: ['eth1', 'eth2'] }), "bond 'bond 0'", 'name');
  assertInvalid(t, () => parseBond('', { nics: ['eth1', 'eth2'] }), "bond ''", 'name');
});

t.test('bondIsOvs: custom ovs true-ish in either spelling', async (t) => {
  t.equal(bondIsOvs('bond0', { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' }), true);
  t.equal(bondIsOvs('bond0', { nics: ['eth1', 'eth2'], options: 'custom=ovs=True,ovs_mode=balance-slb' }), true);
  t.equal(bondIsOvs('bond0', { nics: ['eth1', 'eth2'], options: 'mode=4 custom=ovs:yes' }), true);
  t.equal(bondIsOvs('bond0', { nics: ['eth1', 'eth2'], options: 'custom=ovs:False' }), false);
  t.equal(bondIsOvs('bond0', { nics: ['eth1', 'eth2'], options: 'mode=4 miimon=100' }), false);
  t.equal(bondIsOvs('bond0', { nics: ['eth1', 'eth2'] }), false);
  assertInvalid(t, () => bondIsOvs('bond0', { options: 'custom=ovs:maybe' }), BOND, 'ovs');
});

t.test('isRemoval: "true" from the Engine, true from VDSM', async (t) => {
  t.equal(isRemoval(RED, { remove: 'true' }), true);
  t.equal(isRemoval(RED, { remove: true }), true);
  t.equal(isRemoval(RED, { remove: 'false' }), false);
  t.equal(isRemoval(RED, { nic: 'eth1' }), false);
  assertInvalid(t, () => isRemoval(RED, { remove: 'please' }), RED, 'remove');
});
