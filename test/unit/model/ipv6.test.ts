import { isIPv6 } from 'node:net';
import t from 'tap';
import { InvalidRequest } from '../../../src/runtime/errors.js';
import { checkIPv6 } from '../../../src/model/ipv6.js';

const accepts = (text: string): boolean => {
  try {
    checkIPv6("network 'red'", 'ipv6gateway', text);
    return true;
  } catch (err) {
    if (!(err instanceof InvalidRequest)) throw err;
    return false;
  }
};

t.test('checkIPv6 accepts exactly what node:net calls IPv6, zone ids aside', async (t) => {
  const cases = [
    '::', '::1', '2001:db8::1', '2001:DB8:0:0::0A', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7',
    '::ffff:192.0.2.1', '1:2:3:4:5:6:192.0.2.1', ' 2001:db8::1 ',
    '1:2:3:4:5:6:7:8:9', '1::2::3', '::ffff:192.0.2', '::ffff:256.1.1.1', '2001:db8::g', ':', ':::', '12345::',
    '1:2:3:4:5:6:7:192.0.2.1', '192.0.2.1', '', '[::1]', '::1/64', 'a::b:c.d', 'http://x', '::1]/[::2',
  ];
  for (const c of cases) t.equal(accepts(c), isIPv6(c.trim()), JSON.stringify(c));
  t.notOk(accepts('fe80::1%eth1'), 'a zone id is refused (node:net would take it)');
});

t.test('checkIPv6 gives the RFC 5952 spelling ip prints', async (t) => {
  // RFC 5952 section 4: leading zeros dropped, longest (then first) zero run as ::, lower case
  t.equal(checkIPv6('s', 'a', '2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  t.equal(checkIPv6('s', 'a', '2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  t.equal(checkIPv6('s', 'a', '2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1', 'a single zero field stays');
});

t.test('the error names the attribute and the value', async (t) => {
  try {
    checkIPv6("network 'red'", 'ipv6gateway', '10.0.0.1');
    t.fail('accepted');
  } catch (err) {
    t.equal((err as InvalidRequest).line, `network 'red': ipv6gateway: "10.0.0.1" is not an IPv6 address`);
  }
});
