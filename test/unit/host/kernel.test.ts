import t from 'tap';
import { DUMP_READS, parseKernelState, readKernelState, type Runner } from '../../../src/host/kernel.js';
import { DumpInterrupted, HostError } from '../../../src/runtime/errors.js';
import type { CommandResult } from '../../../src/runtime/exec.js';

// `ip -j -batch -` fed "addr show\nroute show default table all\nrule show\nroute show table all proto 211\n":
// one JSON array per command, one per line (the rule and proto listings as ip 6.1 prints them).
const ADDR = JSON.stringify([
  {
    ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN',
    addr_info: [
      { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' },
      { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' },
    ],
  },
  {
    ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP',
    address: '52:54:00:3c:1e:01',
    addr_info: [
      { family: 'inet', local: '192.0.2.10', prefixlen: 24, scope: 'global', label: 'eth0' },
      { family: 'inet', local: '192.0.2.11', prefixlen: 24, scope: 'global', secondary: true, label: 'eth0' },
      { family: 'inet6', local: '2001:db8::10', prefixlen: 64, scope: 'global', valid_life_time: 4294967295 },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
      { family: 'inet6', local: '2001:db8::aa', prefixlen: 64, scope: 'global', dynamic: true, valid_life_time: 86400 },
    ],
  },
  { ifindex: 3, ifname: 'eth1', flags: ['BROADCAST', 'MULTICAST'], mtu: 9000, operstate: 'DOWN', addr_info: [] },
  { ifindex: 4, ifname: 'eth2', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, operstate: 'DOWN', addr_info: [] },
  { ifindex: 5, ifname: 'red', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UNKNOWN',
    addr_info: [
      { family: 'inet', local: '198.51.100.10', prefixlen: 24, scope: 'global', label: 'red' },
      // a DHCP lease as dhclient adds it: with a lifetime, without the "dynamic" flag
      { family: 'inet', local: '10.0.0.7', prefixlen: 24, scope: 'global', valid_life_time: 600, preferred_life_time: 600 },
    ] },
]);
const ROUTE = JSON.stringify([
  { dst: 'default', gateway: '198.51.100.1', dev: 'red', table: '100', flags: [] },
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', protocol: 'static', flags: [] },
  { dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', metric: 1024, flags: [], pref: 'medium' },
]);

t.test('links: MTU, up (admin UP flag), MAC, global IPv4 and non-link-local IPv6 addresses', async (t) => {
  const { links } = parseKernelState(`${ADDR}\n${ROUTE}\n`);
  t.strictSame([...links.keys()], ['lo', 'eth0', 'eth1', 'eth2', 'red']);
  t.strictSame(links.get('eth0'), {
    name: 'eth0', mtu: 1500, up: true, mac: '52:54:00:3c:1e:01',
    ipv4: ['192.0.2.10/24', '192.0.2.11/24'], ipv6: ['2001:db8::10/64', '2001:db8::aa/64'], dynamic: ['2001:db8::aa/64'],
  });
  t.strictSame(links.get('eth1'), { name: 'eth1', mtu: 9000, up: false, mac: '', ipv4: [], ipv6: [], dynamic: [] });
  t.equal(links.get('eth2')!.up, true, 'UP without carrier is still up');
  t.strictSame(links.get('lo')!.ipv4, [], 'host-scope 127.0.0.1 is not a global address');
  t.strictSame(links.get('lo')!.ipv6, [], 'nor is ::1');
  t.strictSame(links.get('red')!.ipv4, ['198.51.100.10/24', '10.0.0.7/24']);
  t.strictSame(links.get('red')!.dynamic, ['10.0.0.7/24'], 'an address with a lifetime is dynamic');
});

t.test('the default routes of the main table: IPv4 and IPv6, device and gateway', async (t) => {
  const state = parseKernelState(`${ADDR}\n${ROUTE}\n`);
  t.strictSame(state.defaultRoute, { dev: 'eth0', gateway: '192.0.2.1' }, 'table 100 is not the host default route');
  t.strictSame(state.defaultRoute6, { dev: 'eth0', gateway: 'fe80::1' });
});

t.test('per device gateways: a default route through it in any table, the main table first', async (t) => {
  const source = JSON.stringify([{ dst: 'default', gateway: '192.0.2.254', dev: 'eth0', table: '7', flags: [] }]);
  const routes = JSON.stringify([...JSON.parse(source), ...JSON.parse(ROUTE)]);
  const state = parseKernelState(`${ADDR}\n${routes}\n`);
  t.strictSame([...state.gateways], [['eth0', '192.0.2.1'], ['red', '198.51.100.1']]);
  t.strictSame([...state.gateways6], [['eth0', 'fe80::1']]);
});

t.test('a default route without gateway, and none at all', async (t) => {
  const devOnly = JSON.stringify([{ dst: 'default', dev: 'ppp0', scope: 'link', flags: [] }]);
  t.strictSame(parseKernelState(`${ADDR}\n${devOnly}\n`).defaultRoute, { dev: 'ppp0' });
  t.equal(parseKernelState(`${ADDR}\n[]\n`).defaultRoute, undefined);
  t.equal(parseKernelState(`${ADDR}\n[]\n`).defaultRoute6, undefined);
});

// what iproute2 6.1 printed here while veth pairs came and went in the namespace it listed (exit 0)
const INTERRUPTED = 'Dump was interrupted and may be inconsistent.\n';

/** A runner answering each call with the next result, recording what it was asked. */
function scripted(results: Partial<CommandResult>[]) {
  const calls: { file: string; args: readonly string[]; input?: string }[] = [];
  const runner: Runner = async (file, args, opts) => {
    calls.push({ file, args, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    const next = results[calls.length - 1];
    if (!next) throw new Error(`unexpected call ${calls.length}`);
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...next };
  };
  return { runner, calls };
}

const whole = { stdout: `${ADDR}\n${ROUTE}\n` };
// an interrupted dump may miss devices: eth0 and red are not in this one
const partial = `${JSON.stringify(JSON.parse(ADDR).slice(0, 1))}\n[]\n`;

t.test('an interrupted dump is read again, never used: whether ip exits 0 or not', async (t) => {
  const { runner, calls } = scripted([
    { stdout: partial, stderr: INTERRUPTED },
    { stdout: partial, stderr: INTERRUPTED, exitCode: 2 },
    whole,
  ]);
  const state = await readKernelState(5, { runner });
  t.equal(calls.length, 3, 'read three times');
  t.ok(state.links.has('red'), 'the whole dump is the one used');
  t.strictSame(state.defaultRoute, { dev: 'eth0', gateway: '192.0.2.1' });
  t.strictSame(new Set(calls.map((c) => JSON.stringify(c))).size, 1, 'each time the same command');
  t.strictSame(calls[0], { file: 'ip', args: ['-j', '-batch', '-'], input: 'addr show\nroute show default table all\nrule show\nroute show table all proto 211\n' });
});

t.test('a dump interrupted every time fails after a bounded number of reads', async (t) => {
  t.equal(DUMP_READS, 5);
  const { runner, calls } = scripted(Array.from({ length: 10 }, () => ({ stdout: partial, stderr: INTERRUPTED })));
  await t.rejects(readKernelState(5, { runner }), DumpInterrupted);
  t.equal(calls.length, 5, 'five reads, then no more');
  const again = scripted(Array.from({ length: 5 }, () => ({ stderr: INTERRUPTED })));
  await t.rejects(readKernelState(5, { runner: again.runner }), {
    message: 'reading links failed: the kernel interrupted the dump 5 times in a row (devices or addresses changing meanwhile); '
      + 'an interrupted dump may be inconsistent, so none was used',
  });
  t.ok(DumpInterrupted.prototype instanceof HostError, 'a host error: the host, not the request, must change');
});

t.test('any other failure of ip fails at once', async (t) => {
  const { runner, calls } = scripted([{ exitCode: 1, stderr: 'Cannot open netlink socket: Permission denied\n' }]);
  await t.rejects(readKernelState(5, { runner }), { constructor: HostError, message: 'reading links failed: Cannot open netlink socket: Permission denied' });
  t.equal(calls.length, 1);
});

t.test("link kinds, as `ip -d` gives them: a tun device's mode and persistence", async (t) => {
  const link = (ifname: string, linkinfo?: unknown) => ({ ifname, flags: ['BROADCAST'], mtu: 1500, addr_info: [], ...(linkinfo ? { linkinfo } : {}) });
  const tun = (data: unknown) => ({ info_kind: 'tun', info_data: data });
  const { links } = parseKernelState(`${JSON.stringify([
    link('eth0'),
    link('eth0.10', { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 10 } }),
    link('blue', tun({ type: 'tap', pi: false, vnet_hdr: false, multi_queue: false, persist: true })),
    link('vnet0', tun({ type: 'tap', pi: false, vnet_hdr: true, multi_queue: false, persist: false })),
    link('tun0', tun({ type: 'tun', pi: true, vnet_hdr: false, multi_queue: false, persist: true })),
    // an iproute2 too old to print the tun details
    link('old0', { info_kind: 'tun' }),
  ])}\n[]\n`);
  const kinds = [...links.values()].map(({ name, kind, persistent }) => ({ name, kind, persistent }));
  t.strictSame(kinds, [
    { name: 'eth0', kind: undefined, persistent: undefined },
    { name: 'eth0.10', kind: 'vlan', persistent: undefined },
    { name: 'blue', kind: 'tap', persistent: true },
    { name: 'vnet0', kind: 'tap', persistent: false },
    { name: 'tun0', kind: 'tun', persistent: true },
    { name: 'old0', kind: 'tun', persistent: false },
  ]);
  t.notOk('kind' in links.get('eth0')!, 'a NIC has no kind at all');
});

t.test("the hook's rules and table routes: its protocol number and VDSM's priority only", async (t) => {
  const rules = JSON.stringify([
    { priority: 0, src: 'all', table: 'local' },
    { priority: 3200, src: '10.62.0.0', srclen: 24, table: '67436922', protocol: '211' },
    { priority: 3200, src: 'all', dst: '10.62.0.0', dstlen: 24, table: '67436922', protocol: '211' },
    // an administrator's rule of the same priority and table: not the hook's
    { priority: 3200, src: '10.99.0.0', srclen: 24, table: '67436922' },
    // the hook's protocol at another priority: not one of its rules either
    { priority: 100, src: '10.98.0.0', srclen: 16, table: '67436922', protocol: '211' },
    { priority: 3200, src: '10.97.0.5', table: '67436922', protocol: '211' },
    { priority: 32766, src: 'all', table: 'main' },
  ]);
  const routes = JSON.stringify([
    { dst: 'default', gateway: '10.62.0.2', dev: 'net2', table: '67436922', flags: [] },
    { dst: '10.62.0.0/24', dev: 'net2', table: '67436922', scope: 'link', flags: [] },
    { dst: '2001:db8::/64', dev: 'net2', table: '67436922', metric: 1024, flags: [], pref: 'medium' },
  ]);
  const state = parseKernelState(`${ADDR}\n${ROUTE}\n${rules}\n${routes}\n`);
  t.strictSame(state.hookRules, [
    { dir: 'from', subnet: '10.62.0.0/24', table: 67436922 },
    { dir: 'to', subnet: '10.62.0.0/24', table: 67436922 },
    { dir: 'from', subnet: '10.97.0.5/32', table: 67436922 },
  ]);
  t.strictSame(state.hookRoutes, [
    { dst: 'default', gateway: '10.62.0.2', dev: 'net2', table: 67436922 },
    { dst: '10.62.0.0/24', dev: 'net2', table: 67436922 },
  ], 'IPv4 only');
  t.strictSame([parseKernelState(`${ADDR}\n${ROUTE}\n`).hookRules, parseKernelState(`${ADDR}\n${ROUTE}\n`).hookRoutes], [[], []]);
});
