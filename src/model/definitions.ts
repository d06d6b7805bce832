/**
 * The typed model of OVS networks and bonds, parsed once from VDSM's
 * attribute maps (a request entry or a running-config file, raw Engine
 * values or VDSM's canonical ones alike).
 */
import { InvalidRequest } from '../runtime/errors.js';
import { checkIfaceName } from './names.js';
import { checkIPv4, netmaskToPrefix } from './ipv4.js';
import { checkIPv6, checkIPv6Cidr } from './ipv6.js';
import { ovsBondSettings, parseBondOptions, type OvsBondSettings } from './bond-options.js';
import { checkMac } from './mac.js';
import { parseBridgeOpts, type BridgeOpts } from './bridge-opts.js';
import { parseHostQos, type HostQos } from './host-qos.js';
import { isRecord, isUnset, toBool, toInt, toStr } from './values.js';
import { parseNat, parseTunnel, type TunnelDef } from './overlay.js';

export type Attrs = Record<string, unknown>;

export type { BondMode, LacpMode } from './bond-options.js';

/** What the Engine attached a network to. */
export interface Attachment {
  kind: 'nic' | 'bond';
  name: string;
}

/**
 * The parent bridge's side towards the world: a NIC or bond, or, for an
 * overlay or NIC-less network, none: a bridge of the network's own (`name`
 * is then the network's name, which keys its bridge as a NIC's name does).
 */
export interface Uplink {
  kind: 'nic' | 'bond' | 'own';
  name: string;
}

export interface IPv4Config {
  address: string;
  prefix: number;
  gateway?: string;
}

export interface IPv6Config {
  address: string;
  prefix: number;
  gateway?: string;
}

export interface NetworkDef {
  name: string;
  uplink: Uplink;
  /** the NIC or bond the Engine attached it to (none for a NIC-less network); the uplink too unless an overlay */
  attachment?: Attachment;
  /** an overlay network: its frames leave the host only through these tunnels */
  tunnel?: TunnelDef;
  /** the host is the NAT forwarder of the network's IPv4 subnet */
  nat: boolean;
  /** 0 = untagged */
  vlan: number;
  bridged: boolean;
  stp: boolean;
  /** custom.bridge_opts (with an explicit stp folded in as stp_state): what this network asks of its parent bridge */
  bridgeOpts: BridgeOpts;
  /** outbound shaping on the uplink */
  hostQos?: HostQos;
  mtu: number;
  /** static IPv4 (bootproto none/static with ipaddr) */
  ipv4?: IPv4Config;
  /** bootproto dhcp: a DHCPv4 client runs for the network's device */
  dhcpv4: boolean;
  /** wait for the DHCPv4 lease and fail without one (VDSM sets it when restoring at boot) */
  blockingDhcp: boolean;
  /** static IPv6 */
  ipv6?: IPv6Config;
  ipv6autoconf: boolean;
  dhcpv6: boolean;
  /** only on the default-route network, as VDSM allows them */
  nameservers: string[];
  defaultRoute: boolean;
  /** parent bridge named by the administrator (custom ovs=N or ovs_bridge) */
  bridge?: string;
  /** the attributes as requested, for the running config */
  attrs: Attrs;
}

/** A bond: its slaves, and its options as Open vSwitch settings. */
export interface BondDef extends OvsBondSettings {
  name: string;
  nics: string[];
  /** the MAC its networks' devices take (hwaddr), instead of its primary's or first slave's */
  hwaddr?: string;
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
  const attachment: Attachment | undefined = nic ? { kind: 'nic', name: nic } : bonding ? { kind: 'bond', name: bonding } : undefined;
  const tunnel = parseTunnel(s, custom);

  const vlan = isUnset(attrs['vlan']) ? 0 : toInt(s, 'vlan', attrs['vlan'], 0, 4094);
  const bridged = isUnset(attrs['bridged']) ? true : toBool(s, 'bridged', attrs['bridged']);
  const stpValue = attrs['stp'] ?? attrs['STP'];
  const stpAsked = isUnset(stpValue) ? undefined : toBool(s, 'stp', stpValue);
  const stp = stpAsked ?? false;
  const bridgeOpts = parseBridgeOpts(s, custom['bridge_opts'], stpAsked);
  const mtu = isUnset(attrs['mtu']) ? DEFAULT_MTU : toInt(s, 'mtu', attrs['mtu'], 68, 65535);
  const defaultRoute = isUnset(attrs['defaultRoute']) ? false : toBool(s, 'defaultRoute', attrs['defaultRoute']);

  const hostQos = parseHostQos(s, attrs['hostQos']);
  const ip = parseIpConfig(s, attrs, defaultRoute);
  const nat = parseNat(s, name, custom, ip.ipv4 !== undefined);
  // VDSM's NIC-less network is bridged and untagged; it and an overlay get a bridge of their own
  if (!attachment && (!bridged || vlan !== 0)) {
    throw new InvalidRequest(s, 'nic/bonding: a network without a nic or bonding must be bridged and untagged');
  }
  const uplink: Uplink = attachment && !tunnel ? attachment : { kind: 'own', name };

