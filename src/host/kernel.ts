/**
 * The kernel's view of links, addresses, default routes, and the routing
 * rules and table routes the hook made: one `ip -j -batch` call; and the
 * per-device IPv6 sysctls of the devices asked for.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DumpInterrupted, HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';
import { wantsIpv6, type NetworkDef } from '../model/definitions.js';
import { HOOK_PROTO, RULE_PRIORITY, type RoutingRule, type TableRoute } from '../model/routing.js';

export interface KernelLink {
  name: string;
  mtu: number;
  up: boolean;
  mac: string;
  /** global IPv4 addresses as "a.b.c.d/len" */
  ipv4: string[];
  /** IPv6 addresses as "addr/len", link-local and host scope left out (as VDSM reports them) */
  ipv6: string[];
  /** those of ipv4/ipv6 that have a lifetime: leased by DHCP or learnt by autoconf, not configured by hand */
  dynamic: string[];
  /**
   * What the device is, read with `{ kinds: true }` (`ip -d` linkinfo): vlan, bridge, veth, bond,
   * openvswitch, and tap or tun for a tun device; absent for a NIC or lo
   */
  kind?: string;
  /** a tap or tun device that outlives the process that made it (IFF_PERSIST), as OVS's userspace datapath makes its internal ports */
  persistent?: boolean;
}

/**
 * net.ipv6.conf.<dev>.*: whether IPv6 is on for the device, and how it
 * learns addresses (read only for a network that wants IPv6: for the others
 * only disable_ipv6 matters, and at hundreds of networks each read counts).
 */
export interface Ipv6Conf {
  disabled: boolean;
  learning?: { acceptRa: boolean; autoconf: boolean };
}

export interface DefaultRoute {
  dev: string;
  gateway?: string;
}

export interface KernelState {
  links: Map<string, KernelLink>;
  /** the main table's IPv4 default route: the host's */
  defaultRoute?: DefaultRoute;
  /** the main table's IPv6 default route */
  defaultRoute6?: DefaultRoute;
  /** per device, the gateway of an IPv4 / IPv6 default route through it in any table (as VDSM reports it) */
  gateways: Map<string, string>;
  gateways6: Map<string, string>;
  /** the IPv6 sysctls of the devices readKernelState was asked about (those that exist) */
  ipv6conf: Map<string, Ipv6Conf>;
  /** the IPv4 rules the hook made (its protocol number, VDSM's priority) */
  hookRules: RoutingRule[];
  /** the IPv4 routes the hook made, in whichever table (its protocol number) */
  hookRoutes: TableRoute[];
}

// `ip -batch` takes no per-line -6: "table all" lists the routes of both families; rules are IPv4 only
// without -6; `rule show` takes no protocol filter, so the hook's are picked out here
const COMMANDS = `addr show\nroute show default table all\nrule show\nroute show table all proto ${HOOK_PROTO}\n`;

/** How host commands are run: exec.ts's run, or a stand-in in the unit tests. */
export type Runner = typeof run;

/**
 * kinds: each link's kind too (`ip -d`), which planning needs to tell a device
 * Open vSwitch left behind from one in the way; the reports go without it, as
 * it doubles the output (~7 ms more at 1000 links).
 */
export async function readKernelState(
  timeoutS: number,
  { kinds = false, runner = run }: { kinds?: boolean; runner?: Runner } = {},
): Promise<KernelState> {
  return parseKernelState(await ipDump(COMMANDS, 'reading links', timeoutS, { details: kinds, runner }));
}

/** Reads of a dump the kernel interrupted, in all, before the read fails. */
export const DUMP_READS = 5;
/** The wait before the second read; it doubles before each next one (50+100+200+400 ms at most). */
const FIRST_WAIT_MS = 50;

// iproute2 prints this when the kernel flagged a dump NLM_F_DUMP_INTR: the devices or addresses
// changed while they were listed (ovs-vswitchd deleting its ports, say). 6.1 warns and exits 0
// with the partial listing on stdout; later versions may exit non-zero.
const INTERRUPTED = 'Dump was interrupted and may be inconsistent';

