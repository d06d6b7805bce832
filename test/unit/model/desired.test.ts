import t from 'tap';
import { buildDesired, defaultBridgeName, type HostFacts } from '../../../src/model/desired.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { ifaceNameProblem } from '../../../src/model/names.js';
import { parseSetupPayload, splitRequest, type OvsRequest } from '../../../src/vdsm/request.js';
import type { RunningConfig } from '../../../src/vdsm/running-config.js';
import { assertInvalid } from '../fixtures/invalid.js';
import type { InvalidRequest } from '../../../src/runtime/errors.js';
import { fixtureJson } from '../../lib/fixtures.js';
import { hostWith } from '../fixtures/desired.js';

const OVS = { ovs: 'true' };
const OVS_BOND = 'custom=ovs:True';
const HOST = hostWith(['lo', 'eth0', 'eth1', 'eth2', 'eth3', 'eth4'], { foreignOvs: new Set(['br-int', 'patch-tun']) });

/**
 * buildDesired from literal running-config entries and request entries
 * (null = removal), on HOST unless other host facts are given.
 */
function build(
  req: { nets?: Record<string, Attrs | null>; bonds?: Record<string, Attrs | null> },
  run: { nets?: Record<string, Attrs>; bonds?: Record<string, Attrs> } = {},
  host: HostFacts = HOST,
) {
  const running: RunningConfig = { networks: new Map(Object.entries(run.nets ?? {})), bonds: new Map(Object.entries(run.bonds ?? {})) };
  const request: OvsRequest = { networks: new Map(Object.entries(req.nets ?? {})), bonds: new Map(Object.entries(req.bonds ?? {})) };
  return buildDesired(running, request, host);
}

function example(file: string): unknown {
  return fixtureJson(file);
}

t.test('default parent bridge: ovsbr-<uplink>, hashed when too long', async (t) => {
  t.equal(defaultBridgeName('eth1'), 'ovsbr-eth1');
  t.equal(defaultBridgeName('bond0'), 'ovsbr-bond0');
  const long = defaultBridgeName('eno12399np0');
  t.ok(long.startsWith('ovsbr-'), long);
  t.equal(ifaceNameProblem(long), undefined, `${long} is a valid interface name`);
  t.equal(defaultBridgeName('eno12399np0'), long, 'stable');
  t.not(defaultBridgeName('eno12399np1'), long, 'distinct uplinks, distinct bridges');
});

t.test('the example request, raw and canonical, gives the same desired state', async (t) => {
  const host: HostFacts = {
    links: new Set(['eth0', 'eth1', 'eth2']), linkKinds: new Map(), strayTaps: new Set(), foreignOvs: new Set(), ownDevices: new Set(),
  };
  const empty: RunningConfig = { networks: new Map(), bonds: new Map() };
  const results = ['setup-add-vlan-over-bond.json', 'setup-add-vlan-over-bond.canonical.json'].map((file) => {
    const { ovs } = splitRequest(parseSetupPayload(example(file)), empty);
    const { desired } = buildDesired(empty, ovs, host);
    return desired;
  });
  for (const desired of results) {
    t.strictSame([...desired.bridges.values()], [{ name: 'ovsbr-bond0', uplink: { kind: 'bond', name: 'bond0' }, opts: new Map([['stp_state', 0]]) }]);
    const bond = desired.bonds.get('bond0')!;
    t.strictSame([bond.nics, bond.mode, bond.lacp], [['eth1', 'eth2'], 'balance-tcp', 'active']);
    t.strictSame([...desired.networks.keys()].sort(), ['ovsmgmt', 'vmnet100', 'vmnet200']);
    t.equal(desired.networks.get('vmnet200')!.vlan, 200);
    t.strictSame(desired.networks.get('ovsmgmt')!.ipv4, { address: '198.51.100.10', prefix: 24, gateway: '198.51.100.1' });
  }
  const semantics = (d: (typeof results)[number]) => [...d.networks.values()].map((n) => {
    const { attrs: _attrs, ...rest } = n;
    return rest;
  });
  t.strictSame(semantics(results[0]!), semantics(results[1]!), 'raw and canonical networks mean the same');
});

