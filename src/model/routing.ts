/**
 * Source routing as VDSM does it for its own networks: every static IPv4
 * network with a gateway gets a routing table of its own, named by the
 * Adler-32 of the network's name, holding its default route and its subnet,
 * and two rules that send traffic from and to its subnet there. Replies
 * then leave through the network they came in on, whichever network has
 * the host's default route. Pure: what the tables and rules should be.
 */
import type { NetworkDef } from './definitions.js';
import { subnetOf } from './ipv4.js';

/** Rule priority VDSM gives these rules (below the main table's 32766). */
export const RULE_PRIORITY = 3200;
/**
 * The routing protocol number on every route and rule the hook makes (`proto`,
 * `protocol`): what tells them from anyone else's, even in the same table.
 * Not one of /etc/iproute2/rt_protos' reserved numbers.
 */
export const HOOK_PROTO = 211;

/** zlib's Adler-32 of the UTF-8 bytes, as Python's zlib.adler32(name.encode()) (what VDSM computes). */
export function adler32(text: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  // never 0 or a reserved table (253-255) for a non-empty name: b >= 1 puts it above 65535
  return ((b << 16) | a) >>> 0;
}

export interface RoutingRule {
  /** "from" a subnet or "to" it */
  dir: 'from' | 'to';
  subnet: string;
  table: number;
}

export interface TableRoute {
  /** "default" or a subnet "a.b.c.d/len" */
  dst: string;
  gateway?: string;
  dev: string;
  table: number;
}

export interface SourceRoute {
  network: string;
  table: number;
  routes: TableRoute[];
  rules: RoutingRule[];
}

/** The table of a network: the Adler-32 of its name (its device's name, which is its name on OVS). */
export const tableOf = (network: string): number => adler32(network);

/** A network's table and rules for its gateway and an address (static, or leased), in VDSM's shape. */
export function sourceRoute(network: string, address: string, prefix: number, gateway: string): SourceRoute {
  const table = tableOf(network);
  const subnet = subnetOf(address, prefix);
  return {
    network,
    table,
    routes: [{ dst: 'default', gateway, dev: network, table }, { dst: subnet, dev: network, table }],
    rules: [{ dir: 'from', subnet, table }, { dir: 'to', subnet, table }],
  };
}

/** The source routing of a static IPv4 network with a gateway; none for any other. */
export function staticSourceRoute(net: NetworkDef): SourceRoute | undefined {
  const ip = net.ipv4;
  return ip?.gateway ? sourceRoute(net.name, ip.address, ip.prefix, ip.gateway) : undefined;
}

/** A DHCP network's client puts the lease's routers into the network's table: all but the default-route one, whose routers go to main. */
export const dhcpUsesTable = (net: NetworkDef): boolean => net.dhcpv4 && !net.defaultRoute;

/** `ip route` arguments of a table route (after the verb). */
export function routeArgs(r: TableRoute): string[] {
  return [r.dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', r.dev, 'table', String(r.table), 'proto', String(HOOK_PROTO)];
}

/** `ip rule` arguments of a rule (after the verb). */
export function ruleArgs(r: RoutingRule): string[] {
  return ['priority', String(RULE_PRIORITY), r.dir, r.subnet, 'table', String(r.table), 'protocol', String(HOOK_PROTO)];
}
