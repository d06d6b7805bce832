import t from 'tap';
import { checkIPv4, netmaskToPrefix, prefixToNetmask } from '../../../src/model/ipv4.js';
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
