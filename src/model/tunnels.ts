/**
 * The tunnel ports of the desired state: for each overlay network, one port
 * to every remote that is not this host, and the check that the network's
 * MTU fits the underlay once encapsulated. Pure.
 */
import { InvalidRequest } from '../runtime/errors.js';
import type { NetworkDef } from './definitions.js';
import { ENCAP_OVERHEAD, type TunnelType } from './overlay.js';

export interface TunnelPort {
  /** the OVS port and interface name */
  port: string;
  network: string;
  /** the network's bridge, and its VLAN there: the tunnel is an access port of the network */
  bridge: string;
  vlan: number;
  type: TunnelType;
  key: number;
  remote: string;
  local?: string;
}

/** What the host's addresses and devices are, as far as the tunnels need them. */
export interface Underlay {
  /** device -> its IPv4 addresses as "a.b.c.d/len": the kernel's, and the static ones of the desired networks */
  addresses: ReadonlyMap<string, readonly string[]>;
  /** device -> MTU: a desired network's, else the kernel's */
  mtus: ReadonlyMap<string, number>;
  /** the device of the IPv4 default route */
  defaultDev?: string;
}

/**
 * A stable name of at most 15 characters for the tunnel of `network` to
 * `remote`: it depends on nothing else, so that a VNI or type change edits
 * the port in place and a remote added or dropped touches only its own port.
 */
export function tunnelPortName(network: string, remote: string): string {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(`${network}/${remote}`)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return `vtun-${h.toString(36)}`;
}

export function tunnelPorts(
  networks: Iterable<NetworkDef>,
  bridgeOf: (net: NetworkDef) => string,
  underlay: Underlay,
): Map<string, TunnelPort> {
  const own = new Set([...underlay.addresses.values()].flat().map((cidr) => cidr.split('/')[0]));
  const ports = new Map<string, TunnelPort>();
  for (const net of networks) {
    const tunnel = net.tunnel;
    if (!tunnel) continue;
    for (const remote of tunnel.remotes.filter((r) => !own.has(r))) {
      const port = tunnelPortName(net.name, remote);
      const clash = ports.get(port);
      if (clash) {
        throw new InvalidRequest(`network '${net.name}'`,
          `custom.ovs_tunnel_remotes: the tunnel to ${remote} would take port name ${port} of network '${clash.network}'`);
      }
      const p: TunnelPort = { port, network: net.name, bridge: bridgeOf(net), vlan: net.vlan, type: tunnel.type, key: tunnel.key, remote };
      if (tunnel.local) p.local = tunnel.local;
      ports.set(port, p);
    }
  }
  return ports;
}

/** The device the tunnels of `net` leave through: the one holding the local address, else the one on the remotes' subnet, else the default route's. */
export function underlayDevice(net: NetworkDef, underlay: Underlay): string | undefined {
  const tunnel = net.tunnel!;
  const entries = [...underlay.addresses];
  if (tunnel.local) return entries.find(([, cidrs]) => cidrs.some((c) => c.split('/')[0] === tunnel.local))?.[0];
  for (const remote of tunnel.remotes) {
    const onLink = entries.find(([, cidrs]) => cidrs.some((c) => inSubnet(remote, c) && c.split('/')[0] !== remote));
    if (onLink) return onLink[0];
  }
  return underlay.defaultDev;
}

/** An overlay network's MTU plus the encapsulation must fit the underlay device's MTU: OVS drops bigger frames silently. */
export function checkTunnelMtu(net: NetworkDef, underlay: Underlay): void {
  const dev = underlayDevice(net, underlay);
  const underlayMtu = dev === undefined ? undefined : underlay.mtus.get(dev);
  if (dev === undefined || underlayMtu === undefined) return;
  const overhead = ENCAP_OVERHEAD[net.tunnel!.type];
  if (net.mtu + overhead <= underlayMtu) return;
  throw new InvalidRequest(`network '${net.name}'`,
    `mtu: ${net.mtu} does not fit the underlay: ${net.tunnel!.type} takes ${overhead} bytes of the MTU ${underlayMtu} of ${dev}; ` +
    `set the network's MTU to at most ${underlayMtu - overhead}, or the MTU of ${dev} to at least ${net.mtu + overhead}`);
}

function ipv4ToInt(addr: string): number {
  return addr.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** Whether `addr` lies in the subnet of "a.b.c.d/len". */
export function inSubnet(addr: string, cidr: string): boolean {
  const [base = '', len = '32'] = cidr.split('/');
  const bits = Number(len);
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipv4ToInt(addr) & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}
