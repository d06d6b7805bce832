/**
 * after_get_caps: the hook's networks and bonds in the shapes VDSM itself
 * reports (vdsm-hooks.md §3), so that the Engine sees them in sync. Pure:
 * the running config's OVS entries and one read of OVS and the kernel in,
 * caps entries out.
 *
 * Where the Engine looks for a network's addresses: on the bridge for a
 * bridged network, on `<uplink>.<vlan>` for a bridgeless tagged one, on the
 * NIC or bond for a bridgeless untagged one; every other entry carries none.
 */
import { prefixToNetmask } from '../model/ipv4.js';
import type { KernelLink, KernelState } from '../host/kernel.js';
import type { BondDef, NetworkDef } from '../model/definitions.js';
import type { OvsState } from '../ovs/state.js';
import { isRecord } from '../model/values.js';
import { FLOOD_KEYS, linuxOpts, ovsSettings } from '../model/bridge-opts.js';
import { queueId, queueQos, reportQos, type HostQos, type QosReport } from '../model/host-qos.js';

export interface IpInfo {
  addr: string;
  netmask: string;
  ipv4addrs: string[];
  ipv6addrs: string[];
  gateway: string;
  ipv6gateway: string;
  ipv4defaultroute: boolean;
  ipv6autoconf: boolean;
  dhcpv4: boolean;
  dhcpv6: boolean;
}

interface Device extends IpInfo {
  /** a string, as VDSM reports it */
  mtu: string;
}

export interface NetworkCaps extends Device {
  iface: string;
  bridged: boolean;
  switch: string;
  southbound: string;
  vlanid?: number;
  /** bridged networks */
  ports?: string[];
  stp?: 'on' | 'off';
  /** bridgeless networks, as VDSM still reports it for old Engines */
  interface?: string;
  /** only when the network is shaped */
  hostQos?: QosReport;
}

/** One shaped network of an uplink, as VDSM lists them on the NIC or bond: vlan -1 for untagged. */
export interface UplinkQos {
  hostQos: QosReport;
  vlan: number;
}

export interface BridgeCaps extends Device {
  ports: string[];
  stp: 'on' | 'off';
  opts: Record<string, string>;
}

export interface VlanCaps extends Device {
  iface: string;
  vlanid: number;
}

export interface BondCaps extends Device {
  hwaddr: string;
  slaves: string[];
  active_slave: string;
  opts: Record<string, string>;
  switch: string;
  qos?: UplinkQos[];
}

export interface CapsAdditions {
  networks: Record<string, NetworkCaps>;
  bridges: Record<string, BridgeCaps>;
  vlans: Record<string, VlanCaps>;
  bondings: Record<string, BondCaps>;
  /** addresses of bridgeless untagged networks and the shaping on the NIC, for the NIC entries VDSM already reports */
  nics: Record<string, Partial<IpInfo> & { qos?: UplinkQos[] }>;
}

/** The OVS networks and bonds of the running config, parsed. */
export interface Owned {
  networks: NetworkDef[];
  bonds: { def: BondDef; opts: Record<string, string> }[];
}

/** What the host shows: OVS (when it answered) and the kernel. */
export interface HostView {
  kernel: KernelState;
  ovs?: OvsState;
  /** bond -> active slave, from ovs-appctl bond/show (when it answered) */
  activeSlaves?: Map<string, string>;
}

const NO_IP: IpInfo = {
  addr: '', netmask: '', ipv4addrs: [], ipv6addrs: [], gateway: '', ipv6gateway: '::',
  ipv4defaultroute: false, ipv6autoconf: false, dhcpv4: false, dhcpv6: false,
};

