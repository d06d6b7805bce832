import t from 'tap';
import { checkIPv4, netmaskToPrefix, prefixToNetmask, subnetOf } from '../../../src/model/ipv4.js';
import { assertInvalid } from '../fixtures/invalid.js';

const S = "network 'red'";

t.test('checkIPv4 accepts dotted quads and refuses the rest', async (t) => {
  t.equal(checkIPv4(S, 'ipaddr', '198.51.100.10'), '198.51.100.10');
  t.equal(checkIPv4(S, 'ipaddr', '0.0.0.0'), '0.0.0.0');
  t.equal(checkIPv4(S, 'ipaddr', '255.255.255.255'), '255.255.255.255');
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '', '1.2.3.4/24', '::1']) {
    assertInvalid(t, () => checkIPv4(S, 'ipaddr', bad), S, 'ipaddr');
  }
});

t.test('netmaskToPrefix: contiguous masks only', async (t) => {
  t.equal(netmaskToPrefix(S, 'netmask', '255.255.255.0'), 24);
  t.equal(netmaskToPrefix(S, 'netmask', '255.255.0.0'), 16);
  t.equal(netmaskToPrefix(S, 'netmask', '255.255.255.128'), 25);
  t.equal(netmaskToPrefix(S, 'netmask', '255.255.255.255'), 32);
  t.equal(netmaskToPrefix(S, 'netmask', '0.0.0.0'), 0);
  for (const bad of ['255.0.255.0', '0.255.255.255', '255.255.255.1', '255.255.256.0', '24', 'mask']) {
    assertInvalid(t, () => netmaskToPrefix(S, 'netmask', bad), S, 'netmask');
  }
});

t.test('prefixToNetmask is the inverse', async (t) => {
  t.equal(prefixToNetmask(24), '255.255.255.0');
  t.equal(prefixToNetmask(25), '255.255.255.128');
  t.equal(prefixToNetmask(32), '255.255.255.255');
  t.equal(prefixToNetmask(0), '0.0.0.0');
  t.equal(prefixToNetmask(9), '255.128.0.0');
});

t.test('subnetOf: host bits cleared', async (t) => {
  t.equal(subnetOf('192.0.2.77', 24), '192.0.2.0/24');
  t.equal(subnetOf('10.62.0.129', 25), '10.62.0.128/25');
  t.equal(subnetOf('255.255.255.255', 0), '0.0.0.0/0');
  t.equal(subnetOf('203.0.113.9', 32), '203.0.113.9/32');
  t.equal(subnetOf('172.31.255.1', 12), '172.16.0.0/12');
});
