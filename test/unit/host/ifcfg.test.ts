import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { DesiredState } from '../../../src/model/desired.js';
import { InvalidRequest } from '../../../src/runtime/errors.js';
import {
  IFCFG_HEADER, ifcfgChanges, ifcfgSet, isHookIfcfg, readIfcfgDir, renderIfcfg, renderRouteFiles, shellValue,
} from '../../../src/host/ifcfg.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { desiredOn, hostWith } from '../fixtures/desired.js';

const OVS = { ovs: 'true' };
const HOST = hostWith(['eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5', 'e=6', 'e7']);
const tmp = mkdtempSync(join(tmpdir(), 'vho-ifcfg-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

const desired = (nets: Record<string, Attrs>, bonds: Record<string, Attrs> = {}): DesiredState => desiredOn(HOST, nets, bonds);

let fileNo = 0;
function writeTmp(content: string): string {
  const file = join(tmp, `file-${fileNo++}`);
  writeFileSync(file, content);
  return file;
}

/**
 * What bash sees after sourcing the file in an empty environment (bash's own PWD, SHLVL and _ left out).
 * stdin is /dev/null and --norc is given: with stdin a socket and no SHLVL, bash takes itself for rshd's
 * child and would read ~/.bashrc into the result.
 */
function sourceVars(file: string): Record<string, string> {
  const run = (f: string): Record<string, string> => {
    const out = execFileSync('env', ['-i', 'bash', '--norc', '-c', 'set -a; . "$1"; env -0', '_', f],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return Object.fromEntries(out.split('\0').filter((e) => e !== '').map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  };
  const vars = run(file);
  for (const key of Object.keys(run('/dev/null'))) delete vars[key];
  return vars;
}

/** bash -n: the file parses; throws (failing the test) when it does not. */
function bashParses(file: string): boolean {
  execFileSync('bash', ['--norc', '-n', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  return true;
}

// ---- the topology: eth1 with a tagged static network and an untagged DHCP one, bond0 with a network, bond1 bare
const TOPOLOGY = desired(
  {
    blue: {
      nic: 'eth1', vlan: 100, mtu: 9000, ipaddr: '192.0.2.10', netmask: '255.255.255.0', gateway: '192.0.2.1',
      defaultRoute: true, nameservers: ['192.0.2.53', '2001:db8::53', '198.51.100.53', '203.0.113.53'],
      ipv6addr: '2001:db8:1::10/64', ipv6gateway: '2001:db8:1::1', custom: OVS,
    },
    red: { nic: 'eth1', bootproto: 'dhcp', stp: true, custom: OVS },
    green: { bonding: 'bond0', vlan: 20, mtu: 1600, ipv6autoconf: true, dhcpv6: true, custom: OVS },
  },
  {
    bond0: { nics: ['eth2', 'eth3'], options: 'custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active' },
    bond1: { nics: ['eth4', 'eth5'], options: 'custom=ovs:True' },
  },
);
const ORIG_MTU = new Map([['eth1', 1400], ['eth2', 1500], ['eth4', 1500]]);
const UPLINK_MAC: Record<string, string> = { eth1: '52:54:00:00:00:01', bond0: '02:00:00:00:00:b0' };
const rendered = renderIfcfg({ desired: TOPOLOGY, datapathType: 'netdev', origMtu: ORIG_MTU, uplinkMac: (u) => UPLINK_MAC[u.name] });
const NO_MAC = (): undefined => undefined;

const COMMON = { ONBOOT: 'yes', HOTPLUG: 'no', NM_CONTROLLED: 'no' };
const M = 'external_ids:vdsm-hook-ovs=';
const ORIG = 'external_ids:vdsm-hook-ovs-orig-mtu=';
const parentBridge = (name: string, stp: string): Record<string, string> => ({
  DEVICE: name, DEVICETYPE: 'ovs', TYPE: 'OVSBridge', ...COMMON, BOOTPROTO: 'none', STP: stp,
  OVS_EXTRA: `set Bridge ${name} datapath_type=netdev ${M}bridge -- set Port ${name} ${M}bridge -- set Interface ${name} ${M}bridge`,
});
const slave = (name: string, mtu: string): Record<string, string> => ({ DEVICE: name, ...COMMON, BOOTPROTO: 'none', MTU: mtu });

const EXPECTED: Record<string, Record<string, string>> = {
  'ovsbr-eth1': parentBridge('ovsbr-eth1', 'yes'),
  eth1: {
    DEVICE: 'eth1', DEVICETYPE: 'ovs', TYPE: 'OVSPort', OVS_BRIDGE: 'ovsbr-eth1', ...COMMON, BOOTPROTO: 'none', MTU: '9000',
    OVS_EXTRA: `set Port eth1 ${M}uplink -- set Interface eth1 ${M}uplink ${ORIG}1400 mtu_request=9000`,
  },
  blue: {
    DEVICE: 'blue', DEVICETYPE: 'ovs', TYPE: 'OVSBridge', OVS_OPTIONS: 'ovsbr-eth1 100', OVSREQUIRES: 'ovsbr-eth1 eth1', ...COMMON,
    BOOTPROTO: 'none', IPADDR: '192.0.2.10', PREFIX: '24', GATEWAY: '192.0.2.1', DEFROUTE: 'yes',
    IPV6INIT: 'yes', IPV6ADDR: '2001:db8:1::10/64', IPV6_DEFAULTGW: '2001:db8:1::1', IPV6_AUTOCONF: 'no',
    DNS1: '192.0.2.53', DNS2: '2001:db8::53', DNS3: '198.51.100.53', MTU: '9000',
    OVS_EXTRA: `set Port blue ${M}network -- set Interface blue ${M}network mtu_request=9000 mac="52:54:00:00:00:01"`,
  },
  red: {
    DEVICE: 'red', DEVICETYPE: 'ovs', TYPE: 'OVSBridge', OVS_OPTIONS: 'ovsbr-eth1 0', OVSREQUIRES: 'ovsbr-eth1 eth1', ...COMMON,
    BOOTPROTO: 'dhcp', DEFROUTE: 'no', IPV6INIT: 'no', MTU: '1500',
    OVS_EXTRA: `set Port red ${M}network -- set Interface red ${M}network mtu_request=1500 mac="52:54:00:00:00:01"`,
  },
  'ovsbr-bond0': parentBridge('ovsbr-bond0', 'no'),
  bond0: {
    DEVICE: 'bond0', DEVICETYPE: 'ovs', TYPE: 'OVSBond', OVS_BRIDGE: 'ovsbr-bond0', BOND_IFACES: 'eth2 eth3',
    OVS_OPTIONS: 'bond_mode=balance-tcp lacp=active', ...COMMON, BOOTPROTO: 'none',
    OVS_EXTRA: `set Port bond0 ${M}bond -- set Interface eth2 ${M}slave ${ORIG}1500 mtu_request=1600 -- set Interface eth3 ${M}slave mtu_request=1600`,
  },
  eth2: slave('eth2', '1600'),
  eth3: slave('eth3', '1600'),
  green: {
    DEVICE: 'green', DEVICETYPE: 'ovs', TYPE: 'OVSBridge', OVS_OPTIONS: 'ovsbr-bond0 20', OVSREQUIRES: 'ovsbr-bond0 bond0', ...COMMON,
    BOOTPROTO: 'none', DEFROUTE: 'no', IPV6INIT: 'yes', IPV6_AUTOCONF: 'yes', DHCPV6C: 'yes', MTU: '1600',
    OVS_EXTRA: `set Port green ${M}network -- set Interface green ${M}network mtu_request=1600 mac="02:00:00:00:00:b0"`,
  },
  'ovsbr-bond1': parentBridge('ovsbr-bond1', 'no'),
  bond1: {
    DEVICE: 'bond1', DEVICETYPE: 'ovs', TYPE: 'OVSBond', OVS_BRIDGE: 'ovsbr-bond1', BOND_IFACES: 'eth4 eth5',
    OVS_OPTIONS: 'bond_mode=active-backup lacp=off', ...COMMON, BOOTPROTO: 'none',
    OVS_EXTRA: `set Port bond1 ${M}bond -- set Interface eth4 ${M}slave ${ORIG}1500 mtu_request=1500 -- set Interface eth5 ${M}slave mtu_request=1500`,
  },
  eth4: slave('eth4', '1500'),
  eth5: slave('eth5', '1500'),
};

t.test('one file per bridge, uplink, bond, slave and network', async (t) => {
  t.same([...rendered.keys()].sort(), Object.keys(EXPECTED).sort());
});

t.test('every file parses in bash and sources to exactly the expected variables', async (t) => {
  for (const [dev, content] of rendered) {
    const file = writeTmp(content);
    t.ok(bashParses(file), `${dev}: bash -n`);
    t.strictSame(sourceVars(file), EXPECTED[dev], `${dev}: variables`);
    t.equal(content.split('\n')[0], IFCFG_HEADER, `${dev}: the header first`);
    t.ok(content.endsWith('\n') && !content.endsWith('\n\n'), `${dev}: ends with one newline`);
    t.ok(isHookIfcfg(content), `${dev}: recognised as the hook's`);
  }
});

t.test('never VLAN=, PHYSDEV=, OVSBOOTPROTO= or an empty value', async (t) => {
  for (const [dev, content] of rendered) {
    const keys = content.split('\n').slice(1).filter((l) => l !== '').map((l) => l.slice(0, l.indexOf('=')));
    t.notOk(keys.some((k) => ['VLAN', 'PHYSDEV', 'OVSBOOTPROTO'].includes(k)), `${dev}: ${keys.join(' ')}`);
    t.notMatch(content, /=(""|'')?\n/, `${dev}: no empty value`);
  }
});

t.test('the fixed layout: header, DEVICE, type keys, the common keys, then the rest', async (t) => {
  t.equal(rendered.get('eth2'), [
    IFCFG_HEADER, 'DEVICE=eth2', 'ONBOOT=yes', 'HOTPLUG=no', 'NM_CONTROLLED=no', 'BOOTPROTO=none', 'MTU=1600', '',
  ].join('\n'));
  const keys = rendered.get('blue')!.split('\n').slice(1, -1).map((l) => l.slice(0, l.indexOf('=')));
  t.same(keys, [
    'DEVICE', 'DEVICETYPE', 'TYPE', 'OVS_OPTIONS', 'OVSREQUIRES', 'ONBOOT', 'HOTPLUG', 'NM_CONTROLLED',
    'BOOTPROTO', 'IPADDR', 'PREFIX', 'GATEWAY', 'DEFROUTE', 'IPV6INIT', 'IPV6ADDR', 'IPV6_DEFAULTGW', 'IPV6_AUTOCONF',
    'DNS1', 'DNS2', 'DNS3', 'MTU', 'OVS_EXTRA',
  ]);
  t.match(rendered.get('bond0')!, /\nBOND_IFACES="eth2 eth3"\n/, 'lists are double-quoted');
});

t.test('a static gateway is written only for the default-route network, as VDSM did', async (t) => {
  const d = desired({ blue: { nic: 'eth1', ipaddr: '192.0.2.10', prefix: 24, gateway: '192.0.2.1', ipv6addr: '2001:db8::2/64', ipv6gateway: '2001:db8::1', custom: OVS } });
  const vars = sourceVars(writeTmp(renderIfcfg({ desired: d, datapathType: 'system', origMtu: new Map(), uplinkMac: NO_MAC }).get('blue')!));
  t.equal(vars['IPADDR'], '192.0.2.10');
  t.equal(vars['PREFIX'], '24');
  t.equal(vars['GATEWAY'], undefined);
  t.equal(vars['IPV6_DEFAULTGW'], undefined);
  t.equal(vars['DEFROUTE'], 'no');
});

t.test('names with shell characters are escaped; ones ifup-ovs would glob are refused', async (t) => {
  const odd = 'n$x`y"z\'';
  const d = desired({ [odd]: { nic: 'e7', custom: OVS } });
  const content = renderIfcfg({ desired: d, datapathType: 'system', origMtu: new Map(), uplinkMac: NO_MAC }).get(odd)!;
  const file = writeTmp(content);
  t.ok(bashParses(file));
  const vars = sourceVars(file);
  t.equal(vars['DEVICE'], odd);
  t.equal(vars['OVS_EXTRA'], `set Port ${odd} ${M}network -- set Interface ${odd} ${M}network mtu_request=1500`);

  for (const name of ['a*', 'b?', 'c[1]']) {
    t.throws(() => renderIfcfg({ desired: desired({ [name]: { nic: 'e7', custom: OVS } }), datapathType: 'system', origMtu: new Map(), uplinkMac: NO_MAC }),
      InvalidRequest, `network ${name}`);
  }
  const bond = desired({}, { bond0: { nics: ['e=6', 'e7'], options: 'custom=ovs:True' } });
  t.throws(() => renderIfcfg({ desired: bond, datapathType: 'system', origMtu: new Map(), uplinkMac: NO_MAC }), InvalidRequest,
    'a slave with "=" would end add-bond\'s NIC list');
});

t.test("a bond's Linux options reach OVS_OPTIONS as the settings add-bond takes at boot", async (t) => {
  const options = (text: string) => {
    const d = desired({}, { bond0: { nics: ['eth2', 'eth3'], options: text } });
    return sourceVars(writeTmp(renderIfcfg({ desired: d, datapathType: 'system', origMtu: new Map(), uplinkMac: NO_MAC }).get('bond0')!))['OVS_OPTIONS'];
  };
  t.equal(options('mode=1 miimon=100 updelay=200 downdelay=0 primary=eth3 custom=ovs:True'),
    'bond_mode=active-backup lacp=off bond_updelay=200 bond_downdelay=0 other_config:bond-detect-mode=miimon ' +
    'other_config:bond-miimon-interval=100 other_config:bond-primary=eth3');
  t.equal(options('mode=4 lacp_rate=fast custom=ovs:True'), 'bond_mode=balance-tcp lacp=active other_config:lacp-time=fast');
  t.equal(options('mode=2 custom=ovs:True'), 'bond_mode=balance-slb lacp=off');
});

t.test('shellValue: bare for safe words, double-quoted otherwise', async (t) => {
  t.equal(shellValue('eth0.100'), 'eth0.100');
  t.equal(shellValue('a_b@c%d+e=f:g,h.i/j-k'), 'a_b@c%d+e=f:g,h.i/j-k');
  t.equal(shellValue('two words'), '"two words"');
  t.equal(shellValue('$x'), '"\\$x"');
  t.equal(shellValue('a"b\\c`d'), '"a\\"b\\\\c\\`d"');
  t.equal(shellValue(''), '""');
});

t.test('shellValue round-trips through bash', async (t) => {
  const nasty = [
    '$x', '${HOME}', '$(id)', '`x`', '"q"', "'q'", "it's", 'back\\slash', '\\', 'trailing\\', 'two  spaces', ' lead',
    '*', '/*', '~', '~root', '#', 'a #b', 'a;b|c&d(e)<f>', '!x', 'ä€', '[a]', '{a,b}', 'x=y', '',
  ];
  const content = nasty.map((v, i) => `V${i}=${shellValue(v)}\n`).join('');
  const file = writeTmp(content);
  t.ok(bashParses(file));
  t.strictSame(sourceVars(file), Object.fromEntries(nasty.map((v, i) => [`V${i}`, v])));
});

t.test('shellValue refuses newlines and control characters', async (t) => {
  for (const bad of ['a\nb', '\n', 'a\rb', 'a\tb', 'a\0b', 'a\x1bb', 'a\x7fb']) {
    t.throws(() => shellValue(bad), JSON.stringify(bad));
  }
});

t.test('isHookIfcfg: only the header as the first line', async (t) => {
  t.ok(isHookIfcfg(`${IFCFG_HEADER}\nDEVICE=x\n`));
  t.ok(isHookIfcfg('# Generated by vdsm-hook-ovs: other wording of a later version\n'), 'the signature is what counts');
  t.notOk(isHookIfcfg(''));
  t.notOk(isHookIfcfg('DEVICE=x\n'));
  t.notOk(isHookIfcfg('# Generated by VDSM version 4.19.10-1.el7\nDEVICE=x\n'), "VDSM's own file");
  t.notOk(isHookIfcfg(`DEVICE=x\n${IFCFG_HEADER}\n`), 'header not on the first line');
  t.notOk(isHookIfcfg(` ${IFCFG_HEADER}\n`));
  t.notOk(isHookIfcfg('# Generated by vdsm-hook-ovs-ng\n'), 'another tool whose name starts the same');
});

t.test('route-/rule- files: the table and rules of each static network with a gateway, in ifup-routes\' ip format', async (t) => {
  // blue: 192.0.2.10/24 via 192.0.2.1; its table 69140905 = Python's zlib.adler32(b'blue'); red is DHCP, green has no IPv4
  const files = renderRouteFiles(TOPOLOGY);
  t.strictSame([...files.keys()], ['route-blue', 'rule-blue'], 'only blue has a static gateway');
  t.equal(files.get('route-blue'), `${IFCFG_HEADER}\n` +
    'default via 192.0.2.1 dev blue table 69140905 proto 211\n192.0.2.0/24 dev blue table 69140905 proto 211\n');
  t.equal(files.get('rule-blue'), `${IFCFG_HEADER}\n` +
    'priority 3200 from 192.0.2.0/24 table 69140905 protocol 211\npriority 3200 to 192.0.2.0/24 table 69140905 protocol 211\n');
  t.ok(isHookIfcfg(files.get('route-blue')!), 'recognised as the hook\'s');
  const set = ifcfgSet(rendered, files);
  t.ok(set.has('ifcfg-blue') && set.has('route-blue') && set.has('rule-blue'), 'one set, by file name');
});

t.test('ifcfgChanges', async (t) => {
  const own = (body: string): string => `${IFCFG_HEADER}\n${body}\n`;
  const wanted = new Map([
    ['ifcfg-ovsbr-eth1', own('DEVICE=ovsbr-eth1')],
    ['ifcfg-eth1', own('DEVICE=eth1\nMTU=9000')],
    ['ifcfg-red', own('DEVICE=red')],
    ['ifcfg-eth2', own('DEVICE=eth2')],
    ['route-red', own('default via 192.0.2.1 dev red table 42402108 proto 211')],
    ['rule-red', own('priority 3200 from 192.0.2.0/24 table 42402108 protocol 211')],
  ]);
  const existing = new Map([
    ['ifcfg-ovsbr-eth1', own('DEVICE=ovsbr-eth1')], // identical: skipped
    ['ifcfg-eth1', own('DEVICE=eth1\nMTU=1500')], // ours, changed: rewritten
    ['ifcfg-eth2', 'DEVICE=eth2\nBOOTPROTO=dhcp\n'], // wanted but not ours: left, reported
    ['ifcfg-blue', own('DEVICE=blue')], // ours, no longer wanted: removed
    ['ifcfg-eth0', 'DEVICE=eth0\n'], // not ours, not wanted: untouched, not reported
    ['ifcfg-blue.bak', own('DEVICE=blue')], // an administrator's copy of ours: untouched
    ['route-blue', own('')], // ours, no longer wanted: removed
    ['rule-red', 'from all lookup 7\n'], // wanted but not ours: left, reported
    ['route-eth0', '10.0.0.0/8 via 192.0.2.254\n'], // not ours, not wanted: untouched
    ['notes', own('')], // not a file of the set: untouched
  ]);
  const { files, labels, foreign } = ifcfgChanges('/etc/sysconfig/network-scripts', wanted, existing);
  t.same(files, [
    { path: '/etc/sysconfig/network-scripts/ifcfg-eth1', content: own('DEVICE=eth1\nMTU=9000'), mode: 0o644 },
    { path: '/etc/sysconfig/network-scripts/ifcfg-red', content: own('DEVICE=red'), mode: 0o644 },
    { path: '/etc/sysconfig/network-scripts/route-red', content: own('default via 192.0.2.1 dev red table 42402108 proto 211'), mode: 0o644 },
    { path: '/etc/sysconfig/network-scripts/ifcfg-blue', content: null },
    { path: '/etc/sysconfig/network-scripts/route-blue', content: null },
  ]);
  t.same(labels, ['ifcfg-eth1', 'ifcfg-red', 'route-red', 'ifcfg-blue (removed)', 'route-blue (removed)']);
  t.same(foreign, ['ifcfg-eth2', 'rule-red']);

  const again = ifcfgChanges('/d', wanted, wanted);
  t.same(again, { files: [], labels: [], foreign: [] }, 'nothing to do once written');
  const gone = ifcfgChanges('/d', new Map(), existing);
  t.same(gone.labels, ['ifcfg-blue (removed)', 'ifcfg-eth1 (removed)', 'ifcfg-ovsbr-eth1 (removed)', 'route-blue (removed)'],
    'empty desired state: only our files go');
});

t.test('readIfcfgDir', async (t) => {
  const dir = join(tmp, 'network-scripts');
  t.same(readIfcfgDir(dir), new Map(), 'a missing directory is empty');
  mkdirSync(dir);
  writeFileSync(join(dir, 'ifcfg-eth0'), 'DEVICE=eth0\n');
  writeFileSync(join(dir, 'ifcfg-red'), `${IFCFG_HEADER}\nDEVICE=red\n`);
  writeFileSync(join(dir, 'route-red'), 'x\n');
  writeFileSync(join(dir, 'rule-red'), 'y\n');
  writeFileSync(join(dir, 'route6-red'), 'z\n');
  writeFileSync(join(dir, 'notes'), 'w\n');
  mkdirSync(join(dir, 'ifcfg-weird'));
  t.same(readIfcfgDir(dir), new Map([
    ['ifcfg-eth0', 'DEVICE=eth0\n'],
    ['ifcfg-red', `${IFCFG_HEADER}\nDEVICE=red\n`],
    ['ifcfg-weird', ''],
    ['route-red', 'x\n'],
    ['rule-red', 'y\n'],
  ]), 'ifcfg-*, route-* and rule-* only; what cannot be read counts as not ours');
});

t.test('bridge options and host QoS: the OVS rows in OVS_EXTRA, as ifup-ovs runs them with the bridge and the port', async (t) => {
  const files = renderIfcfg({
    desired: desired({
      red: { nic: 'eth1', custom: { ...OVS, bridge_opts: 'multicast_snooping=1 multicast_router=2 stp_state=2 priority=8192' },
        hostQos: { out: { ls: { m2: 5 }, ul: { m2: 8000000 } } } },
    }),
    datapathType: 'system',
    origMtu: new Map(),
    uplinkMac: NO_MAC,
  });
  const vars = (dev: string): Record<string, string> => sourceVars(writeTmp(files.get(dev)!));
  t.strictSame(vars('ovsbr-eth1')['OVS_EXTRA'], 'set Bridge ovsbr-eth1 datapath_type=system rstp_enable=true mcast_snooping_enable=true '
    + 'other_config:rstp-priority=8192 external_ids:vdsm-hook-ovs-opts=rstp-priority external_ids:vdsm-hook-ovs=bridge '
    + '-- set Port ovsbr-eth1 external_ids:vdsm-hook-ovs=bridge -- set Interface ovsbr-eth1 external_ids:vdsm-hook-ovs=bridge');
  t.equal(vars('ovsbr-eth1')['STP'], 'no', 'RSTP is not STP');
  t.equal(vars('eth1')['OVS_EXTRA'], 'set Port eth1 external_ids:vdsm-hook-ovs=uplink '
    + '-- set Interface eth1 external_ids:vdsm-hook-ovs=uplink mtu_request=1500 '
    + '-- --id=@q_eth1_0 create Queue external_ids:vdsm-hook-ovs=queue '
    + '-- --id=@q_eth1_4095 create Queue other_config:max-rate=8000000 external_ids:vdsm-hook-ovs=queue external_ids:vdsm-hook-ovs-ls=5 '
    + '-- --id=@qos_eth1 create QoS type=linux-htb external_ids:vdsm-hook-ovs=qos queues:0=@q_eth1_0 queues:4095=@q_eth1_4095 '
    + '-- set Port eth1 qos=@qos_eth1');
  t.match(vars('red')['OVS_EXTRA'], /^set Port red external_ids:vdsm-hook-ovs=network other_config:mcast-snooping-flood=true other_config:mcast-snooping-flood-reports=true -- /,
    'multicast_router=2: the network port gets all multicast');
});

t.test('an overlay: its own bridge without uplink file, the network, one OVSTunnel file per remote', async (t) => {
  const d = desired({
    ov: { nic: 'eth1', mtu: 1450, custom: { ...OVS, ovs_tunnel: 'geneve:77', ovs_tunnel_remotes: '192.0.2.2,192.0.2.3', ovs_tunnel_local: '192.0.2.1' } },
  });
  const files = renderIfcfg({ desired: d, datapathType: 'netdev', origMtu: new Map(), uplinkMac: NO_MAC });
  const tunnels = [...d.tunnels.values()];
  t.same([...files.keys()].sort(), ['ov', 'ovsbr-ov', ...tunnels.map((p) => p.port)].sort(), 'no file for eth1: OVS does not take it');
  t.equal(sourceVars(writeTmp(files.get('ov')!))['OVSREQUIRES'], 'ovsbr-ov', 'the network needs only its bridge');
  const vars = sourceVars(writeTmp(files.get(tunnels[0]!.port)!));
  t.equal(vars['TYPE'], 'OVSTunnel');
  t.equal(vars['OVS_BRIDGE'], 'ovsbr-ov');
  t.equal(vars['OVS_TUNNEL_TYPE'], 'geneve');
  t.equal(vars['OVS_TUNNEL_OPTIONS'], 'options:key=77 options:remote_ip=192.0.2.2 options:local_ip=192.0.2.1');
  t.equal(vars['OVS_OPTIONS'], 'tag=0', 'an access port of the network');
  t.match(vars['OVS_EXTRA'], /external_ids:vdsm-hook-ovs=tunnel/);
});
