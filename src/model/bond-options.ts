/**
 * VDSM bond option strings: "mode=4 miimon=100 custom=ovs:True,ovs_mode:balance-tcp".
 * `custom` is a pseudo option VDSM never writes to sysfs; the hook reads its
 * sub-options in both spellings VDSM has used: "ovs=True,..." (2015) and
 * "ovs:True,..." (2016 on, because the Engine forbids a second "=").
 *
 * The other options are Linux bonding options, typed by the administrator
 * under bonding mode "Custom". Each one is mapped to what Open vSwitch has
 * for it (ovsBondSettings), or refused by name: none is ignored.
 */
import { InvalidRequest } from '../runtime/errors.js';
import { checkIfaceName } from './names.js';
import { toInt } from './values.js';

export const BOND_MODES = ['active-backup', 'balance-slb', 'balance-tcp'] as const;
export const LACP_MODES = ['off', 'active', 'passive'] as const;
export type BondMode = (typeof BOND_MODES)[number];
export type LacpMode = (typeof LACP_MODES)[number];

/**
 * The Port other_config keys the hook sets from bond options. It owns these
 * on its bonds: one no option asks for is cleared. Any other key (set by
 * hand, e.g. bond-rebalance-interval) is never touched.
 */
export const BOND_CONFIG_KEYS = ['bond-detect-mode', 'bond-miimon-interval', 'bond-primary', 'lacp-time'] as const;
export type BondConfigKey = (typeof BOND_CONFIG_KEYS)[number];

/** What Open vSwitch gets for a bond's options. */
export interface OvsBondSettings {
  mode: BondMode;
  lacp: LacpMode;
  /** Port.bond_updelay / bond_downdelay in ms, when an option sets them (unset: OVS's default 0, as Linux's) */
  updelay?: number;
  downdelay?: number;
  /** the keys of BOND_CONFIG_KEYS the options ask for, with their values */
  config: Partial<Record<BondConfigKey, string>>;
}

export interface BondOptions {
  kernel: Record<string, string>;
  custom: Record<string, string>;
}

export function parseBondOptions(subject: string, text: string | undefined): BondOptions {
  const { custom = '', ...kernel } = rawBondOptions(subject, text);
  return { kernel, custom: parseCustom(subject, custom) };
}

