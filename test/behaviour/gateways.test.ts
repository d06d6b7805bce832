/**
 * A gateway on every network, against a real Open vSwitch and real routers:
 * two OVS networks, each behind its own router namespace with a far subnet
 * behind it, the default route on the first. Traffic that reaches the second
 * network from its far subnet is answered through the second network, as
 * VDSM's source routing does it; tables and rules go with the network and
 * with a rollback, and nobody else's rule is touched.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { applyOk, ovsNet, remove, setup } from '../lib/requests.js';
import { hostState } from '../lib/host-state.js';

// Python's zlib.adler32(b'gw1'), zlib.adler32(b'gw2'): the networks' tables, as VDSM numbers them
const GW1_TABLE = 39256336;
const GW2_TABLE = 39321873;
const IFCFG = 'etc/sysconfig/network-scripts';

/**
 * A router on VLAN `vlan` of the peer switch (10.6N.0.2) with a far host
 * behind it (10.9N.0.2, its default route through the router). The router
 * knows only its two subnets: it can return nothing to another network.
 * Returns the far host's namespace.
 */
async function router(sb: Sandbox, n: number): Promise<string> {
  const r = await sb.addNamespace(`r${n}`);
  const far = await sb.addNamespace(`f${n}`);
  await sb.exec(sb.peer, 'ip', ['link', 'add', `r${n}-up`, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', r]);
  await sb.exec(sb.peer, 'ip', ['link', 'set', `r${n}-up`, 'up']);
  await sb.peerOvs.vsctl('add-port', sb.peerBridge, `r${n}-up`, `tag=${60 + n}`);
  await sb.exec(r, 'ip', ['link', 'add', 'farside', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', far]);
  for (const [ns, dev, cidr] of [[r, 'uplink', `10.6${n}.0.2/24`], [r, 'farside', `10.9${n}.0.1/24`], [far, 'eth0', `10.9${n}.0.2/24`]] as const) {
    await sb.exec(ns, 'ip', ['addr', 'add', cidr, 'dev', dev]);
    await sb.exec(ns, 'ip', ['link', 'set', 'dev', dev, 'up']);
  }
  await sb.exec(far, 'ip', ['route', 'add', 'default', 'via', `10.9${n}.0.1`]);
  // through the userspace datapath a veth's offloaded checksum is never filled in: UDP (DHCP) would arrive broken
  await sb.exec(r, 'ethtool', ['-K', 'uplink', 'tx', 'off']);
  await sb.exec(sb.peer, 'ethtool', ['-K', `r${n}-up`, 'tx', 'off']);
  await sb.exec(r, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  return far;
}

async function rules(sb: Sandbox): Promise<string[]> {
  return (await sb.exec(sb.host, 'ip', ['rule', 'show'])).stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
}

async function table(sb: Sandbox, id: number): Promise<string[]> {
  const r = await sb.exec(sb.host, 'ip', ['route', 'show', 'table', String(id)], { reject: false });
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => l.trim().replace(/\s+/g, ' '));
}

const gw1 = ovsNet({ nic: 'eth1', vlan: '61', ipaddr: '10.61.0.1', prefix: '24', gateway: '10.61.0.2', defaultRoute: 'true' });
const gw2 = ovsNet({ nic: 'eth2', vlan: '62', ipaddr: '10.62.0.1', netmask: '255.255.255.0', gateway: '10.62.0.2' });

t.test('two networks, two routers: replies leave through the network the request came in on', async (t) => {
  const sb = await createSandbox(t);
  await router(sb, 1);
  const far2 = await router(sb, 2);
  // an administrator's rules: one in gw2's table and priority, one for gw2's subnet; never the hook's to remove
  await sb.exec(sb.host, 'ip', ['rule', 'add', 'priority', '3200', 'from', '10.99.0.0/24', 'table', String(GW2_TABLE)]);
  await sb.exec(sb.host, 'ip', ['rule', 'add', 'priority', '3200', 'from', '10.62.0.0/24', 'table', '4242']);
  const foreign = ['3200: from 10.99.0.0/24 lookup 39321873', '3200: from 10.62.0.0/24 lookup 4242'];

  const plan = await sb.runCli(['plan', '-'], { input: JSON.stringify(setup({ gw1, gw2 })) });
  t.match(plan.stdout, /ip rule add priority 3200 from 10\.62\.0\.0\/24 table 39321873 protocol 211 +# network gw2: traffic from 10\.62\.0\.0\/24 looks up its table/,
    'vdsm-ovs plan shows the rules and why');
  await applyOk(t, sb, setup({ gw1, gw2 }));

  t.strictSame(await table(sb, GW2_TABLE), ['default via 10.62.0.2 dev gw2 proto 211', '10.62.0.0/24 dev gw2 proto 211 scope link'],
    'gw2 has its own table: its default route and its subnet');
  t.strictSame(await table(sb, GW1_TABLE), ['default via 10.61.0.2 dev gw1 proto 211', '10.61.0.0/24 dev gw1 proto 211 scope link'],
    'so has gw1, the default-route network');
  const all = await rules(sb);
  for (const want of [
    '3200: from 10.61.0.0/24 lookup 39256336 proto 211', '3200: from all to 10.61.0.0/24 lookup 39256336 proto 211',
    '3200: from 10.62.0.0/24 lookup 39321873 proto 211', '3200: from all to 10.62.0.0/24 lookup 39321873 proto 211',
  ]) t.ok(all.includes(want), `rule: ${want}`);
  t.equal((await sb.exec(sb.host, 'ip', ['route', 'show', 'default'])).stdout.trim(), 'default via 10.61.0.2 dev gw1',
    'the main table\'s default route: gw1\'s only');

  t.ok(await sb.ping(far2, '10.62.0.1', { timeoutS: 8 }), 'the far host behind router 2 reaches gw2 and gets its replies');
  t.match((await sb.exec(sb.host, 'ip', ['route', 'get', '10.92.0.2', 'from', '10.62.0.1'])).stdout, /via 10\.62\.0\.2 dev gw2 table 39321873/,
    'replies from gw2\'s address leave through gw2');
  t.ok(await sb.ping(sb.host, '10.92.0.2', { from: '10.62.0.1' }), 'the host reaches the far subnet from gw2\'s address');
  t.ok(await sb.ping(sb.host, '10.91.0.2'), 'and the other far subnet through the default route');
  t.notOk(await sb.ping(sb.host, '10.92.0.2', { timeoutS: 2 }), 'control: from gw1\'s address, through router 1, no way there');

  const caps = await sb.runHook('after_get_caps', { networks: {}, bridges: {}, vlans: {}, bondings: {}, nics: {} });
  const nets = caps.output?.networks ?? {};
  t.strictSame([nets.gw1?.gateway, nets.gw1?.ipv4defaultroute], ['10.61.0.2', true], 'caps: gw1 has its gateway and the default route');
  t.strictSame([nets.gw2?.gateway, nets.gw2?.ipv4defaultroute], ['10.62.0.2', false], 'caps: gw2 has its gateway, not the default route');
  t.match((await sb.runCli(['show'])).stdout,
    /network gw2: .*\n +table 39321873: default via 10\.62\.0\.2, 10\.62\.0\.0\/24; rules \(priority 3200\) from 10\.62\.0\.0\/24, to 10\.62\.0\.0\/24/,
    'vdsm-ovs show prints gw2\'s table and rules');
  const files = await sb.files();
  t.equal(files[`${IFCFG}/route-gw2`]?.split('\n').slice(1).join('\n'),
    'default via 10.62.0.2 dev gw2 table 39321873 proto 211\n10.62.0.0/24 dev gw2 table 39321873 proto 211\n', 'route-gw2 for boot');
  t.equal(files[`${IFCFG}/rule-gw2`]?.split('\n').slice(1).join('\n'),
    'priority 3200 from 10.62.0.0/24 table 39321873 protocol 211\npriority 3200 to 10.62.0.0/24 table 39321873 protocol 211\n', 'rule-gw2 for boot');

  const cfg = await sb.hostOvs.nextCfg();
  const again = await applyOk(t, sb, setup({ gw1, gw2 }));
  t.match(again.stderr, /nothing to change/, 'the same request again: nothing');
  t.equal(await sb.hostOvs.nextCfg(), cfg);

  // a gateway change and a new network, rolled back by VDSM's failure
  const before = { ...(await hostState(sb)), rules: await rules(sb), table: await table(sb, GW2_TABLE) };
  const gw3 = ovsNet({ nic: 'eth2', vlan: '63', ipaddr: '10.63.0.1', prefix: '24', gateway: '10.63.0.2' });
  const moved = await sb.runHook('before_network_setup', setup({ gw2: { ...gw2, gateway: '10.62.0.254' }, gw3 }));
  t.equal(moved.exitCode, 0, moved.stderr);
  t.strictSame(await table(sb, GW2_TABLE), ['default via 10.62.0.254 dev gw2 proto 211', '10.62.0.0/24 dev gw2 proto 211 scope link'],
    'a gateway change: the table\'s default route replaced');
  // Python's zlib.adler32(b'gw3')
  t.ok((await rules(sb)).includes('3200: from 10.63.0.0/24 lookup 39387410 proto 211'), 'the new network has its rules');
  const fail = await sb.runHook('after_network_setup_fail', moved.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.strictSame({ ...(await hostState(sb)), rules: await rules(sb), table: await table(sb, GW2_TABLE) }, before,
    'rolled back: table, rules, files and links as before, nothing of gw3 left');
  t.strictSame(await table(sb, 39387410), [], 'gw3\'s table is empty');
  t.ok(await sb.ping(far2, '10.62.0.1'), 'and the far host is answered again');

  for (const bad of [{ gateway: '10.62.0.300' }, { gateway: '10.62.0.2', netmask: '255.0.255.0' }]) {
    const r = await sb.runHook('before_network_setup', setup({ gw2: { ...gw2, ...bad } }));
    t.equal(r.exitCode, 2, `refused: ${JSON.stringify(bad)}`);
    t.match(r.stderr.split('\n')[0], /^network 'gw2': (gateway|netmask): /);
    t.strictSame({ ...(await hostState(sb)), rules: await rules(sb), table: await table(sb, GW2_TABLE) }, before, 'nothing changed');
  }

  await applyOk(t, sb, setup({ gw2: remove }));
  t.strictSame(await table(sb, GW2_TABLE), [], 'gw2 removed: its table is empty');
  t.notOk((await rules(sb)).some((l) => l.includes('39321873 proto 211')), 'and its rules are gone');
  t.notOk(existsSync(join(sb.root, IFCFG, 'route-gw2')) || existsSync(join(sb.root, IFCFG, 'rule-gw2')), 'so are its files');
  t.ok((await rules(sb)).includes('3200: from 10.61.0.0/24 lookup 39256336 proto 211'), 'gw1\'s rules stay');

  await applyOk(t, sb, setup({ gw1: remove }));
  t.notOk((await rules(sb)).some((l) => l.includes('proto 211')), 'all networks gone: no rule of the hook left');
  t.strictSame(await table(sb, GW1_TABLE), [], 'nor a route in its tables');
  for (const rule of foreign) t.ok((await rules(sb)).includes(rule), `a foreign rule stays: ${rule}`);
  t.equal(readFileSync(join(sb.root, 'var/log/vdsm/ovs-hook.log'), 'utf8').includes('4242'), false, 'the foreign rules were never named');
});

t.test('a DHCP network off the default route: the lease\'s router in its own table, the rules following the lease', async (t) => {
  const sb = await createSandbox(t);
  await router(sb, 1);
  const far2 = await router(sb, 2);
  // router 2 is the DHCP server of its subnet, and hands itself out as the router
  const r2 = far2.replace('f2', 'r2');
  await sb.exec(r2, 'dnsmasq', [
    '--conf-file=/dev/null', '--interface=uplink', '--bind-interfaces', '--port=0',
    '--dhcp-range=10.62.0.50,10.62.0.60,255.255.255.0,1h', '--dhcp-option=option:router,10.62.0.2',
    `--dhcp-leasefile=${join(sb.root, 'dnsmasq.leases')}`, `--pid-file=${join(sb.root, 'dnsmasq.pid')}`,
  ]);
  // Python's zlib.adler32(b'dyn2')
  const DYN2_TABLE = 67961214;
  const dyn2 = ovsNet({ nic: 'eth2', vlan: '62', bootproto: 'dhcp', blockingdhcp: 'true' });
  const ours = async (): Promise<string[]> => (await rules(sb)).filter((l) => l.includes(`lookup ${DYN2_TABLE} proto 211`));
  const leasedRules = ['3200: from 10.62.0.0/24 lookup 67961214 proto 211', '3200: from all to 10.62.0.0/24 lookup 67961214 proto 211'];

  await applyOk(t, sb, setup({ gw1, dyn2 }));
  const [leased] = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', '-4', 'addr', 'show', 'dev', 'dyn2'])).stdout)[0].addr_info
    .filter((a: { scope: string }) => a.scope === 'global').map((a: { local: string }) => a.local);
  t.match(leased, /^10\.62\.0\.(5\d|60)$/, `a lease from router 2: ${leased}`);
  t.strictSame(await table(sb, DYN2_TABLE), ['default via 10.62.0.2 dev dyn2 proto 211', '10.62.0.0/24 dev dyn2 proto 211 scope link'],
    'the lease\'s router and subnet in dyn2\'s table');
  t.strictSame(await ours(), leasedRules, 'rules from and to the leased subnet');
  t.equal((await sb.exec(sb.host, 'ip', ['route', 'show', 'default'])).stdout.trim(), 'default via 10.61.0.2 dev gw1',
    'the main table\'s default route stays gw1\'s');
  t.ok(await sb.ping(far2, leased, { timeoutS: 8 }), 'the far host behind router 2 reaches the leased address and gets its replies');
  const caps = await sb.runHook('after_get_caps', { networks: {}, bridges: {}, vlans: {}, bondings: {}, nics: {} });
  t.strictSame([caps.output?.networks?.dyn2?.gateway, caps.output?.networks?.dyn2?.ipv4defaultroute], ['10.62.0.2', false],
    'caps: dyn2 has the lease\'s gateway, not the default route');
  t.match((await applyOk(t, sb, setup({ gw1, dyn2 }))).stderr, /nothing to change/, 'the same request again: nothing');

  await applyOk(t, sb, setup({ dyn2: { ...dyn2, bootproto: 'none', ipaddr: '10.62.0.9', prefix: '24', gateway: '10.62.0.2' } }));
  t.strictSame(await ours(), leasedRules, 'static on the same subnet: the same rules');
  t.ok(await sb.ping(far2, '10.62.0.9'), 'and the static address is answered through dyn2');
  await applyOk(t, sb, setup({ dyn2: { ...dyn2, bootproto: 'none', ipaddr: '10.62.0.9', prefix: '25', gateway: '10.62.0.2' } }));
  t.strictSame(await ours(), ['3200: from 10.62.0.0/25 lookup 67961214 proto 211', '3200: from all to 10.62.0.0/25 lookup 67961214 proto 211'],
    'a new prefix: the rules follow it');
  await applyOk(t, sb, setup({ dyn2 }));
  t.strictSame(await ours(), leasedRules, 'DHCP again: the static rules gone, the lease\'s back');
  t.ok(await sb.ping(far2, leased), 'the far host is answered again');

  await applyOk(t, sb, setup({ dyn2: remove }));
  t.strictSame([await ours(), await table(sb, DYN2_TABLE)], [[], []], 'removed: neither rules nor routes left');
});
