/**
 * Linux bond options on an OVS bond, against a real Open vSwitch and a real
 * peer: mode=4 alone makes an LACP bond that negotiates and carries
 * traffic, primary decides the active slave, miimon and the delays are in
 * the OVS DB; edits converge, a repeated request writes nothing, a rollback
 * brings the earlier options back, and every refusal changes nothing.
 */
import t, { type Test } from 'tap';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { applyOk, ovsNet, setup, type Attrs } from '../lib/requests.js';
import { hostState } from '../lib/host-state.js';
import { fixtureJson } from '../lib/fixtures.js';
import { until } from '../lib/until.js';

const bond = (options: string, nics = ['eth1', 'eth2']): Attrs => ({ nics, options });
/** Port bond0's other_config as OVS has it. */
async function otherConfig(sb: Sandbox): Promise<Record<string, string>> {
  const text = await sb.hostOvs.vsctl('--format=json', '--data=json', '--columns=other_config', 'list', 'Port', 'bond0');
  const { data } = JSON.parse(text) as { data: [['map', [string, string][]]][] };
  return Object.fromEntries(data[0]![0][1]);
}
const port = (sb: Sandbox, column: string): Promise<string> => sb.hostOvs.vsctl('get', 'Port', 'bond0', column);
const activeMember = async (sb: Sandbox): Promise<string | undefined> =>
  /active member mac: \S+\((\S+)\)/.exec(await sb.hostOvs.appctl('bond/show', 'bond0'))?.[1];
/** bondings.bond0 as after_get_caps reports it. */
async function capsBond(t: Test, sb: Sandbox): Promise<Record<string, unknown>> {
  const r = await sb.runHook('after_get_caps', fixtureJson('caps-before.json'));
  t.equal(r.exitCode, 0, r.stderr);
  return r.output.bondings.bond0;
}
t.test('mode=4 alone: an LACP bond that negotiates with an LACP peer and carries traffic; miimon and lacp_rate in the DB', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerBond('pbond', ['p-eth1', 'p-eth2'], { mode: 'balance-tcp', lacp: 'active' });
  await sb.peerEndpoint('pu', 0, '10.8.0.2/24');
  const net = { mgmt: ovsNet({ bonding: 'bond0', ipaddr: '10.8.0.1', netmask: '255.255.255.0' }) };
  const options = 'mode=4 miimon=100 updelay=200 downdelay=100 lacp_rate=fast custom=ovs:True';
  await applyOk(t, sb, setup(net, { bond0: bond(options) }));
  t.equal(await port(sb, 'bond_mode'), 'balance-tcp', 'mode=4 is balance-tcp');
  t.equal(await port(sb, 'lacp'), 'active', 'with LACP active');
  t.strictSame([await port(sb, 'bond_updelay'), await port(sb, 'bond_downdelay')], ['200', '100'], 'the delays');
  t.strictSame(await otherConfig(sb),
    { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '100', 'lacp-time': 'fast' }, 'miimon and lacp_rate');
  t.ok(await sb.ping(sb.host, '10.8.0.2', { timeoutS: 15 }), 'traffic once LACP has negotiated');
  const lacp = await sb.hostOvs.appctl('lacp/show', 'bond0');
  t.match(lacp, /status: active negotiated/, 'LACP negotiated with the peer');
  t.match(lacp, /lacp_time: fast/, 'at the fast rate');
  const show = await sb.hostOvs.appctl('bond/show', 'bond0');
  t.match(show, /bond_mode: balance-tcp/);
  t.match(show, /updelay: 200 ms/);
  t.match(show, /downdelay: 100 ms/);
  t.strictSame((await capsBond(t, sb))['opts'],
    { mode: '4', miimon: '100', updelay: '200', downdelay: '100', lacp_rate: 'fast', custom: 'ovs:True' }, 'caps opts: as typed');

  const cfg = await sb.hostOvs.nextCfg();
  const files = await sb.files();
  const again = await applyOk(t, sb, setup(net, { bond0: bond(options) }));
  t.equal(await sb.hostOvs.nextCfg(), cfg, 'the same request again writes nothing to OVS');
  t.notMatch(again.stderr, /bond bond0:/, 'and plans nothing for the bond');
  t.same(await sb.files(), files, 'nor to the files');

  // someone tunes a key the hook does not own; then the options shrink to mode=4 alone
  await sb.hostOvs.vsctl('set', 'Port', 'bond0', 'other_config:bond-rebalance-interval=5000');
  const r = await applyOk(t, sb, setup(net, { bond0: bond('mode=4 custom=ovs:True') }));
  t.equal(await sb.hostOvs.nextCfg(), cfg + 2, 'the edit is one transaction');
  t.match(r.stderr, /bond bond0: other_config:lacp-time cleared/);
  t.strictSame(await otherConfig(sb), { 'bond-rebalance-interval': '5000' },
    "the hook's keys cleared with their options, the other one kept");
  t.strictSame([await port(sb, 'bond_updelay'), await port(sb, 'bond_downdelay')], ['0', '0'], "delays back to OVS's default");
  t.ok(await sb.ping(sb.host, '10.8.0.2', { timeoutS: 15 }), 'traffic after the edit');
});

