/**
 * The host as an OVN chassis: what `vdsm-ovs ovn-config` writes on the
 * Open_vSwitch row (the keys ovn-controller reads, as oVirt's
 * `vdsm-tool ovn-config` writes them), br-int, and the SSL files; and what
 * `ovn-unconfigure` takes back. Pure: planned from the observed OVS state
 * into ONE ovs-vsctl transaction, which touches no other key.
 *
 * external_ids:vdsm-hook-ovs-ovn lists what ovn-config wrote (keys, and
 * "ssl" when the SSL row is its own), so that ovn-unconfigure removes
 * exactly that: OVS's own system-id stays unless --fqdn replaced it, and an
 * SSL configuration someone else made stays.
 */
import type { KernelState } from '../host/kernel.js';
import { networkIsOvs, type Attrs } from '../model/definitions.js';
import { isUnset, toBool } from '../model/values.js';
import { InvalidRequest } from '../runtime/errors.js';
import type { Command } from '../ovs/vsctl.js';
import { INTEGRATION_BRIDGE } from '../vdsm/vnic.js';
import type { OvnConfigRequest, SslFiles } from './options.js';

export const OVN_MARK_KEY = 'vdsm-hook-ovs-ovn';
const SSL_MARK = 'ssl';
/** The southbound database's port, as ovirt-provider-ovn's central sets it up. */
const SB_PORT = 6642;

/** What the chassis part of OVS holds now. */
export interface ChassisObserved {
  systemIds: Record<string, string>;
  bridges: ReadonlySet<string>;
  /** the SSL row's files, when OVS has one */
  ssl?: SslFiles;
}

/** ovn-remote: ssl: with SSL files, tcp: without; an IPv6 address in brackets. */
export function remoteOf(central: string, ssl: boolean): string {
  return `${ssl ? 'ssl' : 'tcp'}:${central.includes(':') ? `[${central}]` : central}:${SB_PORT}`;
}

/** The external_ids ovn-config writes, key -> value. */
export function chassisKeys(req: OvnConfigRequest, encapIp: string, datapathType: string): Record<string, string> {
  return {
    'ovn-remote': remoteOf(req.central, req.ssl !== undefined),
    'ovn-encap-type': req.encap,
    'ovn-encap-ip': encapIp,
    // oVirt's values: a busy central must not make chassis reconnect (ms), nor ovn-controller drop br-int (s)
    'ovn-remote-probe-interval': '60000',
    'ovn-openflow-probe-interval': '60',
    'ovn-bridge': INTEGRATION_BRIDGE,
    // on the userspace datapath, br-int must be on it with the other bridges
    'ovn-bridge-datapath-type': datapathType,
    ...(req.fqdn ? { 'system-id': req.fqdn } : {}),
  };
}

const marked = (ids: Record<string, string>): Set<string> =>
  new Set((ids[OVN_MARK_KEY] ?? '').split(',').filter((k) => k !== ''));
const quoted = (key: string, value: string): string => `external_ids:${key}=${JSON.stringify(value)}`;
const sameSsl = (a: SslFiles, b: SslFiles): boolean => a.key === b.key && a.cert === b.cert && a.ca === b.ca;

