/**
 * vdsm-ovs restore after the OVS database was lost, against a real Open
 * vSwitch whose database is deleted and created anew: from the running
 * config; at boot, ahead of VDSM, from VDSM's persisted config without
 * writing the running config; and its refusal when neither holds an OVS
 * entry while OVS still holds the hook's bridges.
 */
import t, { type Test } from 'tap';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostState } from '../lib/host-state.js';
import { applyOk, ovsBond, ovsNet, setup } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const RUNNING = 'var/run/vdsm/netconf';
const PERSISTENCE = 'var/lib/vdsm/persistence';
const NICS = ['eth1', 'eth2', 'eth3'];

/** blue: VLAN 10 on the OVS bond bond0 (eth1, eth2), static IP; red: untagged on eth3, static IP. */
async function ovsHost(t: Test): Promise<Sandbox> {
  const sb = await createSandbox(t, { nics: NICS });
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await applyOk(t, sb, setup({
    blue: ovsNet({ bonding: 'bond0', vlan: '10', ipaddr: '10.10.0.1', netmask: '255.255.255.0' }),
    red: ovsNet({ nic: 'eth3', ipaddr: '10.1.0.1', prefix: '24' }),
  }, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_mode:balance-slb') }));
  await trafficWorks(t, sb);
  return sb;
}

async function trafficWorks(t: Test, sb: Sandbox): Promise<void> {
  t.ok(await sb.ping(sb.host, '10.10.0.2'), 'blue reaches the peer on VLAN 10');
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'red reaches the untagged peer');
}

/** The kernel devices of the hook's bridges and networks. */
const DEVICES = ['blue', 'red', 'ovsbr-bond0', 'ovsbr-eth3'];

/**
 * What a reboot leaves of the host's networking, or a lost OVS database on the
 * kernel datapath: both OVS daemons stopped, conf.db deleted and created
 * empty, the daemons started again; no device of the hook's left, the NICs
 * down. (The userspace datapath's leftovers: db-loss.test.ts.)
 */
async function wipeOvs(t: Test, sb: Sandbox): Promise<void> {
  await sb.hostOvs.wipeDatabase();
  // the sandbox's userspace datapath keeps its internal ports as persistent
  // tap devices, which a reboot (or, with the kernel datapath, ovs-vswitchd
  // finding them missing from the database) removes
  for (const dev of DEVICES) await sb.exec(sb.host, 'ip', ['link', 'del', dev], { reject: false });
  t.same((await linkNames(sb)).filter((l) => DEVICES.includes(l)), [], "no device of the hook's is left");
  for (const nic of NICS) await sb.setLink(sb.host, nic, false);
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'the OVS database holds no bridge');
  t.same(await addresses(sb), [], 'no address is left on the host');
  t.notOk(await sb.ping(sb.host, '10.10.0.2', { timeoutS: 2 }), 'blue is cut');
}

async function linkNames(sb: Sandbox): Promise<string[]> {
  return (JSON.parse((await sb.exec(sb.host, 'ip', ['-j', 'link', 'show'])).stdout) as { ifname: string }[]).map((l) => l.ifname);
}