t.test('primary decides the active slave, takes over again when it comes back, and an edit moves it', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv7', 7, '10.7.0.2/24');
  const net = { v7: ovsNet({ bonding: 'bond0', vlan: '7', ipaddr: '10.7.0.1', netmask: '255.255.255.0' }) };
  await applyOk(t, sb, setup(net, { bond0: bond('mode=1 miimon=100 primary=eth2 custom=ovs:True') }));
  t.equal((await otherConfig(sb))['bond-primary'], 'eth2');
  t.ok(await until(async () => (await activeMember(sb)) === 'eth2', 10), 'bond/show: eth2, the primary, is active');
  t.equal((await capsBond(t, sb))['active_slave'], 'eth2', 'caps: active_slave eth2');
  t.ok(await sb.ping(sb.host, '10.7.0.2'), 'traffic over the primary');

  await sb.setLink(sb.peer, 'p-eth2', false);
  t.ok(await until(async () => (await activeMember(sb)) === 'eth1', 10), 'the primary lost its link: eth1 takes over');
  t.ok(await sb.ping(sb.host, '10.7.0.2', { timeoutS: 10 }), 'traffic over eth1');
  await sb.setLink(sb.peer, 'p-eth2', true);
  t.ok(await until(async () => (await activeMember(sb)) === 'eth2', 10), 'the primary is back: active again');
  t.equal((await capsBond(t, sb))['active_slave'], 'eth2', 'caps follow');
  t.ok(await sb.ping(sb.host, '10.7.0.2', { timeoutS: 10 }), 'traffic over the primary again');

  await applyOk(t, sb, setup(net, { bond0: bond('mode=1 miimon=100 primary=eth1 custom=ovs:True') }));
  t.ok(await until(async () => (await activeMember(sb)) === 'eth1', 10), 'primary edited to eth1: eth1 is active');
  t.equal((await capsBond(t, sb))['active_slave'], 'eth1');
  t.ok(await sb.ping(sb.host, '10.7.0.2', { timeoutS: 10 }), 'traffic over the new primary');
});

t.test('after_network_setup_fail brings the earlier options back', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv7', 7, '10.7.0.2/24');
  const net = { v7: ovsNet({ bonding: 'bond0', vlan: '7', ipaddr: '10.7.0.1', netmask: '255.255.255.0' }) };
  await applyOk(t, sb, setup(net, { bond0: bond('mode=1 miimon=100 updelay=100 primary=eth2 custom=ovs:True') }));
  const before = await hostState(sb);
  const r = await sb.runHook('before_network_setup',
    setup(net, { bond0: bond('mode=2 miimon=250 downdelay=500 custom=ovs:True') }));
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(await port(sb, 'bond_mode'), 'balance-slb', 'the change is live');
  t.strictSame(await otherConfig(sb), { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '250' });
  const fail = await sb.runHook('after_network_setup_fail', r.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.same(await hostState(sb), before, 'OVS DB (mode, delays, other_config), files and links as before');
  t.strictSame(await otherConfig(sb), { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': '100', 'bond-primary': 'eth2' });
  t.ok(await sb.ping(sb.host, '10.7.0.2', { timeoutS: 10 }), 'traffic as before');
});

t.test('each refusal names the bond and the option and changes nothing', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  const net = { v7: ovsNet({ bonding: 'bond0', vlan: '7', ipaddr: '10.7.0.1', netmask: '255.255.255.0' }) };
  await applyOk(t, sb, setup(net, { bond0: bond('mode=1 miimon=100 primary=eth1 custom=ovs:True') }));
  const before = await hostState(sb);
  const cfg = await sb.hostOvs.nextCfg();
  const cases: [what: string, options: string, error: string][] = [
    ['a mode OVS has no equivalent for', 'mode=0 custom=ovs:True',
      "bond 'bond0': options mode: 0 (balance-rr) has no Open vSwitch equivalent; " +
      'an OVS bond takes mode 1 (active-backup), 2 (balance-xor) or 4 (802.3ad)'],
    ['balance-alb by name', 'mode=balance-alb custom=ovs:True',
      "bond 'bond0': options mode: balance-alb has no Open vSwitch equivalent; " +
      'an OVS bond takes mode 1 (active-backup), 2 (balance-xor) or 4 (802.3ad)'],
    ['an option OVS has no equivalent for', 'mode=4 miimon=100 xmit_hash_policy=2 custom=ovs:True',
      "bond 'bond0': options xmit_hash_policy: Open vSwitch has no equivalent of this bonding option " +
      '(an OVS bond takes mode, miimon, updelay, downdelay, lacp_rate, primary)'],
    ['mode contradicting ovs_mode', 'mode=4 custom=ovs:True,ovs_mode:balance-slb,ovs_lacp:active',
      "bond 'bond0': options mode: 4 (802.3ad) is bond_mode balance-tcp on OVS, but custom ovs_mode says balance-slb"],
    ['mode contradicting ovs_lacp (2015 spelling)', 'mode=1 custom=ovs=True,ovs_lacp=active',
      "bond 'bond0': options mode: 1 (active-backup) is LACP off on OVS, but custom ovs_lacp says active"],
    ['a primary that is not a slave', 'mode=1 primary=eth3 custom=ovs:True',
      "bond 'bond0': options primary: eth3 is not a slave of the bond (eth1, eth2)"],
    ['miimon that is not a number', 'mode=1 miimon=fast custom=ovs:True',
      `bond 'bond0': options miimon: "fast" is not an integer in 0-2147483647`],
  ];
  for (const [what, options, error] of cases) {
    const r = await sb.runHook('before_network_setup', setup(net, { bond0: bond(options) }));
    t.equal(r.exitCode, 2, `${what}: exit code 2`);
    t.equal(r.stderr.split('\n')[0], error, `${what}: one line naming the bond and the option`);
    t.equal(await sb.hostOvs.nextCfg(), cfg, `${what}: nothing written to OVS`);
    t.same(await hostState(sb), before, `${what}: OVS DB, files, running config and links as they were`);
  }
});
