/**
 * The observed Open vSwitch state: one read of Bridge, Port, Interface and
 * the Open_vSwitch row's external_ids (OVN's keys: the chassis name, the
 * bridge mappings). Rows carrying the hook's mark in external_ids are its
 * own; the names of all others are kept only so that nothing is created over them.
 */
import { queryArgs, type Row, type TableRead, type Vsctl } from './vsctl.js';

/** external_ids key marking what the hook created; its value is the row's role. */
export const OWNER_KEY = 'vdsm-hook-ovs';
/** external_ids key on an uplink/slave interface: its kernel MTU before the hook took it. */
export const ORIG_MTU_KEY = 'vdsm-hook-ovs-orig-mtu';
/** external_ids key on a bridge: the other_config keys the hook set there (bridge options), comma-separated */
export const OPTS_KEY = 'vdsm-hook-ovs-opts';
/** external_ids key on a queue: the network's hostQos link share (ls), which htb has no knob for */
export const LS_KEY = 'vdsm-hook-ovs-ls';

export type Role = 'bridge' | 'uplink' | 'bond' | 'slave' | 'network' | 'qos' | 'queue' | 'tunnel';

export interface OvsBridge {
  uuid: string;
  name: string;
  role?: Role;
  datapathType: string;
  stp: boolean;
  rstp: boolean;
  mcastSnooping: boolean;
  otherConfig: Map<string, string>;
  /** the other_config keys the hook set (OPTS_KEY) */
  hookOpts: string[];
  ports: string[];
}

export interface OvsPort {
  uuid: string;
  name: string;
  role?: Role;
  bridge?: string;
  tag: number | null;
  fakeBridge: boolean;
  bondMode: string | null;
  lacp: string | null;
  /** bond_updelay, bond_downdelay: ms (0, OVS's default, when unset) */
  bondUpdelay: number;
  bondDowndelay: number;
  interfaces: string[];
  otherConfig: Map<string, string>;
  /** uuid of its QoS row */
  qos: string | null;
}

export interface OvsQos {
  uuid: string;
  role?: Role;
  type: string;
  /** queue id -> Queue uuid */
  queues: Map<number, string>;
}

export interface OvsQueue {
  uuid: string;
  role?: Role;
  otherConfig: Map<string, string>;
  /** the link share weight the hook recorded (LS_KEY) */
  ls?: number;
}

export interface OvsInterface {
  uuid: string;
  name: string;
  role?: Role;
  type: string;
  mtuRequest: number | null;
  /** the MAC set through OVS (Interface mac), if any */
  mac: string | null;
  /** options (a tunnel's key, remote_ip, local_ip) */
  options: Record<string, string>;
  origMtu?: number;
  /** external_ids:iface-id: the OVN logical port libvirt plugged this VM port for */
  ovnPort?: string;
  /** external_ids:ovn-installed: ovn-controller installed its flows (left behind when it exits) */
  ovnInstalled?: boolean;
}

export interface OvsState {
  bridges: Map<string, OvsBridge>;
  ports: Map<string, OvsPort>;
  interfaces: Map<string, OvsInterface>;
  /** by uuid */
  qos: Map<string, OvsQos>;
  queues: Map<string, OvsQueue>;
  /** external_ids of the Open_vSwitch row: system-id, ovn-remote, ovn-bridge-mappings, ... */
  systemIds: Record<string, string>;
}

/** The one read of the four tables (fixed, so that the sudoers drop-in can allow exactly it). */
export const OVS_TABLES: readonly TableRead[] = [
  {
    table: 'Bridge',
    columns: ['_uuid', 'name', 'ports', 'datapath_type', 'stp_enable', 'rstp_enable', 'mcast_snooping_enable', 'other_config', 'external_ids'],
  },
  { table: 'Port', columns: ['_uuid', 'name', 'interfaces', 'tag', 'fake_bridge', 'bond_mode', 'lacp',
    'bond_updelay', 'bond_downdelay', 'other_config', 'qos', 'external_ids'] },
  { table: 'Interface', columns: ['_uuid', 'name', 'type', 'mtu_request', 'mac', 'options', 'external_ids'] },
  { table: 'QoS', columns: ['_uuid', 'type', 'queues', 'external_ids'] },
  { table: 'Queue', columns: ['_uuid', 'other_config', 'external_ids'] },
  { table: 'Open_vSwitch', columns: ['external_ids'] },
];

/** That read as `ovsdb-client` arguments, for those who read through it (the vdsm user, through sudo). */
export const QUERY_ARGS: readonly string[] = queryArgs(OVS_TABLES);

export async function readOvsState(vsctl: Vsctl): Promise<OvsState> {
  return parseOvsState(await vsctl.select(OVS_TABLES, 'reading the OVS database'));
}