t.test('running OVS entries plus the request; legacy entries stay out', async (t) => {
  const { desired, changes } = build(
    { nets: { vmnet300: { bonding: 'bond0', vlan: '300', custom: OVS } } },
    {
      nets: { vmnet100: example('running-config-net.json') as Attrs, ovirtmgmt: { nic: 'eth0', bridged: true } },
      bonds: { bond0: example('running-config-bond.json') as Attrs },
    },
  );
  t.strictSame([...desired.networks.keys()].sort(), ['vmnet100', 'vmnet300']);
  t.strictSame([...desired.bonds.keys()], ['bond0']);
  t.strictSame([...desired.bridges.keys()], ['ovsbr-bond0']);
  t.strictSame(changes, [{ kind: 'nets', name: 'vmnet300', attrs: { bonding: 'bond0', vlan: '300', custom: OVS } }],
    'only the request entries are changes');
});

t.test('removals drop the entry and are recorded as null changes', async (t) => {
  const { desired, changes } = build(
    { nets: { red: null }, bonds: { bond0: null } },
    { nets: { red: { bonding: 'bond0', custom: OVS } }, bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND } } },
  );
  t.equal(desired.networks.size, 0);
  t.equal(desired.bonds.size, 0);
  t.equal(desired.bridges.size, 0);
  t.strictSame(changes, [{ kind: 'nets', name: 'red', attrs: null }, { kind: 'bonds', name: 'bond0', attrs: null }]);
});

t.test('a bond without networks still gets its bridge', async (t) => {
  const { desired } = build({ bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND } } });
  t.strictSame([...desired.bridges.keys()], ['ovsbr-bond0']);
});

t.test('two untagged networks on different NICs are allowed, one bridge each', async (t) => {
  const { desired } = build({ nets: { red: { nic: 'eth1', custom: OVS }, blue: { nic: 'eth2', custom: OVS } } });
  t.strictSame([...desired.bridges.keys()].sort(), ['ovsbr-eth1', 'ovsbr-eth2']);
  t.strictSame(desired.bridges.get('ovsbr-eth2')!.uplink, { kind: 'nic', name: 'eth2' });
});

t.test('tagged and untagged networks share their uplink bridge', async (t) => {
  const { desired } = build({
    nets: { red: { nic: 'eth1', custom: OVS }, blue: { nic: 'eth1', vlan: 100, custom: OVS }, green: { nic: 'eth1', vlan: '200', custom: OVS } },
  });
  t.strictSame([...desired.bridges.keys()], ['ovsbr-eth1']);
});

t.test('STP of a network turns STP on for its bridge', async (t) => {
  const { desired } = build({ nets: { red: { nic: 'eth1', custom: OVS, STP: 'yes' }, blue: { nic: 'eth1', vlan: 5, custom: OVS } } });
  t.strictSame(desired.bridges.get('ovsbr-eth1')!.opts, new Map([['stp_state', 1]]));
});

t.test('custom.ovs=N and ovs_bridge name the parent bridge', async (t) => {
  t.strictSame([...build({ nets: { red: { nic: 'eth1', custom: { ovs: '2' } } } }).desired.bridges.keys()], ['ovsbr2']);
  const both = build({ nets: { red: { nic: 'eth1', custom: { ovs: '2' } }, blue: { nic: 'eth1', vlan: 7, custom: OVS } } });
  t.strictSame([...both.desired.bridges.keys()], ['ovsbr2'], 'the other network on that uplink follows');
  t.strictSame([...build({ nets: { red: { nic: 'eth1', custom: { ovs: 'true', ovs_bridge: 'br-vm' } } } }).desired.bridges.keys()], ['br-vm']);
});

t.test('bridge naming conflicts', async (t) => {
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', custom: { ovs: '2' } }, blue: { nic: 'eth1', vlan: 7, custom: { ovs: '3' } } } }),
    "network 'blue'", 'custom.ovs');
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', custom: { ovs: '2' } }, blue: { nic: 'eth2', custom: { ovs: '2' } } } }),
    "bridge 'ovsbr2'", 'eth2');
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', custom: { ovs: 'true', ovs_bridge: 'br-int' } } } }), "bridge 'br-int'", 'not managed');
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', custom: { ovs: 'true', ovs_bridge: 'eth3' } } } }), "bridge 'eth3'", 'not managed');
});

t.test('a bridge the hook made itself may exist as a kernel device', async (t) => {
  const host: HostFacts = { ...HOST, links: new Set([...HOST.links, 'ovsbr-eth1', 'red']), ownDevices: new Set(['ovsbr-eth1', 'red']) };
  const { desired } = build({ nets: { red: { nic: 'eth1', custom: OVS } } }, {}, host);
  t.ok(desired.networks.has('red'));
});

