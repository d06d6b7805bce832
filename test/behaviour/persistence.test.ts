/**
 * ifcfg files for boot, written by the real hook run: valid shell with the
 * right keys, removed with their objects, and someone else's file never
 * touched.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from '../lib/sandbox.js';
import { applyOk, ovsBond, ovsNet, remove, setup } from '../lib/requests.js';

const DIR = 'etc/sysconfig/network-scripts';
const FOREIGN = 'DEVICE=eth3\nBOOTPROTO=dhcp\nONBOOT=yes\n';

/** The file's variables as bash sees them after sourcing it in an empty environment. */
function sourced(file: string): Record<string, string> {
  const out = execFileSync('env', ['-i', 'bash', '--norc', '--noprofile', '-c', 'set -a; . "$1"; env -0', '_', file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const vars: Record<string, string> = {};
  for (const entry of out.split('\0').filter(Boolean)) {
    const i = entry.indexOf('=');
    vars[entry.slice(0, i)] = entry.slice(i + 1);
  }
  for (const shellOwn of ['PWD', 'SHLVL', '_', 'OLDPWD']) delete vars[shellOwn];
  return vars;
}

t.test('every bridge, uplink, bond, slave and network gets an ifcfg file; all go with them', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  const dir = join(sb.root, DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ifcfg-eth3'), FOREIGN);
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  const r = await applyOk(t, sb, setup({
    blue: ovsNet({ bonding: 'bond0', vlan: '10', ipaddr: '10.10.0.1', prefix: '24', gateway: '10.10.0.254', defaultRoute: 'true',
      nameservers: ['10.10.0.53'], mtu: '9000' }),
    red: ovsNet({ nic: 'eth3', ipv6addr: '2001:db8:3::1/64' }),
  }, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_mode:balance-slb') }));
  t.match(r.stderr, /ifcfg-eth3 was not written by the hook: left as it is/, 'the foreign file is named in the log');
  t.match(r.stderr, /ifcfg files \(no network-scripts ifup-ovs/, 'the log says how the host will bring the networks back');

  const files = readdirSync(dir).sort();
  t.strictSame(files, ['ifcfg-blue', 'ifcfg-bond0', 'ifcfg-eth1', 'ifcfg-eth2', 'ifcfg-eth3', 'ifcfg-ovsbr-bond0',
    'ifcfg-ovsbr-eth3', 'ifcfg-red', 'route-blue', 'rule-blue'], 'blue, static with a gateway, has its table and rules too');
  for (const f of files) {
    t.doesNotThrow(() => execFileSync('bash', ['-n', join(dir, f)]), `${f}: bash -n accepts it`);
  }
  const blue = sourced(join(dir, 'ifcfg-blue'));
  t.match(blue, {
    DEVICE: 'blue', DEVICETYPE: 'ovs', TYPE: 'OVSBridge', OVS_OPTIONS: 'ovsbr-bond0 10', OVSREQUIRES: 'ovsbr-bond0 bond0',
    ONBOOT: 'yes', NM_CONTROLLED: 'no', BOOTPROTO: 'none', IPADDR: '10.10.0.1', PREFIX: '24', GATEWAY: '10.10.0.254',
    DEFROUTE: 'yes', DNS1: '10.10.0.53', MTU: '9000', IPV6INIT: 'no',
  });
  t.match(sourced(join(dir, 'ifcfg-bond0')), {
    TYPE: 'OVSBond', OVS_BRIDGE: 'ovsbr-bond0', BOND_IFACES: 'eth1 eth2', OVS_OPTIONS: 'bond_mode=balance-slb lacp=off',
  });
  const slave = sourced(join(dir, 'ifcfg-eth1'));
  t.equal(slave['MTU'], '9000', 'a slave carries the largest MTU of the bond');
  t.equal(slave['TYPE'], undefined, 'a slave has no OVS keys: ifup-ovs brings it up for the bond');
  t.match(sourced(join(dir, 'ifcfg-ovsbr-eth3')), { TYPE: 'OVSBridge', STP: 'no' });
  t.match(sourced(join(dir, 'ifcfg-red')), { IPV6INIT: 'yes', IPV6ADDR: '2001:db8:3::1/64', DEFROUTE: 'no' });
  // OVS_EXTRA marks the rows ifup-ovs re-creates as the hook's: the same command the hook itself runs
  const extra = sourced(join(dir, 'ifcfg-blue'))['OVS_EXTRA']!;
  await sb.hostOvs.vsctl('remove', 'Port', 'blue', 'external_ids', 'vdsm-hook-ovs');
  t.doesNotThrow(() => execFileSync('ip', ['netns', 'exec', sb.host, 'env', `OVS_RUNDIR=${sb.hostOvs.rundir}`,
    'ovs-vsctl', '--timeout=10', ...extra.split(' ')]), 'OVS_EXTRA is a valid ovs-vsctl command line');
  t.equal(await sb.hostOvs.vsctl('get', 'Port', 'blue', 'external_ids:vdsm-hook-ovs'), 'network',
    'a port re-created by ifup-ovs is the hook\'s again');

  await applyOk(t, sb, setup({ blue: remove, red: remove }, { bond0: remove }));
  t.strictSame(readdirSync(dir), ['ifcfg-eth3'], "every file the hook wrote is gone; the other one stays");
  t.equal((await sb.files())[`${DIR}/ifcfg-eth3`], FOREIGN, 'byte for byte');
});

t.test("a bond's options come back when ifup-ovs re-creates the bond from its ifcfg file", async (t) => {
  const sb = await createSandbox(t);
  mkdirSync(join(sb.root, DIR), { recursive: true });
  await applyOk(t, sb, setup({ v7: ovsNet({ bonding: 'bond0', vlan: '7' }) }, {
    bond0: { nics: ['eth1', 'eth2'], options: 'mode=1 miimon=100 updelay=200 downdelay=100 primary=eth2 custom=ovs:True' },
  }));
  const before = await sb.hostOvs.snapshot();
  const uuid = await sb.hostOvs.vsctl('get', 'Port', 'bond0', '_uuid');
  const f = sourced(join(sb.root, DIR, 'ifcfg-bond0'));
  // what ifup-ovs runs for TYPE=OVSBond: the port deleted and added again, OVS_OPTIONS and OVS_EXTRA word-split
  await sb.hostOvs.vsctl('--if-exists', 'del-port', f['OVS_BRIDGE']!, 'bond0', '--', 'add-bond', f['OVS_BRIDGE']!, 'bond0',
    ...f['BOND_IFACES']!.split(' '), ...f['OVS_OPTIONS']!.split(' '), '--', ...f['OVS_EXTRA']!.split(' '));
  t.not(await sb.hostOvs.vsctl('get', 'Port', 'bond0', '_uuid'), uuid, 'a new Port row');
  t.equal(await sb.hostOvs.snapshot(), before, 'with the mode, delays and other_config keys the hook had set');
});