/** The caps entries of every OVS network whose device exists, and of every OVS bond that exists. */
export function capsAdditions(owned: Owned, view: HostView): CapsAdditions {
  const add: CapsAdditions = { networks: {}, bridges: {}, vlans: {}, bondings: {}, nics: {} };
  const bondIp = new Map<string, IpInfo>();
  /** the MAC a bond's network devices have: the bond's own, as the Engine sees a Linux bond's */
  const bondMac = new Map<string, string>();
  const taps = vmTaps(view.ovs);
  const uplinkQos = new Map<string, UplinkQos[]>();
  // Object.assign, not object spread: V8 copies spread objects by a slow path, tens of ms per 1000 networks
  for (const net of owned.networks) {
    const link = view.kernel.links.get(net.name);
    if (!link) continue;
    // as the Engine attached it: an overlay network on its NIC (its frames take the tunnels), a NIC-less one on none
    const attached = net.attachment?.name ?? '';
    const southbound = net.vlan ? `${attached}.${net.vlan}` : attached;
    if (net.uplink.kind === 'bond' && !bondMac.has(net.uplink.name)) bondMac.set(net.uplink.name, link.mac);
    const ip = ipInfo(link, view.kernel, net);
    const mtu = String(link.mtu);
    const common = Object.assign({ mtu, bridged: net.bridged, switch: switchOf(net.attrs), southbound }, ip);
    const extra: { vlanid?: number; hostQos?: QosReport } = net.vlan ? { vlanid: net.vlan } : {};
    const qos = shapingOf(net, view.ovs);
    if (qos) {
      extra.hostQos = reportQos(qos);
      const list = uplinkQos.get(net.uplink.name) ?? [];
      list.push({ hostQos: reportQos(qos), vlan: net.vlan || -1 });
      uplinkQos.set(net.uplink.name, list);
    }
    if (net.bridged) {
      const parent = view.ovs?.ports.get(net.name)?.bridge;
      const ports = (taps.get(tapKey(parent, net.vlan)) ?? []).concat(southbound ? [southbound] : []);
      const bridge = parent ? view.ovs?.bridges.get(parent) : undefined;
      const port = view.ovs?.ports.get(net.name);
      // as OVS has them; without OVS's answer, as the network asks
      const opts = bridge && port
        ? linuxOpts({ ...bridge, floodToHost: FLOOD_KEYS.every((k) => port.otherConfig.get(k) === 'true') })
        : linuxOpts(ovsSettings(net.bridgeOpts));
      // as VDSM reads sysfs: STP (kernel or user space, RSTP) is on unless stp_state is 0
      const stp = onOff(opts['stp_state'] !== '0');
      add.networks[net.name] = Object.assign({ iface: net.name, ports, stp }, common, extra);
      add.bridges[net.name] = Object.assign({ mtu, ports, stp, opts }, ip);
    } else {
      add.networks[net.name] = Object.assign({ iface: southbound, interface: southbound }, common, extra);
    }
    if (!net.attachment) continue;
    if (net.vlan) {
      add.vlans[southbound] = Object.assign({ mtu, iface: attached, vlanid: net.vlan }, net.bridged ? NO_IP : ip);
    } else if (!net.bridged) {
      if (net.attachment.kind === 'nic') add.nics[attached] = ip;
      else bondIp.set(attached, ip);
    }
  }
  for (const [uplink, list] of uplinkQos) {
    if (owned.bonds.some((b) => b.def.name === uplink)) continue;
    add.nics[uplink] = Object.assign({}, add.nics[uplink], { qos: list.sort((a, b) => a.vlan - b.vlan) });
  }
  for (const { def, opts } of owned.bonds) {
    const entry = bondCaps(def, opts, view, bondIp.get(def.name) ?? NO_IP, bondMac.get(def.name));
    const qos = uplinkQos.get(def.name);
    if (entry && qos) entry.qos = qos.sort((a, b) => a.vlan - b.vlan);
    if (entry) add.bondings[def.name] = entry;
  }
  return add;
}

/** VDSM's caps with the additions merged in: entries of the same name replaced, all others kept as they were. */
export function mergeCaps(caps: Record<string, unknown>, add: CapsAdditions): Record<string, unknown> {
  // Object.assign, not spread: spreading an object of 1000 entries took V8 tens of ms
  const out = Object.assign({}, caps);
  for (const key of ['networks', 'bridges', 'vlans', 'bondings'] as const) {
    if (Object.keys(add[key]).length) out[key] = Object.assign({}, objectAt(caps, key), add[key]);
  }
  const nics = objectAt(caps, 'nics');
  const touched = Object.keys(add.nics).filter((nic) => isRecord(nics[nic]));
  if (touched.length) {
    out['nics'] = Object.assign({}, nics, Object.fromEntries(touched.map((nic) => [nic, Object.assign({}, nics[nic], add.nics[nic])])));
  }
  return out;
}

