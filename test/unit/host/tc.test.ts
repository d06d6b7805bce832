import t from 'tap';
import { parseTcFilters, planTc } from '../../../src/host/tc.js';
import { vlanBytecode } from '../../../src/model/host-qos.js';
import { desiredOn, hostWith } from '../fixtures/desired.js';

const HOST = hostWith(['eth1', 'eth2', 'eth3']);
const QOS = { out: { ul: { m2: 1000000 } } };
const OVS = { ovs: 'true' };

t.test('one classifier per shaped network on each device of its uplink, every slave of a bond', async (t) => {
  const desired = desiredOn(HOST, {
    blue: { bonding: 'bond0', vlan: 10, custom: OVS, hostQos: QOS },
    red: { bonding: 'bond0', custom: OVS, hostQos: QOS },
    green: { bonding: 'bond0', vlan: 20, custom: OVS },
  }, { bond0: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' } });
  const cmds = planTc(desired, new Map()).map((c) => c.args.join(' '));
  t.strictSame(cmds, ['eth1', 'eth2'].flatMap((dev) => [
    `filter replace dev ${dev} parent 1: pref 10 handle 0xb protocol all bpf bytecode ${vlanBytecode(10)} classid 1:b`,
    `filter replace dev ${dev} parent 1: pref 10 handle 0x1000 protocol all bpf bytecode ${vlanBytecode(0)} classid 1:1000`,
  ]));
});

t.test('filters already there are kept; stale ones of the hook go; others are not the hook\'s', async (t) => {
  const desired = desiredOn(HOST, { blue: { nic: 'eth1', vlan: 10, custom: OVS, hostQos: QOS } });
  // as `tc -j filter show` prints them
  const json = JSON.stringify([
    { protocol: 'all', pref: 10, kind: 'bpf', chain: 0 },
    { protocol: 'all', pref: 10, kind: 'bpf', chain: 0, options: { handle: '0xb', flowid: '1:b', bytecode: {
      length: 11, insns: vlanBytecode(10).split(',').slice(1).map((i) => {
        const [code, jt, jf, k] = i.split(' ').map(Number);
        return { code, jt, jf, k };
      }) } } },
    { protocol: 'all', pref: 10, kind: 'bpf', chain: 0, options: { handle: '0x15', flowid: '1:15', bytecode: { length: 1, insns: [{ code: 6, jt: 0, jf: 0, k: 0 }] } } },
    { protocol: 'all', pref: 1, kind: 'u32', chain: 0, options: { fh: '800::800' } },
  ]);
  const filters = parseTcFilters(json);
  t.strictSame(filters.map((f) => [f.handle, f.classid]), [[11, '1:b'], [21, '1:15']], 'only the hook\'s preference and kind');
  t.strictSame(planTc(desired, new Map([['eth1', filters]])).map((c) => c.args.join(' ')),
    ['filter del dev eth1 parent 1: pref 10 handle 0x15 protocol all bpf']);
});
