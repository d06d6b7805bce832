/**
 * hostQos: the Engine's outbound shaping of a network on its uplink
 * (`{out: {ls: {m2}, ul: {m2}, rt: {m2}}}`, ul/rt in bit/s, ls a weight),
 * checked once here, and how it lands: one OVS linux-htb queue per network
 * on the uplink's port, and a classifier per queue choosing it by the
 * frame's VLAN, since OVS's own set_queue never reaches the kernel in the
 * userspace datapath.
 */
import { InvalidRequest } from '../runtime/errors.js';
import { isRecord, isUnset } from './values.js';

export interface HostQos {
  /** link share: a weight */
  ls?: number;
  /** upper limit, bit/s */
  ul?: number;
  /** real-time (guaranteed) rate, bit/s */
  rt?: number;
}

const CURVES = ['ls', 'ul', 'rt'] as const;
/** htb keeps rates as 32-bit bytes per second */
const MAX_RATE = 34_359_738_360;

export function parseHostQos(subject: string, value: unknown): HostQos | undefined {
  if (isUnset(value)) return undefined;
  const attr = 'hostQos';
  if (!isRecord(value)) throw new InvalidRequest(subject, `${attr}: ${JSON.stringify(value)} is not an object`);
  for (const key of Object.keys(value)) {
    if (key !== 'out') throw new InvalidRequest(subject, `${attr}.${key}: only outbound shaping (out) exists`);
  }
  const out = value['out'];
  if (isUnset(out)) return undefined;
  if (!isRecord(out)) throw new InvalidRequest(subject, `${attr}.out: ${JSON.stringify(out)} is not an object`);
  const qos: HostQos = {};
  for (const [name, curve] of Object.entries(out)) {
    const where = `${attr}.out.${name}`;
    if (!(CURVES as readonly string[]).includes(name)) throw new InvalidRequest(subject, `${where}: is not one of ls, ul, rt`);
    if (!isRecord(curve)) throw new InvalidRequest(subject, `${where}: ${JSON.stringify(curve)} is not an object`);
    for (const [key, v] of Object.entries(curve)) {
      if (key === 'm2') continue;
      // a two-piece curve (m1 for d µs) is hfsc's; htb has one rate
      if ((key === 'm1' || key === 'd') && (v === 0 || v === '0')) continue;
      throw new InvalidRequest(subject, `${where}.${key}: only m2 can be honoured (Open vSwitch's htb has no two-piece curves)`);
    }
    const m2 = curve['m2'];
    const n = typeof m2 === 'number' ? m2 : typeof m2 === 'string' && /^\d{1,12}$/.test(m2) ? Number(m2) : NaN;
    const max = name === 'ls' ? 1_000_000 : MAX_RATE;
    if (!(Number.isInteger(n) && n >= 1 && n <= max)) {
      throw new InvalidRequest(subject, `${where}.m2: ${JSON.stringify(m2)} is not an integer in 1-${max}`);
    }
    qos[name as (typeof CURVES)[number]] = n;
  }
  if (qos.ul !== undefined && qos.rt !== undefined && qos.rt > qos.ul) {
    throw new InvalidRequest(subject, `${attr}.out.rt.m2: ${qos.rt} is above the upper limit ul ${qos.ul}`);
  }
  return Object.keys(qos).length ? qos : undefined;
}

/** The network's queue on its uplink: its VLAN, 4095 (no VLAN can be) for untagged; queue 0 is everything else's. */
export const queueId = (vlan: number): number => (vlan === 0 ? 4095 : vlan);

/** OVS's linux-htb gives queue N the class 1:N+1, written in hex by tc. */
export const classOf = (queue: number): string => `1:${(queue + 1).toString(16)}`;

/** Queue other_config in OVS's terms. */
export function queueConfig(qos: HostQos): Map<string, string> {
  const config = new Map<string, string>();
  if (qos.rt !== undefined) config.set('min-rate', String(qos.rt));
  if (qos.ul !== undefined) config.set('max-rate', String(qos.ul));
  return config;
}

/** What a queue shapes, read back from its other_config and the recorded link share. */
export function queueQos(otherConfig: ReadonlyMap<string, string>, ls: number | undefined): HostQos {
  const qos: HostQos = {};
  if (ls !== undefined) qos.ls = ls;
  const rate = (key: string): number | undefined => {
    const v = otherConfig.get(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const ul = rate('max-rate');
  const rt = rate('min-rate');
  if (ul !== undefined) qos.ul = ul;
  if (rt !== undefined) qos.rt = rt;
  return qos;
}

/** For the log: `ul 50000000 rt 10000000 ls 20`. */
export function describeQos(qos: HostQos): string {
  return CURVES.filter((c) => qos[c] !== undefined).map((c) => `${c} ${qos[c]}`).join(' ');
}

/** As VDSM reports it: the curves present, each {m2}. */
export interface QosReport {
  out: Record<string, { m2: number }>;
}

export function reportQos(qos: HostQos): QosReport {
  const out: Record<string, { m2: number }> = {};
  for (const name of CURVES) if (qos[name] !== undefined) out[name] = { m2: qos[name]! };
  return { out };
}

// classic BPF: the ancillary loads of the skb's VLAN tag (SKF_AD_OFF + SKF_AD_VLAN_TAG / _PRESENT)
const LD_W_ABS = 0x20, LD_H_ABS = 0x28, JEQ_K = 0x15, JA = 0x05, AND_K = 0x54, RET_K = 0x06;
const VLAN_TCI = 0xfffff02c, VLAN_PRESENT = 0xfffff030, TPID_8021Q = 0x8100;

/**
 * The classifier of one VLAN (0: untagged) as cls_bpf bytecode, matching the
 * tag where either datapath leaves it: the userspace datapath writes frames
 * with the tag in-band (bytes 12-15), the kernel datapath carries it as skb
 * metadata. It returns -1 (the filter's class) on a match, 0 otherwise.
 */
export function vlanBytecode(vlan: number): string {
  const insns: [number, number, number, number][] = vlan === 0
    ? [
      [LD_W_ABS, 0, 0, VLAN_PRESENT],
      [JEQ_K, 0, 3, 0], // metadata tag: no match
      [LD_H_ABS, 0, 0, 12],
      [JEQ_K, 1, 0, TPID_8021Q], // in-band tag: no match
      [RET_K, 0, 0, 0xffffffff],
      [RET_K, 0, 0, 0],
    ]
    : [
      [LD_W_ABS, 0, 0, VLAN_PRESENT],
      [JEQ_K, 2, 0, 0], // no metadata tag: look in-band
      [LD_W_ABS, 0, 0, VLAN_TCI],
      [JA, 0, 0, 3],
      [LD_H_ABS, 0, 0, 12],
      [JEQ_K, 0, 4, TPID_8021Q],
      [LD_H_ABS, 0, 0, 14],
      [AND_K, 0, 0, 0x0fff],
      [JEQ_K, 0, 1, vlan],
      [RET_K, 0, 0, 0xffffffff],
      [RET_K, 0, 0, 0],
    ];
  return [String(insns.length), ...insns.map((i) => i.join(' '))].join(',');
}
