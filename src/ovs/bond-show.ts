/**
 * `ovs-appctl bond/show` (all bonds at once): which slave is active. OVS
 * 2.15 renamed "slave" to "member" in this output; both are read.
 */
import type { Vsctl } from './vsctl.js';

export function parseActiveSlaves(text: string): Map<string, string> {
  const active = new Map<string, string>();
  for (const section of text.split(/^---- /m).slice(1)) {
    const bond = /^(\S+) ----/.exec(section)?.[1];
    if (!bond) continue;
    active.set(bond, /^active (?:member|slave) mac: \S+?\((\S+)\)\s*$/m.exec(section)?.[1] ?? '');
  }
  return active;
}

/** All bonds in one call, whatever their number (fixed, for the sudoers drop-in). */
export const BOND_SHOW_ARGS: readonly string[] = ['bond/show'];

export async function readActiveSlaves(vsctl: Vsctl): Promise<Map<string, string>> {
  return parseActiveSlaves(await vsctl.appctl([...BOND_SHOW_ARGS], 'reading the bonds'));
}
