import t from 'tap';
import { XMLParser } from 'fast-xml-parser';
import { InvalidRequest } from '../../../src/runtime/errors.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { ovnPortOf, plugVnic } from '../../../src/vdsm/vnic.js';
import { fixtureText } from '../../lib/fixtures.js';

const example = fixtureText;
const networks = new Map<string, Attrs>([
  ['vmnet100', { nic: 'eth1', vlan: 100, custom: { ovs: 'true' } }],
  ['ovsmgmt', { bonding: 'bond0', custom: { ovs: 'true' } }],
  ['ovirtmgmt', { nic: 'eth0', bridged: 'true' }],
]);
/** Elements, attributes and text in order, declarations aside: what "everything else kept" means. */
const content = (xml: string) => JSON.stringify(
  (new XMLParser({ preserveOrder: true, ignoreAttributes: false, trimValues: false }).parse(xml) as object[])
    .filter((n) => !('?xml' in n)),
);

t.test('before_device_create XML: virtualport appended, everything else kept', async (t) => {
  const r = plugVnic(example('vnic-device.xml'), networks);
  t.equal(content(r.xml), content(example('vnic-device-after-ovs-hook.xml')), 'the same as the old hook made of it');
  t.match(r.xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<interface type="bridge">/, 'declaration and its line break kept');
  t.equal(r.why, 'NIC 00:1a:4a:16:01:51 plugged into OVS network vmnet100 (a fake bridge with its VLAN)');
  t.equal(plugVnic(r.xml, networks).xml, r.xml, 'a second run changes nothing');
});

t.test('pretty-printed hot-plug XML: the new element indented like its siblings', async (t) => {
  t.equal(plugVnic(example('vnic-device-hotplug.xml'), networks).xml, [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<interface type="bridge">',
    '    <mac address="00:1a:4a:16:01:51"/>',
    '    <model type="virtio"/>',
    '    <source bridge="vmnet100"/>',
    '    <filterref filter="vdsm-no-mac-spoofing"/>',
    '    <link state="up"/>',
    '    <virtualport type="openvswitch"/>',
    '</interface>',
  ].join('\n'));
});

t.test('namespaces, comments, unknown elements and attribute order survive', async (t) => {
  const xml = '<interface type="bridge" xmlns:ovirt="http://ovirt.org/vm/1.0"><!-- keep me -->'
    + '<mac address="00:1a:4a:00:00:01"/><source bridge="ovsmgmt" extra="1"/>'
    + '<ovirt:vnicProfile id="abc">p&amp;q</ovirt:vnicProfile><bandwidth><outbound average="1" peak="2"/></bandwidth></interface>';
  t.equal(plugVnic(xml, networks).xml, xml.replace('</interface>', '<virtualport type="openvswitch"/></interface>'));
});

t.test('what is not a NIC on an OVS network comes back byte for byte', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['Linux bridge network', example('vnic-device.xml').replace('vmnet100', 'ovirtmgmt'), /on Linux bridge network ovirtmgmt/],
    ['no network', '<interface type="bridge"><source bridge=";vdsmdummy;" /></interface>', /has no network/],
    ['SR-IOV', '<interface type="hostdev" managed="no"><source><address type="pci" bus="0x05"/></source></interface>', /of type hostdev/],
    ['a disk', "<?xml version='1.0'?>\n<disk type='file' device='disk'><source file='/x'/></disk>", /not a NIC \(<disk>\)/],
  ];
  for (const [what, xml, why] of cases) {
    const r = plugVnic(xml, networks);
    t.equal(r.xml, xml, `${what}: unchanged`);
    t.match(r.why, why, `${what}: the log says why`);
  }
});

t.test('an unknown network, a foreign virtualport and broken XML fail clearly', async (t) => {
  t.throws(() => plugVnic(example('vnic-device.xml').replace('vmnet100', 'nosuchnet'), networks), new InvalidRequest(
    "network 'nosuchnet'", "of VM NIC 00:1a:4a:16:01:51: no such network in VDSM's running config on this host"));
  t.throws(() => plugVnic('<interface type="bridge"><source bridge="vmnet100"/><virtualport type="802.1Qbh"/></interface>', networks),
    new InvalidRequest("network 'vmnet100'", 'of VM NIC without a MAC: a virtualport of type 802.1Qbh cannot go on an OVS network'));
  t.throws(() => plugVnic('<interface type="bridge"><source bridge="vmnet100"></interface>', networks),
    { name: 'InvalidRequest', message: /^is not well-formed: / });
});

