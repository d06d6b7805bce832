/** The kernel's view of links, addresses and the default route: one `ip -j -batch` call. */
import { HostError } from './errors.js';
import { firstLine, run } from './exec.js';

export interface KernelLink {
  name: string;
  mtu: number;
  up: boolean;
  /** global IPv4 addresses as "a.b.c.d/len" */
  ipv4: string[];
}

export interface KernelState {
  links: Map<string, KernelLink>;
  defaultRoute?: { dev: string; gateway?: string };
}

export async function readKernelState(timeoutS: number): Promise<KernelState> {
  const result = await run('ip', ['-j', '-batch', '-'], {
    input: 'addr show\nroute show default\n',
    timeoutMs: timeoutS * 1000,
  });
  if (result.exitCode !== 0) {
    throw new HostError('ip', `reading links failed: ${firstLine(result.stderr) || `exit code ${result.exitCode}`}`);
  }
  return parseKernelState(result.stdout);
}

interface IpAddrJson {
  ifname: string;
  mtu: number;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

export function parseKernelState(text: string): KernelState {
  const [addrs = [], routes = []] = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown[]);
  const links = new Map<string, KernelLink>();
  for (const l of addrs as IpAddrJson[]) {
    links.set(l.ifname, {
      name: l.ifname,
      mtu: l.mtu,
      up: (l.flags ?? []).includes('UP'),
      ipv4: (l.addr_info ?? [])
        .filter((a) => a.family === 'inet' && a.scope === 'global')
        .map((a) => `${a.local}/${a.prefixlen}`),
    });
  }
  const state: KernelState = { links };
  const route = (routes as { dev?: string; gateway?: string }[])[0];
  if (route?.dev) state.defaultRoute = route.gateway ? { dev: route.dev, gateway: route.gateway } : { dev: route.dev };
  return state;
}
