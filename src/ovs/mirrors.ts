/**
 * Port mirrors of VM NICs: OVS Mirror rows on a network's parent bridge
 * copying the network's VLAN (every port: VMs, the host's device, the uplink)
 * to a VM's tap. One read of Bridge, Port and Mirror; the planner is pure and
 * names only mirrors carrying the hook's mark, so that mirrors of other tools
 * are never touched.
 */
import { mapOf, OWNER_KEY, setOf, uuidOf } from './state.js';
import type { Command, Row, TableRead, Vsctl } from './vsctl.js';

/** The mark's value on a mirror row, and the keys saying whose NIC it serves. */
export const MIRROR_ROLE = 'mirror';
export const VM_KEY = `${OWNER_KEY}-vm`;
export const MAC_KEY = `${OWNER_KEY}-mac`;
export const NETWORK_KEY = `${OWNER_KEY}-network`;

export interface OvsMirror {
  uuid: string;
  name: string;
  /** the bridge whose mirrors column holds it */
  bridge?: string;
  /** the output port's name; undefined once that port is gone (a weak reference OVS clears) */
  output?: string;
  vlans: number[];
  /** set on the hook's own mirrors: the NIC it serves */
  owner?: { vm: string; mac: string; network: string };
}

export interface MirrorState {
  /** port name -> its bridge, and its VLAN tag (fake bridges: their network's VLAN) */
  ports: Map<string, { bridge: string; tag: number; fakeBridge: boolean }>;
  mirrors: OvsMirror[];
}

export const MIRROR_TABLES: readonly TableRead[] = [
  { table: 'Bridge', columns: ['_uuid', 'name', 'ports', 'mirrors'] },
  { table: 'Port', columns: ['_uuid', 'name', 'tag', 'fake_bridge'] },
  { table: 'Mirror', columns: ['_uuid', 'name', 'output_port', 'select_vlan', 'external_ids'] },
];

export async function readMirrorState(vsctl: Vsctl): Promise<MirrorState> {
  return parseMirrorState(await vsctl.select(MIRROR_TABLES, 'reading the OVS mirrors'));
}

/** The state from the rows of MIRROR_TABLES, in that order. */
export function parseMirrorState(tables: Row[][]): MirrorState {
  const [bridgeRows, portRows, mirrorRows] = tables as [Row[], Row[], Row[]];
  const portName = new Map(portRows.map((r) => [uuidOf(r['_uuid']), String(r['name'])]));
  const bridgeOfPort = new Map<string, string>();
  const bridgeOfMirror = new Map<string, string>();
  for (const b of bridgeRows) {
    for (const p of setOf(b['ports'])) bridgeOfPort.set(uuidOf(p), String(b['name']));
    for (const m of setOf(b['mirrors'])) bridgeOfMirror.set(uuidOf(m), String(b['name']));
  }
  const ports = new Map<string, { bridge: string; tag: number; fakeBridge: boolean }>();
  for (const r of portRows) {
    const bridge = bridgeOfPort.get(uuidOf(r['_uuid']));
    const tag = setOf(r['tag'])[0];
    if (bridge) ports.set(String(r['name']), { bridge, tag: typeof tag === 'number' ? tag : 0, fakeBridge: r['fake_bridge'] === true });
  }
  const mirrors = mirrorRows.map((r): OvsMirror => {
    const uuid = uuidOf(r['_uuid']);
    const ids = mapOf(r['external_ids']);
    const out = setOf(r['output_port'])[0];
    const bridge = bridgeOfMirror.get(uuid);
    const output = out === undefined ? undefined : portName.get(uuidOf(out));
    const owned = ids[OWNER_KEY] === MIRROR_ROLE;
    return {
      uuid,
      name: String(r['name']),
      vlans: setOf(r['select_vlan']).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b),
      ...(bridge ? { bridge } : {}),
      ...(output ? { output } : {}),
      ...(owned ? { owner: { vm: ids[VM_KEY] ?? '', mac: ids[MAC_KEY] ?? '', network: ids[NETWORK_KEY] ?? '' } } : {}),
    };
  });
  return { ports, mirrors };
}