const OVN_ENV = { provider_type: 'EXTERNAL_NETWORK', plugin_type: 'OVIRT_PROVIDER_OVN', vnic_id: '5A1B6C2D-0000-4e5f-8a9b-0123456789ab' };

t.test('ovnPortOf: the vNIC id of a NIC on an ovirt-provider-ovn network, else nothing', async (t) => {
  t.equal(ovnPortOf(OVN_ENV), '5a1b6c2d-0000-4e5f-8a9b-0123456789ab', 'lower case, as the provider names the port');
  t.equal(ovnPortOf({}), undefined, 'no provider');
  t.equal(ovnPortOf({ ...OVN_ENV, plugin_type: 'OTHER_PLUGIN' }), undefined, 'another provider plugin');
  t.equal(ovnPortOf({ ...OVN_ENV, provider_type: 'OPENSTACK_NETWORK' }), undefined);
  t.throws(() => ovnPortOf({ ...OVN_ENV, vnic_id: 'not-a-uuid' }), { name: 'InvalidRequest', message: '"not-a-uuid" is not a UUID' + ' (the OVN logical port of a NIC on an OVN network)' });
  t.throws(() => ovnPortOf({ ...OVN_ENV, vnic_id: undefined }), InvalidRequest, 'missing');
  t.throws(() => ovnPortOf({ ...OVN_ENV, vnic_id: "5a1b6c2d-0000-4e5f-8a9b-0123456789ab' x" }), InvalidRequest, 'no trailing text');
});

const PORT = '5a1b6c2d-0000-4e5f-8a9b-0123456789ab';

t.test('an OVN NIC: source br-int and an openvswitch virtualport naming its port, the rest kept', async (t) => {
  const r = plugVnic(example('vnic-device-hotplug.xml').replace('vmnet100', 'ovn-net-1'), networks, PORT);
  t.equal(r.xml, [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<interface type="bridge">',
    '    <mac address="00:1a:4a:16:01:51"/>',
    '    <model type="virtio"/>',
    '    <source bridge="br-int"/>',
    '    <filterref filter="vdsm-no-mac-spoofing"/>',
    '    <link state="up"/>',
    `    <virtualport type="openvswitch"><parameters interfaceid="${PORT}"/></virtualport>`,
    '</interface>',
  ].join('\n'), 'a network the running config does not know is no error for an OVN NIC');
  t.equal(r.why, `NIC 00:1a:4a:16:01:51 plugged into OVN logical port ${PORT} on br-int`);
  t.equal(plugVnic(r.xml, networks, PORT).xml, r.xml, 'a second run changes nothing');
});

t.test('an OVN NIC whose source is an OVS network, with a virtualport already: pointed at br-int, one virtualport', async (t) => {
  const xml = '<interface type="bridge"><mac address="00:1a:4a:16:01:52"/><source bridge="vmnet100"/>'
    + '<virtualport type="802.1Qbh"><parameters profileid="x"/></virtualport><link state="up"/></interface>';
  t.equal(plugVnic(xml, networks, PORT).xml, '<interface type="bridge"><mac address="00:1a:4a:16:01:52"/><source bridge="br-int"/>'
    + `<link state="up"/><virtualport type="openvswitch"><parameters interfaceid="${PORT}"/></virtualport></interface>`);
});

t.test('an OVN NIC without a source gets one; a NIC that is not a bridge NIC is left alone', async (t) => {
  t.equal(plugVnic('<interface type="bridge"><mac address="00:1a:4a:16:01:53"/></interface>', networks, PORT).xml,
    `<interface type="bridge"><mac address="00:1a:4a:16:01:53"/><source bridge="br-int"/><virtualport type="openvswitch"><parameters interfaceid="${PORT}"/></virtualport></interface>`);
  const hostdev = '<interface type="hostdev"><mac address="00:1a:4a:16:01:54"/></interface>';
  t.equal(plugVnic(hostdev, networks, PORT).xml, hostdev);
});
