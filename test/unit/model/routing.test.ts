import t from 'tap';
import { adler32, sourceRoute, staticSourceRoute } from '../../../src/model/routing.js';
import { parseNetwork } from '../../../src/model/definitions.js';

t.test('adler32: the values of Python\'s zlib.adler32', async (t) => {
  // python3 -c 'import zlib; print(zlib.adler32(b"..."))'
  t.equal(adler32('ovsmgmt'), 206177038);
  t.equal(adler32('red'), 42402108);
  t.equal(adler32('net2'), 67436922);
  t.equal(adler32('Wikipedia'), 300286872, 'the textbook example, 0x11E60398');
  t.equal(adler32('a'), 6422626);
  t.equal(adler32(''), 1);
  t.equal(adler32('é-net'), 186712801, 'over the UTF-8 bytes, not UTF-16 units');
  t.equal(adler32('z'.repeat(4000)), 3317527210, 'both sums wrap modulo 65521');
});

t.test('a static network with a gateway: its table, default route and subnet, rules from and to it', async (t) => {
  const net = parseNetwork('net2', { nic: 'eth2', ipaddr: '10.62.0.1', prefix: '24', gateway: '10.62.0.2', custom: { ovs: 'true' } });
  t.strictSame(staticSourceRoute(net), {
    network: 'net2',
    table: 67436922,
    routes: [
      { dst: 'default', gateway: '10.62.0.2', dev: 'net2', table: 67436922 },
      { dst: '10.62.0.0/24', dev: 'net2', table: 67436922 },
    ],
    rules: [{ dir: 'from', subnet: '10.62.0.0/24', table: 67436922 }, { dir: 'to', subnet: '10.62.0.0/24', table: 67436922 }],
  });
  t.strictSame(sourceRoute('net2', '10.62.0.1', 24, '10.62.0.2'), staticSourceRoute(net), 'the same from a leased address');
  const noGw = parseNetwork('net2', { nic: 'eth2', ipaddr: '10.62.0.1', prefix: '24', custom: { ovs: 'true' } });
  t.equal(staticSourceRoute(noGw), undefined, 'no gateway: no table');
  const dhcp = parseNetwork('net2', { nic: 'eth2', bootproto: 'dhcp', custom: { ovs: 'true' } });
  t.equal(staticSourceRoute(dhcp), undefined, 'DHCP: nothing static');
});