/** The network's shaping as OVS has it (its queue on the uplink's QoS); without OVS's answer, as the network asks. */
function shapingOf(net: NetworkDef, ovs: OvsState | undefined): HostQos | undefined {
  if (!ovs) return net.hostQos;
  const port = ovs.ports.get(net.uplink.name);
  const qos = port?.qos ? ovs.qos.get(port.qos) : undefined;
  const queue = qos?.role === 'qos' ? ovs.queues.get(qos.queues.get(queueId(net.vlan)) ?? '') : undefined;
  return queue ? queueQos(queue.otherConfig, queue.ls) : undefined;
}

function bondCaps(def: BondDef, opts: Record<string, string>, view: HostView, ip: IpInfo, mac: string | undefined): BondCaps | undefined {
  const { kernel, ovs } = view;
  const port = ovs?.ports.get(def.name);
  // without an answer from OVS, the running config and the kernel are all there is to go by
  if (ovs ? port?.role !== 'bond' : !def.nics.every((n) => kernel.links.has(n))) return undefined;
  const slaves = port ? [...port.interfaces].sort() : def.nics;
  const active = view.activeSlaves?.get(def.name) ?? '';
  const links = slaves.map((s) => kernel.links.get(s)).filter((l): l is KernelLink => l !== undefined);
  return {
    ...ip,
    mtu: String(Math.max(0, ...links.map((l) => l.mtu))),
    // an OVS bond has no device of its own: the MAC its networks' devices have (its hwaddr or its first
    // slave's, see uplinkMacs); without a network, its hwaddr or first slave's, as a Linux bond takes it
    hwaddr: mac ?? def.hwaddr ?? kernel.links.get(def.nics[0]!)?.mac ?? '',
    slaves,
    active_slave: slaves.includes(active) ? active : '',
    opts,
    switch: switchOf(def.attrs),
  };
}

function ipInfo(link: KernelLink, kernel: KernelState, net: NetworkDef): IpInfo {
  const [first] = link.ipv4;
  const [addr = '', prefix] = first ? first.split('/') : [];
  return {
    addr,
    netmask: prefix === undefined ? '' : prefixToNetmask(Number(prefix)),
    ipv4addrs: link.ipv4,
    ipv6addrs: link.ipv6,
    gateway: kernel.gateways.get(link.name) ?? '',
    ipv6gateway: kernel.gateways6.get(link.name) ?? '::',
    ipv4defaultroute: kernel.defaultRoute?.dev === link.name,
    // as the hook applies them: the sysctls and the DHCP clients follow the network's definition
    ipv6autoconf: net.ipv6autoconf,
    dhcpv4: net.dhcpv4,
    dhcpv6: net.dhcpv6,
  };
}

const tapKey = (bridge: string | undefined, vlan: number | null): string => `${bridge ?? ''}/${vlan ?? ''}`;

/**
 * VM taps by parent bridge and VLAN, indexed once (a network's taps are the
 * unowned ports of its parent bridge with its VLAN: its fake bridge's ports).
 */
function vmTaps(ovs: OvsState | undefined): Map<string, string[]> {
  const taps = new Map<string, string[]>();
  for (const p of ovs?.ports.values() ?? []) {
    if (p.role || p.fakeBridge || !p.bridge) continue;
    const key = tapKey(p.bridge, p.tag);
    const list = taps.get(key);
    if (list) list.push(p.name);
    else taps.set(key, [p.name]);
  }
  for (const list of taps.values()) list.sort();
  return taps;
}

const onOff = (on: boolean): 'on' | 'off' => (on ? 'on' : 'off');

/** As VDSM reports it: what the running config says, "legacy" when it says nothing. */
function switchOf(attrs: Record<string, unknown>): string {
  return typeof attrs['switch'] === 'string' ? attrs['switch'] : 'legacy';
}

function objectAt(doc: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = doc[key];
  return isRecord(value) ? value : {};
}
