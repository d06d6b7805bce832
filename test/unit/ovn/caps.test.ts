import t from 'tap';
import { withBindingHostId } from '../../../src/ovn/caps.js';

t.test("openstack_binding_host_ids names the chassis: the Open_vSwitch row's system-id", async (t) => {
  const caps = { networks: { ovirtmgmt: {} }, openstack_binding_host_ids: { OTHER_PROVIDER: 'h1' } };
  t.strictSame(withBindingHostId(caps, { 'system-id': 'host1.example.com', hostname: 'x' }), {
    networks: { ovirtmgmt: {} },
    openstack_binding_host_ids: { OTHER_PROVIDER: 'h1', OVIRT_PROVIDER_OVN: 'host1.example.com' },
  }, "another provider's id kept");
  t.strictSame(caps.openstack_binding_host_ids, { OTHER_PROVIDER: 'h1' }, 'the input is not changed');
  t.strictSame(withBindingHostId({ a: 1 }, { 'system-id': 'abc' }), { a: 1, openstack_binding_host_ids: { OVIRT_PROVIDER_OVN: 'abc' } });
});

t.test('no system-id (OVS never initialised it): caps as they were', async (t) => {
  t.strictSame(withBindingHostId({ a: 1 }, {}), { a: 1 });
  t.strictSame(withBindingHostId({ a: 1 }, { 'system-id': '' }), { a: 1 });
});
