/**
 * The typed model of OVS networks and bonds, parsed once from VDSM's
 * attribute maps (a request entry or a running-config file, raw Engine
 * values or VDSM's canonical ones alike).
 */
import { InvalidRequest } from './errors.js';
import { checkIfaceName } from './names.js';
import { checkIPv4, netmaskToPrefix } from './ipv4.js';
import { parseBondOptions } from './bond-options.js';
import { isRecord, isUnset, toBool, toInt, toStr } from './values.js';

export type Attrs = Record<string, unknown>;

export const BOND_MODES = ['active-backup', 'balance-slb', 'balance-tcp'] as const;
export const LACP_MODES = ['off', 'active', 'passive'] as const;
export type BondMode = (typeof BOND_MODES)[number];
export type LacpMode = (typeof LACP_MODES)[number];

export interface Uplink {
  kind: 'nic' | 'bond';
  name: string;
}

export interface IPv4Config {
  address: string;
  prefix: number;
  gateway?: string;
}

export interface NetworkDef {
  name: string;
  uplink: Uplink;
  /** 0 = untagged */
  vlan: number;
  bridged: boolean;
  stp: boolean;
  mtu: number;
  ipv4?: IPv4Config;
  defaultRoute: boolean;
  /** parent bridge named by the administrator (custom ovs=N or ovs_bridge) */
  bridge?: string;
  /** the attributes as requested, for the running config */
  attrs: Attrs;
}

export interface BondDef {
  name: string;
  nics: string[];
  mode: BondMode;
  lacp: LacpMode;
  attrs: Attrs;
}

export const DEFAULT_MTU = 1500;

/** What custom.ovs says: not OVS, OVS on the default bridge, or OVS on bridge ovsbrN. */
export type OvsFlag = { ovs: false } | { ovs: true; bridge?: string };

export function parseOvsFlag(subject: string, value: unknown): OvsFlag {
  if (isUnset(value)) return { ovs: false };
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text === 'string' && /^\s*\d+\s*$/.test(text)) {
    const n = Number(text);
    if (n === 0) return { ovs: false };
    if (n === 1) return { ovs: true };
    return { ovs: true, bridge: checkIfaceName(subject, 'custom.ovs', `ovsbr${n}`) };
  }
  return toBool(subject, 'custom.ovs', value) ? { ovs: true } : { ovs: false };
}

