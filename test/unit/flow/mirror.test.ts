import t from 'tap';
import { mirrorIntent } from '../../../src/flow/mirror.js';
import type { OvsMirror } from '../../../src/ovs/mirrors.js';

const VM = '4b2c2e3a-6a4f-4e8b-9d43-1f0c5a2b7e11';
const DOMAIN = `<domain xmlns:ovirt-vm="http://ovirt.org/vm/1.0"><uuid>${VM}</uuid><metadata><ovirt-vm:vm>
  <ovirt-vm:device mac_address="00:1a:4a:16:01:60"><ovirt-vm:portMirroring><ovirt-vm:network>blue</ovirt-vm:network></ovirt-vm:portMirroring></ovirt-vm:device>
</ovirt-vm:vm></metadata><devices>
  <interface type="bridge"><mac address="00:1a:4a:16:01:60"/><source bridge="blue"/><target dev="vnet7"/></interface>
  <interface type="bridge"><mac address="00:1a:4a:16:01:61"/><source bridge="blue"/><target dev="vnet8"/></interface>
</devices></domain>`;
const NIC = (mac: string) => `<interface type="bridge"><mac address="${mac}"/><source bridge="blue"/></interface>`;
const mirror = (vm: string, mac: string): OvsMirror => ({ uuid: 'u', name: 'm', vlans: [10], owner: { vm, mac, network: 'blue' } });
const noVirsh = async (): Promise<string> => { throw new Error('virsh must not be asked'); };

t.test('VM start and migration: the domain\'s own XML; the VM\'s other mirrors go', async (t) => {
  for (const point of ['after_vm_start', 'after_vm_migrate_destination'] as const) {
    const intent = await mirrorIntent(point, DOMAIN, undefined, noVirsh);
    t.equal(intent.vm, VM, 'the VM from <uuid> when VDSM sets no vmId');
    t.same(intent.wanted, [{ mac: '00:1a:4a:16:01:60', tap: 'vnet7', network: 'blue' }]);
    t.same([mirror(VM, '00:1a:4a:16:01:60'), mirror(VM, '00:1a:4a:16:01:61'), mirror('other', '00:1a:4a:16:01:61')].map(intent.drop),
      [false, true, false]);
  }
});

t.test('destroy: every mirror of the VM', async (t) => {
  const intent = await mirrorIntent('after_vm_destroy', DOMAIN, VM, noVirsh);
  t.same([mirror(VM, 'a'), mirror('other', 'a')].map(intent.drop), [true, false]);
});

t.test('hot-plug reads the domain from libvirt by the vmId VDSM sets; unplug needs only the NIC', async (t) => {
  const asked: string[] = [];
  const plugged = await mirrorIntent('after_nic_hotplug', NIC('00:1A:4A:16:01:60'), VM, async (vm) => { asked.push(vm); return DOMAIN; });
  t.same(asked, [VM]);
  t.same(plugged.wanted, [{ mac: '00:1a:4a:16:01:60', tap: 'vnet7', network: 'blue' }], 'only the plugged NIC');
  const other = await mirrorIntent('after_nic_hotplug', NIC('00:1a:4a:16:01:61'), VM, async () => DOMAIN);
  t.same(other.wanted, [], 'a plugged NIC without portMirroring: nothing');
  const unplug = await mirrorIntent('before_nic_hotunplug', NIC('00:1a:4a:16:01:60'), VM, noVirsh);
  t.same([mirror(VM, '00:1a:4a:16:01:60'), mirror(VM, '00:1a:4a:16:01:61')].map(unplug.drop), [true, false]);
});

t.test('a device hook without vmId, or a VM name that is no name', async (t) => {
  await t.rejects(mirrorIntent('after_nic_hotplug', NIC('00:1a:4a:16:01:60'), undefined, noVirsh),
    { message: 'names no VM (no vmId in the environment, no <uuid> in the XML)' });
  await t.rejects(mirrorIntent('before_nic_hotunplug', NIC('00:1a:4a:16:01:60'), '--connect=x', noVirsh),
    { message: 'VM "--connect=x" is not a VM uuid or name' });
});
