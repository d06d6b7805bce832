import t from 'tap';
import { capsAdditions, mergeCaps, type HostView, type Owned } from '../../../src/vdsm/caps.js';
import { parseKernelState } from '../../../src/host/kernel.js';
import { parseBond, parseNetwork, type Attrs } from '../../../src/model/definitions.js';
import type { OvsPort, OvsState } from '../../../src/ovs/state.js';
import { fixtureJson } from '../../lib/fixtures.js';

const example = fixtureJson;

function owned(nets: Record<string, Attrs>, bonds: Record<string, Attrs> = {}, opts: Record<string, string> = {}): Owned {
  return {
    networks: Object.entries(nets).map(([n, a]) => parseNetwork(n, a)),
    bonds: Object.entries(bonds).map(([n, a]) => ({ def: parseBond(n, a), opts })),
  };
}

const port = (name: string, bridge: string, extra: Partial<OvsPort> = {}): [string, OvsPort] =>
  [name, { uuid: name, name, bridge, tag: null, fakeBridge: false, bondMode: null, lacp: null,
    bondUpdelay: 0, bondDowndelay: 0, interfaces: [name], otherConfig: new Map(), qos: null, ...extra }];

type LinkSpec = { mtu?: number; mac?: string; v4?: string[]; v6?: string[] };
function kernel(links: Record<string, LinkSpec>, routes: object[] = []) {
  const addrs = Object.entries(links).map(([ifname, l]) => ({
    ifname, mtu: l.mtu ?? 1500, flags: ['UP'], address: l.mac ?? '52:54:00:00:00:01',
    addr_info: [
      ...(l.v4 ?? []).map((a) => ({ family: 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1]), scope: 'global' })),
      ...(l.v6 ?? []).map((a) => ({ family: 'inet6', local: a.split('/')[0], prefixlen: Number(a.split('/')[1]), scope: 'global' })),
      { family: 'inet6', local: 'fe80::5054:ff:fe00:1', prefixlen: 64, scope: 'link' },
    ],
  }));
  return parseKernelState(`${JSON.stringify(addrs)}\n${JSON.stringify(routes)}\n`);
}

const NO_IP = {
  addr: '', netmask: '', ipv4addrs: [], ipv6addrs: [], gateway: '', ipv6gateway: '::',
  ipv4defaultroute: false, ipv6autoconf: false, dhcpv4: false, dhcpv6: false,
};

// The shared example host: bond0 (eth1+eth2, balance-tcp) carrying ovsmgmt (untagged, 198.51.100.10/24),
// vmnet100 and vmnet200; VM tap vnet0 plugged into vmnet100.
const request = example('setup-add-vlan-over-bond.json').request;
const exampleOwned = owned(request.networks, request.bondings, { custom: 'ovs:True,ovs_mode:balance-tcp,ovs_lacp:active' });
const exampleOvs: OvsState = {
  bridges: new Map([['ovsbr-bond0', { uuid: 'b', name: 'ovsbr-bond0', role: 'bridge', datapathType: 'system', stp: false, rstp: false, mcastSnooping: false, otherConfig: new Map(), hookOpts: [], ports: [] }]]),
  ports: new Map([
    port('bond0', 'ovsbr-bond0', { role: 'bond', bondMode: 'balance-tcp', lacp: 'active', interfaces: ['eth2', 'eth1'] }),
    port('ovsbr-bond0', 'ovsbr-bond0', { role: 'bridge' }),
    port('ovsmgmt', 'ovsbr-bond0', { role: 'network', fakeBridge: true, tag: 0 }),
    port('vmnet100', 'ovsbr-bond0', { role: 'network', fakeBridge: true, tag: 100 }),
    port('vmnet200', 'ovsbr-bond0', { role: 'network', fakeBridge: true, tag: 200 }),
    port('vnet0', 'ovsbr-bond0', { tag: 100 }),
    port('vnet1', 'ovsbr-bond0', { tag: 300 }),
  ]),
  interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {},
};
const exampleView: HostView = {
  kernel: kernel(
    {
      eth1: { mac: '52:54:00:aa:00:01' }, eth2: { mac: '52:54:00:aa:00:02' },
      'ovsbr-bond0': { mac: '52:54:00:aa:00:01' },
      // the hook gives the networks their bond's MAC, its first slave's
      ovsmgmt: { v4: ['198.51.100.10/24'], mac: '52:54:00:aa:00:01' }, vmnet100: { mac: '52:54:00:aa:00:01' }, vmnet200: { mac: '52:54:00:aa:00:01' },
    },
    // the network's gateway, as VDSM's source routing leaves it: in the network's own table
    [{ dst: 'default', gateway: '198.51.100.1', dev: 'ovsmgmt', table: '3325256714' }],
  ),
  ovs: exampleOvs,
  activeSlaves: new Map([['bond0', 'eth2']]),
};

