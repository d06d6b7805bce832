/**
 * The observed Open vSwitch state: one read of Bridge, Port and Interface.
 * Rows carrying the hook's mark in external_ids are its own; the names of
 * all others are kept only so that nothing is created over them.
 */
import { queryArgs, type Row, type TableRead, type Vsctl } from './vsctl.js';

/** external_ids key marking what the hook created; its value is the row's role. */
export const OWNER_KEY = 'vdsm-hook-ovs';
/** external_ids key on an uplink/slave interface: its kernel MTU before the hook took it. */
export const ORIG_MTU_KEY = 'vdsm-hook-ovs-orig-mtu';

export type Role = 'bridge' | 'uplink' | 'bond' | 'slave' | 'network';

export interface OvsBridge {
  uuid: string;
  name: string;
  role?: Role;
  datapathType: string;
  stp: boolean;
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
  interfaces: string[];
}

export interface OvsInterface {
  uuid: string;
  name: string;
  role?: Role;
  type: string;
  mtuRequest: number | null;
  origMtu?: number;
}

export interface OvsState {
  bridges: Map<string, OvsBridge>;
  ports: Map<string, OvsPort>;
  interfaces: Map<string, OvsInterface>;
}

/** The one read of the three tables (fixed, so that the sudoers drop-in can allow exactly it). */
export const OVS_TABLES: readonly TableRead[] = [
  { table: 'Bridge', columns: ['_uuid', 'name', 'ports', 'datapath_type', 'stp_enable', 'external_ids'] },
  { table: 'Port', columns: ['_uuid', 'name', 'interfaces', 'tag', 'fake_bridge', 'bond_mode', 'lacp', 'external_ids'] },
  { table: 'Interface', columns: ['_uuid', 'name', 'type', 'mtu_request', 'external_ids'] },
];

/** That read as `ovsdb-client` arguments, for those who read through it (the vdsm user, through sudo). */
export const QUERY_ARGS: readonly string[] = queryArgs(OVS_TABLES);

export async function readOvsState(vsctl: Vsctl): Promise<OvsState> {
  return parseOvsState(await vsctl.select(OVS_TABLES, 'reading the OVS database'));
}

/** The state from the rows of OVS_TABLES, in that order (the reads check there are as many). */
export function parseOvsState(tables: Row[][]): OvsState {
  const [bridgeRows, portRows, ifaceRows] = tables as [Row[], Row[], Row[]];
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
      interfaces: setOf(r['interfaces']).map((u) => ifaceName.get(uuidOf(u)) ?? ''),
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
    });
    const orig = Number(ids[ORIG_MTU_KEY]);
    if (Number.isInteger(orig) && orig > 0) i.origMtu = orig;
    interfaces.set(i.name, i);
  }
  return { bridges, ports, interfaces };
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
  if (!Array.isArray(value) || value[0] !== 'map') return {};
  return Object.fromEntries((value[1] as [string, string][]).map(([k, v]) => [k, String(v)]));
}

function optString(value: unknown): string | null {
  const v = setOf(value)[0];
  return typeof v === 'string' ? v : null;
}

const ROLES: readonly string[] = ['bridge', 'uplink', 'bond', 'slave', 'network'];

/** The row with the role its mark gives, if any (set, not spread: spreading is V8's slow path for thousands of rows). */
function withRole<T extends { role?: Role }>(ids: Record<string, string>, row: T): T {
  const value = ids[OWNER_KEY];
  if (value !== undefined && ROLES.includes(value)) row.role = value as Role;
  return row;
}