  let bridge = flag.bridge;
  if (!isUnset(custom['ovs_bridge'])) {
    const named = checkIfaceName(s, 'custom.ovs_bridge', custom['ovs_bridge']!);
    if (bridge && bridge !== named) {
      throw new InvalidRequest(s, `custom.ovs_bridge: ${named} contradicts custom.ovs naming ${bridge}`);
    }
    bridge = named;
  }

  const def: NetworkDef = Object.assign({ name, uplink, vlan, bridged, stp, bridgeOpts, mtu, defaultRoute, nat, attrs }, ip);
  if (bridge) def.bridge = bridge;
  if (hostQos) def.hostQos = hostQos;
  if (attachment) def.attachment = attachment;
  if (tunnel) def.tunnel = tunnel;
  return def;
}

/** Whether the network has IPv6 at all: a static address, autoconf or DHCPv6 (otherwise IPv6 is off on its device). */
export function wantsIpv6(net: Pick<NetworkDef, 'ipv6' | 'ipv6autoconf' | 'dhcpv6'>): boolean {
  return net.ipv6 !== undefined || net.ipv6autoconf || net.dhcpv6;
}

type IpConfig = Pick<NetworkDef, 'ipv4' | 'dhcpv4' | 'blockingDhcp' | 'ipv6' | 'ipv6autoconf' | 'dhcpv6' | 'nameservers'>;

/** The network's addresses, checked against each other as VDSM checks them. */
function parseIpConfig(s: string, attrs: Attrs, defaultRoute: boolean): IpConfig {
  const flag = (key: string): boolean => !isUnset(attrs[key]) && toBool(s, key, attrs[key]);
  const bootproto = isUnset(attrs['bootproto']) ? 'none' : toStr(s, 'bootproto', attrs['bootproto']);
  if (!['none', 'static', 'dhcp'].includes(bootproto)) {
    throw new InvalidRequest(s, `bootproto: ${JSON.stringify(bootproto)} is not one of none, static, dhcp`);
  }
  const dhcpv4 = bootproto === 'dhcp';
  const ipv4 = parseIPv4Config(s, attrs);
  if (dhcpv4 && ipv4) throw new InvalidRequest(s, 'ipaddr: a static address cannot be combined with bootproto dhcp');
  if (defaultRoute && ipv4 && !ipv4.gateway) throw new InvalidRequest(s, 'defaultRoute: needs a gateway');

  const ipv6autoconf = flag('ipv6autoconf');
  const dhcpv6 = flag('dhcpv6');
  let ipv6: IPv6Config | undefined;
  if (!isUnset(attrs['ipv6addr'])) {
    if (ipv6autoconf || dhcpv6) {
      throw new InvalidRequest(s, `ipv6addr: a static IPv6 address cannot be combined with ${dhcpv6 ? 'dhcpv6' : 'ipv6autoconf'}`);
    }
    ipv6 = checkIPv6Cidr(s, 'ipv6addr', toStr(s, 'ipv6addr', attrs['ipv6addr']));
  }
  if (!isUnset(attrs['ipv6gateway'])) {
    if (!ipv6) throw new InvalidRequest(s, 'ipv6gateway: given without ipv6addr');
    ipv6.gateway = checkIPv6(s, 'ipv6gateway', toStr(s, 'ipv6gateway', attrs['ipv6gateway']));
  }

  const listed = attrs['nameservers'];
  if (!isUnset(listed) && !Array.isArray(listed)) {
    throw new InvalidRequest(s, `nameservers: ${JSON.stringify(listed)} is not a list`);
  }
  const nameservers = ((listed ?? []) as unknown[]).map((v, i) => {
    const text = toStr(s, `nameservers[${i}]`, v);
    return text.includes(':') ? checkIPv6(s, `nameservers[${i}]`, text) : checkIPv4(s, `nameservers[${i}]`, text);
  });
  if (nameservers.length && !defaultRoute) {
    throw new InvalidRequest(s, 'nameservers: only the network with the default route may set them');
  }
  const config: IpConfig = { dhcpv4, blockingDhcp: dhcpv4 && flag('blockingdhcp'), ipv6autoconf, dhcpv6, nameservers };
  if (ipv4) config.ipv4 = ipv4;
  if (ipv6) config.ipv6 = ipv6;
  return config;
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
  const nicsValue = attrs['nics'];
  if (!Array.isArray(nicsValue)) throw new InvalidRequest(s, `nics: ${JSON.stringify(nicsValue)} is not a list`);
  const nics = nicsValue.map((n, i) => checkIfaceName(s, `nics[${i}]`, toStr(s, `nics[${i}]`, n)));
  if (nics.length < 2) throw new InvalidRequest(s, `nics: an OVS bond needs at least 2 NICs, got ${nics.length}`);
  const dup = nics.find((n, i) => nics.indexOf(n) !== i);
  if (dup) throw new InvalidRequest(s, `nics: ${dup} is listed twice`);

  const options = parseBondOptions(s, isUnset(attrs['options']) ? '' : toStr(s, 'options', attrs['options']));
  const bond: BondDef = Object.assign({ name, nics, attrs }, ovsBondSettings(s, options, nics));
  if (!isUnset(attrs['hwaddr'])) bond.hwaddr = checkMac(s, 'hwaddr', toStr(s, 'hwaddr', attrs['hwaddr']));
  return bond;
}
