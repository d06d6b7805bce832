/** The kernel's view of links, addresses and default routes: one `ip -j -batch` call. */
import { HostError } from './errors.js';
import { firstLine, run } from './exec.js';

export interface KernelLink {
  name: string;
  mtu: number;
  up: boolean;
  mac: string;
  /** global IPv4 addresses as "a.b.c.d/len" */
  ipv4: string[];
  /** IPv6 addresses as "addr/len", link-local and host scope left out (as VDSM reports them) */
  ipv6: string[];
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
}

// `ip -batch` takes no per-line -6: "table all" lists the default routes of both families
const COMMANDS = 'addr show\nroute show default table all\n';

export async function readKernelState(timeoutS: number): Promise<KernelState> {
  const result = await run('ip', ['-j', '-batch', '-'], { input: COMMANDS, timeoutMs: timeoutS * 1000 });
  if (result.exitCode !== 0) {
    throw new HostError('ip', `reading links failed: ${firstLine(result.stderr) || `exit code ${result.exitCode}`}`);
  }
  return parseKernelState(result.stdout);
}

interface IpAddrJson {
  ifname: string;
  mtu: number;
  address?: string;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

interface IpRouteJson {
  dev?: string;
  gateway?: string;
  table?: string;
  /** only IPv6 routes carry a router preference */
  pref?: string;
}

export function parseKernelState(text: string): KernelState {
  const [addrs = [], routes = []] = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown[]);
  const links = new Map<string, KernelLink>();
  for (const l of addrs as IpAddrJson[]) {
    const info = l.addr_info ?? [];
    links.set(l.ifname, {
      name: l.ifname,
      mtu: l.mtu,
      up: (l.flags ?? []).includes('UP'),
      mac: l.address ?? '',
      ipv4: info.filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
      ipv6: info
        .filter((a) => a.family === 'inet6' && a.scope !== 'link' && a.scope !== 'host')
        .map((a) => `${a.local}/${a.prefixlen}`),
    });
  }
  const state: KernelState = { links, gateways: new Map(), gateways6: new Map() };
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

function routeOf(r: IpRouteJson): DefaultRoute {
  return r.gateway ? { dev: r.dev!, gateway: r.gateway } : { dev: r.dev! };
}
