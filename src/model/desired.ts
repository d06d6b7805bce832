/**
 * Desired state = the OVS entries of the running config with the request
 * applied on top, validated as a whole before anything is touched.
 */
import { InvalidRequest } from '../runtime/errors.js';
import {
  bondIsOvs, DEFAULT_MTU, networkIsOvs, parseBond, parseNetwork,
  type Attrs, type BondDef, type NetworkDef, type Uplink,
} from './definitions.js';
import { checkRstp, type BridgeOpts } from './bridge-opts.js';
import type { OvsRequest } from '../vdsm/request.js';
import { checkTunnelMtu, tunnelPorts, type TunnelPort, type Underlay } from './tunnels.js';
import type { EntryChange, RunningConfig } from '../vdsm/running-config.js';

export interface BridgeDef {
  name: string;
  uplink: Uplink;
  /** the Linux bridge options its networks ask for, merged (stp_state among them) */
  opts: BridgeOpts;
}

export interface DesiredState {
  networks: Map<string, NetworkDef>;
  bonds: Map<string, BondDef>;
  bridges: Map<string, BridgeDef>;
  /** the tunnel ports of the overlay networks, by port name */
  tunnels: Map<string, TunnelPort>;
}

/** What the host looks like, as far as validation needs it. */
export interface HostFacts {
  /** every kernel link name */
  links: ReadonlySet<string>;
  /** the kind of the kernel links that have one (vlan, bridge, veth, tap ...), to name what is in the way */
  linkKinds: ReadonlyMap<string, string>;
  /**
   * Persistent tap devices that no OVS interface names: what an internal port
   * of the userspace datapath leaves once its row is gone (the database lost
   * or recreated). The kernel datapath leaves none: ovs-vswitchd deletes the
   * devices of ports its database no longer holds.
   */
  strayTaps: ReadonlySet<string>;
  /** names of OVS bridges, ports and interfaces the hook does not own */
  foreignOvs: ReadonlySet<string>;
  /** names of kernel devices the hook itself created (network and bridge devices) */
  ownDevices: ReadonlySet<string>;
  /** the kernel's IPv4 addresses ("a.b.c.d/len") and MTUs by device, and the IPv4 default route's device (none: no tunnels to check) */
  ipv4?: ReadonlyMap<string, readonly string[]>;
  mtus?: ReadonlyMap<string, number>;
  defaultDev?: string;
}

/**
 * A device of the hook's that Open vSwitch no longer knows: a stray tap named
 * after a network or bridge of the running config. It is removed before the
 * transaction, which builds the device anew when the desired state has it.
 */
export interface Leftover {
  name: string;
  /** what the running config says it is: "network 'blue'", "bridge 'ovsbr-eth1'" */
  owner: string;
  rebuilt: boolean;
}

/** The NICs OVS holds in a desired state: NIC uplinks and bond slaves. */
export function ovsNics(desired: DesiredState): string[] {
  return [...desired.bridges.values()].flatMap((b) => bridgeNics(desired, b));
}

/** The NICs of one bridge: its NIC uplink, its bond's slaves, or none for a network's own bridge. */
export function bridgeNics(desired: Pick<DesiredState, 'bonds'>, bridge: BridgeDef): string[] {
  const { kind, name } = bridge.uplink;
  return kind === 'nic' ? [name] : kind === 'bond' ? desired.bonds.get(name)!.nics : [];
}

/** The bridge a network's fake bridge hangs from. */
export function bridgeOfNetwork(desired: Pick<DesiredState, 'bridges'>): (net: NetworkDef) => string {
  const byUplink = new Map([...desired.bridges.values()].map((b) => [b.uplink.name, b.name]));
  return (net) => byUplink.get(net.uplink.name)!;
}

/** An uplink carries the largest MTU of its networks (the default without any), for the planner and the ifcfg files alike. */
export function uplinkMtus(desired: DesiredState): (uplink: string) => number {
  const mtus = new Map<string, number>();
  for (const net of desired.networks.values()) {
    mtus.set(net.uplink.name, Math.max(mtus.get(net.uplink.name) ?? 0, net.mtu));
  }
  return (uplink) => mtus.get(uplink) ?? DEFAULT_MTU;
}

