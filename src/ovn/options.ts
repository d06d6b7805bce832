/**
 * The command lines of `vdsm-ovs ovn-config` and `ovn-unconfigure`, parsed
 * and validated into types before anything is read or changed. Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { isAbsolute } from 'node:path';

export type Encap = 'geneve' | 'vxlan';

export interface SslFiles {
  key: string;
  cert: string;
  ca: string;
}

export interface OvnConfigRequest {
  /** the OVN central's address or DNS name: its southbound DB listens on 6642 */
  central: string;
  /** an address of this host, or the name of a network whose address it is */
  tunnel: { address: string } | { network: string };
  /** the chassis name (external_ids:system-id); OVS's own one is kept without it */
  fqdn?: string;
  ssl?: SslFiles;
  encap: Encap;
  /** enable and start ovn-controller's unit (false: something else runs the daemon) */
  start: boolean;
}

/** A command line that does not parse: exit 1 with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The management network: what the tunnel runs over unless another network or an address is named. */
export const DEFAULT_TUNNEL_NETWORK = 'ovirtmgmt';

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
// a VDSM network name as it reaches a command line: no option, no separator OVS or a shell would read
const NETWORK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,49}$/;
const VALUED = ['--fqdn', '--ssl-key', '--ssl-cert', '--ssl-ca', '--encap'] as const;

export function parseOvnConfig(argv: readonly string[]): OvnConfigRequest {
  const { positional, options, flags } = split(argv, ['--no-start']);
  const [central, tunnel, ...extra] = positional;
  if (central === undefined) throw new UsageError('ovn-config: CENTRAL (the OVN central\'s address) is missing');
  if (extra.length) throw new UsageError(`ovn-config: unexpected arguments: ${extra.join(' ')}`);
  if (!isIPv4(central) && !isIPv6(central) && !DNS_NAME.test(central)) {
    throw new UsageError(`ovn-config: CENTRAL ${JSON.stringify(central)} is neither an IP address nor a DNS name`);
  }
  const req: OvnConfigRequest = { central, tunnel: parseTunnel(tunnel ?? DEFAULT_TUNNEL_NETWORK), encap: 'geneve', start: !flags.has('--no-start') };
  const fqdn = options.get('--fqdn');
  if (fqdn !== undefined) {
    if (!DNS_NAME.test(fqdn)) throw new UsageError(`ovn-config: --fqdn ${JSON.stringify(fqdn)} is not a host name`);
    req.fqdn = fqdn;
  }
  const encap = options.get('--encap');
  if (encap !== undefined) {
    // STT needs the out-of-tree kernel module, and the userspace datapath drops everything sent to it
    if (encap !== 'geneve' && encap !== 'vxlan') throw new UsageError(`ovn-config: --encap ${JSON.stringify(encap)} is not geneve or vxlan`);
    req.encap = encap;
  }
  const files = (['--ssl-key', '--ssl-cert', '--ssl-ca'] as const).map((o) => options.get(o));
  if (files.some((f) => f !== undefined)) {
    const [key, cert, ca] = files;
    if (key === undefined || cert === undefined || ca === undefined) {
      throw new UsageError('ovn-config: --ssl-key, --ssl-cert and --ssl-ca go together');
    }
    for (const f of [key, cert, ca]) {
      if (!isAbsolute(f) || /[\s"\\]/.test(f)) throw new UsageError(`ovn-config: SSL file ${JSON.stringify(f)} is not an absolute path without blanks or quotes`);
    }
    req.ssl = { key, cert, ca };
  }
  return req;
}

export function parseOvnUnconfigure(argv: readonly string[]): { start: boolean } {
  const { positional, options, flags } = split(argv, ['--no-start']);
  if (positional.length || options.size) throw new UsageError(`ovn-unconfigure: unexpected arguments: ${argv.join(' ')}`);
  return { start: !flags.has('--no-start') };
}

function parseTunnel(text: string): OvnConfigRequest['tunnel'] {
  if (isIPv4(text) || isIPv6(text)) return { address: text };
  if (!NETWORK_NAME.test(text)) throw new UsageError(`ovn-config: TUNNEL ${JSON.stringify(text)} is neither an IP address nor a network name`);
  return { network: text };
}

/** Positional arguments, --option VALUE / --option=VALUE, and flags. */
function split(argv: readonly string[], known: readonly string[]): {
  positional: string[];
  options: Map<string, string>;
  flags: Set<string>;
} {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (known.includes(name) && eq < 0) {
      flags.add(name);
    } else if ((VALUED as readonly string[]).includes(name)) {
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      if (options.has(name)) throw new UsageError(`${name} given twice`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { positional, options, flags };
}
