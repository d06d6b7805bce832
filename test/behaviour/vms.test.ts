/**
 * VM NICs on OVS networks: before_device_create / before_nic_hotplug rewrite
 * the NIC XML, then a simulated libvirt plugs a veth "tap" the way libvirt
 * does for <virtualport type="openvswitch"/>, and the VM reaches the
 * network's host address and the peer on the network's VLAN.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { applyOk, ovsNet, setup } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { fixtureText } from '../lib/fixtures.js';

const vnicXml = (network: string, mac: string) =>
  fixtureText('vnic-device.xml')
    .replace('vmnet100', network).replace('00:1a:4a:16:01:51', mac);

interface Nic {
  source?: { '@_bridge'?: string };
  virtualport?: { '@_type'?: string };
  vlan?: { tag?: { '@_id'?: string } };
}

/** What libvirt does with such XML: one ovs-vsctl call creating the port, with the VLAN the XML names. */
async function libvirtPlug(sb: Sandbox, xml: string, tap: string, mac: string): Promise<Nic> {
  const nic = (new XMLParser({ ignoreAttributes: false }).parse(xml) as { interface: Nic }).interface;
  const bridge = nic.source?.['@_bridge'];
  const tag = nic.vlan?.tag?.['@_id'];
  await sb.hostOvs.vsctl('--', '--may-exist', 'add-port', bridge!, tap,
    ...(tag ? ['tag=' + tag] : []),
    '--', 'set', 'Interface', tap, `external-ids:attached-mac=${mac}`, 'external-ids:iface-status=active');
  await sb.setLink(sb.host, tap, true);
  return nic;
}

t.test('a VM NIC on a tagged and one on an untagged OVS network reach the network and the peer', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pv20', 20, '10.20.0.2/24');
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await applyOk(t, sb, setup({
    blue: ovsNet({ nic: 'eth1', vlan: '10', ipaddr: '10.10.0.1', prefix: '24' }),
    green: ovsNet({ nic: 'eth1', vlan: '20', ipaddr: '10.20.0.1', prefix: '24' }),
    red: ovsNet({ nic: 'eth2', ipaddr: '10.1.0.1', prefix: '24' }),
  }));
  const cases = [
    { net: 'blue', hook: 'before_device_create', tap: 'vnet0', mac: '00:1a:4a:16:01:51', vm: '10.10.0.50', vlan: '10',
      host: '10.10.0.1', peer: '10.10.0.2', other: '10.20.0.2' },
    { net: 'red', hook: 'before_nic_hotplug', tap: 'vnet1', mac: '00:1a:4a:16:01:52', vm: '10.1.0.50', vlan: '0',
      host: '10.1.0.1', peer: '10.1.0.2', other: undefined },
  ];
  for (const c of cases) {
    await t.test(`${c.hook}: VM NIC on ${c.net}`, async (t) => {
      const xml = vnicXml(c.net, c.mac);
      const r = await sb.runXmlHook(c.hook, xml);
      t.equal(r.exitCode, 0, r.exitCode === 0 ? 'hook succeeded' : r.stderr);
      t.match(r.stderr, new RegExp(`NIC ${c.mac} plugged into OVS network ${c.net}`));
      await sb.addVmNic(c.tap, `vm-${c.net}`);
      const nic = await libvirtPlug(sb, r.xml, c.tap, c.mac);
      t.equal(nic.virtualport?.['@_type'], 'openvswitch', 'libvirt is told to use Open vSwitch');
      t.equal(nic.source?.['@_bridge'], c.net, 'into the fake bridge of the network');
      // 0: an access port of VLAN 0, which OVS treats as untagged
      t.equal(await sb.hostOvs.vsctl('get', 'Port', c.tap, 'tag'), c.vlan,
        'the port got the VLAN in the transaction that created it');
      await sb.exec(sb.vm, 'ip', ['addr', 'add', `${c.vm}/24`, 'dev', `vm-${c.net}`]);
      t.ok(await sb.ping(sb.vm, c.host), `the VM reaches ${c.net}'s host address`);
      t.ok(await sb.ping(sb.vm, c.peer), `the VM reaches the peer on ${c.net}'s VLAN`);
      if (c.other) {
        // an address of VLAN 20 on this NIC: reaching the VLAN 20 peer would take frames across VLANs
        await sb.exec(sb.vm, 'ip', ['addr', 'add', '10.20.0.51/24', 'dev', `vm-${c.net}`]);
        t.notOk(await sb.ping(sb.vm, c.other, { timeoutS: 2 }), 'and nothing of another VLAN');
        await sb.exec(sb.vm, 'ip', ['addr', 'del', '10.20.0.51/24', 'dev', `vm-${c.net}`]);
      }
    });
  }
});

t.test('Linux bridge networks and unknown networks', async (t) => {
  const sb = await createSandbox(t);
  const nets = join(sb.root, 'var/run/vdsm/netconf/nets');
  mkdirSync(nets, { recursive: true });
  writeFileSync(join(nets, 'ovirtmgmt'), JSON.stringify({ nic: 'eth0', bridged: true, switch: 'legacy' }));
  const legacy = vnicXml('ovirtmgmt', '00:1a:4a:16:01:53');
  const r = await sb.runXmlHook('before_device_create', legacy);
  t.equal(r.exitCode, 0, r.exitCode === 0 ? 'hook succeeded' : r.stderr);
  t.equal(r.xml, legacy, 'a NIC on a Linux bridge network comes back byte for byte');

  const unknown = await sb.runXmlHook('before_nic_hotplug', vnicXml('nosuchnet', '00:1a:4a:16:01:54'));
  t.equal(unknown.exitCode, 2);
  t.equal(unknown.stderr.split('\n')[0],
    "network 'nosuchnet': of VM NIC 00:1a:4a:16:01:54: no such network in VDSM's running config on this host");
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'the device hooks never touch OVS');
});
