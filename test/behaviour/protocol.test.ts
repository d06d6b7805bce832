/**
 * VDSM's side of the contract: the _hook_json file rewritten in place,
 * stdin/stdout without it, pass-through of everything not OVS, both value
 * shapes (raw Engine and canonical VDSM), and the log file.
 */
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox } from '../lib/sandbox.js';
import { applyOk, remove, setup } from '../lib/requests.js';
import { fixtureJson } from '../lib/fixtures.js';

const example = fixtureJson;
const hook = fileURLToPath(new URL('../../dist/hooks/before_network_setup/50_ovs', import.meta.url));

t.test('mixed request: the OVS network is applied, the legacy one handed back as sent', async (t) => {
  const sb = await createSandbox(t);
  const mixed = example('setup-mixed.json');
  const r = await applyOk(t, sb, setup(
    mixed.request.networks,
    { bond0: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' } },
    mixed.request.options,
  ));
  t.same(Object.keys(r.output.request.networks), ['display'], 'only the legacy network goes back');
  t.same(r.output.request.networks.display, mixed.request.networks.display, 'its attributes untouched');
  t.same(r.output.request.options, mixed.request.options, 'options untouched');
  t.equal(await sb.hostOvs.vsctl('br-to-vlan', 'vmnet300'), '300');
});

for (const file of ['setup-add-vlan-over-bond.json', 'setup-add-vlan-over-bond.canonical.json']) {
  t.test(`example ${file} applies, and its removal counterpart undoes it`, async (t) => {
    const sb = await createSandbox(t);
    await sb.peerBond('pbond', ['p-eth1', 'p-eth2'], { mode: 'balance-tcp', lacp: 'active' });
    await sb.peerEndpoint('pmgmt', 0, '198.51.100.2/24');
    const empty = await sb.hostOvs.snapshot();
    const r = await applyOk(t, sb, example(file));
    t.same(r.output.request.networks, {});
    t.same(r.output.request.bondings, {});
    t.equal(await sb.hostOvs.vsctl('get', 'Port', 'bond0', 'bond_mode'), 'balance-tcp');
    t.equal(await sb.hostOvs.vsctl('br-to-vlan', 'vmnet200'), '200');
    t.ok(await sb.ping(sb.host, '198.51.100.2', { timeoutS: 15 }), 'ovsmgmt reaches the peer over the LACP bond');
    const removal = file.includes('canonical') ? 'setup-remove.canonical.json' : 'setup-remove.json';
    await applyOk(t, sb, example(removal));
    t.equal(await sb.hostOvs.snapshot(), empty, 'everything removed');
  });
}

t.test('stdin/stdout when _hook_json is unset; the log file tells what was done', async (t) => {
  const sb = await createSandbox(t);
  const payload = setup({ s: { nic: 'eth1', vlan: 9, custom: { ovs: true } } });
  const r = await sb.exec(sb.host, 'env', [
    `VDSM_HOOK_OVS_ROOT=${sb.root}`, `OVS_RUNDIR=${sb.hostOvs.rundir}`, 'VDSM_HOOK_OVS_DATAPATH=netdev', hook,
  ], { input: JSON.stringify(payload) });
  t.equal(r.exitCode, 0);
  t.same(JSON.parse(r.stdout), setup(), 'the request without the OVS network on stdout');
  const log = readFileSync(join(sb.root, 'var/log/vdsm/ovs-hook.log'), 'utf8');
  t.match(log, /before_network_setup\[\d+\] info: OVS transaction \(\d+ commands\):\novs-vsctl add-br ovsbr-eth1 /);
  t.match(log, /ovs-vsctl add-br s ovsbr-eth1 9\s+# network s added on eth1, VLAN 9, MAC [0-9a-f:]{17} of its uplink\n/, 'one command per line, with why');
  const again = await sb.runHook('before_network_setup', setup({ s: remove }));
  t.equal(again.exitCode, 0);
  t.match(readFileSync(join(sb.root, 'var/log/vdsm/ovs-hook.log'), 'utf8'), /del-br ovsbr-eth1\s+# bridge ovsbr-eth1 removed/);
});

t.test('datapath type comes from the config file, the environment overrides it', async (t) => {
  const sb = await createSandbox(t);
  const conf = join(sb.root, 'etc/vdsm/vdsm-hook-ovs.conf');
  mkdirSync(dirname(conf), { recursive: true });
  writeFileSync(conf, '[ovs]\ndatapath_type = netdev\ntimeout = 7\n');
  const r = await sb.exec(sb.host, 'env', [
    `VDSM_HOOK_OVS_ROOT=${sb.root}`, `OVS_RUNDIR=${sb.hostOvs.rundir}`, hook,
  ], { input: JSON.stringify(setup({ c: { nic: 'eth1', custom: { ovs: '1' } } })) });
  t.equal(r.exitCode, 0, 'applied with the datapath of the file');
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth1', 'datapath_type'), 'netdev');

  writeFileSync(conf, '[ovs]\ndatapath_type = system\n');
  await applyOk(t, sb, setup({ d: { nic: 'eth2', custom: { ovs: 'yes' } } }));
  t.equal(await sb.hostOvs.vsctl('get', 'Bridge', 'ovsbr-eth2', 'datapath_type'), 'netdev',
    'VDSM_HOOK_OVS_DATAPATH=netdev wins over the file');

  writeFileSync(conf, '[ovs]\ndatapath_type = bogus!\n');
  const bad = await sb.runHook('before_network_setup', setup({ c: remove }), { env: { VDSM_HOOK_OVS_DATAPATH: '' } });
  t.equal(bad.exitCode, 2, 'an invalid config value fails clearly');
  t.match(bad.stderr.split('\n')[0], /vdsm-hook-ovs\.conf: \[ovs\] datapath_type: "bogus!" is not a datapath type/);
});