/**
 * `ip -j -batch -` with these commands: their JSON, one line per command.
 * A dump the kernel interrupted is read again, never trusted, up to
 * DUMP_READS reads with a growing wait between them; then DumpInterrupted.
 */
export async function ipDump(
  commands: string,
  what: string,
  timeoutS: number,
  { details = false, runner = run }: { details?: boolean; runner?: Runner } = {},
): Promise<string> {
  for (let read = 1; ; read++) {
    const result = await runner('ip', ['-j', ...(details ? ['-d'] : []), '-batch', '-'], { input: commands, timeoutMs: timeoutS * 1000 });
    if (!result.stderr.includes(INTERRUPTED)) {
      if (result.exitCode !== 0) throw new HostError('ip', `${what} failed: ${firstLine(result.stderr) || `exit code ${result.exitCode}`}`);
      return result.stdout;
    }
    if (read === DUMP_READS) {
      throw new DumpInterrupted('ip', `${what} failed: the kernel interrupted the dump ${DUMP_READS} times in a row ` +
        '(devices or addresses changing meanwhile); an interrupted dump may be inconsistent, so none was used');
    }
    await sleep(FIRST_WAIT_MS * 2 ** (read - 1));
  }
}

/** Adds the IPv6 sysctls of those networks' devices that exist (one to three small /proc reads each). */
export function readIpv6Confs(state: KernelState, networks: Iterable<NetworkDef>): KernelState {
  for (const net of networks) {
    const conf = state.links.has(net.name) ? readIpv6Conf(net.name, wantsIpv6(net)) : undefined;
    if (conf) state.ipv6conf.set(net.name, conf);
  }
  return state;
}

/** The sysctl file of a device's IPv6 setting (the name was validated as an interface name). */
export function ipv6SysctlPath(dev: string, key: 'disable_ipv6' | 'accept_ra' | 'autoconf'): string {
  return `/proc/sys/net/ipv6/conf/${dev}/${key}`;
}

