/**
 * OVN's physical networks: external_ids:ovn-bridge-mappings on the
 * Open_vSwitch row holds `<physnet>:<bridge>` entries, and a localnet
 * logical switch port with network_name=<physnet> reaches that bridge.
 * Every OVS network of the hook is offered as the physnet of its own name on
 * its parent bridge, as VDSM does for its OVS switch type. Pure.
 *
 * Which entries are the hook's: those naming a network or a bridge the hook
 * owns in OVS (its mark), or a network it is about to build. The mapping is
 * written in the transaction that adds or removes the network, so the two
 * never part. Every other entry (another tool's physnet1:br-ex) is kept as
 * it is, in its place.
 */
import type { OvsState } from '../ovs/state.js';
import type { Command } from '../ovs/vsctl.js';

export const MAPPINGS_KEY = 'ovn-bridge-mappings';

export interface Mapping {
  physnet: string;
  bridge: string;
}

/** The entries of a mappings value; blanks (a trailing comma) dropped, an entry without ':' kept whole as a physnet. */
export function parseMappings(value: string | undefined): Mapping[] {
  return (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '').map((e) => {
    const colon = e.indexOf(':');
    return colon < 0 ? { physnet: e, bridge: '' } : { physnet: e.slice(0, colon), bridge: e.slice(colon + 1) };
  });
}

export const formatMappings = (entries: Mapping[]): string =>
  entries.map((m) => (m.bridge ? `${m.physnet}:${m.bridge}` : m.physnet)).join(',');

/**
 * The command that makes the mappings hold `wanted` (network -> parent
 * bridge) beside the foreign entries; none when they already do (in any
 * order). When no entry remains the key is removed: OVN reads a missing key
 * as no mappings, and nothing is ever written as an empty or quoted-empty value.
 */
export function planMappings(wanted: ReadonlyMap<string, string>, observed: OvsState): Command[] {
  const current = parseMappings(observed.systemIds[MAPPINGS_KEY]);
  const isHooks = (m: Mapping): boolean =>
    wanted.has(m.physnet) || observed.ports.get(m.physnet)?.role === 'network' || observed.bridges.get(m.bridge)?.role === 'bridge';
  // a name OVN could not read back as one entry is not offered (',' separates entries)
  const own = [...wanted].filter(([net]) => !net.includes(',')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([physnet, bridge]) => ({ physnet, bridge }));
  const next = [...current.filter((m) => !isHooks(m)), ...own];
  const key = (m: Mapping): string => `${m.physnet}:${m.bridge}`;
  const same = current.length === next.length && new Set([...current, ...next].map(key)).size === new Set(next.map(key)).size;
  // an empty value someone else wrote is left as it is, like any of their entries
  if (same) return [];
  const why = `OVN physical networks: ${own.length ? own.map(key).join(', ') : 'none of the hook'}`;
  if (next.length === 0) return [{ args: ['remove', 'Open_vSwitch', '.', 'external_ids', MAPPINGS_KEY], why }];
  // quoted: ovs-vsctl reads a bare value with ',' or ':' as something else than one string
  return [{ args: ['set', 'Open_vSwitch', '.', `external_ids:${MAPPINGS_KEY}=${JSON.stringify(formatMappings(next))}`], why }];
}
