/** OVS bonds made by before_network_setup: traffic, failover, slave and mode edits. */
import t from 'tap';
import { createSandbox } from '../lib/sandbox.js';
import { applyOk, ovsBond, ovsNet, remove, setup } from '../lib/requests.js';

t.test('VLAN network over an active-backup bond survives losing the active slave', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv7', 7, '10.7.0.2/24');
  const r = await applyOk(t, sb, setup(
    { v7: ovsNet({ bonding: 'bond0', vlan: '7', ipaddr: '10.7.0.1', netmask: '255.255.255.0' }) },
    { bond0: ovsBond(['eth1', 'eth2']) },
  ));
  t.same(r.output.request.bondings, {}, 'the OVS bond is taken out of what VDSM gets back');
  t.ok(await sb.ping(sb.host, '10.7.0.2'), 'traffic over the bond');
  const activeNic = /active member mac: \S+\((\S+)\)/.exec(await sb.hostOvs.appctl('bond/show', 'bond0'))?.[1];
  t.ok(activeNic === 'eth1' || activeNic === 'eth2', `an active slave is reported (${activeNic})`);
  await sb.setLink(sb.peer, `p-${activeNic}`, false);
  t.ok(await sb.ping(sb.host, '10.7.0.2', { timeoutS: 10 }), 'traffic continues over the other slave');
  t.equal(await sb.hostOvs.vsctl('get', 'Port', 'bond0', 'bond_mode'), 'active-backup', 'default mode');
});

t.test('LACP bond in balance-tcp negotiates with the peer and carries traffic', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerBond('pbond', ['p-eth1', 'p-eth2'], { mode: 'balance-tcp', lacp: 'active' });
  await sb.peerEndpoint('pu', 0, '10.8.0.2/24');
  await applyOk(t, sb, setup(
    { mgmt: ovsNet({ bonding: 'bond0', ipaddr: '10.8.0.1', netmask: '255.255.255.0' }) },
    // the 2015 spelling of the custom options
    { bond0: { nics: ['eth1', 'eth2'], options: 'mode=4 custom=ovs=True,ovs_mode=balance-tcp,ovs_lacp=active' } },
  ));
  t.equal(await sb.hostOvs.vsctl('get', 'Port', 'bond0', 'lacp'), 'active');
  t.equal(await sb.hostOvs.vsctl('get', 'Port', 'bond0', 'bond_mode'), 'balance-tcp');
  t.ok(await sb.ping(sb.host, '10.8.0.2', { timeoutS: 15 }), 'traffic once LACP has negotiated');
  t.match(await sb.hostOvs.appctl('lacp/show', 'bond0'), /status: active negotiated/, 'LACP negotiated');
});

t.test('bond edits: slaves added and removed, mode changed, in one transaction each', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3'] });
  await sb.peerEndpoint('pv9', 9, '10.9.0.2/24');
  const net = { v9: ovsNet({ bonding: 'bond1', vlan: 9, ipaddr: '10.9.0.1', prefix: 24 }) };
  const run = (nics: string[], custom: string) => applyOk(t, sb, setup(net, { bond1: ovsBond(nics, custom) }));
  await run(['eth1', 'eth2'], 'ovs:True');
  let cfg = await sb.hostOvs.nextCfg();
  const r = await run(['eth2', 'eth3'], 'ovs:True,ovs_mode:balance-slb');
  t.equal(await sb.hostOvs.nextCfg(), cfg + 1, 'one transaction');
  t.match(r.stderr, /bond bond1: slave eth3 added/);
  t.match(r.stderr, /bond bond1: slave eth1 removed/);
  t.same((await sb.hostOvs.vsctl('--bare', '--columns=name', 'find', 'Interface', 'external_ids:vdsm-hook-ovs=slave'))
    .split('\n').filter(Boolean).sort(), ['eth2', 'eth3'], 'slaves now eth2 and eth3');
  t.equal(await sb.hostOvs.vsctl('get', 'Port', 'bond1', 'bond_mode'), 'balance-slb');
  t.ok(await sb.ping(sb.host, '10.9.0.2', { timeoutS: 10 }), 'traffic over the edited bond');
  t.equal(await sb.hostOvs.vsctl('get', 'Interface', 'eth1', 'external_ids').catch(() => 'gone'), 'gone',
    'the removed slave is no longer an OVS interface');

  cfg = await sb.hostOvs.nextCfg();
  await applyOk(t, sb, setup({ v9: remove }, { bond1: remove }));
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'bond and bridge gone with the last network');
  t.equal(await sb.hostOvs.nextCfg(), cfg + 1, 'removal is one transaction');
});