t.test('the shared example: every field the old hook reported has the same value', async (t) => {
  const ours = capsAdditions(exampleOwned, exampleView);
  const old = example('caps-ovs-additions.json');
  for (const table of ['networks', 'bridges', 'vlans', 'bondings'] as const) {
    t.strictSame(Object.keys(ours[table]).sort(), Object.keys(old[table]).sort(), `${table}: the same entries`);
    for (const [name, entry] of Object.entries(old[table] as Record<string, Record<string, unknown>>)) {
      for (const [field, value] of Object.entries(entry)) {
        // the old hook's quirks (vdsm-hooks.md §3.4): "bridged" inside bridges/vlans, the bridge's IP on the vlan
        if ((table === 'bridges' || table === 'vlans') && field === 'bridged') continue;
        if (table === 'bondings' && field === 'active_slave') continue;
        // the old hook reported no bridge options; these are checked below
        if (table === 'bridges' && field === 'opts') continue;
        const got = (ours[table] as unknown as Record<string, Record<string, unknown>>)[name]?.[field];
        t.strictSame(got, value, `${table}.${name}.${field}`);
      }
    }
  }
});

t.test('bond hwaddr: as its networks\' devices have it; without a network its hwaddr, else its first slave\'s', async (t) => {
  const bond = { nics: ['eth2', 'eth1'], options: 'custom=ovs:True', hwaddr: '02:00:00:00:00:b0' };
  const ovs: OvsState = {
    bridges: new Map(),
    ports: new Map([port('bond0', 'ovsbr-bond0', { role: 'bond', interfaces: ['eth1', 'eth2'] })]),
    interfaces: new Map(),
    qos: new Map(),
    queues: new Map(), systemIds: {},
  };
  const links = { eth1: { mac: '52:54:00:aa:00:01' }, eth2: { mac: '52:54:00:aa:00:02' } };
  const alone = capsAdditions(owned({}, { bond0: bond }), { kernel: kernel(links), ovs });
  t.equal(alone.bondings['bond0']!.hwaddr, '02:00:00:00:00:b0', 'no network: the hwaddr asked for');
  const { hwaddr: _, ...noHwaddr } = bond;
  const plain = capsAdditions(owned({}, { bond0: noHwaddr }), { kernel: kernel(links), ovs });
  t.equal(plain.bondings['bond0']!.hwaddr, '52:54:00:aa:00:02', 'no network, no hwaddr: eth2, its first slave as listed');
  const withNet = capsAdditions(owned({ red: { bonding: 'bond0', custom: { ovs: 'true' } } }, { bond0: bond }),
    { kernel: kernel({ ...links, red: { mac: '02:00:00:00:00:b1' } }), ovs });
  t.equal(withNet.bondings['bond0']!.hwaddr, '02:00:00:00:00:b1', 'with a network: the MAC its device really has');
});

t.test('the shared example: what VDSM reports beyond the old hook', async (t) => {
  const add = capsAdditions(exampleOwned, exampleView);
  t.strictSame(add.networks['vmnet100']!.vlanid, 100, 'a tagged network names its VLAN');
  t.equal(add.networks['ovsmgmt']!.vlanid, undefined, 'an untagged one does not');
  t.strictSame(
    Object.values(add.networks).map((n) => [n.southbound, n.switch]),
    [['bond0', 'legacy'], ['bond0.100', 'legacy'], ['bond0.200', 'legacy']],
  );
  t.strictSame(add.bondings['bond0'], {
    ...NO_IP, mtu: '1500', hwaddr: '52:54:00:aa:00:01', slaves: ['eth1', 'eth2'], active_slave: 'eth2',
    opts: { custom: 'ovs:True,ovs_mode:balance-tcp,ovs_lacp:active' }, switch: 'legacy',
  }, 'bond: slaves from OVS, the active one from bond/show, the MAC of its networks (its first slave\'s)');
  t.strictSame(add.networks['vmnet200']!.ports, ['bond0.200'], 'a tap on another VLAN is not a port of the network');
  t.strictSame(add.nics, {}, 'bridged networks put no address on a NIC');
});