t.test('bonds: names bond<N>, NICs that exist, each NIC in one bond only', async (t) => {
  assertInvalid(t, () => build({ bonds: { mybond: { nics: ['eth1', 'eth2'], options: OVS_BOND } } }), "bond 'mybond'", 'name');
  assertInvalid(t, () => build({ bonds: { bond0: { nics: ['eth1', 'eth9'], options: OVS_BOND } } }), "bond 'bond0'", 'eth9');
  assertInvalid(t, () => build({ bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND }, bond1: { nics: ['eth2', 'eth3'], options: OVS_BOND } } }),
    "bond 'bond1'", 'nics');
  assertInvalid(t, () => build({ bonds: { bond0: { nics: ['eth1'], options: OVS_BOND } } }), "bond 'bond0'", 'nics');
  assertInvalid(t, () => build({ bonds: { bond0: { nics: ['eth1', 'eth1'], options: OVS_BOND } } }), "bond 'bond0'", 'nics');
  assertInvalid(t, () => build({ bonds: { bond0: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True,ovs_mode:balance-tcp' } } }),
    "bond 'bond0'", 'ovs_mode');
});

t.test('a NIC of a bond in the running config cannot join a second bond', async (t) => {
  assertInvalid(t, () => build(
    { bonds: { bond1: { nics: ['eth2', 'eth3'], options: OVS_BOND } } },
    { bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND } } },
  ), "bond 'bond1'", 'eth2');
});

t.test('networks: their NIC must exist and must not be a bond slave', async (t) => {
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth9', custom: OVS } } }), "network 'red'", 'nic');
  assertInvalid(t, () => build({
    nets: { red: { nic: 'eth1', custom: OVS } },
    bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND } },
  }), "network 'red'", 'nic');
  assertInvalid(t, () => build({ nets: { red: { nic: 'blue', custom: OVS }, blue: { nic: 'eth1', custom: OVS } } }), "network 'red'", 'nic');
});

t.test('one network per VLAN per uplink, untagged included', async (t) => {
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', vlan: 100, custom: OVS }, blue: { nic: 'eth1', vlan: '100', custom: OVS } } }),
    "network 'blue'", 'vlan');
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', custom: OVS }, blue: { nic: 'eth1', custom: OVS } } }),
    "network 'blue'", 'vlan');
  assertInvalid(t, () => build(
    { nets: { blue: { nic: 'eth1', vlan: 0, custom: OVS } } },
    { nets: { red: { nic: 'eth1', custom: OVS } } },
  ), "network 'blue'", 'vlan');
  const ok = build({ nets: { red: { nic: 'eth1', vlan: 100, custom: OVS }, blue: { nic: 'eth2', vlan: 100, custom: OVS } } });
  t.equal(ok.desired.networks.size, 2, 'the same VLAN on two uplinks is fine');
});

t.test('network on a bond: it must be an OVS bond, defined, and not removed now', async (t) => {
  assertInvalid(t, () => build(
    { nets: { red: { bonding: 'bond0', custom: OVS } } },
    { bonds: { bond0: { nics: ['eth1', 'eth2'], options: 'mode=4 miimon=100' } } },
  ), "network 'red'", 'bonding');
  assertInvalid(t, () => build({ nets: { red: { bonding: 'bond7', custom: OVS } } }), "network 'red'", 'bonding');
  assertInvalid(t, () => build(
    { bonds: { bond0: null } },
    { nets: { red: { bonding: 'bond0', custom: OVS } }, bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND } } },
  ), "network 'red'", 'bonding');
  const same = build({ nets: { red: { bonding: 'bond0', custom: OVS } }, bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND } } });
  t.ok(same.desired.networks.has('red'), 'a bond defined in the same request is fine');
});

t.test('at most one default-route network', async (t) => {
  const ip = (a: string) => ({ ipaddr: `10.0.${a}.2`, prefix: 24, gateway: `10.0.${a}.1`, defaultRoute: true, custom: OVS });
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', ...ip('1') }, blue: { nic: 'eth2', ...ip('2') } } }),
    "network 'blue'", 'defaultRoute');
  assertInvalid(t, () => build(
    { nets: { blue: { nic: 'eth2', ...ip('2'), defaultRoute: 'true' } } },
    { nets: { red: { nic: 'eth1', ...ip('1') } } },
  ), "network 'blue'", 'defaultRoute');
  t.equal(build({ nets: { red: { nic: 'eth1', ...ip('1') } } }).desired.networks.get('red')!.defaultRoute, true);
});

