import t from 'tap';
import { ovsBondSettings, parseBondOptions } from '../../../src/model/bond-options.js';
import { assertInvalid } from '../fixtures/invalid.js';
import { InvalidRequest } from '../../../src/runtime/errors.js';

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

// ovsBondSettings: the Linux options as Open vSwitch gets them (expected values from the mapping table in the README)
const NICS = ['eth1', 'eth2'];
const settings = (text: string) => ovsBondSettings(S, parseBondOptions(S, text), NICS);

/** The one line the options are refused with, as VDSM shows it ('' when they are accepted). */
function refusal(text: string): string {
  try {
    settings(text);
    return '';
  } catch (err) {
    return err instanceof InvalidRequest ? err.line : `not an InvalidRequest: ${String(err)}`;
  }
}

t.test('mode by number and by name: active-backup, balance-xor as balance-slb, 802.3ad as balance-tcp with LACP', async (t) => {
  for (const [text, mode, lacp] of [
    ['mode=1 custom=ovs:True', 'active-backup', 'off'],
    ['mode=active-backup custom=ovs:True', 'active-backup', 'off'],
    ['mode=2 custom=ovs:True', 'balance-slb', 'off'],
    ['mode=balance-xor custom=ovs:True', 'balance-slb', 'off'],
    ['mode=4 custom=ovs:True', 'balance-tcp', 'active'],
    ['mode=802.3ad custom=ovs=True', 'balance-tcp', 'active'],
  ]) {
    t.strictSame(settings(text!), { mode, lacp, config: {} }, text!);
  }
});

t.test('without mode: ovs_mode and ovs_lacp, else active-backup without LACP', async (t) => {
  t.strictSame(settings('custom=ovs:True'), { mode: 'active-backup', lacp: 'off', config: {} });
  t.strictSame(settings('custom=ovs:True,ovs_mode:balance-slb,ovs_lacp:passive'), { mode: 'balance-slb', lacp: 'passive', config: {} });
});

t.test('mode and custom options that agree are one bond', async (t) => {
  t.strictSame(settings('mode=4 custom=ovs=True,ovs_mode=balance-tcp,ovs_lacp=active'),
    { mode: 'balance-tcp', lacp: 'active', config: {} });
  t.strictSame(settings('mode=2 custom=ovs:True,ovs_mode:balance-slb'), { mode: 'balance-slb', lacp: 'off', config: {} });
  t.strictSame(settings('mode=1 custom=ovs:True,ovs_lacp:off'), { mode: 'active-backup', lacp: 'off', config: {} });
});

t.test('miimon, updelay, downdelay, lacp_rate and primary', async (t) => {
  t.strictSame(settings('mode=1 miimon=100 updelay=200 downdelay=300 primary=eth2 custom=ovs:True'), {
    mode: 'active-backup', lacp: 'off', updelay: 200, downdelay: 300,
    config: { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '100', 'bond-primary': 'eth2' },
  });
  t.strictSame(settings('mode=4 lacp_rate=fast custom=ovs:True').config, { 'lacp-time': 'fast' });
  t.strictSame(settings('mode=4 lacp_rate=1 custom=ovs:True').config, { 'lacp-time': 'fast' });
  t.strictSame(settings('mode=4 lacp_rate=slow custom=ovs:True').config, { 'lacp-time': 'slow' });
  t.strictSame(settings('mode=4 lacp_rate=0 custom=ovs:True').config, { 'lacp-time': 'slow' });
  t.strictSame(settings('lacp_rate=fast custom=ovs:True,ovs_mode:balance-slb,ovs_lacp:active').config, { 'lacp-time': 'fast' },
    'LACP from the custom options is LACP too');
  t.strictSame(settings('mode=1 miimon=0 custom=ovs:True'), { mode: 'active-backup', lacp: 'off', config: {} },
    "miimon=0, Linux's no MII polling: OVS's default carrier detection");
  t.strictSame(settings('updelay=0 custom=ovs:True'), { mode: 'active-backup', lacp: 'off', updelay: 0, config: {} });
});