export function customOf(subject: string, attrs: Attrs): Record<string, string> {
  const custom = attrs['custom'];
  if (isUnset(custom)) return {};
  if (!isRecord(custom)) throw new InvalidRequest(subject, `custom: ${JSON.stringify(custom)} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(custom)) {
    if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

export function isRemoval(subject: string, attrs: Attrs): boolean {
  return !isUnset(attrs['remove']) && toBool(subject, 'remove', attrs['remove']);
}

export function networkIsOvs(name: string, attrs: Attrs): boolean {
  return parseOvsFlag(`network '${name}'`, customOf(`network '${name}'`, attrs)['ovs']).ovs;
}

export function bondIsOvs(name: string, attrs: Attrs): boolean {
  const subject = `bond '${name}'`;
  const options = attrs['options'];
  if (isUnset(options)) return false;
  const custom = parseBondOptions(subject, toStr(subject, 'options', options)).custom;
  return !isUnset(custom['ovs']) && toBool(subject, 'options custom ovs', custom['ovs']);
}

/** Attributes this version understands; anything else is refused rather than silently ignored. */
const NETWORK_ATTRS = new Set([
  'nic', 'bonding', 'vlan', 'bridged', 'mtu', 'stp', 'STP', 'ipaddr', 'netmask', 'prefix',
  'gateway', 'defaultRoute', 'bootproto', 'custom', 'switch', 'nameservers', 'dhcpv6',
  'ipv6autoconf', 'ipv6addr', 'ipv6gateway', 'blockingdhcp', 'remove', 'hostQos',
]);

export function parseNetwork(name: string, attrs: Attrs): NetworkDef {
  const s = `network '${name}'`;
  checkIfaceName(s, 'name', name);
  for (const key of Object.keys(attrs)) {
    if (!NETWORK_ATTRS.has(key)) throw new InvalidRequest(s, `${key}: unknown attribute`);
  }
  const custom = customOf(s, attrs);
  const flag = parseOvsFlag(s, custom['ovs']);
  if (!flag.ovs) throw new InvalidRequest(s, 'custom.ovs: is not set, this is not an OVS network');

  const nic = isUnset(attrs['nic']) ? undefined : checkIfaceName(s, 'nic', toStr(s, 'nic', attrs['nic']));
  const bonding = isUnset(attrs['bonding'])
    ? undefined
    : checkIfaceName(s, 'bonding', toStr(s, 'bonding', attrs['bonding']));
  if (nic && bonding) throw new InvalidRequest(s, 'nic and bonding: only one of them may be given');
  if (!nic && !bonding) {
    throw new InvalidRequest(s, 'nic/bonding: an OVS network needs a nic or a bonding as its uplink');
  }
  const uplink: Uplink = nic ? { kind: 'nic', name: nic } : { kind: 'bond', name: bonding! };

  const vlan = isUnset(attrs['vlan']) ? 0 : toInt(s, 'vlan', attrs['vlan'], 0, 4094);
  const bridged = isUnset(attrs['bridged']) ? true : toBool(s, 'bridged', attrs['bridged']);
  const stpValue = attrs['stp'] ?? attrs['STP'];
  const stp = isUnset(stpValue) ? false : toBool(s, 'stp', stpValue);
  const mtu = isUnset(attrs['mtu']) ? DEFAULT_MTU : toInt(s, 'mtu', attrs['mtu'], 68, 65535);
  const defaultRoute = isUnset(attrs['defaultRoute']) ? false : toBool(s, 'defaultRoute', attrs['defaultRoute']);

  rejectUnsupported(s, attrs);
  const ipv4 = parseIPv4Config(s, attrs);
  if (defaultRoute && ipv4 && !ipv4.gateway) {
    throw new InvalidRequest(s, 'defaultRoute: needs a gateway');
  }

  let bridge = flag.bridge;
  if (!isUnset(custom['ovs_bridge'])) {
    const named = checkIfaceName(s, 'custom.ovs_bridge', custom['ovs_bridge']!);
    if (bridge && bridge !== named) {
      throw new InvalidRequest(s, `custom.ovs_bridge: ${named} contradicts custom.ovs naming ${bridge}`);
    }
    bridge = named;
  }

  const def: NetworkDef = { name, uplink, vlan, bridged, stp, mtu, defaultRoute, attrs };
  if (ipv4) def.ipv4 = ipv4;
  if (bridge) def.bridge = bridge;
  return def;
}

/** Features a later version brings; refused clearly instead of half-done. */
function rejectUnsupported(s: string, attrs: Attrs): void {
  const bootproto = isUnset(attrs['bootproto']) ? 'none' : toStr(s, 'bootproto', attrs['bootproto']);
  if (bootproto === 'dhcp') throw new InvalidRequest(s, 'bootproto: dhcp is not supported on OVS networks yet');
  if (bootproto !== 'none' && bootproto !== 'static') {
    throw new InvalidRequest(s, `bootproto: ${JSON.stringify(bootproto)} is not one of none, static, dhcp`);
  }
  for (const key of ['dhcpv6', 'ipv6autoconf', 'blockingdhcp']) {
    if (!isUnset(attrs[key]) && toBool(s, key, attrs[key])) {
      throw new InvalidRequest(s, `${key}: is not supported on OVS networks yet`);
    }
  }
  for (const key of ['ipv6addr', 'ipv6gateway', 'hostQos']) {
    if (!isUnset(attrs[key])) throw new InvalidRequest(s, `${key}: is not supported on OVS networks yet`);
  }
}

function parseIPv4Config(s: string, attrs: Attrs): IPv4Config | undefined {
  const hasAddr = !isUnset(attrs['ipaddr']);
  const hasMask = !isUnset(attrs['netmask']);
  const hasPrefix = !isUnset(attrs['prefix']);
  const hasGateway = !isUnset(attrs['gateway']);
  if (!hasAddr) {
    for (const [key, present] of [['netmask', hasMask], ['prefix', hasPrefix], ['gateway', hasGateway]] as const) {
      if (present) throw new InvalidRequest(s, `${key}: given without ipaddr`);
    }
    return undefined;
  }
  const address = checkIPv4(s, 'ipaddr', toStr(s, 'ipaddr', attrs['ipaddr']));
  if (hasMask && hasPrefix) throw new InvalidRequest(s, 'netmask and prefix: only one of them may be given');
  if (!hasMask && !hasPrefix) throw new InvalidRequest(s, 'netmask/prefix: ipaddr needs a netmask or a prefix');
  const prefix = hasMask
    ? netmaskToPrefix(s, 'netmask', toStr(s, 'netmask', attrs['netmask']))
    : toInt(s, 'prefix', attrs['prefix'], 0, 32);
  const config: IPv4Config = { address, prefix };
  if (hasGateway) config.gateway = checkIPv4(s, 'gateway', toStr(s, 'gateway', attrs['gateway']));
  return config;
}

export function parseBond(name: string, attrs: Attrs): BondDef {
  const s = `bond '${name}'`;
  checkIfaceName(s, 'name', name);
  for (const key of Object.keys(attrs)) {
    if (!['nics', 'options', 'switch', 'hwaddr', 'remove'].includes(key)) {
      throw new InvalidRequest(s, `${key}: unknown attribute`);
    }
  }
  if (!isUnset(attrs['hwaddr'])) throw new InvalidRequest(s, 'hwaddr: is not supported on OVS bonds yet');
  const nicsValue = attrs['nics'];
  if (!Array.isArray(nicsValue)) throw new InvalidRequest(s, `nics: ${JSON.stringify(nicsValue)} is not a list`);
  const nics = nicsValue.map((n, i) => checkIfaceName(s, `nics[${i}]`, toStr(s, `nics[${i}]`, n)));
  if (nics.length < 2) throw new InvalidRequest(s, `nics: an OVS bond needs at least 2 NICs, got ${nics.length}`);
  const dup = nics.find((n, i) => nics.indexOf(n) !== i);
  if (dup) throw new InvalidRequest(s, `nics: ${dup} is listed twice`);

  const custom = parseBondOptions(s, isUnset(attrs['options']) ? '' : toStr(s, 'options', attrs['options'])).custom;
  const mode = oneOf(s, 'ovs_mode', custom['ovs_mode'] ?? 'active-backup', BOND_MODES);
  const lacp = oneOf(s, 'ovs_lacp', custom['ovs_lacp'] ?? 'off', LACP_MODES);
  if (mode === 'balance-tcp' && lacp === 'off') {
    throw new InvalidRequest(s, 'ovs_mode: balance-tcp needs LACP (ovs_lacp active or passive)');
  }
  return { name, nics, mode, lacp, attrs };
}

function oneOf<T extends string>(s: string, attr: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidRequest(s, `options custom ${attr}: "${value}" is not one of ${allowed.join(', ')}`);
}
