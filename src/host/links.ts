/**
 * Kernel side after the OVS transaction, planned purely from desired vs
 * kernel state: IPv6 sysctls, links up, addresses (static IPv4/IPv6, NIC
 * addresses flushed when OVS takes the NIC), default routes, the MTU uplinks
 * had before OVS took them, and the DHCP clients of DHCP networks.
 * Applied as: stop clients, sysctls, ONE `ip -batch`, start clients.
 */
import { writeFileSync } from 'node:fs';
import { bridgeNics, ovsNics, type DesiredState } from '../model/desired.js';
import { HookError, HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';
import { dhcpKey, startDhcp, stopDhcp, type DhcpClients, type DhcpFamily, type DhcpRun, type DhcpSettings, type DhcpStartRequest } from './dhcp.js';
import { ipv6SysctlPath, type KernelState } from './kernel.js';
import { wantsIpv6, type NetworkDef } from '../model/definitions.js';
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

export function planLinks(
  desired: DesiredState,
  kernel: KernelState,
  clients: DhcpClients,
  restore: LinkRestore,
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
  for (const net of desired.networks.values()) {
    planIpv6Sysctls(plan, net, kernel);
    up(net.name, `network ${net.name} up`);
    planAddresses(ip, net, kernel);
    planDefaultRoutes(ip, net, kernel);
  }
  planDhcp(plan, desired, clients);
  return plan;
}

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
 * client leased or the kernel learnt (addresses with a lifetime).
 */
function planAddresses(ip: (why: string, ...args: string[]) => void, net: NetworkDef, kernel: KernelState): void {
  const link = kernel.links.get(net.name);
  const dynamic = new Set(link?.dynamic ?? []);
  const family = (have: string[], want: string[], keepDynamic: boolean): void => {
    for (const addr of have.filter((a) => !want.includes(a) && !(keepDynamic && dynamic.has(a)))) {
      ip(`network ${net.name}: address ${addr} removed`, 'address', 'del', addr, 'dev', net.name);
    }
    for (const addr of want.filter((a) => !have.includes(a))) {
      ip(`network ${net.name}: address ${addr}`, 'address', 'add', addr, 'dev', net.name);
    }
  };
  family(link?.ipv4 ?? [], net.ipv4 ? [`${net.ipv4.address}/${net.ipv4.prefix}`] : [], net.dhcpv4);
  // with IPv6 off the kernel drops every IPv6 address itself
  if (wantsIpv6(net)) family(link?.ipv6 ?? [], net.ipv6 ? [`${net.ipv6.address}/${net.ipv6.prefix}`] : [], net.ipv6autoconf || net.dhcpv6);
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

/** One client per DHCP network and family; restarted when it died or its default-route role changed. */
function planDhcp(plan: LinkPlan, desired: DesiredState, clients: DhcpClients): void {
  const wanted = new Map<string, DhcpStart>();
  for (const net of desired.networks.values()) {
    const families: [DhcpFamily, boolean][] = [[4, net.dhcpv4], [6, net.dhcpv6]];
    for (const [family, on] of families) {
      if (!on) continue;
      wanted.set(dhcpKey(net.name, family), {
        dev: net.name, family, blocking: family === 4 && net.blockingDhcp, defaultRoute: net.defaultRoute,
        why: `network ${net.name}: DHCPv${family}`,
      });
    }
  }
  for (const [key, run] of clients) {
    const want = wanted.get(key);
    if (want && run.alive && run.defaultRoute === want.defaultRoute) {
      wanted.delete(key);
      continue;
    }
    const why = !want
      ? `network ${run.dev}: no DHCPv${run.family} any more`
      : !run.alive ? `network ${run.dev}: its DHCPv${run.family} client (pid ${run.pid}) is gone`
        : `network ${run.dev}: default route ${want.defaultRoute ? 'now' : 'no longer'} taken from DHCPv${run.family}`;
    plan.dhcpStop.push({ run, why });
  }
  plan.dhcpStart.push(...wanted.values());
}

export function linkPlanSize(plan: LinkPlan): number {
  return plan.dhcpStop.length + plan.sysctls.length + plan.ip.length + plan.dhcpStart.length;
}

export function renderLinks(plan: LinkPlan): string[] {
  return [
    ...plan.dhcpStop.map(({ run, why }) => `stop ${run.client} for ${run.dev} (pid ${run.pid})   # ${why}`),
    ...plan.sysctls.map((s) => `sysctl ${s.path.replace('/proc/sys/', '').replaceAll('/', '.')}=${s.value}   # ${s.why}`),
    ...plan.ip.map((c) => `ip ${c.args.join(' ')}   # ${c.why}`),
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
  await applyIpBatch(plan.ip, timeoutS);
  // clients of several networks wait for their leases side by side
  const started = await Promise.allSettled(plan.dhcpStart.map((s) => startDhcp(paths, dhcp, s)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason instanceof HookError ? failed.reason : new HostError('dhcp', String(failed.reason));
  return started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

async function applyIpBatch(commands: Command[], timeoutS: number): Promise<void> {
  if (commands.length === 0) return;
  const result = await run('ip', ['-batch', '-'], {
    input: commands.map((c) => c.args.join(' ')).join('\n') + '\n',
    timeoutMs: timeoutS * 1000,
  });
  if (result.exitCode !== 0) {
    // ip names the failing batch line as "Command failed -:N"
    const line = Number(/-:(\d+)/.exec(result.stderr)?.[1]);
    const failed = commands[line - 1];
    const subject = failed ? `ip ${failed.args.join(' ')}` : 'ip';
    throw new HostError(subject, `${failed?.why ?? 'link setup'} failed: ${firstLine(result.stderr)}`);
  }
}