/** A mirror asked for: a VM's NIC (its tap) to receive a copy of a network. */
export interface WantedMirror {
  vm: string;
  mac: string;
  tap: string;
  network: string;
}

export interface MirrorPlan {
  commands: Command[];
  /** mirrors made, for the log and the revalidator purge they need */
  created: string[];
  removed: string[];
  /** the wanted mirrors that exist once the commands ran (made now or already there) */
  mirrored: WantedMirror[];
  /** wishes that cannot be met, one line each */
  problems: string[];
}

/** The mirror's name: its tap's, which an administrator finds in `ovs-vsctl list mirror`. */
export const mirrorName = (tap: string): string => `vdsm-mirror-${tap}`;

/**
 * The commands making the wanted mirrors and removing the hook's mirrors that
 * `drop` selects, and those whose output port is gone (swept). A wanted mirror
 * that already exists as wanted is left alone. Pure.
 */
export function planMirrors(state: MirrorState, wanted: WantedMirror[], drop: (m: OvsMirror) => boolean): MirrorPlan {
  const plan: MirrorPlan = { commands: [], created: [], removed: [], mirrored: [], problems: [] };
  const own = state.mirrors.filter((m) => m.owner && m.bridge);
  const gone = new Set<OvsMirror>();
  const remove = (m: OvsMirror, why: string): void => {
    if (gone.has(m)) return;
    gone.add(m);
    plan.removed.push(m.name);
    plan.commands.push({ args: ['remove', 'Bridge', m.bridge!, 'mirrors', m.uuid], why: `mirror ${m.name} removed: ${why}` });
  };
  for (const m of own) {
    if (m.output === undefined) remove(m, 'its output port no longer exists');
    else if (drop(m)) remove(m, `VM ${m.owner!.vm} NIC ${m.owner!.mac} no longer mirrors`);
  }
  wanted.forEach((w, i) => {
    const net = state.ports.get(w.network);
    const tap = state.ports.get(w.tap);
    const subject = `mirror of network ${w.network} to VM NIC ${w.mac} (${w.tap})`;
    if (!net || !net.fakeBridge) return plan.problems.push(`${subject}: ${w.network} is not an OVS network of this hook in OVS`);
    if (!tap || tap.bridge !== net.bridge) return plan.problems.push(`${subject}: no port ${w.tap} on bridge ${net.bridge}`);
    const same = (m: OvsMirror): boolean => m.owner!.vm === w.vm && m.owner!.mac === w.mac;
    const current = own.filter((m) => !gone.has(m) && (same(m) || m.output === w.tap));
    const kept = current.find((m) => same(m) && m.output === w.tap && m.bridge === net.bridge
      && m.owner!.network === w.network && m.vlans.length === 1 && m.vlans[0] === net.tag);
    for (const m of current.filter((c) => c !== kept)) remove(m, `replaced by the mirror of VM ${w.vm} NIC ${w.mac}`);
    plan.mirrored.push(w);
    if (kept) return;
    const name = mirrorName(w.tap);
    const why = `mirror ${name}: network ${w.network} (VLAN ${net.tag} on ${net.bridge}) to VM ${w.vm} NIC ${w.mac}`;
    plan.created.push(name);
    plan.commands.push(
      { args: [`--id=@out${i}`, 'get', 'Port', w.tap], why },
      {
        args: [`--id=@mirror${i}`, 'create', 'Mirror', `name=${name}`, 'select_all=true', `select_vlan=${net.tag}`, `output_port=@out${i}`,
          `external_ids:${OWNER_KEY}=${MIRROR_ROLE}`, `external_ids:${VM_KEY}=${w.vm}`, `external_ids:${MAC_KEY}=${w.mac}`,
          `external_ids:${NETWORK_KEY}=${w.network}`],
        why,
      },
      { args: ['add', 'Bridge', net.bridge, 'mirrors', `@mirror${i}`], why },
    );
    return undefined;
  });
  return plan;
}