/**
 * The MAC every network device on an uplink takes, as VDSM gives it: the
 * NIC's own; for a bond its hwaddr, else its primary's, else its first slave's (an OVS bond has
 * no device, and no MAC, of its own). From the kernel's current MACs: OVS
 * never changes a port's MAC, so they stay the NICs' own while OVS holds them.
 */
export function uplinkMacs(desired: DesiredState, kernelMac: (dev: string) => string | undefined): (uplink: Uplink) => string | undefined {
  return (uplink) => {
    // a network without uplink (overlay, NIC-less) keeps the MAC OVS gave it
    if (uplink.kind === 'own') return undefined;
    const bond = desired.bonds.get(uplink.name);
    if (!bond) return kernelMac(uplink.name);
    return bond.hwaddr ?? kernelMac(bond.config['bond-primary'] ?? bond.nics[0]!);
  };
}

export function defaultBridgeName(uplink: string): string {
  const name = `ovsbr-${uplink}`;
  if (name.length <= 15) return name;
  // long uplink names (eno12399np0) would overflow IFNAMSIZ: a stable hash stands in
  let h = 0x811c9dc5;
  for (const c of Buffer.from(uplink)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return `ovsbr-${h.toString(36)}`;
}

export function buildDesired(
  running: RunningConfig,
  request: OvsRequest,
  host: HostFacts,
): { desired: DesiredState; changes: EntryChange[]; leftovers: Leftover[] } {
  const netAttrs = ovsEntries(running.networks, networkIsOvs);
  const bondAttrs = ovsEntries(running.bonds, bondIsOvs);
  const changes: EntryChange[] = [];
  for (const [name, attrs] of request.networks) {
    if (attrs) netAttrs.set(name, attrs);
    else netAttrs.delete(name);
    changes.push({ kind: 'nets', name, attrs });
  }
  for (const [name, attrs] of request.bonds) {
    if (attrs) bondAttrs.set(name, attrs);
    else bondAttrs.delete(name);
    changes.push({ kind: 'bonds', name, attrs });
  }
  const networks = new Map([...netAttrs].map(([n, a]) => [n, parseNetwork(n, a)] as const));
  const bonds = new Map([...bondAttrs].map(([n, a]) => [n, parseBond(n, a)] as const));
  const bridges = planBridges(networks, bonds);
  const underlay = underlayOf(networks, host);
  const desired: DesiredState = { networks, bonds, bridges, tunnels: tunnelPorts(networks.values(), bridgeOfNetwork({ bridges }), underlay) };
  // without a stray tap on the host (as good as always) the running config is not parsed a second time
  const leftovers = [...(host.strayTaps.size ? runningDevices(running) : [])]
    .filter(([name]) => host.strayTaps.has(name))
    .map(([name, owner]): Leftover => ({ name, owner, rebuilt: networks.has(name) || desired.bridges.has(name) }));
  validate(desired, running, request, host, new Set(leftovers.map((l) => l.name)));
  for (const net of networks.values()) if (net.tunnel) checkTunnelMtu(net, underlay);
  return { desired, changes, leftovers };
}

/**
 * The kernel devices the running config says are the hook's: its OVS
 * networks and their parent bridges. An entry that does not parse (one the
 * request replaces, or another version's) vouches for its own name only.
 */
function runningDevices(running: RunningConfig): Map<string, string> {
  const parsed = <T>(parse: () => T): T[] => {
    try {
      return [parse()];
    } catch (err) {
      if (err instanceof InvalidRequest) return [];
      throw err;
    }
  };
  const netEntries = [...ovsEntries(running.networks, networkIsOvs)];
  const networks = new Map(netEntries.flatMap(([n, a]) => parsed(() => [n, parseNetwork(n, a)] as const)));
  const bonds = new Map([...ovsEntries(running.bonds, bondIsOvs)].flatMap(([n, a]) => parsed(() => [n, parseBond(n, a)] as const)));
  const owners = new Map(netEntries.map(([name]) => [name, `network '${name}'`]));
  for (const planned of parsed(() => planBridges(networks, bonds))) {
    for (const name of planned.keys()) owners.set(name, `bridge '${name}'`);
  }
  return owners;
}

/**
 * The host's addresses and MTUs as they will be: the kernel's now, with the
 * desired networks' static addresses and MTUs over them (the underlay may be
 * set up by the same request, or at boot by the same restore).
 */
function underlayOf(networks: Map<string, NetworkDef>, host: HostFacts): Underlay {
  const addresses = new Map(host.ipv4 ?? []);
  const mtus = new Map(host.mtus ?? []);
  for (const net of networks.values()) {
    if (net.ipv4) addresses.set(net.name, [`${net.ipv4.address}/${net.ipv4.prefix}`]);
    mtus.set(net.name, net.mtu);
  }
  const underlay: Underlay = { addresses, mtus };
  if (host.defaultDev) underlay.defaultDev = host.defaultDev;
  return underlay;
}

function ovsEntries(entries: Map<string, Attrs>, isOvs: (name: string, attrs: Attrs) => boolean): Map<string, Attrs> {
  return new Map([...entries].filter(([name, attrs]) => isOvs(name, attrs)));
}

/**
 * One parent bridge per uplink; a network may name the bridge (custom ovs=N /
 * ovs_bridge). Networks sharing an uplink share its bridge, so their bridge
 * options (STP included) merge, and two that ask for different values of one
 * option are refused.
 */
function planBridges(networks: Map<string, NetworkDef>, bonds: Map<string, BondDef>): Map<string, BridgeDef> {
  interface Entry { uplink: Uplink; named?: string; namedBy?: string; opts: Map<string, number>; optBy: Map<string, string> }
  const fresh = (uplink: Uplink): Entry => ({ uplink, opts: new Map(), optBy: new Map() });
  const byUplink = new Map<string, Entry>();
  for (const bond of bonds.values()) byUplink.set(bond.name, fresh({ kind: 'bond', name: bond.name }));
  for (const net of networks.values()) {
    const entry = byUplink.get(net.uplink.name) ?? fresh(net.uplink);
    if (net.bridge) {
      if (entry.named && entry.named !== net.bridge) {
        throw new InvalidRequest(
          `network '${net.name}'`,
          `custom.ovs: bridge ${net.bridge} differs from ${entry.named} of network '${entry.namedBy}' on the same uplink ${net.uplink.name}`,
        );
      }
      entry.named = net.bridge;
      entry.namedBy = net.name;
    }
    for (const [key, value] of net.bridgeOpts) {
      const other = entry.opts.get(key);
      if (other !== undefined && other !== value) {
        throw new InvalidRequest(
          `network '${net.name}'`,
          `custom.bridge_opts: ${key}=${value} differs from ${key}=${other} of network '${entry.optBy.get(key)}' on the same uplink ${net.uplink.name}, whose bridge they share`,
        );
      }
      entry.opts.set(key, value);
      entry.optBy.set(key, net.name);
    }
    byUplink.set(net.uplink.name, entry);
  }
  for (const { opts, optBy } of byUplink.values()) {
    checkRstp(opts, (key) => `network '${optBy.get(key)}'`, ` of network '${optBy.get('stp_state')}', whose bridge it shares`);
  }
  const bridges = new Map<string, BridgeDef>();
  for (const { uplink, named, opts } of byUplink.values()) {
    const name = named ?? defaultBridgeName(uplink.name);
    const other = bridges.get(name);
    if (other) {
      throw new InvalidRequest(
        `bridge '${name}'`,
        `uplinks ${other.uplink.name} and ${uplink.name} cannot share one bridge; name another bridge in custom.ovs`,
      );
    }
    bridges.set(name, { name, uplink, opts });
  }
  return bridges;
}

/** NICs that VDSM's own (Linux bridge) networks and bonds hold: OVS must not take them. */
function legacyUsers(running: RunningConfig): Map<string, string> {
  const users = new Map<string, string>();
  for (const [name, attrs] of running.networks) {
    if (!networkIsOvs(name, attrs) && typeof attrs['nic'] === 'string') users.set(attrs['nic'], `network '${name}'`);
  }
  for (const [name, attrs] of running.bonds) {
    if (bondIsOvs(name, attrs) || !Array.isArray(attrs['nics'])) continue;
    for (const nic of attrs['nics']) if (typeof nic === 'string') users.set(nic, `bond '${name}'`);
  }
  return users;
}

function validate(
  desired: DesiredState,
  running: RunningConfig,
  request: OvsRequest,
  host: HostFacts,
  leftovers: ReadonlySet<string>,
): void {
  const { networks, bonds, bridges } = desired;
  // a kernel device that is neither the hook's OVS port nor its leftover is in the way, named by its kind
  const inTheWay = (name: string): string | undefined => {
    if (!host.links.has(name) || host.ownDevices.has(name) || leftovers.has(name)) return undefined;
    const kind = host.linkKinds.get(name);
    return kind ? ` (a ${kind} device)` : '';
  };
  const legacy = legacyUsers(running);
  const notLegacy = (s: string, attr: string, nic: string): void => {
    const user = legacy.get(nic);
    if (user) throw new InvalidRequest(s, `${attr}: ${nic} is used by ${user}, which is not on OVS`);
  };
  const slaveOf = new Map<string, string>();
  for (const bond of bonds.values()) {
    const s = `bond '${bond.name}'`;
    if (!/^bond\d+$/.test(bond.name)) throw new InvalidRequest(s, 'name: bond names must match bond<N>');
    for (const nic of bond.nics) {
      if (!host.links.has(nic)) throw new InvalidRequest(s, `nics: ${nic} does not exist on this host`);
      notLegacy(s, 'nics', nic);
      const other = slaveOf.get(nic);
      if (other) throw new InvalidRequest(s, `nics: ${nic} is already a slave of bond '${other}'`);
      slaveOf.set(nic, bond.name);
    }
  }
  const ovsNames = new Set([...networks.keys(), ...bonds.keys(), ...bridges.keys()]);
  const onUplinkVlan = new Map<string, string>();
  let defaultRoute: string | undefined;
  for (const net of networks.values()) {
    const s = `network '${net.name}'`;
    if (bonds.has(net.name) || bridges.has(net.name) || slaveOf.has(net.name)) {
      throw new InvalidRequest(s, 'name: is already used by an OVS bond or bridge');
    }
    const inWay = host.foreignOvs.has(net.name) ? ' (in Open vSwitch, not the hook\'s)' : inTheWay(net.name);
    if (inWay !== undefined) throw new InvalidRequest(s, `name: a device of that name already exists on this host${inWay}`);
    const up = net.uplink;
    if (up.kind === 'bond' && !bonds.has(up.name)) {
      const why = request.bonds.has(up.name)
        ? `bond ${up.name} is removed by this request but the network still uses it`
        : running.bonds.has(up.name)
          ? `${up.name} is not an OVS bond (its options lack custom=ovs:True)`
          : `${up.name} is not defined`;
      throw new InvalidRequest(s, `bonding: ${why}`);
    }
    if (up.kind === 'nic') {
      if (!host.links.has(up.name) || host.ownDevices.has(up.name) || ovsNames.has(up.name)) {
        throw new InvalidRequest(s, `nic: ${up.name} does not exist on this host`);
      }
      const bond = slaveOf.get(up.name);
      if (bond) throw new InvalidRequest(s, `nic: ${up.name} is a slave of bond '${bond}'`);
      notLegacy(s, 'nic', up.name);
    }
    const key = `${up.name}/${net.vlan}`;
    const clash = onUplinkVlan.get(key);
    if (clash) {
      const what = net.vlan === 0 ? 'untagged' : `VLAN ${net.vlan}`;
      throw new InvalidRequest(s, `vlan: network '${clash}' is already ${what} on ${up.name}`);
    }
    onUplinkVlan.set(key, net.name);
    if (net.defaultRoute) {
      if (defaultRoute) throw new InvalidRequest(s, `defaultRoute: network '${defaultRoute}' already has it`);
      defaultRoute = net.name;
    }
  }
  for (const port of desired.tunnels.values()) {
    if (host.foreignOvs.has(port.port) || ovsNames.has(port.port)) {
      throw new InvalidRequest(`network '${port.network}'`, `custom.ovs_tunnel_remotes: port name ${port.port} of the tunnel to ${port.remote} is taken`);
    }
  }
  for (const bridge of bridges.values()) {
    const inWay = host.foreignOvs.has(bridge.name) ? ' (in Open vSwitch)' : inTheWay(bridge.name);
    if (inWay !== undefined) {
      throw new InvalidRequest(`bridge '${bridge.name}'`, `a device of that name exists and is not managed by this hook${inWay}`);
    }
  }
}
