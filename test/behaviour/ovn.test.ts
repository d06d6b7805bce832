/**
 * OVN with real daemons: a central (NB, SB, ovn-northd) and two simulated
 * hosts made chassis by `vdsm-ovs ovn-config` over their underlay OVS
 * network, each with its own ovn-controller. The test plays the Engine's
 * ovirt-provider-ovn with ovn-nbctl: logical switches, ports named by vNIC
 * ids and pinned to the chassis the hosts report in caps, a localnet port
 * for an OVS VLAN network. VM NICs go through the device hooks' XML and are
 * plugged as libvirt plugs them; traffic proves the rest.
 */
import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { applyOk, ovsNet, remove, setup } from '../lib/requests.js';
import { createHosts, UNDERLAY_NET, type SimHost } from '../lib/hosts.js';
import { startOvn, waitFor, type Ovn } from '../lib/ovn.js';
import { nsRun, ping } from '../lib/sandbox.js';
import { fixtureJson, fixtureText } from '../lib/fixtures.js';

const OVN_NIC = (vnicId: string) => ({ provider_type: 'EXTERNAL_NETWORK', plugin_type: 'OVIRT_PROVIDER_OVN', vnic_id: vnicId });
const ids = async (h: SimHost): Promise<string> => h.ovs.vsctl('get', 'Open_vSwitch', '.', 'external_ids');
const mappingsOf = async (h: SimHost): Promise<string> =>
  h.ovs.vsctl('--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:ovn-bridge-mappings');

/** The chassis name a host reports to the Engine, from its caps. */
async function bindingHostId(t: Test, h: SimHost): Promise<string | undefined> {
  const r = await h.runHook('after_get_caps', fixtureJson('caps-before.json'));
  t.equal(r.exitCode, 0, r.stderr);
  return r.output?.openstack_binding_host_ids?.OVIRT_PROVIDER_OVN;
}

/** What the provider does for a vNIC: a logical switch port named by its id, pinned to the chassis, with port security. */
async function addPort(ovn: Ovn, ls: string, vnicId: string, mac: string, ip: string, chassis: string): Promise<void> {
  await ovn.central.nbctl('--', 'lsp-add', ls, vnicId, '--', 'lsp-set-addresses', vnicId, `${mac} ${ip}`,
    '--', 'lsp-set-port-security', vnicId, `${mac} ${ip}`, '--', 'lsp-set-options', vnicId, `requested-chassis=${chassis}`);
}

/** The VM NIC XML VDSM hands the device hook, for a NIC on an OVN network. */
const nicXml = (mac: string) => fixtureText('vnic-device.xml').replace('vmnet100', 'ovn-net').replace('00:1a:4a:16:01:51', mac);