/** The state from the rows of OVS_TABLES, in that order (the reads check there are as many). */
export function parseOvsState(tables: Row[][]): OvsState {
  const [bridgeRows, portRows, ifaceRows, qosRows, queueRows, systemRows] = tables as [Row[], Row[], Row[], Row[], Row[], Row[]];
  const ifaceName = new Map(ifaceRows.map((r) => [uuidOf(r['_uuid']), String(r['name'])]));
  const portName = new Map(portRows.map((r) => [uuidOf(r['_uuid']), String(r['name'])]));

  const bridges = new Map<string, OvsBridge>();
  const bridgeOfPort = new Map<string, string>();
  for (const r of bridgeRows) {
    const ids = mapOf(r['external_ids']);
    const ports = setOf(r['ports']).map((u) => portName.get(uuidOf(u)) ?? '');
    const b = withRole<OvsBridge>(ids, {
      uuid: uuidOf(r['_uuid']),
      name: String(r['name']),
      datapathType: String(r['datapath_type']),
      stp: r['stp_enable'] === true,
      rstp: r['rstp_enable'] === true,
      mcastSnooping: r['mcast_snooping_enable'] === true,
      otherConfig: new Map(Object.entries(mapOf(r['other_config']))),
      hookOpts: (ids[OPTS_KEY] ?? '').split(',').filter((k) => k !== ''),
      ports,
    });
    bridges.set(b.name, b);
    for (const p of ports) bridgeOfPort.set(p, b.name);
  }
  const ports = new Map<string, OvsPort>();
  for (const r of portRows) {
    const name = String(r['name']);
    const tag = setOf(r['tag'])[0];
    const p = withRole<OvsPort>(mapOf(r['external_ids']), {
      uuid: uuidOf(r['_uuid']),
      name,
      tag: typeof tag === 'number' ? tag : null,
      fakeBridge: r['fake_bridge'] === true,
      bondMode: optString(r['bond_mode']),
      lacp: optString(r['lacp']),
      bondUpdelay: intOr0(r['bond_updelay']),
      bondDowndelay: intOr0(r['bond_downdelay']),
      interfaces: setOf(r['interfaces']).map((u) => ifaceName.get(uuidOf(u)) ?? ''),
      otherConfig: new Map(Object.entries(mapOf(r['other_config']))),
      qos: setOf(r['qos']).map(uuidOf)[0] ?? null,
    });
    const bridge = bridgeOfPort.get(name);
    if (bridge) p.bridge = bridge;
    ports.set(name, p);
  }
  const interfaces = new Map<string, OvsInterface>();
  for (const r of ifaceRows) {
    const ids = mapOf(r['external_ids']);
    const mtu = setOf(r['mtu_request'])[0];
    const i = withRole<OvsInterface>(ids, {
      uuid: uuidOf(r['_uuid']),
      name: String(r['name']),
      type: String(r['type']),
      mtuRequest: typeof mtu === 'number' ? mtu : null,
      mac: optString(r['mac']),
      options: mapOf(r['options']),
    });
    const orig = Number(ids[ORIG_MTU_KEY]);
    if (Number.isInteger(orig) && orig > 0) i.origMtu = orig;
    if (ids['iface-id'] !== undefined) i.ovnPort = ids['iface-id'];
    if (ids['ovn-installed'] !== undefined) i.ovnInstalled = ids['ovn-installed'] === 'true';
    interfaces.set(i.name, i);
  }
  const qos = new Map<string, OvsQos>();
  for (const r of qosRows) {
    const q = withRole<OvsQos>(mapOf(r['external_ids']), {
      uuid: uuidOf(r['_uuid']),
      type: String(r['type']),
      queues: new Map(pairsOf(r['queues']).map(([k, v]) => [Number(k), uuidOf(v)])),
    });
    qos.set(q.uuid, q);
  }
  const queues = new Map<string, OvsQueue>();
  for (const r of queueRows) {
    const ids = mapOf(r['external_ids']);
    const q = withRole<OvsQueue>(ids, { uuid: uuidOf(r['_uuid']), otherConfig: new Map(Object.entries(mapOf(r['other_config']))) });
    const ls = Number(ids[LS_KEY]);
    if (Number.isInteger(ls) && ls > 0) q.ls = ls;
    queues.set(q.uuid, q);
  }
  // one row, once ovs-vsctl init (or ovs-ctl) made it; none in a DB nobody initialised
  return { bridges, ports, interfaces, qos, queues, systemIds: mapOf(systemRows[0]?.['external_ids']) };
}

/** Names of every OVS object the hook does not own. */
export function foreignNames(state: OvsState): Set<string> {
  const names = new Set<string>();
  for (const table of [state.bridges, state.ports, state.interfaces]) {
    for (const row of table.values()) if (!row.role) names.add(row.name);
  }
  return names;
}

// OVSDB JSON atoms: ["uuid", u], ["set", [..]] (a one-element set may be the bare atom), ["map", [[k, v], ..]]
export function uuidOf(atom: unknown): string {
  return Array.isArray(atom) && atom[0] === 'uuid' ? String(atom[1]) : String(atom);
}

export function setOf(value: unknown): unknown[] {
  if (Array.isArray(value) && value[0] === 'set') return value[1] as unknown[];
  return [value];
}

export function mapOf(value: unknown): Record<string, string> {
  return Object.fromEntries(pairsOf(value).map(([k, v]) => [k, String(v)]));
}

function pairsOf(value: unknown): [unknown, unknown][] {
  return Array.isArray(value) && value[0] === 'map' ? (value[1] as [unknown, unknown][]) : [];
}

function intOr0(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function optString(value: unknown): string | null {
  const v = setOf(value)[0];
  return typeof v === 'string' ? v : null;
}

const ROLES: readonly string[] = ['bridge', 'uplink', 'bond', 'slave', 'network', 'qos', 'queue', 'tunnel'];

/** The row with the role its mark gives, if any (set, not spread: spreading is V8's slow path for thousands of rows). */
function withRole<T extends { role?: Role }>(ids: Record<string, string>, row: T): T {
  const value = ids[OWNER_KEY];
  if (value !== undefined && ROLES.includes(value)) row.role = value as Role;
  return row;
}
