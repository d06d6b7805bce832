/**
 * Kernel side after the OVS transaction, planned purely from desired vs
 * kernel state: IPv6 sysctls, links up, addresses (static IPv4/IPv6, NIC
 * addresses flushed when OVS takes the NIC), default routes, each network's
 * own routing table and rules (model/routing.ts), the MTU uplinks had before
 * OVS took them, and the DHCP clients of DHCP networks.
 * Applied as: stop clients, sysctls, ONE `ip -batch`, start clients.
 */
import { writeFileSync } from 'node:fs';
import { bridgeNics, ovsNics, type DesiredState, type Leftover } from '../model/desired.js';
import { HookError, HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';
import { dhcpKey, startDhcp, stopDhcp, type DhcpClients, type DhcpFamily, type DhcpRun, type DhcpSettings, type DhcpStartRequest } from './dhcp.js';
import { ipv6SysctlPath, type KernelState } from './kernel.js';
import { wantsIpv6, type NetworkDef } from '../model/definitions.js';
import { dhcpUsesTable, routeArgs, ruleArgs, staticSourceRoute, tableOf, type RoutingRule, type TableRoute } from '../model/routing.js';
import type { HostPaths } from './paths.js';
import type { MtuRestore } from '../ovs/planner.js';
import type { Command } from '../ovs/vsctl.js';

export interface SysctlWrite {
  path: string;
  value: '0' | '1';
  why: string;
}

export type DhcpStart = DhcpStartRequest & { why: string };

export interface LinkPlan {
  dhcpStop: { run: DhcpRun; why: string }[];
  sysctls: SysctlWrite[];
  ip: Command[];
  dhcpStart: DhcpStart[];
}

/** What a rollback puts back beside the desired state: uplink MTUs, and the addresses and down state NICs had before OVS took them. */
export interface LinkRestore {
  mtu: MtuRestore[];
  addresses: ReadonlyMap<string, readonly string[]>;
  down: readonly string[];
}

export const NO_RESTORE: LinkRestore = { mtu: [], addresses: new Map(), down: [] };

/** Addresses on NICs OVS holds: flushed, as VDSM does, so that no address stays on both a NIC and a network. */
export function nicAddressesToFlush(desired: DesiredState, kernel: KernelState): Map<string, string[]> {
  const flush = new Map<string, string[]>();
  for (const nic of ovsNics(desired)) {
    const link = kernel.links.get(nic);
    const addrs = link ? [...link.ipv4, ...link.ipv6] : [];
    if (addrs.length) flush.set(nic, addrs);
  }
  return flush;
}

/** NICs OVS holds that are down now: the change brings them up, a rollback takes them down again. */
export function nicsDown(desired: DesiredState, kernel: KernelState): string[] {
  return ovsNics(desired).filter((nic) => kernel.links.get(nic)?.up === false);
}

/** rebuilt: devices removed as leftovers before the transaction (their DHCP clients served the old device) */
export function planLinks(
  desired: DesiredState,
  kernel: KernelState,
  clients: DhcpClients,
  restore: LinkRestore,
  rebuilt: ReadonlySet<string> = new Set(),
): LinkPlan {
  const plan: LinkPlan = { dhcpStop: [], sysctls: [], ip: [], dhcpStart: [] };
  const ip = (why: string, ...args: string[]): void => {
    plan.ip.push({ args, why });
  };
  const up = (dev: string, why: string): void => {
    if (!kernel.links.get(dev)?.up) ip(why, 'link', 'set', 'dev', dev, 'up');
  };
  const nics = new Set(ovsNics(desired));
  for (const { dev, mtu } of restore.mtu) {
    const link = kernel.links.get(dev);
    if (link && link.mtu !== mtu) ip(`${dev} left OVS: its MTU back to ${mtu}`, 'link', 'set', 'dev', dev, 'mtu', String(mtu));
  }
  // down first: the kernel drops a link's IPv6 addresses when it goes down
  for (const nic of restore.down) {
    if (kernel.links.get(nic)?.up && !nics.has(nic)) ip(`${nic} left OVS: down again, as it was`, 'link', 'set', 'dev', nic, 'down');
  }
  for (const [nic, addrs] of restore.addresses) {
    const link = kernel.links.get(nic);
    if (!link || nics.has(nic)) continue;
    for (const addr of addrs.filter((a) => !link.ipv4.includes(a) && !link.ipv6.includes(a))) {
      ip(`${nic} left OVS: its address ${addr} back`, 'address', 'add', addr, 'dev', nic);
    }
  }
  for (const [nic, addrs] of nicAddressesToFlush(desired, kernel)) {
    ip(`${nic} is taken by OVS: its addresses ${addrs.join(', ')} removed`, 'address', 'flush', 'dev', nic, 'scope', 'global');
  }
  for (const bridge of desired.bridges.values()) {
    for (const nic of bridgeNics(desired, bridge)) up(nic, `uplink ${nic} of bridge ${bridge.name} up`);
  }
  const routing = sourceRouting(desired, planDhcp(plan, desired, clients, rebuilt));
  removeSourceRoutes(ip, routing, kernel);
  const readdressed = new Set<string>();
  for (const net of desired.networks.values()) {
    planIpv6Sysctls(plan, net, kernel);
    up(net.name, `network ${net.name} up`);
    if (planAddresses(ip, net, kernel)) readdressed.add(net.name);
    planDefaultRoutes(ip, net, kernel);
  }
  addSourceRoutes(ip, routing, kernel, readdressed);
  return plan;
}

interface SourceRouting {
  rules: Map<string, { rule: RoutingRule; net: string }>;
  routes: Map<string, { route: TableRoute; net: string }>;
  /** tables of DHCP networks whose client runs on: the client's, following its lease */
  clientTables: Set<number>;
  /** table -> network, for the log */
  networkOf: Map<number, string>;
}

/**
 * Each network's table and rules. Only the hook's own rules and routes are
 * ever deleted (its protocol number marks them); those of a DHCP network
 * whose client runs on are the client's (it follows the lease), those of a
 * client being replaced go, and its successor writes them anew.
 */
function sourceRouting(desired: DesiredState, keptClients: ReadonlySet<string>): SourceRouting {
  const routing: SourceRouting = { rules: new Map(), routes: new Map(), clientTables: new Set(), networkOf: new Map() };
  for (const net of desired.networks.values()) {
    routing.networkOf.set(tableOf(net.name), net.name);
    if (dhcpUsesTable(net) && keptClients.has(net.name)) routing.clientTables.add(tableOf(net.name));
    const source = staticSourceRoute(net);
    for (const rule of source?.rules ?? []) routing.rules.set(ruleKey(rule), { rule, net: net.name });
    for (const route of source?.routes ?? []) routing.routes.set(routeKey(route), { route, net: net.name });
  }
  return routing;
}

/** Before the addresses change: removing an address may take the routes through its device with it. */
function removeSourceRoutes(ip: (why: string, ...args: string[]) => void, routing: SourceRouting, kernel: KernelState): void {
  const { rules, routes, clientTables, networkOf } = routing;
  const owner = (table: number): string => (networkOf.has(table) ? `network ${networkOf.get(table)}` : `table ${table}`);
  for (const rule of kernel.hookRules) {
    if (rules.has(ruleKey(rule)) || clientTables.has(rule.table)) continue;
    ip(`${owner(rule.table)}: rule ${rule.dir} ${rule.subnet} no longer wanted`, 'rule', 'del', ...ruleArgs(rule));
  }
  for (const route of kernel.hookRoutes) {
    if (routes.has(routeKey(route)) || clientTables.has(route.table)) continue;
    ip(`${owner(route.table)}: route ${route.dst} in table ${route.table} no longer wanted`, 'route', 'del', ...routeArgs(route));
  }
}

/**
 * After the addresses (a gateway must be reachable). A device that lost its
 * last IPv4 address lost every route through it too: on a network whose
 * addresses change, its routes are replaced whether seen or not.
 */
function addSourceRoutes(
  ip: (why: string, ...args: string[]) => void,
  { rules, routes }: SourceRouting,
  kernel: KernelState,
  readdressed: ReadonlySet<string>,
): void {
  const seenRoutes = new Map(kernel.hookRoutes.map((r) => [routeKey(r), r]));
  for (const { route, net } of routes.values()) {
    const seen = seenRoutes.get(routeKey(route));
    if (seen && seen.gateway === route.gateway && seen.dev === route.dev && !readdressed.has(net)) continue;
    const what = route.gateway ? `default route via ${route.gateway}` : `subnet ${route.dst}`;
    ip(`network ${net}: ${what} in its table ${route.table}`, 'route', 'replace', ...routeArgs(route));
  }
  const seenRules = new Set(kernel.hookRules.map(ruleKey));
  for (const [key, { rule, net }] of rules) {
    if (!seenRules.has(key)) ip(`network ${net}: traffic ${rule.dir} ${rule.subnet} looks up its table ${rule.table}`, 'rule', 'add', ...ruleArgs(rule));
  }
}

const ruleKey = (r: RoutingRule): string => `${r.dir} ${r.subnet} ${r.table}`;
const routeKey = (r: TableRoute): string => `${r.dst} ${r.table}`;

/** IPv6 stays on only where the network asks for it, as VDSM does; RAs are accepted only for autoconf/DHCPv6. */
function planIpv6Sysctls(plan: LinkPlan, net: NetworkDef, kernel: KernelState): void {
  const conf = kernel.ipv6conf.get(net.name);
  if (!conf) return; // no IPv6 in this kernel (or no device yet)
  // now undefined: not read (the network did not want IPv6 when its sysctls were read): written
  const set = (key: 'disable_ipv6' | 'accept_ra' | 'autoconf', on: boolean, now: boolean | undefined, why: string): void => {
    if (on !== now) plan.sysctls.push({ path: ipv6SysctlPath(net.name, key), value: on ? '1' : '0', why: `network ${net.name}: ${why}` });
  };
  const wanted = wantsIpv6(net);
  set('disable_ipv6', !wanted, conf.disabled, wanted ? 'IPv6 on' : 'IPv6 off, no IPv6 configured');
  if (!wanted) return;
  set('accept_ra', net.ipv6autoconf || net.dhcpv6, conf.learning?.acceptRa, 'router advertisements');
  set('autoconf', net.ipv6autoconf, conf.learning?.autoconf, 'IPv6 autoconf');
}

/**
 * Static addresses are the hook's; a DHCP or autoconf network keeps what its
 * client leased or the kernel learnt (addresses with a lifetime). True when it removes an IPv4 address.
 */
function planAddresses(ip: (why: string, ...args: string[]) => void, net: NetworkDef, kernel: KernelState): boolean {
  const link = kernel.links.get(net.name);
  const dynamic = new Set(link?.dynamic ?? []);
  let removed = false;
  const family = (have: string[], want: string[], keepDynamic: boolean): void => {
    for (const addr of have.filter((a) => !want.includes(a) && !(keepDynamic && dynamic.has(a)))) {
      ip(`network ${net.name}: address ${addr} removed`, 'address', 'del', addr, 'dev', net.name);
      removed ||= !addr.includes(':');
    }
    for (const addr of want.filter((a) => !have.includes(a))) {
      ip(`network ${net.name}: address ${addr}`, 'address', 'add', addr, 'dev', net.name);
    }
  };
  family(link?.ipv4 ?? [], net.ipv4 ? [`${net.ipv4.address}/${net.ipv4.prefix}`] : [], net.dhcpv4);
  // with IPv6 off the kernel drops every IPv6 address itself
  if (wantsIpv6(net)) family(link?.ipv6 ?? [], net.ipv6 ? [`${net.ipv6.address}/${net.ipv6.prefix}`] : [], net.ipv6autoconf || net.dhcpv6);
  return removed;
}

/** `ip -batch` has no per-line -6: the prefix (0.0.0.0/0, ::/0) names the family. */
function planDefaultRoutes(ip: (why: string, ...args: string[]) => void, net: NetworkDef, kernel: KernelState): void {
  const route4 = kernel.defaultRoute;
  const gateway4 = net.ipv4?.gateway;
  if (net.defaultRoute && gateway4) {
    if (route4?.dev !== net.name || route4.gateway !== gateway4) {
      ip(`network ${net.name}: default route via ${gateway4}`, 'route', 'replace', '0.0.0.0/0', 'via', gateway4, 'dev', net.name);
    }
  } else if (!net.defaultRoute && route4?.dev === net.name) {
    ip(`network ${net.name}: no longer the default route`, 'route', 'del', '0.0.0.0/0', 'dev', net.name);
  }
  const route6 = kernel.defaultRoute6;
  const gateway6 = net.ipv6?.gateway;
  if (net.defaultRoute && gateway6) {
    if (route6?.dev !== net.name || route6.gateway !== gateway6) {
      ip(`network ${net.name}: IPv6 default route via ${gateway6}`, 'route', 'replace', '::/0', 'via', gateway6, 'dev', net.name);
    }
  } else if (!net.defaultRoute && route6?.dev === net.name && !net.ipv6autoconf && !net.dhcpv6) {
    ip(`network ${net.name}: no longer the IPv6 default route`, 'route', 'del', '::/0', 'dev', net.name);
  }
}

/**
 * One client per DHCP network and family; restarted when it died, its
 * default-route role changed, the lease's routers moved between tables, or
 * its device was rebuilt (a client stays bound to the device it started on,
 * which is gone). Returns the networks whose DHCPv4 client runs on.
 */
function planDhcp(plan: LinkPlan, desired: DesiredState, clients: DhcpClients, rebuilt: ReadonlySet<string>): Set<string> {
  const kept = new Set<string>();
  const wanted = new Map<string, DhcpStart>();
  for (const net of desired.networks.values()) {
    const families: [DhcpFamily, boolean][] = [[4, net.dhcpv4], [6, net.dhcpv6]];
    for (const [family, on] of families) {
      if (!on) continue;
      const table = family === 4 && dhcpUsesTable(net) ? tableOf(net.name) : null;
      wanted.set(dhcpKey(net.name, family), {
        dev: net.name, family, blocking: family === 4 && net.blockingDhcp, defaultRoute: net.defaultRoute, table,
        why: `network ${net.name}: DHCPv${family}${table === null ? '' : `, the lease's routers into its table ${table}`}`,
      });
    }
  }
  for (const [key, run] of clients) {
    const want = wanted.get(key);
    if (want && run.alive && run.defaultRoute === want.defaultRoute && run.table === want.table && !rebuilt.has(run.dev)) {
      wanted.delete(key);
      if (run.family === 4) kept.add(run.dev);
      continue;
    }
    const why = !want
      ? `network ${run.dev}: no DHCPv${run.family} any more`
      : !run.alive ? `network ${run.dev}: its DHCPv${run.family} client (pid ${run.pid}) is gone`
        : rebuilt.has(run.dev) ? `network ${run.dev}: its device was rebuilt, the DHCPv${run.family} client served the old one`
        : run.defaultRoute !== want.defaultRoute ? `network ${run.dev}: default route ${want.defaultRoute ? 'now' : 'no longer'} taken from DHCPv${run.family}`
          : `network ${run.dev}: the lease's routers ${want.table === null ? 'no longer' : 'now'} go into its own table`;
    plan.dhcpStop.push({ run, why });
  }
  plan.dhcpStart.push(...wanted.values());
  return kept;
}

export function linkPlanSize(plan: LinkPlan): number {
  return plan.dhcpStop.length + plan.sysctls.length + plan.ip.length + plan.dhcpStart.length;
}

const renderIp = (c: Command): string => `ip ${c.args.join(' ')}   # ${c.why}`;

export function renderLeftovers(leftovers: readonly Leftover[]): string[] {
  return leftoverCommands(leftovers).map(renderIp);
}

export function renderLinks(plan: LinkPlan): string[] {
  return [
    ...plan.dhcpStop.map(({ run, why }) => `stop ${run.client} for ${run.dev} (pid ${run.pid})   # ${why}`),
    ...plan.sysctls.map((s) => `sysctl ${s.path.replace('/proc/sys/', '').replaceAll('/', '.')}=${s.value}   # ${s.why}`),
    ...plan.ip.map(renderIp),
    ...plan.dhcpStart.map((s) => `start a DHCPv${s.family} client for ${s.dev}${s.blocking ? ', waiting for the lease' : ''}   # ${s.why}`),
  ];
}

/** Returns the DHCP clients it started. */
export async function applyLinks(paths: HostPaths, dhcp: DhcpSettings, plan: LinkPlan, timeoutS: number): Promise<DhcpRun[]> {
  for (const { run } of plan.dhcpStop) await stopDhcp(paths, run);
  for (const s of plan.sysctls) {
    try {
      writeFileSync(s.path, s.value);
    } catch (err) {
      throw new HostError(s.path, `${s.why} failed: ${(err as Error).message}`);
    }
  }
  await applyBatch('ip', plan.ip, timeoutS);
  // clients of several networks wait for their leases side by side
  const started = await Promise.allSettled(plan.dhcpStart.map((s) => startDhcp(paths, dhcp, s)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason instanceof HookError ? failed.reason : new HostError('dhcp', String(failed.reason));
  return started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

/** Removing the devices Open vSwitch left behind, as ip commands: run before the transaction. */
export function leftoverCommands(leftovers: readonly Leftover[]): Command[] {
  return leftovers.map(({ name, owner, rebuilt }) => ({
    args: ['link', 'del', 'dev', name],
    why: `${owner}: ${name} is a tap device that Open vSwitch's userspace datapath left behind, in no OVS row ` +
      `(its database lost); ${rebuilt ? 'the transaction builds it anew' : 'not rebuilt: the desired state has it no more'}`,
  }));
}

export async function removeLeftovers(leftovers: readonly Leftover[], timeoutS: number): Promise<void> {
  await applyBatch('ip', leftoverCommands(leftovers), timeoutS);
}

/**
 * Commands of `ip` or `tc` as ONE `-batch`; the failing line's command names
 * the error. An argument with spaces (tc's bytecode) is double-quoted, as
 * both read it.
 */
export async function applyBatch(tool: 'ip' | 'tc', commands: Command[], timeoutS: number): Promise<void> {
  if (commands.length === 0) return;
  const line = (c: Command): string => c.args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
  const result = await run(tool, ['-batch', '-'], {
    input: commands.map(line).join('\n') + '\n',
    timeoutMs: timeoutS * 1000,
  });
  if (result.exitCode !== 0) {
    // ip and tc name the failing batch line as "Command failed -:N"
    const n = Number(/-:(\d+)/.exec(result.stderr)?.[1]);
    const failed = commands[n - 1];
    const subject = failed ? `${tool} ${line(failed)}` : tool;
    throw new HostError(subject, `${failed?.why ?? 'link setup'} failed: ${firstLine(result.stderr)}`);
  }
}
