/**
 * after_get_caps / after_get_stats. VDSM runs them every few seconds, as its
 * own user, and waits for them: they never fail the call and never flood the
 * log. Whatever goes wrong (OVS absent, stopped or slow, a bad running
 * config entry) leaves the document as complete as can be known without it,
 * and is logged once, when it starts and when it ends, not on every call.
 * Caps also name the host's OVN chassis (Open_vSwitch's system-id), on any
 * host whose OVS answers, with or without OVS networks of the hook.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readActiveSlaves } from '../ovs/bond-show.js';
import { capsAdditions, mergeCaps, type HostView, type Owned } from '../vdsm/caps.js';
import { withBindingHostId } from '../ovn/caps.js';
import { describe, InvalidRequest } from '../runtime/errors.js';
import type { HookContext, JsonHandler } from '../vdsm/hook-io.js';
import { readKernelState, type KernelState } from '../host/kernel.js';
import { readOvsState, type OvsState } from '../ovs/state.js';
import { scanOwned } from '../vdsm/owned.js';
import { runningEntries } from '../vdsm/running-config.js';
import { statsAdditions, type LinkStats } from '../vdsm/stats.js';
import { isRecord } from '../model/values.js';
import { Vsctl } from '../ovs/vsctl.js';

/** Seconds a report waits for OVS: a slow OVS must not hold up getCapabilities. */
export const REPORT_TIMEOUT_S = 2;

/** What a report adds, and the host reads it needs (started by the first OVS entry found, see reportHook). */
interface Report {
  /** Starts the reads an OVS entry of this kind needs, once; true when it started any. */
  need?(kind: 'network' | 'bond'): boolean;
  /** The additions (owned may be empty: the report decides what it adds then). */
  add(doc: Record<string, unknown>, owned: Owned, problems: string[]): Promise<Record<string, unknown>>;
}

function reportHook(hook: string, report: () => Report): JsonHandler {
  return async (doc, ctx) => {
    if (!isRecord(doc)) throw new InvalidRequest('hook input', 'is not a JSON object');
    const problems: string[] = [];
    let out = doc;
    try {
      const { need, add } = report();
      const owned: Owned = { networks: [], bonds: [] };
      for (const kind of scanOwned(runningEntries(ctx.paths), owned, problems)) {
        // one turn of the event loop sends the reads (execa loads, the commands start, the socket
        // connects), which then go on while the rest of the running config is read: ~1000 files
        if (need?.(kind)) await ioTurn();
      }
      out = await add(doc, owned, problems);
    } catch (err) {
      problems.push(`nothing added: ${describe(err)}`);
    }
    noteProblems(ctx, hook, problems);
    return out;
  };
}

const ioTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const afterGetCaps = reportHook('after_get_caps', () => {
  const reads = new HostReads();
  return {
    need: (kind) => reads.start(kind),
    add: async (caps, owned, problems) => {
      if (!owned.networks.length && !owned.bonds.length) {
        // an OVN chassis needs no OVS network of the hook; OVS may be absent on such a host: no problem to log
        const ovs = await reads.ovsOnly();
        return ovs ? withBindingHostId(caps, ovs.systemIds) : caps;
      }
      const view = await reads.view(problems);
      if (!view) return caps;
      const merged = mergeCaps(caps, capsAdditions(owned, view));
      return view.ovs ? withBindingHostId(merged, view.ovs.systemIds) : merged;
    },
  };
});

export const afterGetStats = reportHook('after_get_stats', () => ({
  add: async (stats, owned) => {
    const network = stats['network'];
    if (!isRecord(network) || (!owned.networks.length && !owned.bonds.length)) return stats;
    const links = network as Record<string, LinkStats>;
    return { ...stats, network: { ...links, ...statsAdditions(owned, links) } };
  },
}));

/**
 * OVS, the kernel and the bonds read side by side, once each whatever the
 * number of networks: OVS and the kernel from the first OVS entry on, the
 * bonds from the first OVS bond on.
 */
class HostReads {
  private readonly vsctl = new Vsctl(REPORT_TIMEOUT_S, process.getuid?.() !== 0);
  private ovs?: Promise<PromiseSettledResult<OvsState>>;
  private kernel?: Promise<PromiseSettledResult<KernelState>>;
  private bonds?: Promise<PromiseSettledResult<Map<string, string>>>;

  start(kind: 'network' | 'bond'): boolean {
    const starts = this.ovs === undefined || (kind === 'bond' && this.bonds === undefined);
    this.ovs ??= settled(readOvsState(this.vsctl));
    this.kernel ??= settled(readKernelState(REPORT_TIMEOUT_S));
    if (kind === 'bond') this.bonds ??= settled(readActiveSlaves(this.vsctl));
    return starts;
  }

  /** OVS alone, when it answers. */
  async ovsOnly(): Promise<OvsState | undefined> {
    this.ovs ??= settled(readOvsState(this.vsctl));
    const ovs = await this.ovs;
    return ovs.status === 'fulfilled' ? ovs.value : undefined;
  }

  async view(problems: string[]): Promise<HostView | undefined> {
    this.start('network');
    const noBonds: PromiseSettledResult<Map<string, string>> = { status: 'fulfilled', value: new Map() };
    const [ovs, kernel, bonds] = await Promise.all([this.ovs!, this.kernel!, this.bonds ?? noBonds]);
    if (kernel.status === 'rejected') {
      problems.push(`nothing added: ${describe(kernel.reason)}`);
      return undefined;
    }
    const view: HostView = { kernel: kernel.value };
    if (bonds.status === 'fulfilled') view.activeSlaves = bonds.value;
    // OVS absent or down is one fact, one line: the bonds' failure says nothing more then
    if (ovs.status === 'fulfilled') view.ovs = ovs.value;
    else problems.push(`${describe(ovs.reason)}; reporting from the running config and the kernel only`);
    if (ovs.status === 'fulfilled' && bonds.status === 'rejected') {
      problems.push(`${describe(bonds.reason)}; bonds reported without an active slave`);
    }
    return view;
  }
}

/** The promise's outcome, never a rejection: a read started early must not reject unobserved. */
const settled = <T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> =>
  promise.then((value) => ({ status: 'fulfilled', value }), (reason: unknown) => ({ status: 'rejected', reason }));

/** Logs a problem when it first appears and when it is gone, remembering between calls in reportDir. */
function noteProblems(ctx: HookContext, hook: string, problems: string[]): void {
  const file = join(ctx.paths.reportDir, hook);
  let before: string[] = [];
  try {
    before = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    // nothing remembered: every problem is new
  }
  const now = [...new Set(problems)];
  const appeared = now.filter((p) => !before.includes(p));
  const gone = before.filter((p) => !now.includes(p));
  for (const p of appeared) ctx.log.warn(`${p} (logged once, until it changes)`);
  for (const p of gone) ctx.log.info(`resolved: ${p}`);
  if (!appeared.length && !gone.length) return;
  try {
    if (now.length) {
      mkdirSync(ctx.paths.reportDir, { recursive: true });
      writeFileSync(file, now.map((p) => `${p}\n`).join(''));
    } else {
      rmSync(file, { force: true });
    }
  } catch (err) {
    ctx.log.warn(`cannot remember what was logged, in ${file}: ${(err as Error).message}`);
  }
}
