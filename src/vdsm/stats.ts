/**
 * after_get_stats: VDSM samples every kernel link; the Engine also asks for
 * the names caps report that have no link of their own: `<uplink>.<vlan>`
 * (the network's device carries that VLAN's host traffic) and an OVS bond
 * (its slaves carry its traffic). A name VDSM sampled itself is left as it
 * is. Pure.
 */
import type { Owned } from './caps.js';
import type { BondMode } from '../model/definitions.js';

export type LinkStats = Record<string, unknown>;

const COUNTERS = ['rx', 'tx', 'rxDropped', 'txDropped', 'rxErrors', 'txErrors'] as const;

export function statsAdditions(owned: Owned, network: Record<string, LinkStats>): Record<string, LinkStats> {
  const add: Record<string, LinkStats> = {};
  for (const net of owned.networks) {
    const device = network[net.name];
    const name = `${net.attachment?.name}.${net.vlan}`;
    if (net.vlan && net.attachment && device && !(name in network)) add[name] = { ...device, name };
  }
  for (const { def } of owned.bonds) {
    const slaves = def.nics.map((n) => network[n]).filter((s): s is LinkStats => s !== undefined);
    if (slaves.length && !(def.name in network)) add[def.name] = bondStats(def.name, def.mode, slaves);
  }
  return add;
}

function bondStats(name: string, mode: BondMode, slaves: LinkStats[]): LinkStats {
  const up = slaves.filter((s) => s['state'] === 'up');
  const speeds = up.map((s) => Number(s['speed']) || 0);
  // as the kernel reports a bond: the active slave's speed for active-backup, the sum for load balancing
  const speed = mode === 'active-backup' ? Math.max(0, ...speeds) : speeds.reduce((a, b) => a + b, 0);
  // 64-bit counters: BigInt; anything not a count adds nothing
  const count = (v: unknown): bigint => (/^\d+$/.test(String(v)) ? BigInt(String(v)) : 0n);
  const sum = (key: string): string => String(slaves.reduce((a, s) => a + count(s[key]), 0n));
  return {
    ...slaves[0],
    name,
    state: up.length ? 'up' : 'down',
    speed: String(speed),
    ...Object.fromEntries(COUNTERS.map((key) => [key, sum(key)])),
    sampleTime: Math.max(...slaves.map((s) => Number(s['sampleTime']) || 0)),
  };
}
