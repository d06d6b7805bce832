import t from 'tap';
import { linuxOpts, ovsSettings, parseBridgeOpts } from '../../../src/model/bridge-opts.js';

const S = "network 'red'";
const parse = (text: string, stp?: boolean) => parseBridgeOpts(S, text, stp);

t.test('Linux units in, OVS columns and seconds out', async (t) => {
  const opts = parse('multicast_snooping=1 multicast_router=2 hash_max=512 multicast_membership_interval=6000 '
    + 'forward_delay=1000 hello_time=100 max_age=1200 priority=4096 ageing_time=4500', true);
  const s = ovsSettings(opts);
  t.strictSame(s, {
    stp: true, rstp: false, mcastSnooping: true, floodToHost: true,
    otherConfig: new Map([
      ['mcast-snooping-table-size', '512'], ['mcast-snooping-aging-time', '60'], ['stp-forward-delay', '10'],
      ['stp-hello-time', '1'], ['stp-max-age', '12'], ['stp-priority', '4096'], ['mac-aging-time', '45'],
    ]),
  });
  t.strictSame(linuxOpts(s), {
    stp_state: '1', multicast_snooping: '1', multicast_router: '2', hash_max: '512', multicast_membership_interval: '6000',
    ageing_time: '4500', forward_delay: '1000', hello_time: '100', max_age: '1200', priority: '4096',
  }, 'and back, as asked');
});

t.test('stp_state=2 is RSTP, with the rstp-* keys', async (t) => {
  const s = ovsSettings(parse('stp_state=2 priority=8192 forward_delay=600 max_age=800'));
  t.strictSame([s.stp, s.rstp], [false, true]);
  t.strictSame(s.otherConfig, new Map([['rstp-priority', '8192'], ['rstp-forward-delay', '6'], ['rstp-max-age', '8']]));
});

t.test('the stp attribute is stp_state, unless the options say otherwise', async (t) => {
  t.strictSame(parse('', true), new Map([['stp_state', 1]]));
  t.strictSame(parse('', false), new Map([['stp_state', 0]]));
  t.strictSame(parse(''), new Map(), 'neither: nothing asked');
  t.strictSame(parse('stp_state=2', true), new Map([['stp_state', 2]]));
});

t.test('what OVS cannot honour is refused, naming the key', async (t) => {
  const bad: [string, boolean | undefined, RegExp][] = [
    ['multicast_querier=1', undefined, /^custom\.bridge_opts: multicast_querier has no Open vSwitch counterpart$/],
    ['group_fwd_mask=8', undefined, /^custom\.bridge_opts: group_fwd_mask has no Open vSwitch counterpart$/],
    ['forward_delay', undefined, /^custom\.bridge_opts: forward_delay has no value/],
    ['forward_delay=1550', undefined, /forward_delay=1550 is not whole seconds/],
    ['forward_delay=200', undefined, /forward_delay=200 is not an integer in 400-3000$/],
    ['priority=0x1000', undefined, /priority=0x1000 is not an integer in 0-65535$/],
    ['multicast_router=0', undefined, /multicast_router=0 is not an integer in 1-2$/],
    ['hash_max=64 hash_max=128', undefined, /hash_max is given twice$/],
    ['stp_state=0', true, /stp_state=0 contradicts stp true$/],
    ['stp_state=2 hello_time=200', undefined, /hello_time has no Open vSwitch counterpart under RSTP/],
    ['stp_state=2 priority=5000', undefined, /priority=5000 is not a multiple of 4096/],
  ];
  for (const [text, stp, error] of bad) {
    t.throws(() => parse(text, stp), { name: 'InvalidRequest', subject: S, message: error }, text);
  }
});