t.test('network names may not collide with host links or foreign OVS objects', async (t) => {
  assertInvalid(t, () => build({ nets: { eth3: { nic: 'eth1', custom: OVS } } }), "network 'eth3'", 'name');
  assertInvalid(t, () => build({ nets: { 'br-int': { nic: 'eth1', custom: OVS } } }), "network 'br-int'", 'name');
  assertInvalid(t, () => build({ nets: { 'patch-tun': { nic: 'eth1', custom: OVS } } }), "network 'patch-tun'", 'name');
  assertInvalid(t, () => build({
    nets: { bond0: { nic: 'eth3', custom: OVS } },
    bonds: { bond0: { nics: ['eth1', 'eth2'], options: OVS_BOND } },
  }), "network 'bond0'", 'name');
  assertInvalid(t, () => build({ nets: { 'ovsbr-eth1': { nic: 'eth1', custom: OVS } } }), "network 'ovsbr-eth1'", 'name');
});

/**
 * After Open vSwitch lost its database on the userspace datapath: blue (VLAN 10
 * on eth1) and red (untagged on eth2, parent bridge named br-red) are in the
 * running config, their devices and bridges' are left as persistent taps that
 * no OVS row names.
 */
const LOST = {
  nets: { blue: { nic: 'eth1', vlan: 10, custom: OVS }, red: { nic: 'eth2', custom: { ovs: 'true', ovs_bridge: 'br-red' } } },
};
const TAPS = ['blue', 'red', 'ovsbr-eth1', 'br-red'];
const LOST_HOST: HostFacts = {
  ...HOST,
  links: new Set([...HOST.links, ...TAPS, 'green']),
  linkKinds: new Map([...TAPS, 'green'].map((n) => [n, 'tap'])),
  strayTaps: new Set([...TAPS, 'green']),
};

t.test('devices OVS left behind of the running config\'s networks and bridges are leftovers, rebuilt', async (t) => {
  const expected = [
    { name: 'blue', owner: "network 'blue'", rebuilt: true },
    { name: 'red', owner: "network 'red'", rebuilt: true },
    { name: 'ovsbr-eth1', owner: "bridge 'ovsbr-eth1'", rebuilt: true },
    { name: 'br-red', owner: "bridge 'br-red'", rebuilt: true },
  ];
  t.strictSame(build({}, LOST, LOST_HOST).leftovers, expected, 'restore: the running config as it is');
  t.strictSame(build(LOST, LOST, LOST_HOST).leftovers, expected, 'the same request replayed');
  t.strictSame(build({}, LOST, HOST).leftovers, [], 'no stray tap, no leftover');
});

t.test('a leftover of what the request removes is removed, not rebuilt', async (t) => {
  const { desired, leftovers } = build({ nets: { blue: null } }, LOST, LOST_HOST);
  t.strictSame([...desired.bridges.keys()], ['br-red']);
  t.strictSame(leftovers.filter((l) => !l.rebuilt).map((l) => l.name), ['blue', 'ovsbr-eth1']);
});

t.test('a device of a network\'s or bridge\'s name that is not a leftover is refused, naming its kind', async (t) => {
  const refused = (req: Parameters<typeof build>[0], host: HostFacts, line: string): void => {
    try {
      build(req, LOST, host);
      t.fail(`expected: ${line}`);
    } catch (err) {
      t.equal((err as InvalidRequest).line, line);
    }
  };
  refused({ nets: { green: { nic: 'eth3', custom: OVS } } }, LOST_HOST,
    "network 'green': name: a device of that name already exists on this host (a tap device)");
  const replaced = (name: string, kind?: string): HostFacts => ({
    ...LOST_HOST,
    linkKinds: new Map([...LOST_HOST.linkKinds].flatMap(([n, k]) => (n !== name ? [[n, k]] : kind ? [[n, kind]] : []))),
    strayTaps: new Set([...LOST_HOST.strayTaps].filter((n) => n !== name)),
  });
  refused({}, replaced('blue', 'vlan'), "network 'blue': name: a device of that name already exists on this host (a vlan device)");
  refused({}, replaced('blue'), "network 'blue': name: a device of that name already exists on this host");
  refused({}, replaced('br-red', 'bridge'),
    "bridge 'br-red': a device of that name exists and is not managed by this hook (a bridge device)");
  refused({ nets: { red: { nic: 'eth2', custom: { ovs: 'true', ovs_bridge: 'br-int' } } } }, LOST_HOST,
    "bridge 'br-int': a device of that name exists and is not managed by this hook (in Open vSwitch)");
});

