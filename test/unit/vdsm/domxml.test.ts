import t from 'tap';
import { InvalidRequest } from '../../../src/runtime/errors.js';
import { mirrorWishes, parseDomain, parseInterface } from '../../../src/vdsm/domxml.js';

// A running domain as libvirt dumps it for an Engine-made VM: the Engine's
// metadata (ovirt-vm namespace, one <device> per NIC) and libvirt's <target dev>.
const DOMAIN = `<domain type='kvm' id='3' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>ids-vm</name>
  <uuid>4b2c2e3a-6a4f-4e8b-9d43-1f0c5a2b7e11</uuid>
  <metadata xmlns:ns1="http://ovirt.org/vm/tune/1.0" xmlns:ovirt-vm="http://ovirt.org/vm/1.0">
    <ns1:qos/>
    <ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0">
      <ovirt-vm:clusterVersion>4.4</ovirt-vm:clusterVersion>
      <ovirt-vm:device mac_address="00:1A:4A:16:01:60">
        <ovirt-vm:portMirroring>
          <ovirt-vm:network>blue</ovirt-vm:network>
        </ovirt-vm:portMirroring>
      </ovirt-vm:device>
      <ovirt-vm:device mac_address="00:1a:4a:16:01:61">
        <ovirt-vm:custom/>
      </ovirt-vm:device>
      <ovirt-vm:device devtype="disk" name="vda">
        <ovirt-vm:poolID>5a4b</ovirt-vm:poolID>
      </ovirt-vm:device>
    </ovirt-vm:vm>
  </metadata>
  <devices>
    <disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>
    <interface type='bridge'>
      <mac address='00:1a:4a:16:01:60'/>
      <source bridge='blue'/>
      <virtualport type='openvswitch'><parameters interfaceid='0b1c'/></virtualport>
      <target dev='vnet7'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='00:1a:4a:16:01:61'/>
      <source bridge='green'/>
      <target dev='vnet8'/>
    </interface>
  </devices>
</domain>`;

t.test('a domain: its NICs and the mirroring its metadata asks for', async (t) => {
  const d = parseDomain(DOMAIN);
  t.equal(d.uuid, '4b2c2e3a-6a4f-4e8b-9d43-1f0c5a2b7e11');
  t.equal(d.name, 'ids-vm');
  t.same(d.nics, [
    { mac: '00:1a:4a:16:01:60', tap: 'vnet7', network: 'blue' },
    { mac: '00:1a:4a:16:01:61', tap: 'vnet8', network: 'green' },
  ]);
  t.same([...d.mirroring], [['00:1a:4a:16:01:60', ['blue']]], 'MACs matched in lower case; NICs without portMirroring left out');
  t.same(mirrorWishes(d), [{ mac: '00:1a:4a:16:01:60', tap: 'vnet7', network: 'blue' }]);
  t.same(mirrorWishes(d, '00:1A:4A:16:01:61'), [], 'only the NIC asked for');
});

t.test('the namespace decides, not the prefix', async (t) => {
  const other = `<domain xmlns:v="http://ovirt.org/vm/1.0"><uuid>u1</uuid><metadata>
    <v:vm><v:device mac_address="00:1a:4a:16:01:70"><v:portMirroring><v:network>red</v:network></v:portMirroring></v:device></v:vm>
    <x:vm xmlns:x="http://example.com/other"><x:device mac_address="00:1a:4a:16:01:71">
      <x:portMirroring><x:network>red</x:network></x:portMirroring></x:device></x:vm>
  </metadata><devices>
    <interface type="bridge"><mac address="00:1a:4a:16:01:70"/><source bridge="red"/></interface>
    <interface type="bridge"><mac address="00:1a:4a:16:01:71"/><source bridge="red"/></interface>
  </devices></domain>`;
  const d = parseDomain(other);
  t.same([...d.mirroring.keys()], ['00:1a:4a:16:01:70'], 'a device of another namespace is not a request');
  t.same(mirrorWishes(d), [{ mac: '00:1a:4a:16:01:70', network: 'red' }], 'no tap before the domain runs');
});

t.test("the NIC's own network when the metadata lists several", async (t) => {
  const d = parseDomain(`<domain xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><metadata><ovirt-vm:vm>
    <ovirt-vm:device mac_address="00:1a:4a:16:01:80"><ovirt-vm:portMirroring>
      <ovirt-vm:network>red</ovirt-vm:network><ovirt-vm:network>blue</ovirt-vm:network>
    </ovirt-vm:portMirroring></ovirt-vm:device></ovirt-vm:vm></metadata>
    <devices><interface type="bridge"><mac address="00:1a:4a:16:01:80"/><source bridge="blue"/><target dev="vnet1"/></interface></devices></domain>`);
  t.same(mirrorWishes(d), [{ mac: '00:1a:4a:16:01:80', tap: 'vnet1', network: 'blue' }]);
});

t.test('a domain without metadata asks for nothing', async (t) => {
  const d = parseDomain('<domain><devices><interface type="bridge"><mac address="00:1a:4a:16:01:90"/></interface></devices></domain>');
  t.same(mirrorWishes(d), []);
});

t.test('a lone interface, as the device hooks get it', async (t) => {
  t.same(parseInterface(`<?xml version='1.0' encoding='UTF-8'?>
<interface type="bridge">
    <mac address="00:1A:4A:16:01:51"/>
    <model type="virtio"/>
    <source bridge="vmnet100"/>
</interface>`), { mac: '00:1a:4a:16:01:51', network: 'vmnet100' });
  t.equal(parseInterface('<disk type="file"/>'), undefined, 'another device: nothing');
});

t.test('XML that is not a domain', async (t) => {
  t.throws(() => parseDomain('<domain><name>x</domain>'), InvalidRequest);
  t.throws(() => parseDomain('<interface type="bridge"/>'), { message: 'is a <interface>, not a <domain>' });
});