/** The options as key -> value, `custom` kept as one string (as caps report them). */
export function rawBondOptions(subject: string, text: string | undefined): Record<string, string> {
  const options: Record<string, string> = {};
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return options;
  for (const item of trimmed.split(/\s+/)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidRequest(subject, `options: "${item}" is not key=value`);
    options[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return options;
}

function parseCustom(subject: string, value: string): Record<string, string> {
  const custom: Record<string, string> = {};
  for (const piece of value.split(',').filter((p) => p !== '')) {
    // the first ":" or "=" separates key from value, whichever comes first
    const sep = piece.search(/[:=]/);
    if (sep <= 0) throw new InvalidRequest(subject, `options: custom item "${piece}" is not key:value`);
    custom[piece.slice(0, sep)] = piece.slice(sep + 1);
  }
  return custom;
}

/** Linux bonding modes by number, with their names and what OVS has for them (none: refused). */
const LINUX_MODES: readonly { name: string; ovs?: { mode: BondMode; lacp: LacpMode } }[] = [
  { name: 'balance-rr' },
  { name: 'active-backup', ovs: { mode: 'active-backup', lacp: 'off' } },
  { name: 'balance-xor', ovs: { mode: 'balance-slb', lacp: 'off' } },
  { name: 'broadcast' },
  { name: '802.3ad', ovs: { mode: 'balance-tcp', lacp: 'active' } },
  { name: 'balance-tlb' },
  { name: 'balance-alb' },
];

/** The Linux options this mapping knows; any other is refused by name. */
const LINUX_OPTIONS = ['mode', 'miimon', 'updelay', 'downdelay', 'lacp_rate', 'primary'];
/** The sub-options of `custom=` this hook reads: any other is a typo or a setting it would drop. */
const CUSTOM_OPTIONS = ['ovs', 'ovs_mode', 'ovs_lacp'];

/** Linux's lacp_rate values, by name or number, as OVS's other_config:lacp-time. */
const LACP_RATES = new Map([['slow', 'slow'], ['0', 'slow'], ['fast', 'fast'], ['1', 'fast']]);

/** Linux takes these as a C int of milliseconds. */
const MAX_MS = 2 ** 31 - 1;

/**
 * The bond's options as Open vSwitch settings. `mode` and the custom
 * ovs_mode/ovs_lacp must agree where both are given; without either, the
 * bond is active-backup without LACP.
 */
export function ovsBondSettings(subject: string, options: BondOptions, nics: readonly string[]): OvsBondSettings {
  const { kernel, custom } = options;
  for (const key of Object.keys(kernel)) {
    if (!LINUX_OPTIONS.includes(key)) {
      throw new InvalidRequest(subject,
        `options ${key}: Open vSwitch has no equivalent of this bonding option (an OVS bond takes ${LINUX_OPTIONS.join(', ')})`);
    }
  }
  for (const key of Object.keys(custom)) {
    if (!CUSTOM_OPTIONS.includes(key)) {
      throw new InvalidRequest(subject, `options custom ${key}: unknown (an OVS bond takes ${CUSTOM_OPTIONS.join(', ')})`);
    }
  }
  const linux = kernel['mode'] === undefined ? undefined : linuxMode(subject, kernel['mode']);
  const mode = oneOf(subject, 'ovs_mode', custom['ovs_mode'] ?? linux?.ovs.mode ?? 'active-backup', BOND_MODES);
  const lacp = oneOf(subject, 'ovs_lacp', custom['ovs_lacp'] ?? linux?.ovs.lacp ?? 'off', LACP_MODES);
  if (linux) {
    if (mode !== linux.ovs.mode) {
      throw new InvalidRequest(subject,
        `options mode: ${linux.label} is bond_mode ${linux.ovs.mode} on OVS, but custom ovs_mode says ${mode}`);
    }
    if (lacp !== linux.ovs.lacp) {
      throw new InvalidRequest(subject,
        `options mode: ${linux.label} is LACP ${linux.ovs.lacp} on OVS, but custom ovs_lacp says ${lacp}`);
    }
  }
  if (mode === 'balance-tcp' && lacp === 'off') {
    throw new InvalidRequest(subject, 'ovs_mode: balance-tcp needs LACP (ovs_lacp active or passive)');
  }

  const settings: OvsBondSettings = { mode, lacp, config: {} };
  const ms = (key: string): number | undefined =>
    kernel[key] === undefined ? undefined : toInt(subject, `options ${key}`, kernel[key], 0, MAX_MS);
  const miimon = ms('miimon');
  // miimon=0 is Linux's "no MII polling": OVS's default carrier detection
  if (miimon) Object.assign(settings.config, { 'bond-detect-mode': 'miimon', 'bond-miimon-interval': String(miimon) });
  const updelay = ms('updelay');
  if (updelay !== undefined) settings.updelay = updelay;
  const downdelay = ms('downdelay');
  if (downdelay !== undefined) settings.downdelay = downdelay;

  const rate = kernel['lacp_rate'];
  if (rate !== undefined) {
    const time = LACP_RATES.get(rate);
    if (!time) throw new InvalidRequest(subject, `options lacp_rate: "${rate}" is not one of slow, fast, 0, 1`);
    if (lacp === 'off') {
      throw new InvalidRequest(subject, 'options lacp_rate: the bond has no LACP (mode 4, or custom ovs_lacp active or passive)');
    }
    settings.config['lacp-time'] = time;
  }

  const primary = kernel['primary'];
  if (primary !== undefined) {
    checkIfaceName(subject, 'options primary', primary);
    if (!nics.includes(primary)) {
      throw new InvalidRequest(subject, `options primary: ${primary} is not a slave of the bond (${nics.join(', ')})`);
    }
    // OVS honours bond-primary only in active-backup: elsewhere it would be ignored without a word
    if (mode !== 'active-backup') {
      throw new InvalidRequest(subject, `options primary: only an active-backup bond has a primary, this one is ${mode}`);
    }
    settings.config['bond-primary'] = primary;
  }
  return settings;
}

/** The Linux mode, by number or name, with what OVS has for it; `label` is as typed, a number with its name ("4 (802.3ad)"). */
function linuxMode(subject: string, value: string): { label: string; ovs: { mode: BondMode; lacp: LacpMode } } {
  const index = /^\d$/.test(value) ? Number(value) : LINUX_MODES.findIndex((m) => m.name === value);
  const mode = LINUX_MODES[index];
  if (!mode) {
    throw new InvalidRequest(subject,
      `options mode: "${value}" is not a Linux bonding mode (0-6 or ${LINUX_MODES.map((m) => m.name).join(', ')})`);
  }
  const label = value === mode.name ? value : `${value} (${mode.name})`;
  if (!mode.ovs) {
    throw new InvalidRequest(subject,
      `options mode: ${label} has no Open vSwitch equivalent; an OVS bond takes mode 1 (active-backup), 2 (balance-xor) or 4 (802.3ad)`);
  }
  return { label, ovs: mode.ovs };
}

function oneOf<T extends string>(s: string, attr: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidRequest(s, `options custom ${attr}: "${value}" is not one of ${allowed.join(', ')}`);
}