t.test('modes Open vSwitch has no equivalent for are refused, naming the mode', async (t) => {
  for (const [mode, name] of [['0', 'balance-rr'], ['3', 'broadcast'], ['5', 'balance-tlb'], ['6', 'balance-alb']]) {
    for (const typed of [mode!, name!]) {
      t.match(refusal(`mode=${typed} custom=ovs:True`),
        new RegExp(`^bond 'bond0': options mode: ${typed.replace('.', '\\.')}.* has no Open vSwitch equivalent`), typed);
    }
  }
  t.match(refusal('mode=0 custom=ovs:True'), /options mode: 0 \(balance-rr\) has no Open vSwitch equivalent/);
  for (const bad of ['7', 'lacp', '', '04', 'Active-Backup']) assertInvalid(t, () => settings(`mode=${bad} custom=ovs:True`), S, 'options mode');
});

t.test('mode contradicting ovs_mode or ovs_lacp is refused, naming both', async (t) => {
  t.equal(refusal('mode=4 custom=ovs:True,ovs_mode:balance-slb,ovs_lacp:active'),
    "bond 'bond0': options mode: 4 (802.3ad) is bond_mode balance-tcp on OVS, but custom ovs_mode says balance-slb");
  t.equal(refusal('mode=802.3ad custom=ovs:True,ovs_lacp:passive'),
    "bond 'bond0': options mode: 802.3ad is LACP active on OVS, but custom ovs_lacp says passive");
  t.equal(refusal('mode=1 custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active'),
    "bond 'bond0': options mode: 1 (active-backup) is bond_mode active-backup on OVS, but custom ovs_mode says balance-tcp");
  t.equal(refusal('mode=2 custom=ovs:True,ovs_lacp:active'),
    "bond 'bond0': options mode: 2 (balance-xor) is LACP off on OVS, but custom ovs_lacp says active");
});

t.test('any other Linux option is refused by name', async (t) => {
  for (const key of ['xmit_hash_policy', 'arp_interval', 'arp_ip_target', 'fail_over_mac', 'ad_select', 'use_carrier', 'colour']) {
    t.match(refusal(`mode=1 ${key}=1 custom=ovs:True`),
      new RegExp(`^bond 'bond0': options ${key}: Open vSwitch has no equivalent of this bonding option`), key);
  }
});

t.test('an unknown custom sub-option is refused by name, in both spellings', async (t) => {
  t.equal(refusal('custom=ovs:True,ovs_mdoe:balance-slb'),
    "bond 'bond0': options custom ovs_mdoe: unknown (an OVS bond takes ovs, ovs_mode, ovs_lacp)");
  t.equal(refusal('custom=ovs=True,lacp=active'),
    "bond 'bond0': options custom lacp: unknown (an OVS bond takes ovs, ovs_mode, ovs_lacp)");
});

t.test('values are checked', async (t) => {
  for (const key of ['miimon', 'updelay', 'downdelay']) {
    for (const bad of ['-1', 'fast', '1.5', '2147483648']) assertInvalid(t, () => settings(`${key}=${bad} custom=ovs:True`), S, `options ${key}`);
    t.doesNotThrow(() => settings(`${key}=2147483647 custom=ovs:True`), `${key} up to a C int`);
  }
  for (const bad of ['2', 'medium', 'FAST']) assertInvalid(t, () => settings(`mode=4 lacp_rate=${bad} custom=ovs:True`), S, 'options lacp_rate');
  t.match(refusal('mode=1 lacp_rate=fast custom=ovs:True'),
    /^bond 'bond0': options lacp_rate: the bond has no LACP/, 'lacp_rate without LACP would be ignored by OVS');
});

t.test('primary: a slave of the bond, on an active-backup bond', async (t) => {
  t.equal(refusal('mode=1 primary=eth3 custom=ovs:True'),
    "bond 'bond0': options primary: eth3 is not a slave of the bond (eth1, eth2)");
  t.equal(refusal('mode=4 primary=eth1 custom=ovs:True'),
    "bond 'bond0': options primary: only an active-backup bond has a primary, this one is balance-tcp");
  assertInvalid(t, () => settings('mode=1 primary=-eth1 custom=ovs:True'), S, 'options primary');
});
