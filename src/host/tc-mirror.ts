/**
 * VDSM's own port mirroring, neutralised. VDSM mirrors a network by tc on the
 * netdev named after it (lib/vdsm/network/tc: a u32 filter "match u8 0 0"
 * with one `mirred egress mirror dev TAP` action per mirroring NIC, on the
 * ingress qdisc and on the root qdisc). For an OVS network that device is the
 * host's internal port: tc copies the host's own frames (and whatever OVS
 * floods to it), which the OVS mirror copies already. The actions aimed at a
 * tap the hook mirrors to are taken out of those filters, as VDSM's own
 * unsetPortMirroring would, so that each frame reaches the VM once; the
 * qdiscs and the promiscuous flag stay for VDSM to remove.
 */
import { HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';

/** A u32 filter with mirred actions, as VDSM makes them. */
export interface MirredFilter {
  pref: number;
  /** the u32 node handle, e.g. 800::800 */
  handle: string;
  /** the mirred actions' target devices, in order */
  targets: string[];
}

const INGRESS = 'ffff:';

/** Filters with mirred actions in `tc -j filter show` output. Pure. */
export function parseMirredFilters(json: string): MirredFilter[] {
  const entries = JSON.parse(json || '[]') as { pref?: number; kind?: string; options?: { fh?: string; actions?: { kind?: string; to_dev?: string }[] } }[];
  return entries.flatMap((e) => {
    const actions = e.options?.actions ?? [];
    if (e.kind !== 'u32' || !e.options?.fh || actions.length === 0 || typeof e.pref !== 'number') return [];
    return [{ pref: e.pref, handle: e.options.fh, targets: actions.filter((a) => a.kind === 'mirred' && a.to_dev).map((a) => a.to_dev!) }];
  });
}

/** The root qdisc's handle in `tc -j qdisc show dev D root` output, when it is one filters can hang on. Pure. */
export function parseRootHandle(json: string): string | undefined {
  const root = (JSON.parse(json || '[]') as { handle?: string; root?: boolean }[]).find((q) => q.root);
  return root?.handle && root.handle !== '0:' ? root.handle : undefined;
}

/**
 * The tc commands taking `tap` out of the filters on one parent of `dev`:
 * a filter left without targets is deleted, one with other targets is
 * replaced by the same filter with only those. Pure.
 */
export function stripCommands(dev: string, parent: string, filters: MirredFilter[], tap: string): string[][] {
  return filters.filter((f) => f.targets.includes(tap)).map((f) => {
    const rest = f.targets.filter((t) => t !== tap);
    if (rest.length === 0) return ['filter', 'del', 'dev', dev, 'parent', parent, 'pref', String(f.pref)];
    return ['filter', 'replace', 'dev', dev, 'parent', parent, 'pref', String(f.pref), 'handle', f.handle, 'protocol', 'all',
      'u32', 'match', 'u8', '0', '0', ...rest.flatMap((t) => ['action', 'mirred', 'egress', 'mirror', 'dev', t])];
  });
}

async function tc(args: string[], timeoutMs: number): Promise<string> {
  const r = await run('tc', args, { timeoutMs });
  if (r.exitCode !== 0) throw new HostError(`tc ${args.slice(0, 4).join(' ')}`, firstLine(r.stderr) || `exit code ${r.exitCode}`);
  return r.stdout;
}

/** Which of VDSM's two copies (ingress, root) of `dev` to `tap` were found and taken out in one pass. */
export interface StripResult {
  ingress: boolean;
  egress: boolean;
}

/** One pass: VDSM's mirred actions from `dev` to `tap`, taken out where they are now. */
export async function stripVdsmCopies(dev: string, tap: string, timeoutS: number): Promise<StripResult> {
  const ms = timeoutS * 1000;
  const result: StripResult = { ingress: false, egress: false };
  const root = parseRootHandle(await tc(['-j', 'qdisc', 'show', 'dev', dev, 'root'], ms));
  for (const [parent, side] of [[INGRESS, 'ingress'], ...(root ? [[root, 'egress']] : [])] as [string, keyof StripResult][]) {
    const shown = await tc(['-j', 'filter', 'show', 'dev', dev, 'parent', parent], ms).catch(() => '[]');
    const commands = stripCommands(dev, parent, parseMirredFilters(shown), tap);
    for (const args of commands) await tc(args, ms);
    result[side] = commands.length > 0;
  }
  return result;
}
