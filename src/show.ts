/** What `vdsm-ovs show` prints: the hook's own OVS objects as a person reads them. Pure. */
import type { KernelState } from './kernel.js';
import type { OvsPort, OvsState } from './ovs-state.js';

export function renderOwned(ovs: OvsState, kernel: KernelState): string[] {
  const lines: string[] = [];
  const ports = [...ovs.ports.values()];
  const bridges = [...ovs.bridges.values()].filter((b) => b.role === 'bridge').sort(byName);
  for (const bridge of bridges) {
    const onBridge = ports.filter((p) => p.bridge === bridge.name).sort(byName);
    const uplinks = onBridge.filter((p) => p.role === 'uplink' || p.role === 'bond');
    const uplinkText = uplinks.map((p) => p.name).join(', ') || 'none';
    lines.push(`bridge ${bridge.name}: uplink ${uplinkText}, datapath ${bridge.datapathType}, STP ${bridge.stp ? 'on' : 'off'}`);
    for (const bond of uplinks.filter((p) => p.role === 'bond')) {
      lines.push(`  bond ${bond.name}: slaves ${[...bond.interfaces].sort().join(', ')}, mode ${bond.bondMode ?? 'active-backup'}, LACP ${bond.lacp ?? 'off'}`);
    }
    for (const net of onBridge.filter((p) => p.role === 'network')) lines.push(`  ${renderNetwork(net, kernel)}`);
  }
  return lines.length ? lines : ['no OVS bridges, bonds or networks of this hook'];
}

function renderNetwork(port: OvsPort, kernel: KernelState): string {
  const link = kernel.links.get(port.name);
  const vlan = port.tag ? `VLAN ${port.tag}` : 'untagged';
  if (!link) return `network ${port.name}: ${vlan}, no kernel device`;
  const addrs = link.ipv4.length ? link.ipv4.join(' ') : 'no IPv4 address';
  const route = kernel.defaultRoute?.dev === port.name ? `, default route via ${kernel.defaultRoute.gateway ?? '-'}` : '';
  return `network ${port.name}: ${vlan}, MTU ${link.mtu}, ${link.up ? 'up' : 'DOWN'}, ${addrs}${route}`;
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
