/** What `vdsm-ovs show` says of the host as an OVN chassis. Pure. */
import type { OvsState } from '../ovs/state.js';
import { MAPPINGS_KEY } from './mappings.js';

/** status: ovn-controller's connection-status, undefined when it did not answer. */
export function renderChassis(ovs: OvsState, status: string | undefined): string[] {
  const ids = ovs.systemIds;
  const remote = ids['ovn-remote'];
  const mappings = ids[MAPPINGS_KEY] ? ids[MAPPINGS_KEY].split(',').join(' ') : 'none';
  if (remote === undefined) return [`OVN chassis: not configured ('vdsm-ovs ovn-config' joins this host); physical networks offered: ${mappings}`];
  const bridge = ids['ovn-bridge'] ?? 'br-int';
  const ports = (ovs.bridges.get(bridge)?.ports ?? [])
    .flatMap((p) => ovs.ports.get(p)?.interfaces ?? [])
    .map((name) => ovs.interfaces.get(name))
    .filter((i) => i?.ovnPort !== undefined)
    .map((i) => `${i!.name} -> ${i!.ovnPort} (${i!.ovnInstalled ? 'ovn-installed' : 'not installed'})`)
    .sort();
  return [
    `OVN chassis ${ids['system-id'] ?? '(no system-id)'}: remote ${remote}, ${status ?? 'ovn-controller not answering'}`,
    `  encap ${ids['ovn-encap-type'] ?? '?'} ${ids['ovn-encap-ip'] ?? '?'}, integration bridge ${bridge}`,
    `  physical networks: ${mappings}`,
    `  VM ports: ${ports.length ? ports.join(', ') : 'none'}`,
  ];
}
