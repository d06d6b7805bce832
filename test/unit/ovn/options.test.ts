import t from 'tap';
import { parseOvnConfig, parseOvnUnconfigure } from '../../../src/ovn/options.js';

t.test('ovn-config: central, tunnel, options in both spellings', async (t) => {
  t.strictSame(parseOvnConfig(['192.0.2.1', '198.18.0.11']),
    { central: '192.0.2.1', tunnel: { address: '198.18.0.11' }, encap: 'geneve', start: true });
  t.strictSame(parseOvnConfig(['engine.example.com', 'ovsmgmt', '--fqdn', 'host1.example.com', '--encap=vxlan', '--no-start',
    '--ssl-key', '/etc/pki/vdsm/keys/vdsmkey.pem', '--ssl-cert=/etc/pki/vdsm/certs/vdsmcert.pem', '--ssl-ca', '/etc/pki/vdsm/certs/cacert.pem']), {
    central: 'engine.example.com', tunnel: { network: 'ovsmgmt' }, encap: 'vxlan', start: false, fqdn: 'host1.example.com',
    ssl: { key: '/etc/pki/vdsm/keys/vdsmkey.pem', cert: '/etc/pki/vdsm/certs/vdsmcert.pem', ca: '/etc/pki/vdsm/certs/cacert.pem' },
  });
  t.strictSame(parseOvnConfig(['2001:db8::1']).tunnel, { network: 'ovirtmgmt' }, 'no tunnel: the management network');
  t.strictSame(parseOvnConfig(['192.0.2.1', '2001:db8::11']).tunnel, { address: '2001:db8::11' });
});

t.test('ovn-config: what does not parse is a usage error', async (t) => {
  const bad: [string[], RegExp][] = [
    [[], /CENTRAL .* is missing/],
    [['192.0.2.1', 'net', 'extra'], /unexpected arguments: extra/],
    [['not a host'], /CENTRAL "not a host" is neither an IP address nor a DNS name/],
    [['192.0.2.1', '-x'], /unknown option -x|TUNNEL/],
    [['192.0.2.1', 'a;b'], /TUNNEL "a;b" is neither/],
    [['192.0.2.1', '--encap', 'stt'], /--encap "stt" is not geneve or vxlan/],
    [['192.0.2.1', '--fqdn'], /--fqdn needs a value/],
    [['192.0.2.1', '--fqdn', 'a_b!'], /--fqdn "a_b!" is not a host name/],
    [['192.0.2.1', '--ssl-key', '/k'], /go together/],
    [['192.0.2.1', '--ssl-key', 'k', '--ssl-cert', '/c', '--ssl-ca', '/a'], /"k" is not an absolute path/],
    [['192.0.2.1', '--bogus'], /unknown option --bogus/],
    [['192.0.2.1', '--encap', 'vxlan', '--encap', 'geneve'], /--encap given twice/],
  ];
  for (const [argv, message] of bad) t.throws(() => parseOvnConfig(argv), { name: 'UsageError', message }, argv.join(' '));
  t.throws(() => parseOvnConfig([]), { name: 'UsageError' });
});

t.test('ovn-unconfigure: only --no-start', async (t) => {
  t.strictSame(parseOvnUnconfigure([]), { start: true });
  t.strictSame(parseOvnUnconfigure(['--no-start']), { start: false });
  t.throws(() => parseOvnUnconfigure(['x']), { name: 'UsageError' });
  t.throws(() => parseOvnUnconfigure(['--fqdn', 'a']), { name: 'UsageError' });
});
