/**
 * What `vdsm-ovs show` prints: the hook's own OVS bridges with their bonds
 * and networks, each as the Engine sees it through after_get_caps. Pure.
 */
import type { CapsAdditions } from '../vdsm/caps.js';
import type { KernelState } from '../host/kernel.js';
import type { OvsPort, OvsState } from '../ovs/state.js';
import type { MirrorState } from '../ovs/mirrors.js';

export function renderOwned(ovs: OvsState, kernel: KernelState, caps: CapsAdditions): string[] {
  const lines: string[] = [];
  const ports = [...ovs.ports.values()];
  const bridges = [...ovs.bridges.values()].filter((b) => b.role === 'bridge').sort(byName);
  for (const bridge of bridges) {
    const onBridge = ports.filter((p) => p.bridge === bridge.name).sort(byName);
    const uplinks = onBridge.filter((p) => p.role === 'uplink' || p.role === 'bond');
    const uplinkText = uplinks.map((p) => p.name).join(', ') || 'none';
    lines.push(`bridge ${bridge.name}: uplink ${uplinkText}, datapath ${bridge.datapathType}, STP ${bridge.stp ? 'on' : 'off'}`);
    for (const bond of uplinks.filter((p) => p.role === 'bond')) lines.push(`  ${renderBond(bond, caps)}`);
    for (const net of onBridge.filter((p) => p.role === 'network')) lines.push(`  ${renderNetwork(net, kernel, caps)}`);
  }
  return lines.length ? lines : ['no OVS bridges, bonds or networks of this hook'];
}

function renderBond(port: OvsPort, caps: CapsAdditions): string {
  const active = caps.bondings[port.name]?.active_slave;
  const slaves = `slaves ${[...port.interfaces].sort().join(', ')}${active ? ` (active ${active})` : ''}`;
  return `bond ${port.name}: ${slaves}, mode ${port.bondMode ?? 'active-backup'}, LACP ${port.lacp ?? 'off'}`;
}

function renderNetwork(port: OvsPort, kernel: KernelState, caps: CapsAdditions): string {
  const vlan = port.tag ? `VLAN ${port.tag}` : 'untagged';
  const net = caps.networks[port.name];
  const link = kernel.links.get(port.name);
  if (!net || !link) return `network ${port.name}: ${vlan}, ${link ? 'not in the running config' : 'no kernel device'}`;
  const kind = net.bridged ? `bridged, ports ${net.ports!.join(' ')}` : 'bridgeless';
  const addrs = [...net.ipv4addrs, ...net.ipv6addrs].join(' ') || 'no address';
  const gateway = net.gateway ? `, gateway ${net.gateway}` : '';
  const route = net.ipv4defaultroute ? ', default route' : '';
  return `network ${port.name}: ${vlan} on ${net.southbound}, ${kind}, MTU ${net.mtu}, ${link.up ? 'up' : 'DOWN'}, ${addrs}${gateway}${route}`;
}

/** The port mirrors: the hook's own, each with the VM NIC it serves, and how many others exist (nothing when there are none). */
export function renderMirrors({ mirrors }: MirrorState): string[] {
  const own = mirrors.filter((m) => m.owner).sort(byName);
  const lines = own.map((m) => {
    const vlans = m.vlans.length ? `VLAN ${m.vlans.join(',')}` : 'all VLANs';
    const to = m.output ? `to ${m.output}` : 'to a port that is gone (the next mirror hook run removes it)';
    return `mirror ${m.name}: network ${m.owner!.network} (${vlans} on ${m.bridge ?? 'no bridge'}) ${to}, VM ${m.owner!.vm} NIC ${m.owner!.mac}`;
  });
  const others = mirrors.length - own.length;
  return [...lines, ...(others ? [`mirrors of other tools: ${others} (left alone)`] : [])];
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
