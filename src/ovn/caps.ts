/**
 * after_get_caps for OVN: the chassis name under which the Engine's
 * ovirt-provider-ovn pins this host's logical ports (their
 * options:requested-chassis), as ovirt-provider-ovn's own host hook reports
 * it. ovn-controller registers the chassis under the Open_vSwitch row's
 * external_ids:system-id, so that is the name. Pure.
 */
import { isRecord } from '../model/values.js';

export const PROVIDER_KEY = 'OVIRT_PROVIDER_OVN';

/** caps with openstack_binding_host_ids.OVIRT_PROVIDER_OVN = system-id (other providers' ids kept); caps as they were without one. */
export function withBindingHostId(caps: Record<string, unknown>, systemIds: Record<string, string>): Record<string, unknown> {
  const id = systemIds['system-id'];
  if (!id) return caps;
  const ids = isRecord(caps['openstack_binding_host_ids']) ? caps['openstack_binding_host_ids'] : {};
  return Object.assign({}, caps, { openstack_binding_host_ids: Object.assign({}, ids, { [PROVIDER_KEY]: id }) });
}
