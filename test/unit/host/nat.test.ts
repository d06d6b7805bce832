import t from 'tap';
import { planNat, renderRuleset, type NatObserved } from '../../../src/host/nat.js';
import type { DesiredState } from '../../../src/model/desired.js';
import { desiredOn, hostWith } from '../fixtures/desired.js';

const HOST = hostWith(['eth1']);
const nat = (ipaddr: string, prefix: string) => ({ bridged: 'true', ipaddr, prefix, custom: { ovs: 'true', ovs_nat: 'true' } });
const withNat = (): DesiredState => desiredOn(HOST, { natnet: nat('10.70.0.1', '24') });
const none = (): DesiredState => desiredOn(HOST, {});

t.test('the ruleset: only replies in, out from the subnet, masqueraded when it leaves the network', async (t) => {
  t.equal(renderRuleset([{ dev: 'natnet', subnet: '10.70.0.0/24' }]), [
    'table ip vdsm_hook_ovs',
    'delete table ip vdsm_hook_ovs',
    'table ip vdsm_hook_ovs {',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    oifname "natnet" ct state established,related accept',
    '    oifname "natnet" drop',
    '    iifname "natnet" ip saddr 10.70.0.0/24 accept',
    '    iifname "natnet" drop',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    '    oifname != "natnet" ip saddr 10.70.0.0/24 masquerade',
    '  }',
    '}',
    '',
  ].join('\n'));
  t.equal(renderRuleset([]), 'table ip vdsm_hook_ovs\ndelete table ip vdsm_hook_ovs\n', 'no NAT network: the table goes');
});

t.test('NAT networks: the subnet of the static address; refused without one or with a name nft would need escaped', async (t) => {
  const plan = planNat(desiredOn(HOST, { b: nat('192.168.5.77', '20') }), { loaded: false, ipForward: '0' });
  t.match(plan.load, /ip saddr 192\.168\.0\.0\/20 masquerade/);
  t.throws(() => desiredOn(HOST, { natnet: { bridged: 'true', custom: { ovs: 'true', ovs_nat: 'true' } } }),
    { message: /^custom\.ovs_nat: a NAT network needs a static IPv4 address/ });
  t.throws(() => desiredOn(HOST, { 'na"t': nat('10.0.0.1', '24') }), { message: /^custom\.ovs_nat: a NAT network's name/ });
  t.throws(() => desiredOn(HOST, { natnet: { ...nat('10.0.0.1', '24'), custom: { ovs: 'true', ovs_nat: 'maybe' } } }),
    { message: /^custom\.ovs_nat: "maybe" is not a boolean/ });
});

t.test('the first NAT network: rules, forwarding on, the original value remembered', async (t) => {
  const plan = planNat(withNat(), { loaded: false, ipForward: '0' });
  t.equal(plan.ipForward, '1');
  t.same(plan.state, { ruleset: plan.load, ipForwardWas: '0' });
});

t.test('nothing to do when the rules are loaded and forwarding is on', async (t) => {
  const ruleset = renderRuleset([{ dev: 'natnet', subnet: '10.70.0.0/24' }]);
  const seen: NatObserved = { state: { ruleset, ipForwardWas: '0' }, loaded: true, ipForward: '1' };
  t.same(planNat(withNat(), seen), { why: [] });
  const rebooted = planNat(withNat(), { ...seen, loaded: false, ipForward: '0' });
  t.equal(rebooted.load, ruleset, 'a table the kernel lost is loaded again');
  t.equal(rebooted.ipForward, '1');
  t.equal(rebooted.state, undefined, 'the remembered original stays as it was');
});

t.test('the last NAT network gone: table removed, forwarding given back, state dropped', async (t) => {
  const state = { ruleset: 'x', ipForwardWas: '0' };
  const plan = planNat(none(), { state, loaded: true, ipForward: '1' });
  t.equal(plan.load, 'table ip vdsm_hook_ovs\ndelete table ip vdsm_hook_ovs\n');
  t.equal(plan.ipForward, '0');
  t.equal(plan.state, null);
  t.equal(planNat(none(), { state: { ...state, ipForwardWas: '1' }, loaded: true, ipForward: '1' }).ipForward, undefined,
    'forwarding that was on before stays on');
  t.same(planNat(none(), { loaded: false, ipForward: '1' }), { why: [] }, 'no NAT before or after: nothing');
});