/** The transaction making this host the chassis `keys` describe; empty when it already is. */
export function planOvnConfig(keys: Record<string, string>, ssl: SslFiles | undefined, seen: ChassisObserved, datapathType: string): Command[] {
  const commands: Command[] = [];
  const mark = marked(seen.systemIds);
  const changed = Object.entries(keys).filter(([k, v]) => seen.systemIds[k] !== v);
  for (const k of Object.keys(keys)) mark.add(k);
  if (ssl && !(seen.ssl && sameSsl(seen.ssl, ssl))) {
    if (seen.ssl && !mark.has(SSL_MARK)) {
      throw new InvalidRequest('SSL', `Open vSwitch already holds another SSL configuration (key ${seen.ssl.key}): not replacing it`);
    }
    commands.push({ args: ['set-ssl', ssl.key, ssl.cert, ssl.ca], why: 'the SSL files ovn-controller connects to the central with' });
    mark.add(SSL_MARK);
  } else if (!ssl && mark.has(SSL_MARK)) {
    if (seen.ssl) commands.push({ args: ['del-ssl'], why: 'the central is reached without SSL now' });
    mark.delete(SSL_MARK);
  }
  const markValue = [...mark].sort().join(',');
  if (changed.length || markValue !== seen.systemIds[OVN_MARK_KEY]) {
    commands.unshift({
      args: ['set', 'Open_vSwitch', '.', ...changed.map(([k, v]) => quoted(k, v)), quoted(OVN_MARK_KEY, markValue)],
      why: `OVN chassis: ${changed.map(([k, v]) => `${k}=${v}`).join(', ') || 'what vdsm-ovs wrote, on record'}`,
    });
  }
  if (!seen.bridges.has(INTEGRATION_BRIDGE)) {
    // ovn-controller would make it too, but only once it runs: VMs may be plugged before
    commands.push(
      { args: ['--may-exist', 'add-br', INTEGRATION_BRIDGE], why: "OVN's integration bridge, where VM ports are bound" },
      {
        args: ['set', 'Bridge', INTEGRATION_BRIDGE, 'fail_mode=secure', 'other_config:disable-in-band=true', `datapath_type=${datapathType}`],
        why: 'no traffic before ovn-controller programs it; no in-band control flows',
      },
    );
  }
  return commands;
}

/**
 * The transaction taking back what ovn-config wrote (its keys, its SSL row,
 * the record of them); br-int stays: it holds the running VMs' ports.
 * Empty when ovn-config wrote nothing here.
 */
export function planOvnUnconfigure(seen: ChassisObserved): Command[] {
  const mark = marked(seen.systemIds);
  if (seen.systemIds[OVN_MARK_KEY] === undefined) return [];
  const keys = [...mark].filter((k) => k !== SSL_MARK && seen.systemIds[k] !== undefined).sort();
  return [
    { args: ['remove', 'Open_vSwitch', '.', 'external_ids', ...keys, OVN_MARK_KEY], why: `OVN chassis keys removed: ${keys.join(', ') || 'none left'}` },
    ...(mark.has(SSL_MARK) && seen.ssl ? [{ args: ['del-ssl'], why: 'the SSL files ovn-config set' }] : []),
  ];
}

/**
 * The tunnel endpoint: an address must be one of this host's; a network's
 * is the first address of the device VDSM (or the hook) gives it.
 */
export function resolveTunnel(tunnel: OvnConfigRequest['tunnel'], networks: ReadonlyMap<string, Attrs>, kernel: KernelState): string {
  const plain = (cidr: string): string => cidr.split('/')[0]!;
  if ('address' in tunnel) {
    const links = [...kernel.links.values()];
    if (!links.some((l) => [...l.ipv4, ...l.ipv6].some((a) => plain(a) === tunnel.address))) {
      throw new InvalidRequest(`tunnel address ${tunnel.address}`, 'is not an address of this host');
    }
    return tunnel.address;
  }
  const { network } = tunnel;
  const attrs = networks.get(network);
  if (!attrs) throw new InvalidRequest(`network '${network}'`, "tunnel: no such network in VDSM's running config on this host");
  const dev = networkDevice(network, attrs);
  const link = kernel.links.get(dev);
  const address = link?.ipv4[0] ?? link?.ipv6[0];
  if (address === undefined) {
    throw new InvalidRequest(`network '${network}'`, `tunnel: ${link ? `its device ${dev} has no address` : `its device ${dev} does not exist`} on this host`);
  }
  return plain(address);
}

/** Where a network's address is: an OVS network's or a bridged network's own device, else its NIC or bond (and VLAN). */
function networkDevice(name: string, attrs: Attrs): string {
  if (networkIsOvs(name, attrs)) return name;
  if (isUnset(attrs['bridged']) || toBool(`network '${name}'`, 'bridged', attrs['bridged'])) return name;
  const base = String(attrs['nic'] ?? attrs['bonding'] ?? '');
  return isUnset(attrs['vlan']) ? base : `${base}.${String(attrs['vlan'])}`;
}