t.test('two hosts as OVN chassis: VMs across Geneve, a localnet on an OVS VLAN network, restart, rollback, unconfigure', async (t) => {
  const lab = await createHosts(t, 2);
  const [h1, h2] = lab.hosts as [SimHost, SimHost];
  const ovn = await startOvn(t, lab);
  // another tool's physical network and key on host 1, which nothing here may change
  await h1.ovs.vsctl('set', 'Open_vSwitch', '.', 'external_ids:other-tool=kept',
    `external_ids:ovn-bridge-mappings="physnet1:br-ex,${await mappingsOf(h1).then((m) => JSON.parse(m))}"`);
  const foreign = await ids(h1);
  t.match(await mappingsOf(h2), /^"ul:[\w-]+"$/, "the harness's underlay network is already an OVN physical network");

  await t.test('ovn-config refuses a tunnel it cannot resolve, changing nothing', async (t) => {
    const before = { db: await h1.ovs.snapshot(), ids: await ids(h1), cfg: await h1.ovs.nextCfg() };
    for (const [tunnel, error] of [
      ['nosuch', /^network 'nosuch': tunnel: no such network in VDSM's running config on this host$/m],
      ['192.0.2.99', /^tunnel address 192.0.2.99: is not an address of this host$/m],
    ] as const) {
      const r = await h1.runCli(['ovn-config', ovn.central.address, tunnel, '--no-start']);
      t.equal(r.exitCode, 2, `${tunnel}: failed`);
      t.match(r.stderr, error);
    }
    t.strictSame({ db: await h1.ovs.snapshot(), ids: await ids(h1), cfg: await h1.ovs.nextCfg() }, before,
      'bridges, ports, interfaces and Open_vSwitch external_ids exactly as they were, no transaction');
  });

  await t.test('ovn-config over the OVS underlay network; caps name the chassis', async (t) => {
    for (const h of [h1, h2]) {
      const r = await h.runCli(['ovn-config', ovn.central.address, UNDERLAY_NET, '--fqdn', `host${h.n}.example.com`, '--no-start']);
      t.equal(r.exitCode, 0, r.stderr);
      t.match(r.stdout, /ovn-controller: not started \(--no-start\)/);
      const get = (key: string) => h.ovs.vsctl('get', 'Open_vSwitch', '.', `external_ids:${key}`);
      t.equal(await get('ovn-remote'), `"tcp:${ovn.central.address}:6642"`);
      t.equal(await get('ovn-encap-ip'), `"${h.address}"`, 'the address of the underlay network');
      t.equal(await get('ovn-encap-type'), 'geneve');
      t.equal(await get('ovn-bridge-datapath-type'), 'netdev');
      t.equal(await get('ovn-remote-probe-interval'), '"60000"');
      t.equal(await get('ovn-openflow-probe-interval'), '"60"');
      t.equal(await h.ovs.vsctl('get', 'Bridge', 'br-int', 'fail_mode'), 'secure');
      t.equal(await h.ovs.vsctl('get', 'Bridge', 'br-int', 'datapath_type'), 'netdev');
      const cfg = await h.ovs.nextCfg();
      const again = await h.runCli(['ovn-config', ovn.central.address, h.address, '--fqdn', `host${h.n}.example.com`, '--no-start']);
      t.equal(again.exitCode, 0, again.stderr);
      t.equal(await h.ovs.nextCfg(), cfg, 'the same again (the address instead of its network): no transaction');
      t.equal(await bindingHostId(t, h), `host${h.n}.example.com`, 'caps: openstack_binding_host_ids');
      await ovn.startController(h);
    }
    t.ok(await waitFor(async () => (await ovn.central.sbctl('--bare', '--columns=name', 'list', 'Chassis')).split('\n').filter(Boolean).sort().join(' ')
      === 'host1.example.com host2.example.com'), 'both chassis registered in the southbound DB');
    const show = await h1.runCli(['show'], { env: ovn.ovnEnv(h1) });
    t.match(show.stdout, new RegExp(`^OVN chassis host1.example.com: remote tcp:${ovn.central.address}:6642, connected$`, 'm'), show.stdout);
    t.match(show.stdout, /^ {2}encap geneve 198\.18\.0\.1, integration bridge br-int$/m);
  });

  const vnic1 = randomUUID();
  const vnic2 = randomUUID();
  const vms: Record<string, { ns: string }> = {};
  await t.test('VM NICs on one logical switch, on two hosts, ping each other across Geneve', async (t) => {
    await ovn.central.nbctl('ls-add', 'ls-overlay');
    const nics = [
      { h: h1, vnic: vnic1, mac: '02:0a:00:00:00:11', ip: '192.0.2.11', hook: 'before_device_create' },
      { h: h2, vnic: vnic2, mac: '02:0a:00:00:00:12', ip: '192.0.2.12', hook: 'before_nic_hotplug' },
    ];
    for (const n of nics) {
      const chassis = await bindingHostId(t, n.h);
      await addPort(ovn, 'ls-overlay', n.vnic, n.mac, n.ip, chassis!);
      const r = await n.h.runXmlHook(n.hook, nicXml(n.mac), { env: OVN_NIC(n.vnic) });
      t.equal(r.exitCode, 0, r.stderr);
      t.match(r.xml, new RegExp(`<source bridge="br-int"/>.*<virtualport type="openvswitch"><parameters interfaceid="${n.vnic}"/></virtualport>`));
      vms[n.vnic] = await ovn.plugVm(n.h, r.xml, n.mac, `${n.ip}/24`);
      t.ok(await waitFor(async () => (await ovn.central.nbctl('lsp-get-up', n.vnic)) === 'up'), `port ${n.vnic} up`);
      const bound = await ovn.central.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${n.vnic}`);
      t.equal(await ovn.central.sbctl('--bare', '--columns=name', 'list', 'Chassis', bound), chassis, 'bound to the chassis named in caps');
    }
    t.ok(await ping(vms[vnic1]!.ns, '192.0.2.12', { timeoutS: 15 }), 'VM on host 1 pings the VM on host 2');
    t.ok(await ping(vms[vnic2]!.ns, '192.0.2.11'), 'and back');
    t.match(await h1.ovs.vsctl('--bare', '--columns=options', 'find', 'Interface', 'type=geneve'), /remote_ip="?198\.18\.0\.2/,
      'through a Geneve tunnel to host 2');
    const show = await h1.runCli(['show'], { env: ovn.ovnEnv(h1) });
    t.match(show.stdout, new RegExp(`VM ports: vnet\\w+ -> ${vnic1} \\(ovn-installed\\)`));
  });

  await t.test("a VM on a localnet logical switch reaches a physical peer on an OVS VLAN network through the hook's mapping", async (t) => {
    await lab.switchOvs.vsctl('add-port', (await lab.switchOvs.vsctl('list-br')).split('\n')[0]!, 'peer30', 'tag=30',
      '--', 'set', 'Interface', 'peer30', 'type=internal');
    await nsRun(lab.switchNs, 'ip', ['addr', 'add', '10.30.0.254/24', 'dev', 'peer30']);
    await nsRun(lab.switchNs, 'ip', ['link', 'set', 'peer30', 'up']);
    const parent = await h1.ovs.vsctl('br-to-parent', UNDERLAY_NET);
    await applyOk(t, h1, setup({ vlan30: ovsNet({ nic: 'eth1', vlan: '30', bridged: 'false' }) }));
    t.equal(await mappingsOf(h1), `"physnet1:br-ex,ul:${parent},vlan30:${parent}"`, 'the foreign entry kept, first; each OVS network on its parent bridge');
    const cfg = await h1.ovs.nextCfg();
    await applyOk(t, h1, setup({ vlan30: ovsNet({ nic: 'eth1', vlan: '30', bridged: 'false' }) }));
    t.equal(await h1.ovs.nextCfg(), cfg, 'the same request again: no transaction');

    await ovn.central.nbctl('--', 'ls-add', 'ls-vlan30', '--', 'lsp-add', 'ls-vlan30', 'ln-vlan30',
      '--', 'lsp-set-type', 'ln-vlan30', 'localnet', '--', 'lsp-set-addresses', 'ln-vlan30', 'unknown',
      '--', 'lsp-set-options', 'ln-vlan30', 'network_name=vlan30', '--', 'set', 'Logical_Switch_Port', 'ln-vlan30', 'tag=30');
    const vnic = randomUUID();
    const mac = '02:0a:00:00:00:13';
    await addPort(ovn, 'ls-vlan30', vnic, mac, '10.30.0.13', (await bindingHostId(t, h1))!);
    const r = await h1.runXmlHook('before_device_create', nicXml(mac), { env: OVN_NIC(vnic) });
    t.equal(r.exitCode, 0, r.stderr);
    const vm = await ovn.plugVm(h1, r.xml, mac, '10.30.0.13/24');
    t.ok(await waitFor(async () => (await ovn.central.nbctl('lsp-get-up', vnic)) === 'up'), 'port up');
    t.ok(await ping(vm.ns, '10.30.0.254', { timeoutS: 15 }), 'the VM reaches the peer on VLAN 30');
  });

  await t.test('a rolled-back setup restores the mappings', async (t) => {
    const before = await mappingsOf(h1);
    const r = await h1.runHook('before_network_setup', setup({ vlan40: ovsNet({ nic: 'eth1', vlan: '40' }), vlan30: remove }));
    t.equal(r.exitCode, 0, r.stderr);
    t.match(await mappingsOf(h1), /vlan40:/, 'the change offers vlan40');
    t.notMatch(await mappingsOf(h1), /vlan30:/, 'and no longer vlan30');
    const fail = await h1.runHook('after_network_setup_fail', r.output);
    t.equal(fail.exitCode, 0, fail.stderr);
    t.equal(await mappingsOf(h1), before, 'VDSM failed: the mappings as they were');
  });

  await t.test('ovn-controller restarted: traffic goes on', async (t) => {
    await ovn.stopController(h2);
    t.ok(await ping(vms[vnic1]!.ns, '192.0.2.12', { timeoutS: 3 }), 'while it is down, its flows carry on');
    await ovn.startController(h2);
    t.ok(await waitFor(async () => (await h2.runCli(['show'], { env: ovn.ovnEnv(h2) })).stdout.includes(', connected\n'), 10),
      'connected again');
    t.ok(await ping(vms[vnic1]!.ns, '192.0.2.12', { count: 5, timeoutS: 5 }), 'and after the restart');
  });

  await t.test("ovn-unconfigure removes what ovn-config wrote, leaving the rest and br-int's ports", async (t) => {
    const r = await h1.runCli(['ovn-unconfigure', '--no-start']);
    t.equal(r.exitCode, 0, r.stderr);
    const left = await ids(h1);
    for (const key of ['ovn-remote', 'ovn-encap-ip', 'ovn-encap-type', 'ovn-bridge', 'system-id', 'vdsm-hook-ovs-ovn']) {
      t.notMatch(left, new RegExp(`(^|[{ ])${key}=`), `${key} removed`);
    }
    t.match(left, /other-tool=kept/, "another tool's key kept");
    t.match(await mappingsOf(h1), /^"physnet1:br-ex,/, "another tool's mapping kept");
    // `ovs-vsctl get` prints {k=v, k="v,v"}: no ", " inside a value here
    const others = (text: string) => text.replace(/^\{|\}$/g, '').split(', ').filter((kv) => !kv.startsWith('ovn-bridge-mappings=')).sort();
    t.strictSame(others(left), others(foreign), 'every other key exactly as before ovn-config (the mappings follow the networks)');
    t.match(await h1.ovs.vsctl('list-ports', 'br-int'), /vnet/, 'br-int and its VM ports stay');
    const again = await h1.runCli(['ovn-unconfigure', '--no-start']);
    t.match(again.stdout, /not configured by vdsm-ovs ovn-config, nothing to undo/);
  });

  await t.test('OVS down: caps still exit 0, without the binding host id', async (t) => {
    await ovn.stopController(h2);
    await h2.ovs.stop();
    const r = await h2.runHook('after_get_caps', fixtureJson('caps-before.json'));
    t.equal(r.exitCode, 0, r.stderr);
    t.notOk('openstack_binding_host_ids' in r.output, 'no chassis name while OVS does not answer');
  });
});
