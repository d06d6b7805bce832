/**
 * A bond's Port row as its options ask for it (bond_mode, lacp, the delays,
 * the other_config keys the hook owns), for the planner and the ifcfg files
 * alike, and what an existing row lacks to get there.
 */
import { BOND_CONFIG_KEYS, type BondConfigKey, type OvsBondSettings } from '../model/bond-options.js';
import type { OvsPort } from './state.js';

/** column[:key]=value settings of a new bond row: mode and LACP always, the rest as the options ask. */
export function bondPortSettings(bond: OvsBondSettings): string[] {
  const delays = ([['bond_updelay', bond.updelay], ['bond_downdelay', bond.downdelay]] as const)
    .filter(([, ms]) => ms !== undefined)
    .map(([column, ms]) => `${column}=${ms}`);
  const config = BOND_CONFIG_KEYS.filter((key) => bond.config[key] !== undefined)
    .map((key) => `other_config:${key}=${bond.config[key]}`);
  return [`bond_mode=${bond.mode}`, `lacp=${bond.lacp}`, ...delays, ...config];
}

/**
 * What an existing bond row lacks: the settings to write, and the keys of
 * BOND_CONFIG_KEYS no option asks for any more, to clear. An unset delay is
 * OVS's default 0. Nothing when the row is as wanted.
 */
export function bondPortEdits(bond: OvsBondSettings, port: OvsPort): { set: string[]; clear: BondConfigKey[] } {
  const set: string[] = [];
  if (port.bondMode !== bond.mode) set.push(`bond_mode=${bond.mode}`);
  if (port.lacp !== bond.lacp) set.push(`lacp=${bond.lacp}`);
  if (port.bondUpdelay !== (bond.updelay ?? 0)) set.push(`bond_updelay=${bond.updelay ?? 0}`);
  if (port.bondDowndelay !== (bond.downdelay ?? 0)) set.push(`bond_downdelay=${bond.downdelay ?? 0}`);
  const clear: BondConfigKey[] = [];
  for (const key of BOND_CONFIG_KEYS) {
    const want = bond.config[key];
    const have = port.otherConfig.get(key);
    if (want !== undefined && want !== have) set.push(`other_config:${key}=${want}`);
    else if (want === undefined && have !== undefined) clear.push(key);
  }
  return { set, clear };
}
