/**
 * custom.bridge_opts: the Linux bridge sysfs options the Engine sends
 * (`multicast_snooping=1 forward_delay=1500 ...`, Linux units: centiseconds
 * for times), checked once here and translated both ways: to the Open
 * vSwitch columns that honour them on the network's parent bridge, and back
 * to sysfs names and values for caps. A key OVS cannot honour is refused,
 * never ignored.
 */
import { InvalidRequest } from '../runtime/errors.js';

/** Linux name -> value, in Linux units (what the Engine sent and what caps report). */
export type BridgeOpts = ReadonlyMap<string, number>;

interface OptSpec {
  min: number;
  max: number;
  /** centiseconds that OVS takes as whole seconds */
  seconds?: true;
  /** OVS's own default, in Linux units: reported when the option is not set */
  fallback: number;
  /** the other_config key under STP (and under RSTP, where OVS has one) */
  stp?: string;
  rstp?: string;
  /** other_config keys that hold the option whatever STP does */
  key?: string;
}

/**
 * Every option OVS honours. The ranges are OVS's (ovs-vswitchd.conf.db(5)):
 * values it would clamp or ignore are refused instead, so that what caps
 * report back is what was asked.
 */
const SPECS: Record<string, OptSpec> = {
  // stp_state: 0 off, 1 STP (the kernel's), 2 user-space STP, which is how a Linux bridge runs RSTP: OVS's RSTP
  stp_state: { min: 0, max: 2, fallback: 0 },
  multicast_snooping: { min: 0, max: 1, fallback: 0 },
  // 1: router ports learned from queries (what OVS does); 2: the host's own port always gets all multicast
  multicast_router: { min: 1, max: 2, fallback: 1 },
  hash_max: { min: 10, max: 1_000_000, fallback: 2048, key: 'mcast-snooping-table-size' },
  multicast_membership_interval: { min: 1500, max: 360_000, seconds: true, fallback: 30_000, key: 'mcast-snooping-aging-time' },
  ageing_time: { min: 1500, max: 360_000, seconds: true, fallback: 30_000, key: 'mac-aging-time' },
  forward_delay: { min: 400, max: 3000, seconds: true, fallback: 1500, stp: 'stp-forward-delay', rstp: 'rstp-forward-delay' },
  hello_time: { min: 100, max: 1000, seconds: true, fallback: 200, stp: 'stp-hello-time' },
  max_age: { min: 600, max: 4000, seconds: true, fallback: 2000, stp: 'stp-max-age', rstp: 'rstp-max-age' },
  priority: { min: 0, max: 65_535, fallback: 32_768, stp: 'stp-priority', rstp: 'rstp-priority' },
};

/** Parses `key=value ...`; `stp` is the network's stp attribute when given, folded in as stp_state. */
export function parseBridgeOpts(subject: string, text: string | undefined, stp: boolean | undefined): BridgeOpts {
  const attr = 'custom.bridge_opts';
  const opts = new Map<string, number>();
  for (const word of (text ?? '').split(/\s+/).filter((w) => w !== '')) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const spec = SPECS[key];
    if (!spec) throw new InvalidRequest(subject, `${attr}: ${key} has no Open vSwitch counterpart`);
    if (eq < 0) throw new InvalidRequest(subject, `${attr}: ${key} has no value (key=value)`);
    if (opts.has(key)) throw new InvalidRequest(subject, `${attr}: ${key} is given twice`);
    const value = word.slice(eq + 1);
    const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
    if (!(n >= spec.min && n <= spec.max)) {
      throw new InvalidRequest(subject, `${attr}: ${key}=${value} is not an integer in ${spec.min}-${spec.max}`);
    }
    if (spec.seconds && n % 100 !== 0) {
      throw new InvalidRequest(subject, `${attr}: ${key}=${value} is not whole seconds (centiseconds, a multiple of 100), as OVS takes it`);
    }
    opts.set(key, n);
  }
  const state = opts.get('stp_state');
  if (stp !== undefined) {
    if (state === undefined) opts.set('stp_state', stp ? 1 : 0);
    else if ((state !== 0) !== stp) throw new InvalidRequest(subject, `${attr}: stp_state=${state} contradicts stp ${stp}`);
  }
  checkRstp(opts, () => subject, '');
  return opts;
}

/**
 * Under RSTP (stp_state=2) OVS has no hello time and rounds a priority down
 * to a multiple of 4096: both refused. Checked for each network and for a
 * bridge's merged options, where RSTP may come from another network
 * (`whose` names it: the network that set the option, and why).
 */
export function checkRstp(opts: BridgeOpts, whose: (key: string) => string, why: string): void {
  if (opts.get('stp_state') !== 2) return;
  const attr = 'custom.bridge_opts';
  if (opts.has('hello_time')) {
    throw new InvalidRequest(whose('hello_time'), `${attr}: hello_time has no Open vSwitch counterpart under RSTP (stp_state=2${why})`);
  }
  const priority = opts.get('priority');
  if (priority !== undefined && (priority > 61_440 || priority % 4096 !== 0)) {
    throw new InvalidRequest(whose('priority'), `${attr}: priority=${priority} is not a multiple of 4096 in 0-61440, as RSTP (stp_state=2${why}) takes it`);
  }
}

/** Port other_config keys that make a network's own port get all multicast and reports (multicast_router=2) */
export const FLOOD_KEYS: readonly string[] = ['mcast-snooping-flood', 'mcast-snooping-flood-reports'];

/** How a bridge's options look in OVS. */
export interface OvsBridgeSettings {
  stp: boolean;
  rstp: boolean;
  mcastSnooping: boolean;
  /** Bridge other_config keys and their values */
  otherConfig: Map<string, string>;
  /** the networks' own ports get all multicast (multicast_router=2) */
  floodToHost: boolean;
}

/** The options in OVS's terms: the Bridge columns, other_config keys (seconds where Linux has centiseconds), port flags. */
export function ovsSettings(opts: BridgeOpts): OvsBridgeSettings {
  const state = opts.get('stp_state') ?? 0;
  const otherConfig = new Map<string, string>();
  for (const [name, value] of opts) {
    const spec = SPECS[name]!;
    const key = spec.key ?? (state === 2 ? spec.rstp : spec.stp);
    // stp-priority must be decimal: OVS silently ignores 0x1000
    if (key) otherConfig.set(key, String(spec.seconds ? value / 100 : value));
  }
  return {
    stp: state === 1,
    rstp: state === 2,
    mcastSnooping: opts.get('multicast_snooping') === 1,
    otherConfig,
    floodToHost: opts.get('multicast_router') === 2,
  };
}

/** What OVS shows of a bridge, as sysfs would: every option in Linux units, OVS's defaults where nothing is set. */
export function linuxOpts(seen: Omit<OvsBridgeSettings, 'otherConfig'> & { otherConfig: ReadonlyMap<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(SPECS)) {
    const key = spec.key ?? (seen.rstp ? spec.rstp : spec.stp);
    const raw = key === undefined ? undefined : seen.otherConfig.get(key);
    const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) * (spec.seconds ? 100 : 1) : spec.fallback;
    out[name] = String(n);
  }
  out['stp_state'] = seen.rstp ? '2' : seen.stp ? '1' : '0';
  out['multicast_snooping'] = seen.mcastSnooping ? '1' : '0';
  out['multicast_router'] = seen.floodToHost ? '2' : '1';
  return out;
}
