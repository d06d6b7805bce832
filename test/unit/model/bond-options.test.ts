import t from 'tap';
import { parseBondOptions } from '../../../src/model/bond-options.js';
import { assertInvalid } from '../fixtures/invalid.js';

const S = "bond 'bond0'";

t.test('absent or blank options: no kernel options, no custom ones', async (t) => {
  t.strictSame(parseBondOptions(S, undefined), { kernel: {}, custom: {} });
  t.strictSame(parseBondOptions(S, ''), { kernel: {}, custom: {} });
  t.strictSame(parseBondOptions(S, '   '), { kernel: {}, custom: {} });
});

t.test('2016 spelling custom=ovs:True,... next to kernel options', async (t) => {
  const got = parseBondOptions(S, 'mode=4 miimon=100 custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active');
  t.strictSame(got.kernel, { mode: '4', miimon: '100' });
  t.strictSame(got.custom, { ovs: 'True', ovs_mode: 'balance-tcp', ovs_lacp: 'active' });
});

t.test('2015 spelling custom=ovs=True,... next to kernel options', async (t) => {
  const got = parseBondOptions(S, 'custom=ovs=True,ovs_mode=balance-tcp,ovs_lacp=active mode=1 primary=eth1');
  t.strictSame(got.kernel, { mode: '1', primary: 'eth1' });
  t.strictSame(got.custom, { ovs: 'True', ovs_mode: 'balance-tcp', ovs_lacp: 'active' });
});

t.test('both spellings mean the same', async (t) => {
  t.strictSame(
    parseBondOptions(S, 'custom=ovs=True,ovs_mode=balance-slb'),
    parseBondOptions(S, 'custom=ovs:True,ovs_mode:balance-slb'),
  );
});

t.test('only kernel options: custom is empty', async (t) => {
  const got = parseBondOptions(S, 'mode=802.3ad lacp_rate=1');
  t.strictSame(got.kernel, { mode: '802.3ad', lacp_rate: '1' });
  t.strictSame(got.custom, {});
});

t.test('leading and trailing commas inside custom are ignored', async (t) => {
  t.strictSame(parseBondOptions(S, 'custom=,ovs:True,').custom, { ovs: 'True' });
});

t.test('surrounding blanks are trimmed', async (t) => {
  t.strictSame(parseBondOptions(S, '  mode=4 custom=ovs:True ').kernel, { mode: '4' });
});

t.test('malformed strings are refused, naming the bond and its options', async (t) => {
  for (const bad of ['custom=ovs', 'mode', '=4', 'mode=4 miimon', 'custom=ovs:True,ovs_mode', 'custom=:True']) {
    assertInvalid(t, () => parseBondOptions(S, bad), S, 'options');
  }
});
