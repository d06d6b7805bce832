/**
 * The custom properties of overlay and NAT networks: ovs_tunnel=TYPE:KEY,
 * ovs_tunnel_remotes=IP,IP,..., ovs_tunnel_local=IP and ovs_nat=BOOL,
 * parsed and checked once, here.
 */
import { InvalidRequest } from '../runtime/errors.js';
import { checkIPv4 } from './ipv4.js';
import { isUnset, toBool } from './values.js';

export const TUNNEL_TYPES = ['vxlan', 'geneve', 'gre'] as const;
export type TunnelType = (typeof TUNNEL_TYPES)[number];

/** Largest VNI (24 bits for VXLAN and Geneve) or GRE key (32 bits). */
const MAX_KEY: Record<TunnelType, number> = { vxlan: 16777215, geneve: 16777215, gre: 4294967295 };

/**
 * Bytes the encapsulation takes of the underlay's MTU (an IP size): outer
 * IPv4 20 + UDP 8 + VXLAN/Geneve header 8 + the inner Ethernet header 14 = 50;
 * GRE: outer IPv4 20 + GRE header with key 8 + inner Ethernet 14 = 42 (38 is
 * GRE without a key). Measured through OVS 3.1's userspace datapath at an
 * underlay MTU of 1500: the largest inner IP packet is 1450 (VXLAN) and 1458
 * (GRE with key); one byte more is dropped without a word.
 */
export const ENCAP_OVERHEAD: Record<TunnelType, number> = { vxlan: 50, geneve: 50, gre: 42 };

export interface TunnelDef {
  type: TunnelType;
  /** VNI (VXLAN, Geneve) or GRE key: options:key */
  key: number;
  /** every host's tunnel endpoint, this one's included (skipped when the ports are planned) */
  remotes: string[];
  /** the local endpoint; else the route to the remotes decides */
  local?: string;
}

/** The custom properties this module reads; the other ovs_tunnel* names are refused. */
const TUNNEL_PROPS = new Set(['ovs_tunnel', 'ovs_tunnel_remotes', 'ovs_tunnel_local']);

export function parseTunnel(s: string, custom: Record<string, string>): TunnelDef | undefined {
  if (!isUnset(custom['ovs_tunnel_psk'])) {
    throw new InvalidRequest(s, 'custom.ovs_tunnel_psk: encrypted tunnels are not supported: IPsec needs the kernel datapath ' +
      'and ovs-monitor-ipsec, and without them OVS would send the traffic in clear text; remove the property');
  }
  for (const key of Object.keys(custom)) {
    if (key.startsWith('ovs_tunnel') && !TUNNEL_PROPS.has(key)) {
      throw new InvalidRequest(s, `custom.${key}: unknown property (known: ${[...TUNNEL_PROPS].join(', ')})`);
    }
  }
  const spec = custom['ovs_tunnel'];
  if (isUnset(spec)) {
    for (const key of ['ovs_tunnel_remotes', 'ovs_tunnel_local']) {
      if (!isUnset(custom[key])) throw new InvalidRequest(s, `custom.${key}: given without ovs_tunnel`);
    }
    return undefined;
  }
  const m = /^\s*([a-z]+):(\d+)\s*$/.exec(spec!);
  const type = TUNNEL_TYPES.find((t) => t === m?.[1]);
  if (!m || !type) {
    throw new InvalidRequest(s, `custom.ovs_tunnel: ${JSON.stringify(spec)} is not TYPE:KEY with TYPE one of ${TUNNEL_TYPES.join(', ')}`);
  }
  const key = Number(m[2]);
  if (key > MAX_KEY[type]) throw new InvalidRequest(s, `custom.ovs_tunnel: ${type} key ${m[2]} is not in 0-${MAX_KEY[type]}`);
  const listed = custom['ovs_tunnel_remotes'];
  if (isUnset(listed)) throw new InvalidRequest(s, 'custom.ovs_tunnel_remotes: an overlay network needs the tunnel endpoints of its hosts');
  const remotes = listed!.split(',').map((r) => checkIPv4(s, 'custom.ovs_tunnel_remotes', r));
  const dup = remotes.find((r, i) => remotes.indexOf(r) !== i);
  if (dup) throw new InvalidRequest(s, `custom.ovs_tunnel_remotes: ${dup} is listed twice`);
  const def: TunnelDef = { type, key, remotes };
  const local = custom['ovs_tunnel_local'];
  if (!isUnset(local)) def.local = checkIPv4(s, 'custom.ovs_tunnel_local', local!);
  return def;
}

/** ovs_nat: the host masquerades the network's subnet; it needs a static IPv4 address to be the gateway. */
export function parseNat(s: string, name: string, custom: Record<string, string>, hasStaticIpv4: boolean): boolean {
  const value = custom['ovs_nat'];
  const nat = !isUnset(value) && toBool(s, 'custom.ovs_nat', value);
  // the name goes into an nftables rule as a quoted string: nothing there may need escaping
  if (nat && !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new InvalidRequest(s, `custom.ovs_nat: a NAT network's name may only hold letters, digits, "_", "." and "-"`);
  }
  if (nat && !hasStaticIpv4) {
    throw new InvalidRequest(s, 'custom.ovs_nat: a NAT network needs a static IPv4 address (ipaddr with netmask or prefix): ' +
      'the VMs use it as their gateway');
  }
  return nat;
}
