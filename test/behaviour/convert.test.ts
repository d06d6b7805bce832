/**
 * Networks moving between a Linux bridge (VDSM's) and OVS, against a real
 * Open vSwitch, with traffic. VDSM's own part is played here as VDSM does
 * it: Linux bridge over the NIC, address and running config entry (untagged:
 * these machines have no 8021q module for a Linux VLAN device).
 */
import t from 'tap';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../lib/sandbox.js';
import { createSandbox } from '../lib/sandbox.js';
import { applyOk, ovsNet, setup } from '../lib/requests.js';
import { hostState, pendingPhase } from '../lib/host-state.js';

const NETS = 'var/run/vdsm/netconf/nets';
const LINUX_MGMT = { nic: 'eth1', bridged: true, ipaddr: '10.1.0.1', netmask: '255.255.255.0', switch: 'legacy' };

function runningEntry(sb: Sandbox, name: string, attrs: object): void {
  mkdirSync(join(sb.root, NETS), { recursive: true });
  writeFileSync(join(sb.root, NETS, name), `${JSON.stringify(attrs, null, 4)}\n`);
}

/** VDSM's Linux network: bridge NAME over the NIC with the address, and its running config entry. */
async function vdsmAddsLinux(sb: Sandbox, name: string): Promise<void> {
  const ip = (...args: string[]) => sb.exec(sb.host, 'ip', args);
  await ip('link', 'add', name, 'type', 'bridge');
  await ip('link', 'set', LINUX_MGMT.nic, 'master', name);
  await ip('addr', 'add', `${LINUX_MGMT.ipaddr}/24`, 'dev', name);
  for (const dev of [LINUX_MGMT.nic, name]) await ip('link', 'set', dev, 'up');
  runningEntry(sb, name, LINUX_MGMT);
}

async function vdsmRemovesLinux(sb: Sandbox, name: string): Promise<void> {
  await sb.exec(sb.host, 'ip', ['link', 'del', name]);
  rmSync(join(sb.root, NETS, name));
}

const linkExists = async (sb: Sandbox, dev: string) =>
  (await sb.exec(sb.host, 'ip', ['link', 'show', 'dev', dev], { reject: false })).exitCode === 0;

t.test('Linux bridge -> OVS: VDSM removes the Linux network, then the hook builds it on OVS', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await vdsmAddsLinux(sb, 'mgmt');
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'the Linux network works to begin with');

  const request = setup({ mgmt: ovsNet({ nic: 'eth1', ipaddr: '10.1.0.1', netmask: '255.255.255.0' }) });
  const before = await sb.runHook('before_network_setup', request);
  t.equal(before.exitCode, 0, before.stderr);
  t.strictSame(before.output.request.networks, { mgmt: { remove: true } }, 'VDSM is asked to remove its Linux network');
  t.match(before.stderr, /moving to OVS once VDSM has removed their Linux bridges: networks \[mgmt\]/);
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'nothing built on OVS yet: the name and the NIC are still taken');

  await vdsmRemovesLinux(sb, 'mgmt');
  const after = await sb.runHook('after_network_setup', before.output);
  t.equal(after.exitCode, 0, after.stderr);
  t.equal(await sb.hostOvs.vsctl('br-to-parent', 'mgmt'), 'ovsbr-eth1', 'mgmt is an OVS network on eth1');
  t.same(JSON.parse((await sb.files())[`${NETS}/mgmt`]!), request.request.networks.mgmt, 'recorded as OVS in the running config');
  t.equal(pendingPhase(sb), undefined, 'nothing left pending');
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'the network carries traffic on OVS');
});

t.test('Linux bridge -> OVS that VDSM fails: nothing built, the Linux network untouched', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await vdsmAddsLinux(sb, 'mgmt');
  const state = await hostState(sb);
  const before = await sb.runHook('before_network_setup',
    setup({ mgmt: ovsNet({ nic: 'eth1', ipaddr: '10.1.0.1', netmask: '255.255.255.0' }) }));
  t.equal(before.exitCode, 0, before.stderr);
  const fail = await sb.runHook('after_network_setup_fail', before.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.match(fail.stderr, /networks \[mgmt\] moving to OVS: not built, VDSM keeps their Linux bridges/);
  t.strictSame(await hostState(sb), state, 'OVS, files and links as they were');
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'the Linux network still works');
});

t.test('Linux bridge -> OVS that cannot work is refused at once, naming the network', async (t) => {
  const sb = await createSandbox(t);
  await vdsmAddsLinux(sb, 'mgmt');
  runningEntry(sb, 'other', { ...LINUX_MGMT, vlan: 20, ipaddr: '10.20.0.1' });
  const state = await hostState(sb);
  const r = await sb.runHook('before_network_setup', setup({ mgmt: ovsNet({ nic: 'eth1' }) }));
  t.equal(r.exitCode, 2);
  t.equal(r.stderr.split('\n')[0], "network 'mgmt': nic: eth1 is used by network 'other', which is not on OVS");
  t.strictSame(await hostState(sb), state, 'nothing changed');
  t.equal(pendingPhase(sb), undefined, 'nothing pending');
});

t.test('OVS -> Linux bridge: the hook removes the OVS side, VDSM builds the Linux one', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await applyOk(t, sb, setup({ mgmt: ovsNet({ nic: 'eth1', ipaddr: '10.1.0.1', netmask: '255.255.255.0' }) }));
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'the OVS network works to begin with');

  const linux = { nic: 'eth1', bridged: 'true', ipaddr: '10.1.0.1', netmask: '255.255.255.0' };
  const before = await sb.runHook('before_network_setup', setup({ mgmt: linux }));
  t.equal(before.exitCode, 0, before.stderr);
  t.strictSame(before.output.request.networks, { mgmt: linux }, 'VDSM gets the Linux definition as the Engine sent it');
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'the OVS side is gone: bridge and NIC free for VDSM');
  t.notOk(await linkExists(sb, 'mgmt'), 'no device left in the way of the Linux bridge');
  t.notOk(existsSync(join(sb.root, NETS, 'mgmt')), 'the OVS entry left the running config');

  await vdsmAddsLinux(sb, 'mgmt');
  const after = await sb.runHook('after_network_setup', before.output);
  t.equal(after.exitCode, 0, after.stderr);
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'the network carries traffic on the Linux bridge');
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'and OVS stays empty');
});
