import t from 'tap';
import { parseKernelState } from '../../src/kernel.js';

// `ip -j -batch -` fed "addr show\nroute show default\n": one JSON array per command, one per line.
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
    addr_info: [
      { family: 'inet', local: '192.0.2.10', prefixlen: 24, scope: 'global', label: 'eth0' },
      { family: 'inet', local: '192.0.2.11', prefixlen: 24, scope: 'global', secondary: true, label: 'eth0' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ],
  },
  { ifindex: 3, ifname: 'eth1', flags: ['BROADCAST', 'MULTICAST'], mtu: 9000, operstate: 'DOWN', addr_info: [] },
  { ifindex: 4, ifname: 'eth2', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, operstate: 'DOWN', addr_info: [] },
  { ifindex: 5, ifname: 'red', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UNKNOWN',
    addr_info: [{ family: 'inet', local: '198.51.100.10', prefixlen: 24, scope: 'global', label: 'red' }] },
]);
const ROUTE = JSON.stringify([{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0', protocol: 'static', flags: [] }]);

t.test('links: MTU, up (admin UP flag), global IPv4 addresses only', async (t) => {
  const { links } = parseKernelState(`${ADDR}\n${ROUTE}\n`);
  t.strictSame([...links.keys()], ['lo', 'eth0', 'eth1', 'eth2', 'red']);
  t.strictSame(links.get('eth0'), { name: 'eth0', mtu: 1500, up: true, ipv4: ['192.0.2.10/24', '192.0.2.11/24'] });
  t.strictSame(links.get('eth1'), { name: 'eth1', mtu: 9000, up: false, ipv4: [] });
  t.equal(links.get('eth2')!.up, true, 'UP without carrier is still up');
  t.strictSame(links.get('lo')!.ipv4, [], 'host-scope 127.0.0.1 is not a global address');
  t.strictSame(links.get('red')!.ipv4, ['198.51.100.10/24']);
});

t.test('the default route: device and gateway', async (t) => {
  t.strictSame(parseKernelState(`${ADDR}\n${ROUTE}\n`).defaultRoute, { dev: 'eth0', gateway: '192.0.2.1' });
});

t.test('a default route without gateway, and none at all', async (t) => {
  const devOnly = JSON.stringify([{ dst: 'default', dev: 'ppp0', scope: 'link', flags: [] }]);
  t.strictSame(parseKernelState(`${ADDR}\n${devOnly}\n`).defaultRoute, { dev: 'ppp0' });
  t.equal(parseKernelState(`${ADDR}\n[]\n`).defaultRoute, undefined);
});
