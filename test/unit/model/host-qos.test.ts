import t from 'tap';
import { classOf, parseHostQos, queueConfig, queueId, queueQos, reportQos, vlanBytecode } from '../../../src/model/host-qos.js';

const S = "network 'blue'";

t.test('curves in, OVS queue settings out, and back in VDSM\'s shape', async (t) => {
  const qos = parseHostQos(S, { out: { ls: { m2: 20 }, ul: { m2: 50_000_000 }, rt: { m2: '10000000' } } })!;
  t.strictSame(qos, { ls: 20, ul: 50_000_000, rt: 10_000_000 });
  t.strictSame(queueConfig(qos), new Map([['min-rate', '10000000'], ['max-rate', '50000000']]));
  t.strictSame(queueQos(queueConfig(qos), 20), qos);
  t.strictSame(reportQos(qos), { out: { ls: { m2: 20 }, ul: { m2: 50_000_000 }, rt: { m2: 10_000_000 } } });
  t.equal(parseHostQos(S, undefined), undefined);
  t.equal(parseHostQos(S, { out: {} }), undefined, 'no curve: no shaping');
});

t.test('queue and class: the VLAN, 4095 for untagged; OVS\'s class is the queue + 1, in hex', async (t) => {
  t.equal(queueId(10), 10);
  t.equal(queueId(0), 4095);
  t.equal(classOf(10), '1:b');
  t.equal(classOf(4095), '1:1000');
});

t.test('the classifier programs, instruction by instruction (classic BPF: code jt jf k)', async (t) => {
  // VLAN 10: tag as metadata (ancillary load 0xfffff030 present, 0xfffff02c the TCI) or in-band (TPID 0x8100 at 12, TCI at 14)
  t.equal(vlanBytecode(10), [
    '11',
    '32 0 0 4294963248', // ld vlan_present
    '21 2 0 0', // jeq 0: goto in-band
    '32 0 0 4294963244', // ld vlan_tci
    '5 0 0 3', // ja compare
    '40 0 0 12', // ldh [12]
    '21 0 4 33024', // jeq 0x8100 else no match
    '40 0 0 14', // ldh [14]
    '84 0 0 4095', // and 0xfff
    '21 0 1 10', // jeq 10
    '6 0 0 4294967295', // match: the filter's class
    '6 0 0 0', // no match
  ].join(','));
  t.equal(vlanBytecode(0), [
    '6',
    '32 0 0 4294963248', // ld vlan_present
    '21 0 3 0', // a metadata tag: no match
    '40 0 0 12', // ldh [12]
    '21 1 0 33024', // an in-band tag: no match
    '6 0 0 4294967295',
    '6 0 0 0',
  ].join(','));
});

t.test('what htb cannot honour is refused, naming the curve', async (t) => {
  const bad: [unknown, RegExp][] = [
    ['fast', /^hostQos: "fast" is not an object$/],
    [{ in: {} }, /^hostQos\.in: only outbound shaping \(out\) exists$/],
    [{ out: { sc: { m2: 1 } } }, /^hostQos\.out\.sc: is not one of ls, ul, rt$/],
    [{ out: { ul: { m1: 100, d: 5, m2: 10 } } }, /^hostQos\.out\.ul\.m1: only m2 can be honoured/],
    [{ out: { ul: { m2: 0 } } }, /^hostQos\.out\.ul\.m2: 0 is not an integer in 1-34359738360$/],
    [{ out: { ul: { m2: 1.5 } } }, /^hostQos\.out\.ul\.m2: 1\.5 is not an integer/],
    [{ out: { ls: { m2: 2_000_000 } } }, /^hostQos\.out\.ls\.m2: 2000000 is not an integer in 1-1000000$/],
    [{ out: { ul: { m2: 10 }, rt: { m2: 20 } } }, /^hostQos\.out\.rt\.m2: 20 is above the upper limit ul 10$/],
  ];
  for (const [value, message] of bad) {
    t.throws(() => parseHostQos(S, value), { name: 'InvalidRequest', subject: S, message }, JSON.stringify(value));
  }
});