t.test('bridgeless networks: the address where the Engine looks for it', async (t) => {
  const o = owned({
    flat: { nic: 'eth3', bridged: false, ipaddr: '10.3.0.5', prefix: 16, custom: { ovs: true } },
    tagged: { nic: 'eth4', vlan: 40, bridged: 'false', ipaddr: '10.4.0.5', netmask: '255.255.255.0', custom: { ovs: 'true' } },
  });
  const view: HostView = {
    kernel: kernel(
      { eth3: {}, eth4: {}, flat: { v4: ['10.3.0.5/16'], v6: ['2001:db8::5/64'] }, tagged: { mtu: 9000, v4: ['10.4.0.5/24'] } },
      [{ dst: 'default', gateway: '10.3.0.1', dev: 'flat' }, { dst: 'default', gateway: 'fe80::1', dev: 'flat', pref: 'medium' }],
    ),
  };
  const add = capsAdditions(o, view);
  const flatIp = {
    addr: '10.3.0.5', netmask: '255.255.0.0', ipv4addrs: ['10.3.0.5/16'], ipv6addrs: ['2001:db8::5/64'],
    gateway: '10.3.0.1', ipv6gateway: 'fe80::1', ipv4defaultroute: true,
    ipv6autoconf: false, dhcpv4: false, dhcpv6: false,
  };
  t.strictSame(add.networks['flat'], {
    ...flatIp, mtu: '1500', bridged: false, switch: 'legacy', southbound: 'eth3', iface: 'eth3', interface: 'eth3',
  });
  t.strictSame(add.nics, { eth3: flatIp }, 'untagged: on the NIC');
  const taggedIp = { ...NO_IP, addr: '10.4.0.5', netmask: '255.255.255.0', ipv4addrs: ['10.4.0.5/24'] };
  t.strictSame(add.vlans['eth4.40'], { ...taggedIp, mtu: '9000', iface: 'eth4', vlanid: 40 }, 'tagged: on the VLAN');
  t.equal(add.networks['tagged']!.iface, 'eth4.40');
  t.strictSame(add.bridges, {}, 'no bridge for bridgeless networks');
});