function readIpv6Conf(dev: string, learning: boolean): Ipv6Conf | undefined {
  const on = (key: 'disable_ipv6' | 'accept_ra' | 'autoconf'): boolean => readSysctl(ipv6SysctlPath(dev, key)) !== '0';
  try {
    const conf: Ipv6Conf = { disabled: on('disable_ipv6') };
    if (learning) conf.learning = { acceptRa: on('accept_ra'), autoconf: on('autoconf') };
    return conf;
  } catch (err) {
    // no IPv6 in this kernel, or the device went away since ip listed it
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const sysctlBuffer = Buffer.alloc(64);

/** A one-number /proc file, trimmed: open, one read, close (readFileSync adds a stat and a buffer per file). */
function readSysctl(path: string): string {
  const fd = openSync(path, 'r');
  try {
    return sysctlBuffer.toString('latin1', 0, readSync(fd, sysctlBuffer, 0, sysctlBuffer.length, null)).trim();
  } finally {
    closeSync(fd);
  }
}

interface IpAddrJson {
  ifname: string;
  mtu: number;
  address?: string;
  flags?: string[];
  addr_info?: {
    family: string;
    local: string;
    prefixlen: number;
    scope: string;
    dynamic?: boolean;
    valid_life_time?: number;
  }[];
  linkinfo?: {
    info_kind?: string;
    /** for tun devices: type "tap" or "tun", persist */
    info_data?: { type?: string; persist?: boolean };
  };
}

interface IpRuleJson {
  priority?: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table?: string;
  protocol?: string;
}

interface IpRouteJson {
  dst?: string;
  dev?: string;
  gateway?: string;
  table?: string;
  /** only IPv6 routes carry a router preference */
  pref?: string;
}

export function parseKernelState(text: string): KernelState {
  const [addrs = [], routes = [], rules = [], hookRoutes = []] = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown[]);
  const links = new Map<string, KernelLink>();
  for (const l of addrs as IpAddrJson[]) {
    const info = l.addr_info ?? [];
    const FOREVER = 4294967295;
    links.set(l.ifname, {
      name: l.ifname,
      mtu: l.mtu,
      up: (l.flags ?? []).includes('UP'),
      mac: l.address ?? '',
      ipv4: info.filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
      ipv6: info
        .filter((a) => a.family === 'inet6' && a.scope !== 'link' && a.scope !== 'host')
        .map((a) => `${a.local}/${a.prefixlen}`),
      dynamic: info
        .filter((a) => a.dynamic === true || (a.valid_life_time !== undefined && a.valid_life_time !== FOREVER))
        .map((a) => `${a.local}/${a.prefixlen}`),
      ...linkKind(l),
    });
  }
  const state: KernelState = {
    links, gateways: new Map(), gateways6: new Map(), ipv6conf: new Map(),
    hookRules: (rules as IpRuleJson[]).flatMap(hookRule),
    hookRoutes: (hookRoutes as IpRouteJson[]).flatMap(hookRoute),
  };
  // without "table", a route is in the main table; main-table routes come first so they win
  const isMain = (r: IpRouteJson): boolean => r.table === undefined || r.table === 'main';
  const all = (routes as IpRouteJson[]).filter((r) => r.dev).sort((a, b) => Number(isMain(b)) - Number(isMain(a)));
  const isV6 = (r: IpRouteJson): boolean => r.pref !== undefined || (r.gateway ?? '').includes(':');
  const v4 = all.find((r) => isMain(r) && !isV6(r));
  const v6 = all.find((r) => isMain(r) && isV6(r));
  if (v4) state.defaultRoute = routeOf(v4);
  if (v6) state.defaultRoute6 = routeOf(v6);
  for (const r of all) {
    const gateways = isV6(r) ? state.gateways6 : state.gateways;
    if (r.gateway && !gateways.has(r.dev!)) gateways.set(r.dev!, r.gateway);
  }
  return state;
}

function linkKind({ linkinfo }: IpAddrJson): Pick<KernelLink, 'kind' | 'persistent'> {
  const kind = linkinfo?.info_kind;
  if (kind !== 'tun') return kind ? { kind } : {};
  // an iproute2 too old to print the tun details says neither mode nor persistence: not taken for a tap
  const data = linkinfo?.info_data ?? {};
  return { kind: data.type === 'tap' ? 'tap' : 'tun', persistent: data.persist === true };
}

/** A rule of the hook's: its protocol, VDSM's priority, a numbered table, from or to one subnet. */
function hookRule(r: IpRuleJson): RoutingRule[] {
  const table = Number(r.table);
  if (r.protocol !== String(HOOK_PROTO) || r.priority !== RULE_PRIORITY || !Number.isInteger(table)) return [];
  const from = r.src !== undefined && r.src !== 'all' ? `${r.src}/${r.srclen ?? 32}` : undefined;
  const to = r.dst !== undefined ? `${r.dst}/${r.dstlen ?? 32}` : undefined;
  if (from && !to) return [{ dir: 'from', subnet: from, table }];
  if (to && !from) return [{ dir: 'to', subnet: to, table }];
  return [];
}

/** An IPv4 route listed by the hook's protocol (the listing leaves the protocol out). */
function hookRoute(r: IpRouteJson): TableRoute[] {
  const table = Number(r.table);
  if (!r.dst || !r.dev || r.dst.includes(':') || (r.gateway ?? '').includes(':') || !Number.isInteger(table)) return [];
  // a host route is listed without its /32
  const dst = r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/32`;
  return [r.gateway ? { dst, gateway: r.gateway, dev: r.dev, table } : { dst, dev: r.dev, table }];
}

function routeOf(r: IpRouteJson): DefaultRoute {
  return r.gateway ? { dev: r.dev!, gateway: r.gateway } : { dev: r.dev! };
}
