/**
 * The uplink's MAC on every OVS network's device, against a real Open
 * vSwitch: a NIC's DHCP lease follows it onto the OVS network (the address
 * the Engine knows the host by stays), VLAN networks carry it too, an OVS
 * bond gives its hwaddr, and a rollback gives the earlier MACs back.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { applyOk, ovsNet, setup } from '../lib/requests.js';
import { hostState } from '../lib/host-state.js';

async function link(sb: Sandbox, dev: string): Promise<{ mac: string; ipv4: string[] }> {
  const [l] = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', 'addr', 'show', 'dev', dev])).stdout) as {
    address: string; addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  return { mac: l!.address, ipv4: l!.addr_info.filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`) };
}

t.test('a NIC with a DHCP lease of its own moves to an OVS network and keeps its address', async (t) => {
  const sb = await createSandbox(t);
  // dnsmasq on the untagged peer side, as the site's DHCP server; 200 addresses, so that
  // another MAC would get another one (and never this one while the NIC's lease runs)
  await sb.peerEndpoint('pd', 0, '10.40.0.2/24');
  await sb.exec(sb.peer, 'dnsmasq', [
    '--conf-file=/dev/null', '--interface=pd', '--bind-interfaces', '--port=0',
    '--dhcp-range=10.40.0.50,10.40.0.250,255.255.255.0,1h',
    `--dhcp-leasefile=${join(sb.root, 'dnsmasq.leases')}`, `--pid-file=${join(sb.root, 'dnsmasq.pid')}`,
  ]);
  await sb.peerEndpoint('pv41', 41, '10.41.0.2/24');

  // the NIC holds its lease as VDSM's Linux management bridge holds it: a DHCP client on a device
  // with the NIC's MAC (the bridge takes its port's), asking for no name servers (resolv.conf stays)
  const nicMac = (await link(sb, 'eth1')).mac;
  await sb.exec(sb.host, 'ip', ['link', 'set', 'eth1', 'up']);
  const conf = join(sb.root, 'nic-dhclient.conf');
  const pidFile = join(sb.root, 'nic-dhclient.pid');
  writeFileSync(conf, 'timeout 20;\nrequest subnet-mask, broadcast-address;\n');
  await sb.exec(sb.host, 'dhclient', ['-4', '-1', '-pf', pidFile, '-lf', join(sb.root, 'nic-dhclient.leases'), '-cf', conf, 'eth1']);
  const leased = (await link(sb, 'eth1')).ipv4;
  t.equal(leased.length, 1, `the NIC has its lease: ${leased.join(', ')}`);
  // VDSM takes the Linux bridge down before the network moves: its client stops, the lease stays the server's
  process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');

  const request = setup({
    mgmt: ovsNet({ nic: 'eth1', bootproto: 'dhcp', blockingdhcp: 'true' }),
    v41: ovsNet({ nic: 'eth1', vlan: '41', ipaddr: '10.41.0.1', prefix: '24' }),
  });
  const r = await applyOk(t, sb, request);
  t.match(r.stderr, new RegExp(`network mgmt added on eth1, untagged, MAC ${nicMac} of its uplink`), 'the log says why');
  t.equal((await link(sb, 'mgmt')).mac, nicMac, 'the network device has the NIC\'s MAC');
  t.strictSame((await link(sb, 'mgmt')).ipv4, leased, 'and the DHCP server gave it the NIC\'s address');
  t.equal(await sb.hostOvs.vsctl('get', 'Interface', 'mgmt', 'mac'), `"${nicMac}"`, 'set through OVS, not ip link');
  t.equal((await link(sb, 'v41')).mac, nicMac, 'the VLAN network on the same NIC carries the NIC\'s MAC too');
  t.ok(await sb.ping(sb.host, '10.40.0.2'), 'the DHCP network carries traffic');
  t.ok(await sb.ping(sb.host, '10.41.0.2'), 'so does the VLAN network');

  const cfg = await sb.hostOvs.nextCfg();
  t.match((await applyOk(t, sb, request)).stderr, /nothing to change/, 'the same request again: nothing');
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'no OVS write');
});

t.test('an OVS bond gives its hwaddr, else its first slave\'s MAC; a rollback gives the earlier MAC back', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  await sb.peerEndpoint('pv5', 5, '10.5.0.2/24');
  const hwaddr = '02:00:5e:10:00:05';
  const net = { b5: ovsNet({ bonding: 'bond0', vlan: '5', ipaddr: '10.5.0.1', prefix: '24' }) };
  const bond = (nics: string[], mac?: string) => ({ bond0: { nics, options: 'custom=ovs:True', ...(mac ? { hwaddr: mac } : {}) } });
  await applyOk(t, sb, setup(net, bond(['eth2', 'eth1'], hwaddr.toUpperCase())));
  t.equal((await link(sb, 'b5')).mac, hwaddr, 'the network on the bond has the bond\'s hwaddr');
  t.ok(await sb.ping(sb.host, '10.5.0.2'), 'and carries traffic with it');
  const caps = await sb.runHook('after_get_caps', { networks: {}, bridges: {}, vlans: {}, bondings: {}, nics: {} });
  t.equal(caps.output?.bondings?.bond0?.hwaddr, hwaddr, 'caps report the bond\'s MAC as its network has it');

  const before = await hostState(sb);
  const eth2 = (await link(sb, 'eth2')).mac;
  const change = await sb.runHook('before_network_setup', setup(net, bond(['eth2', 'eth3'])));
  t.equal(change.exitCode, 0, change.stderr);
  t.equal((await link(sb, 'b5')).mac, eth2, 'without hwaddr: the first slave\'s MAC (eth2)');
  t.ok(await sb.ping(sb.host, '10.5.0.2'), 'traffic with the new MAC');
  const fail = await sb.runHook('after_network_setup_fail', change.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.equal((await link(sb, 'b5')).mac, hwaddr, 'rolled back: the hwaddr again');
  t.same(await hostState(sb), before, 'OVS, files and links as before the change');
  t.ok(await sb.ping(sb.host, '10.5.0.2'), 'traffic after the rollback');

  for (const bad of ['02:00:5e:10:00', '01:00:5e:00:00:01']) {
    const r = await sb.runHook('before_network_setup', setup(net, bond(['eth2', 'eth1'], bad)));
    t.equal(r.exitCode, 2, `hwaddr ${bad} refused`);
    t.match(r.stderr.split('\n')[0], /^bond 'bond0': hwaddr: /, 'naming the bond and the attribute');
    t.same(await hostState(sb), before, 'nothing changed');
  }
});