t.test('an untagged bridgeless network on a bond puts its address on the bond', async (t) => {
  const o = owned(
    { flat: { bonding: 'bond1', bridged: false, ipaddr: '10.5.0.5', prefix: 24, custom: { ovs: true } } },
    { bond1: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' } },
    { custom: 'ovs:True' },
  );
  const ovs: OvsState = {
    bridges: new Map(),
    ports: new Map([port('bond1', 'ovsbr-bond1', { role: 'bond', interfaces: ['eth1', 'eth2'] })]),
    interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {},
  };
  const add = capsAdditions(o, { kernel: kernel({ eth1: { mtu: 9000 }, eth2: { mtu: 9000 }, flat: { v4: ['10.5.0.5/24'] } }), ovs });
  t.strictSame(add.bondings['bond1']!.ipv4addrs, ['10.5.0.5/24']);
  t.equal(add.bondings['bond1']!.mtu, '9000', 'the slaves carry the MTU');
  t.equal(add.bondings['bond1']!.active_slave, '', 'no bond/show answer: no active slave');
});

t.test('without an answer from OVS: the running config and the kernel', async (t) => {
  const add = capsAdditions(exampleOwned, { kernel: exampleView.kernel });
  t.strictSame(add.networks['vmnet100']!.ports, ['bond0.100'], 'VM taps are unknown');
  t.equal(add.networks['vmnet100']!.stp, 'off', 'STP as configured');
  t.strictSame(add.bondings['bond0']!.slaves, ['eth1', 'eth2'], 'slaves as configured');
  t.equal(add.bondings['bond0']!.active_slave, '');
  const gone = capsAdditions(exampleOwned, { kernel: kernel({ eth1: {} }) });
  t.strictSame(gone.networks, {}, 'a network without its device is not reported');
  t.strictSame(gone.bondings, {}, 'nor a bond missing a slave');
});

t.test('STP of a network: its bridge in OVS', async (t) => {
  const ovs = structuredClone(exampleOvs);
  ovs.bridges.get('ovsbr-bond0')!.stp = true;
  const add = capsAdditions(exampleOwned, { ...exampleView, ovs });
  t.equal(add.networks['ovsmgmt']!.stp, 'on');
  t.equal(add.bridges['ovsmgmt']!.stp, 'on');
});

t.test('merge: the additions replace same-named entries, everything else stays as it was', async (t) => {
  const before = example('caps-before.json');
  const pristine = structuredClone(before);
  before.nics.eth3 = { hwaddr: '52:54:00:00:00:03', speed: 1000, ...NO_IP, mtu: '1500' };
  before.networks.ovsmgmt = { stale: true };
  const add = capsAdditions(owned({ flat: { nic: 'eth3', bridged: false, ipaddr: '10.3.0.5', prefix: 16, custom: { ovs: true } } }), {
    kernel: kernel({ eth3: {}, flat: { v4: ['10.3.0.5/16'] } }),
  });
  const merged = mergeCaps(mergeCaps(before, add), capsAdditions(exampleOwned, exampleView)) as typeof before;
  for (const table of ['networks', 'bridges', 'vlans', 'bondings', 'nics']) {
    for (const [name, entry] of Object.entries(pristine[table] as object)) {
      t.strictSame(merged[table][name], entry, `${table}.${name} (VDSM's) is untouched`);
    }
  }
  t.equal(merged.nics.eth3.speed, 1000, 'the NIC keeps what VDSM reported');
  t.strictSame(merged.nics.eth3.ipv4addrs, ['10.3.0.5/16'], 'and shows the address of its bridgeless network');
  t.equal(merged.networks.ovsmgmt.iface, 'ovsmgmt', 'a same-named entry is replaced');
  t.equal(merged.networks.ovsmgmt.stale, undefined, 'as a whole');
  for (const key of Object.keys(pristine).filter((k) => !['networks', 'bridges', 'vlans', 'bondings', 'nics'].includes(k))) {
    t.strictSame(merged[key], pristine[key], `${key}: as it was`);
  }
  t.strictSame(before.networks.ovsmgmt, { stale: true }, 'the input is not changed');
});

t.test('bridge options: as OVS has them, in sysfs names and Linux units, OVS defaults where unset', async (t) => {
  const nets = { red: { nic: 'eth1', custom: { ovs: 'true', bridge_opts: 'stp_state=2 forward_delay=1000' } } };
  const ovs: OvsState = {
    bridges: new Map([['ovsbr-eth1', {
      uuid: 'b', name: 'ovsbr-eth1', role: 'bridge', datapathType: 'system', stp: false, rstp: true, mcastSnooping: true,
      otherConfig: new Map([['rstp-forward-delay', '10'], ['stp-forward-delay', '7'], ['mac-aging-time', '60']]),
      hookOpts: [], ports: [],
    }]]),
    ports: new Map([port('red', 'ovsbr-eth1', {
      role: 'network', fakeBridge: true, tag: 0,
      otherConfig: new Map([['mcast-snooping-flood', 'true'], ['mcast-snooping-flood-reports', 'true']]),
    })]),
    interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {},
  };
  const caps = capsAdditions(owned(nets), { kernel: kernel({ eth1: {}, red: {} }), ovs });
  t.strictSame(caps.bridges['red']!.opts, {
    stp_state: '2', multicast_snooping: '1', multicast_router: '2', hash_max: '2048',
    multicast_membership_interval: '30000', ageing_time: '6000', forward_delay: '1000', hello_time: '200',
    max_age: '2000', priority: '32768',
  });
  t.equal(caps.bridges['red']!.stp, 'on', 'RSTP is STP on, as sysfs stp_state 2 reads');
  t.equal(caps.networks['red']!.stp, 'on');
  const bare = capsAdditions(owned({ red: { nic: 'eth1', custom: { ovs: 'true', bridge_opts: 'priority=4096' } } }),
    { kernel: kernel({ eth1: {}, red: {} }) });
  t.equal(bare.bridges['red']!.opts['priority'], '4096', 'without OVS: as the network asks');
  t.equal(bare.bridges['red']!.stp, 'off');
});

t.test('an overlay is reported on the NIC the Engine attached it to; a NIC-less network on none', async (t) => {
  const tunnel = { ovs: 'true', ovs_tunnel: 'vxlan:5', ovs_tunnel_remotes: '192.0.2.2' };
  const nets = owned({
    ov: { nic: 'eth1', vlan: 7, mtu: 1450, custom: tunnel },
    lone: { bridged: 'true', ipaddr: '10.70.0.1', prefix: 24, custom: { ovs: 'true', ovs_nat: 'true' } },
  });
  const ovs: OvsState = {
    bridges: new Map(),
    ports: new Map([
      port('ov', 'ovsbr-ov', { role: 'network', fakeBridge: true, tag: 7 }),
      port('vnet3', 'ovsbr-ov', { tag: 7 }),
      port('lone', 'ovsbr-lone', { role: 'network', fakeBridge: true, tag: 0 }),
    ]),
    interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {},
  };
  const add = capsAdditions(nets, { kernel: kernel({ ov: { mtu: 1450 }, lone: { v4: ['10.70.0.1/24'] } }), ovs });
  t.equal(add.networks['ov']!.southbound, 'eth1.7', 'the attachment the Engine made');
  t.same(add.networks['ov']!.ports, ['vnet3', 'eth1.7']);
  t.equal(add.vlans['eth1.7']!.iface, 'eth1');
  t.equal(add.networks['lone']!.southbound, '', 'NIC-less: no southbound');
  t.same(add.networks['lone']!.ports, [], 'nor a port for it');
  t.equal(add.networks['lone']!.addr, '10.70.0.1');
});
