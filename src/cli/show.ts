/**
 * What `vdsm-ovs show` prints: the hook's own OVS bridges with their bonds
 * and networks, each as the Engine sees it through after_get_caps, and their
 * tunnels. Pure but for readIfaceStatus.
 */
import type { CapsAdditions } from '../vdsm/caps.js';
import type { KernelState } from '../host/kernel.js';
import type { OvsPort, OvsState } from '../ovs/state.js';
import { RULE_PRIORITY, tableOf } from '../model/routing.js';
import type { Vsctl } from '../ovs/vsctl.js';
import type { MirrorState } from '../ovs/mirrors.js';

/** An interface's status and bfd_status columns, as OVS reports them (status: tunnel_egress_iface, ..._carrier). */
export interface IfaceStatus {
  status: Record<string, string>;
  bfd: Record<string, string>;
}

export function renderOwned(
  ovs: OvsState,
  kernel: KernelState,
  caps: CapsAdditions,
  status: ReadonlyMap<string, IfaceStatus> = new Map(),
): string[] {
  const lines: string[] = [];
  const ports = [...ovs.ports.values()];
  const bridges = [...ovs.bridges.values()].filter((b) => b.role === 'bridge').sort(byName);
  for (const bridge of bridges) {
    const onBridge = ports.filter((p) => p.bridge === bridge.name).sort(byName);
    const uplinks = onBridge.filter((p) => p.role === 'uplink' || p.role === 'bond');
    const uplinkText = uplinks.map((p) => p.name).join(', ') || 'none';
    // the bridge options the hook set, in OVS's words (only the keys it owns: OVS defaults are not shown)
    const opts = [
      ...(bridge.mcastSnooping ? ['multicast snooping'] : []),
      ...bridge.hookOpts.map((k) => `${k}=${bridge.otherConfig.get(k) ?? '?'}`),
    ];
    lines.push(`bridge ${bridge.name}: uplink ${uplinkText}, datapath ${bridge.datapathType}, STP ${bridge.rstp ? 'RSTP' : bridge.stp ? 'on' : 'off'}`
      + (opts.length ? `, ${opts.join(', ')}` : ''));
    for (const bond of uplinks.filter((p) => p.role === 'bond')) lines.push(`  ${renderBond(bond, caps)}`);
    for (const net of onBridge.filter((p) => p.role === 'network')) {
      lines.push(`  ${renderNetwork(net, kernel, caps)}`);
      const table = renderTable(net.name, kernel);
      if (table) lines.push(`    ${table}`);
      const shaping = caps.networks[net.name]?.hostQos?.out;
      if (shaping) lines.push(`    host QoS out: ${renderCurves(shaping)}`);
    }
    for (const tunnel of onBridge.filter((p) => p.role === 'tunnel')) lines.push(`  ${renderTunnel(tunnel, ovs, status)}`);
  }
  return lines.length ? lines : ['no OVS bridges, bonds or networks of this hook'];
}

function renderBond(port: OvsPort, caps: CapsAdditions): string {
  const active = caps.bondings[port.name]?.active_slave;
  const slaves = `slaves ${[...port.interfaces].sort().join(', ')}${active ? ` (active ${active})` : ''}`;
  const settings = [
    `mode ${port.bondMode ?? 'active-backup'}`, `LACP ${port.lacp ?? 'off'}`, ...bondTuning(port),
  ];
  return `bond ${port.name}: ${slaves}, ${settings.join(', ')}`;
}

/** What the bond's options set beyond mode and LACP, in OVS's words: the other_config keys present, the delays when not 0. */
function bondTuning(port: OvsPort): string[] {
  const config = port.otherConfig;
  const out: string[] = [];
  if (config.get('lacp-time')) out.push(`LACP time ${config.get('lacp-time')}`);
  const interval = config.get('bond-miimon-interval');
  if (config.get('bond-detect-mode') === 'miimon') out.push(`miimon${interval ? ` ${interval} ms` : ''}`);
  if (port.bondUpdelay) out.push(`updelay ${port.bondUpdelay} ms`);
  if (port.bondDowndelay) out.push(`downdelay ${port.bondDowndelay} ms`);
  if (config.get('bond-primary')) out.push(`primary ${config.get('bond-primary')}`);
  return out;
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

/** hostQos curves as the Engine gives them: ul and rt in bit/s, ls a weight (recorded; OVS's htb has no weights). */
function renderCurves(out: Record<string, { m2: number }>): string {
  const unit: Record<string, string> = { ul: ' bit/s (cap)', rt: ' bit/s (guaranteed)', ls: ' (share)' };
  return Object.entries(out).map(([curve, { m2 }]) => `${curve} ${m2}${unit[curve] ?? ''}`).join(', ');
}

/** The network's own routing table and its rules, as the kernel has them (the hook's only). */
function renderTable(network: string, kernel: KernelState): string | undefined {
  const table = tableOf(network);
  const routes = kernel.hookRoutes.filter((r) => r.table === table).map((r) => (r.gateway ? `${r.dst} via ${r.gateway}` : r.dst));
  const rules = kernel.hookRules.filter((r) => r.table === table).map((r) => `${r.dir} ${r.subnet}`);
  if (!routes.length && !rules.length) return undefined;
  return `table ${table}: ${routes.join(', ') || 'no routes'}; rules (priority ${RULE_PRIORITY}) ${rules.join(', ') || 'none'}`;
}

/**
 * A tunnel, its remote, and whether it is up as far as OVS knows: BFD's
 * state where BFD runs on it, else whether its egress device (the route to
 * the remote) has carrier; OVS has no other liveness for a tunnel.
 */
function renderTunnel(port: OvsPort, ovs: OvsState, status: ReadonlyMap<string, IfaceStatus>): string {
  const iface = ovs.interfaces.get(port.name);
  const o = iface?.options ?? {};
  const local = o['local_ip'] ? `, local ${o['local_ip']}` : '';
  const vlan = port.tag ? `, VLAN ${port.tag}` : '';
  const st = status.get(port.name);
  const egress = st?.status['tunnel_egress_iface'];
  const state = st?.bfd['state'] !== undefined
    ? `BFD ${st.bfd['state']}`
    : egress ? `${st?.status['tunnel_egress_iface_carrier'] === 'up' ? 'up' : 'DOWN'} (egress ${egress})` : 'DOWN (no route to the remote)';
  return `tunnel ${port.name}: ${iface?.type ?? '?'} to ${o['remote_ip'] ?? '?'}, key ${o['key'] ?? '0'}${local}${vlan}, ${state}`;
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

/** Every interface's status and bfd_status (only `show` needs them: they change on their own, so the planner never reads them). */
export async function readIfaceStatus(vsctl: Vsctl): Promise<Map<string, IfaceStatus>> {
  const [rows = []] = await vsctl.select([{ table: 'Interface', columns: ['name', 'status', 'bfd_status'] }], 'reading the interfaces\' status');
  return new Map(rows.map((r) => [String(r['name']), { status: ovsMap(r['status']), bfd: ovsMap(r['bfd_status']) }]));
}

function ovsMap(value: unknown): Record<string, string> {
  if (!Array.isArray(value) || value[0] !== 'map') return {};
  return Object.fromEntries((value[1] as [string, unknown][]).map(([k, v]) => [k, String(v)]));
}