t.test('a running config entry that no longer parses vouches for its own name only', async (t) => {
  const broken = { nets: { ...LOST.nets, red: { ...LOST.nets.red, future: 'attr' } } };
  try {
    build({ nets: { red: LOST.nets.red } }, broken, LOST_HOST);
    t.fail('expected a refusal');
  } catch (err) {
    // red's own tap passed as a leftover; its bridge, which only the unparsable entry named, did not
    t.equal((err as InvalidRequest).line, "bridge 'br-red': a device of that name exists and is not managed by this hook (a tap device)");
  }
});

t.test('request errors surface from buildDesired with the object named', async (t) => {
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', vlan: 4095, custom: OVS } } }), "network 'red'", 'vlan');
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', mtu: 65536, custom: OVS } } }), "network 'red'", 'mtu');
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', custom: OVS, bootproto: 'bootp' } } }), "network 'red'", 'bootproto');
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth1', custom: OVS, ipaddr: '10.0.0.1' } } }), "network 'red'", 'netmask');
});

t.test("NICs held by VDSM's own networks and bonds are not taken by OVS", async (t) => {
  const run = {
    nets: { ovirtmgmt: { nic: 'eth0', bridged: true, ipaddr: '192.0.2.10', netmask: '255.255.255.0' } },
    bonds: { bond5: { nics: ['eth3', 'eth4'], options: 'mode=4 miimon=100' } },
  };
  assertInvalid(t, () => build({ nets: { red: { nic: 'eth0', custom: OVS } } }, run), "network 'red'", 'nic');
  assertInvalid(t, () => build({ bonds: { bond0: { nics: ['eth2', 'eth3'], options: OVS_BOND } } }, run), "bond 'bond0'", 'nics');
  t.ok(build({ nets: { red: { nic: 'eth1', custom: OVS } } }, run).desired.networks.has('red'), 'a free NIC is fine');
});

t.test('custom.ovs null counts as unset', async (t) => {
  const { ovs } = splitRequest(
    parseSetupPayload({ request: { networks: { n: { nic: 'eth1', custom: { ovs: null } } }, bondings: {}, options: {} } }),
    { networks: new Map(), bonds: new Map() },
  );
  t.equal(ovs.networks.size, 0, 'not an OVS network');
});

t.test('networks on one uplink share its bridge options; different values of one are refused naming both', async (t) => {
  const same = build({ nets: {
    red: { nic: 'eth1', custom: { ...OVS, bridge_opts: 'multicast_snooping=1' } },
    blue: { nic: 'eth1', vlan: 5, custom: { ...OVS, bridge_opts: 'multicast_snooping=1 priority=4096' } },
  } });
  t.strictSame(same.desired.bridges.get('ovsbr-eth1')!.opts, new Map([['multicast_snooping', 1], ['priority', 4096]]));
  t.throws(() => build({ nets: {
    red: { nic: 'eth1', custom: { ...OVS, bridge_opts: 'priority=4096' } },
    blue: { nic: 'eth1', vlan: 5, custom: { ...OVS, bridge_opts: 'priority=8192' } },
  } }), { subject: "network 'blue'", message: "custom.bridge_opts: priority=8192 differs from priority=4096 of network 'red' on the same uplink eth1, whose bridge they share" });
  t.throws(() => build({ nets: {
    red: { nic: 'eth1', custom: OVS, stp: true },
    blue: { nic: 'eth1', vlan: 5, custom: OVS, stp: false },
  } }), { subject: "network 'blue'", message: /^custom\.bridge_opts: stp_state=0 differs from stp_state=1 of network 'red'/ }, 'STP included');
});

t.test('RSTP asked by one network holds for the options of the others on its bridge', async (t) => {
  t.throws(() => build({ nets: {
    red: { nic: 'eth1', custom: { ...OVS, bridge_opts: 'stp_state=2' } },
    blue: { nic: 'eth1', vlan: 5, custom: { ...OVS, bridge_opts: 'hello_time=100' } },
  } }), { subject: "network 'blue'", message: "custom.bridge_opts: hello_time has no Open vSwitch counterpart under RSTP (stp_state=2 of network 'red', whose bridge it shares)" });
  t.throws(() => build({ nets: {
    red: { nic: 'eth1', custom: { ...OVS, bridge_opts: 'priority=5000' } },
    blue: { nic: 'eth1', vlan: 5, custom: { ...OVS, bridge_opts: 'stp_state=2' } },
  } }), { subject: "network 'red'", message: /^custom\.bridge_opts: priority=5000 is not a multiple of 4096 in 0-61440, as RSTP \(stp_state=2 of network 'blue'/ });
});