/** Every IPv4 address of the host namespace but loopback's. */
async function addresses(sb: Sandbox): Promise<string[]> {
  const links = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', '-4', 'addr', 'show'])).stdout) as {
    ifname: string; addr_info: { local: string; prefixlen: number }[];
  }[];
  return links.filter((l) => l.ifname !== 'lo')
    .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`)).sort();
}

/** The networks as OVS holds them: parent bridge and VLAN of each, the bond's members. */
async function ovsNetworks(sb: Sandbox): Promise<string[]> {
  const vsctl = sb.hostOvs.vsctl;
  return [
    `blue: ${await vsctl('br-to-parent', 'blue')} VLAN ${await vsctl('br-to-vlan', 'blue')}`,
    `red: ${await vsctl('br-to-parent', 'red')} VLAN ${await vsctl('br-to-vlan', 'red')}`,
    `bond0: ${await vsctl('get', 'Port', 'bond0', 'bond_mode')} ${(await vsctl('list-ifaces', 'ovsbr-bond0')).split('\n').join(' ')}`,
  ];
}

const EXPECTED_OVS = ['blue: ovsbr-bond0 VLAN 10', 'red: ovsbr-eth3 VLAN 0', 'bond0: balance-slb eth1 eth2'];
const EXPECTED_ADDRESSES = ['blue 10.10.0.1/24', 'red 10.1.0.1/24'];

/** VDSM's setSafeNetworkConfig: the running config copied to netconf.<ts>, the netconf symlink pointed at it. */
function persist(sb: Sandbox): void {
  const stamp = `${Date.now()}000000`;
  const dir = join(sb.root, PERSISTENCE, `netconf.${stamp}`);
  mkdirSync(join(sb.root, PERSISTENCE), { recursive: true });
  cpSync(join(sb.root, RUNNING), dir, { recursive: true });
  symlinkSync(`netconf.${stamp}`, join(sb.root, PERSISTENCE, 'netconf'));
}

/** The running config after a reboot: its directories there (VDSM's tmpfs), empty. */
function emptyRunningConfig(sb: Sandbox): void {
  rmSync(join(sb.root, RUNNING), { recursive: true });
  mkdirSync(join(sb.root, RUNNING, 'nets'), { recursive: true });
  mkdirSync(join(sb.root, RUNNING, 'bonds'));
}

const runningEntries = (sb: Sandbox) =>
  ['nets', 'bonds'].flatMap((kind) => readdirSync(join(sb.root, RUNNING, kind)).map((n) => `${kind}/${n}`));

t.test('restore brings the networks back from the running config after the OVS database was wiped', async (t) => {
  const sb = await ovsHost(t);
  const before = await hostState(sb);
  t.same(await ovsNetworks(sb), EXPECTED_OVS);
  await wipeOvs(t, sb);

  const r = await sb.runCli(['restore']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(lines(r.stdout)[0], 'restored from the running config:', 'the output says which source');
  t.match(r.stderr, /^info: restoring from the running config$/m, 'the log says which source');
  t.same(await ovsNetworks(sb), EXPECTED_OVS, 'bridges, VLAN tags and the bond are back');
  t.same(await addresses(sb), EXPECTED_ADDRESSES, 'and the addresses');
  await trafficWorks(t, sb);
  t.same(await hostState(sb), before, 'OVS DB, files, links and route as before the wipe');
  const again = await sb.runCli(['restore']);
  t.equal(again.stdout, 'OVS and links already match the running config\n', 'a second restore has nothing to do');
});

t.test('at boot, restore brings the networks back from VDSM\'s persisted config, leaving the running config to VDSM', async (t) => {
  const sb = await ovsHost(t);
  const saved = Object.fromEntries(['nets/blue', 'nets/red', 'bonds/bond0']
    .map((e) => [e, readFileSync(join(sb.root, RUNNING, e), 'utf8')]));
  persist(sb);
  const before = await hostState(sb);
  emptyRunningConfig(sb);
  await wipeOvs(t, sb);
  const files = await sb.files();

  const r = await sb.runCli(['restore']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(lines(r.stdout)[0], "restored from VDSM's persisted config (the running config holds no OVS entry yet):",
    'the output says which source');
  t.notMatch(r.stdout, /running config:/, 'no running config write is planned');
  const logged = readFileSync(join(sb.root, 'var/log/vdsm/ovs-hook.log'), 'utf8');
  t.match(logged, /vdsm-ovs restore\[\d+\] info: restoring from VDSM's persisted config \(the running config holds no OVS entry yet\)\n/,
    'the log says which source');
  t.same(await ovsNetworks(sb), EXPECTED_OVS, 'bridges, VLAN tags and the bond are back');
  t.same(await addresses(sb), EXPECTED_ADDRESSES, 'and the addresses');
  await trafficWorks(t, sb);
  t.same(runningEntries(sb), [], 'the running config is still empty: VDSM would tear down what it finds there');
  t.same(await sb.files(), files, 'no file written');
  const { files: _files, ...host } = await hostState(sb);
  const { files: _before, ...hostBefore } = before;
  t.same(host, hostBefore, 'OVS DB, links and route as before the reboot');

  // then vdsm-network.service: the persisted config written into the running
  // config, and setupNetworks with its entries, which finds nothing to do
  for (const [entry, content] of Object.entries(saved)) writeFileSync(join(sb.root, RUNNING, entry), content);
  const cfg = await sb.hostOvs.nextCfg();
  const request = (kind: string) => Object.fromEntries(Object.entries(saved)
    .filter(([e]) => e.startsWith(`${kind}/`)).map(([e, c]) => [e.slice(kind.length + 1), JSON.parse(c)]));
  const vdsm = await sb.runHook('before_network_setup',
    setup(request('nets'), request('bonds'), { connectivityCheck: false, _inRollback: true }));
  t.equal(vdsm.exitCode, 0, vdsm.stderr);
  t.match(vdsm.stderr, /nothing to change/, "VDSM's own restore finds the OVS networks up");
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'and writes nothing to the OVS database');
  t.same(await hostState(sb), before, 'the host as before the reboot, running config included');
  const again = await sb.runCli(['restore']);
  t.equal(again.stdout, 'OVS and links already match the running config\n', 'from then on restore reads the running config');
});

t.test('restore refuses when neither config holds an OVS entry while OVS holds the hook\'s bridges', async (t) => {
  const sb = await ovsHost(t);
  persist(sb);
  // VDSM's own networks only, in both configs: nothing there says what the OVS bridges should be
  const ovirtmgmt = '{\n    "nic": "eth9",\n    "bridged": true\n}\n';
  for (const dir of [join(sb.root, RUNNING), join(sb.root, PERSISTENCE, 'netconf')]) {
    for (const entry of ['nets/blue', 'nets/red', 'bonds/bond0']) rmSync(join(dir, entry));
    writeFileSync(join(dir, 'nets/ovirtmgmt'), ovirtmgmt);
  }
  const before = await hostState(sb);
  const cfg = await sb.hostOvs.nextCfg();

  const r = await sb.runCli(['restore']);
  t.equal(r.exitCode, 2, 'refused');
  t.equal(r.stdout, '', 'nothing reported as done');
  t.equal(lines(r.stderr)[0], "running config: holds no OVS network or bond, and neither does VDSM's persisted config, " +
    "while Open vSwitch holds the hook's bridges ovsbr-bond0, ovsbr-eth3: not removing them " +
    '(to tear the networks down, remove them in the Engine)', 'the error line first: what, why, what to do');
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'no OVS transaction');
  t.same(await hostState(sb), before, 'OVS DB, files, links and route unchanged');
  await trafficWorks(t, sb);

  rmSync(join(sb.root, PERSISTENCE), { recursive: true });
  rmSync(join(sb.root, RUNNING), { recursive: true });
  const none = await sb.runCli(['restore']);
  t.equal(none.exitCode, 2, 'no config at all: refused too');
  t.match(lines(none.stderr)[0], /^running config: holds no OVS network or bond, and neither does VDSM's persisted config, /,
    'with the same error');
  t.same((await hostState(sb)).db, before.db, 'OVS untouched');
});
