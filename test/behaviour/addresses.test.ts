/**
 * Addresses against a real Open vSwitch: DHCPv4 from a dnsmasq peer (leases,
 * blocking, the client's life cycle), static IPv6 with ping -6, default
 * routes of both families, nameservers, NIC addresses flushed and given back
 * by a rollback.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DHCP_DIR, dhcpClient, dhcpServer, hookConfig, pidRunsFor } from '../lib/dhcp.js';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { applyOk, ovsNet, remove, setup } from '../lib/requests.js';
import { hostState } from '../lib/host-state.js';
import { until } from '../lib/until.js';

async function addrs(sb: Sandbox, dev: string, family: 'inet' | 'inet6' = 'inet'): Promise<string[]> {
  const [link] = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', 'addr', 'show', 'dev', dev])).stdout) as {
    addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  return link!.addr_info.filter((a) => a.family === family && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

async function defaultRoute(sb: Sandbox, family: '-4' | '-6'): Promise<string> {
  return (await sb.exec(sb.host, 'ip', [family, 'route', 'show', 'default'])).stdout.trim();
}

/** Processes in the host namespace whose command line names dev (a DHCP client left behind would show here). */
async function processesFor(sb: Sandbox, dev: string): Promise<string[]> {
  const pids = execFileSync('ip', ['netns', 'pids', sb.host], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  return pids.filter((p) => pidRunsFor(Number(p), dev));
}

const inLeaseRange = (subnet: string) => (a: string) => new RegExp(`^${subnet.replaceAll('.', '\\.')}\\.(5\\d|60)/24$`).test(a);

t.test('DHCPv4: a lease through OVS; static and back; the client goes with the network', async (t) => {
  const sb = await createSandbox(t);
  hookConfig(sb, 'dhcp_timeout = 15\n');
  await dhcpServer(sb, 'pd30', 30, '10.30.0');
  const r = await applyOk(t, sb, setup({ dyn: ovsNet({ nic: 'eth1', vlan: '30', bootproto: 'dhcp', blockingdhcp: 'true' }) }));
  t.match(r.stderr, /start a DHCPv4 client for dyn, waiting for the lease/, 'the log says what it started');
  const leased = await addrs(sb, 'dyn');
  t.equal(leased.length, 1, `one leased address: ${leased.join(', ')}`);
  t.ok(leased.every(inLeaseRange('10.30.0')), 'from the server of VLAN 30');
  t.ok(await sb.ping(sb.host, '10.30.0.2'), 'the DHCP network carries traffic');
  const client = dhcpClient(sb, 'dyn');
  t.ok(client?.alive, `a ${client?.client} runs for dyn (pid ${client?.pid})`);
  t.equal(await defaultRoute(sb, '-4'), '', 'no default route from the lease: the network does not have it');

  const again = await applyOk(t, sb, setup({ dyn: ovsNet({ nic: 'eth1', vlan: '30', bootproto: 'dhcp', blockingdhcp: 'true' }) }));
  t.match(again.stderr, /nothing to change/, 'the same request again: nothing');
  t.equal(dhcpClient(sb, 'dyn')?.pid, client?.pid, 'the same client keeps running');

  await applyOk(t, sb, setup({ dyn: ovsNet({ nic: 'eth1', vlan: '30', ipaddr: '10.30.0.9', prefix: '24' }) }));
  t.strictSame(await addrs(sb, 'dyn'), ['10.30.0.9/24'], 'static: the leased address is gone, the static one there');
  t.strictSame(await processesFor(sb, 'dyn'), [], 'no DHCP client left for dyn');
  t.equal(dhcpClient(sb, 'dyn'), undefined, 'nor its record');
  t.ok(await sb.ping(sb.host, '10.30.0.2'), 'traffic over the static address');

  await applyOk(t, sb, setup({ dyn: ovsNet({ nic: 'eth1', vlan: '30', bootproto: 'dhcp', defaultRoute: 'true' }) }));
  t.ok(await until(async () => (await addrs(sb, 'dyn')).some(inLeaseRange('10.30.0')), 15), 'not blocking: the lease comes later');
  t.ok(await until(async () => /via 10\.30\.0\.2 dev dyn/.test(await defaultRoute(sb, '-4')), 10),
    'the default-route network takes its default route from the lease');

  await applyOk(t, sb, setup({ dyn: remove }));
  t.strictSame(await processesFor(sb, 'dyn'), [], 'removed: no DHCP client left');
  t.strictSame(existsSync(join(sb.root, DHCP_DIR)) ? readdirSync(join(sb.root, DHCP_DIR)) : [], [], 'nor any of its files');
});

t.test('blockingdhcp without a server: a clear error, nothing left behind', async (t) => {
  const sb = await createSandbox(t);
  hookConfig(sb, 'dhcp_timeout = 3\n');
  const before = await hostState(sb);
  const r = await sb.runHook('before_network_setup', setup({
    lone: ovsNet({ nic: 'eth1', vlan: '31', bootproto: 'dhcp', blockingdhcp: true }),
  }));
  t.equal(r.exitCode, 2);
  t.match(r.stderr.split('\n')[0], /^network 'lone': bootproto: no DHCPv4 lease on lone within 3 s .*rolled back/);
  t.strictSame(await hostState(sb), before, 'OVS, files and links as they were');
  t.strictSame(await processesFor(sb, 'lone'), [], 'no DHCP client left');
});

t.test('dhcpcd when chosen: a lease, and nothing left after removal', async (t) => {
  const sb = await createSandbox(t);
  // the packaged default: dhcpcd probes the offered address by ARP (~5 s) and, when its first DISCOVER
  // is lost on a port just brought up, retransmits after 4 and 8 s, which 15 s sometimes did not cover
  hookConfig(sb, 'dhcp_client = dhcpcd\ndhcp_timeout = 30\n');
  await dhcpServer(sb, 'pd32', 32, '10.32.0');
  const r = await applyOk(t, sb, setup({ dd: ovsNet({ nic: 'eth1', vlan: '32', bootproto: 'dhcp', blockingdhcp: 'true' }) }));
  t.ok((await addrs(sb, 'dd')).some(inLeaseRange('10.32.0')), 'leased by dhcpcd');
  t.equal(dhcpClient(sb, 'dd')?.client, 'dhcpcd');
  t.match(r.stderr, /dhcpcd/, 'the log names the client');
  t.ok(await sb.ping(sb.host, '10.32.0.2'));
  await applyOk(t, sb, setup({ dd: remove }));
  t.strictSame(await processesFor(sb, 'dd'), [], 'no dhcpcd left');
});

t.test('static IPv6 and both default routes; nameservers; IPv6 off where none is configured', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv40', 40, '10.40.0.2/24');
  await sb.exec(sb.peer, 'ip', ['addr', 'add', '2001:db8:40::2/64', 'dev', 'pv40', 'nodad']);
  mkdirSync(join(sb.root, 'etc'), { recursive: true });
  const resolv = 'search example.org\nnameserver 192.0.2.53\noptions edns0\n';
  writeFileSync(join(sb.root, 'etc/resolv.conf'), resolv);
  const six = ovsNet({
    nic: 'eth1', vlan: '40', ipaddr: '10.40.0.1', prefix: '24', gateway: '10.40.0.2', defaultRoute: 'true',
    ipv6addr: '2001:db8:40::1/64', ipv6gateway: '2001:db8:40::2', nameservers: ['10.40.0.53', '2001:db8:40::53'],
  });
  await applyOk(t, sb, setup({ six, plain: ovsNet({ nic: 'eth1', vlan: '41' }) }));
  t.ok(await sb.ping(sb.host, '2001:db8:40::2', { timeoutS: 10 }), 'ping -6 to the peer over the network');
  t.match(await defaultRoute(sb, '-6'), /^default via 2001:db8:40::2 dev six/);
  t.match(await defaultRoute(sb, '-4'), /^default via 10\.40\.0\.2 dev six/);
  const sysctl = async (dev: string, key: string) =>
    (await sb.exec(sb.host, 'cat', [`/proc/sys/net/ipv6/conf/${dev}/${key}`])).stdout.trim();
  t.strictSame([await sysctl('six', 'disable_ipv6'), await sysctl('six', 'accept_ra'), await sysctl('six', 'autoconf')],
    ['0', '0', '0'], 'static IPv6: on, no router advertisements, no autoconf');
  t.equal(await sysctl('plain', 'disable_ipv6'), '1', 'no IPv6 configured: off, as VDSM does');
  t.equal(readFileSync(join(sb.root, 'etc/resolv.conf'), 'utf8'), [
    '# Generated by vdsm-hook-ovs: the nameservers of the default-route network',
    'search example.org', 'options edns0', 'nameserver 10.40.0.53', 'nameserver 2001:db8:40::53', '',
  ].join('\n'), 'the nameservers replace the old ones; search and options stay');

  // a change VDSM then reports as failed: resolv.conf comes back as it was before it
  const other = { ...six, nameservers: ['10.40.0.54'] };
  const r = await sb.runHook('before_network_setup', setup({ six: other }));
  t.equal(r.exitCode, 0);
  t.match(readFileSync(join(sb.root, 'etc/resolv.conf'), 'utf8'), /nameserver 10\.40\.0\.54\n$/);
  const fail = await sb.runHook('after_network_setup_fail', r.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.match(readFileSync(join(sb.root, 'etc/resolv.conf'), 'utf8'), /nameserver 10\.40\.0\.53\nnameserver 2001:db8:40::53\n$/,
    'rolled back: the earlier nameservers');
});

t.test('a NIC OVS takes loses its addresses; a rollback gives them back', async (t) => {
  const sb = await createSandbox(t);
  await sb.exec(sb.host, 'ip', ['addr', 'add', '192.0.2.77/24', 'dev', 'eth2']);
  await sb.exec(sb.host, 'ip', ['addr', 'add', '2001:db8:77::7/64', 'dev', 'eth2', 'nodad']);
  const before = await hostState(sb);
  const r = await sb.runHook('before_network_setup', setup({ grey: ovsNet({ nic: 'eth2', vlan: '50' }) }));
  t.equal(r.exitCode, 0, r.stderr);
  t.strictSame([await addrs(sb, 'eth2'), await addrs(sb, 'eth2', 'inet6')], [[], []], 'no address on the NIC OVS took');
  t.match(r.stderr, /eth2 is taken by OVS: its addresses 192\.0\.2\.77\/24, 2001:db8:77::7\/64 removed/);
  const fail = await sb.runHook('after_network_setup_fail', r.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.strictSame(await addrs(sb, 'eth2'), ['192.0.2.77/24'], 'IPv4 address back');
  t.strictSame(await addrs(sb, 'eth2', 'inet6'), ['2001:db8:77::7/64'], 'IPv6 address back');
  t.strictSame(await hostState(sb), before, 'and everything else as it was');
});
