/**
 * The classifiers that put each shaping network's frames into its htb class.
 * OVS creates the htb qdisc (1:) and a class per queue on every interface of
 * an uplink port with QoS, but in the userspace datapath its set_queue never
 * reaches the kernel: a cls_bpf filter per queue on that qdisc picks the
 * class by VLAN. Filters survive queue edits, add-port and ovs-vswitchd
 * restarts, not a new qdisc: each run reads them back and puts back what is
 * missing. Planned purely from the desired state and the filters read;
 * applied as one `tc -batch`.
 */
import type { DesiredState } from '../model/desired.js';
import { classOf, queueId, vlanBytecode } from '../model/host-qos.js';
import { HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';
import type { Command } from '../ovs/vsctl.js';

/** the preference of the hook's filters on the qdisc */
const PREF = 10;

export interface TcFilter {
  handle: number;
  classid: string;
  bytecode: string;
}

/** device -> the hook's filters (preference PREF) on its qdisc 1: */
export type TcFilters = Map<string, TcFilter[]>;

/** The devices whose egress the desired state shapes, with the VLANs (0: untagged) of their shaping networks. */
export function shapedDevices(desired: DesiredState): Map<string, number[]> {
  const devs = new Map<string, number[]>();
  for (const net of desired.networks.values()) {
    if (!net.hostQos) continue;
    const up = net.uplink;
    for (const dev of up.kind === 'nic' ? [up.name] : desired.bonds.get(up.name)!.nics) {
      devs.set(dev, [...(devs.get(dev) ?? []), net.vlan]);
    }
  }
  return devs;
}

/** The filters on the devices' qdiscs (none where a device has no qdisc 1: yet), read side by side. */
export async function readTcFilters(devs: Iterable<string>, timeoutS: number): Promise<TcFilters> {
  const read = async (dev: string): Promise<[string, TcFilter[]]> => {
    const r = await run('tc', ['-j', 'filter', 'show', 'dev', dev, 'parent', '1:'], { timeoutMs: timeoutS * 1000 });
    if (r.exitCode !== 0) throw new HostError(`tc filter show dev ${dev}`, `reading the classifiers failed: ${firstLine(r.stderr)}`);
    return [dev, parseTcFilters(r.stdout)];
  };
  return new Map(await Promise.all([...devs].map(read)));
}

interface TcJson {
  pref?: number;
  kind?: string;
  options?: { handle?: string; flowid?: string; bytecode?: { length: number; insns: { code: number; jt: number; jf: number; k: number }[] } };
}

export function parseTcFilters(json: string): TcFilter[] {
  const rows = (json.trim() ? JSON.parse(json) : []) as TcJson[];
  return rows.flatMap(({ pref, kind, options: o }) => {
    if (pref !== PREF || kind !== 'bpf' || !o?.handle || !o.bytecode) return [];
    const insns = o.bytecode.insns.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`);
    return [{ handle: Number(o.handle), classid: o.flowid ?? '', bytecode: [String(o.bytecode.length), ...insns].join(',') }];
  });
}

/** tc commands (without `tc`) making each shaped device's filters what the desired state needs. */
export function planTc(desired: DesiredState, filters: TcFilters): Command[] {
  const commands: Command[] = [];
  for (const [dev, vlans] of shapedDevices(desired)) {
    const seen = filters.get(dev) ?? [];
    const wanted = new Set<number>();
    for (const vlan of vlans) {
      const queue = queueId(vlan);
      const want: TcFilter = { handle: queue + 1, classid: classOf(queue), bytecode: vlanBytecode(vlan) };
      wanted.add(want.handle);
      const was = seen.find((f) => f.handle === want.handle);
      if (was && was.classid === want.classid && was.bytecode === want.bytecode) continue;
      commands.push({
        why: `${dev}: frames of ${vlan ? `VLAN ${vlan}` : 'the untagged network'} into htb class ${want.classid}`,
        args: ['filter', 'replace', 'dev', dev, 'parent', '1:', 'pref', String(PREF), 'handle', hex(want.handle), 'protocol', 'all',
          'bpf', 'bytecode', want.bytecode, 'classid', want.classid],
      });
    }
    for (const f of seen.filter((f) => !wanted.has(f.handle))) {
      commands.push({
        why: `${dev}: class ${f.classid} has no network any more`,
        args: ['filter', 'del', 'dev', dev, 'parent', '1:', 'pref', String(PREF), 'handle', hex(f.handle), 'protocol', 'all', 'bpf'],
      });
    }
  }
  return commands;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The commands as a person reads them, with why. */
export function renderTc(commands: Command[]): string[] {
  return commands.map((c) => `tc ${c.args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}   # ${c.why}`);
}
