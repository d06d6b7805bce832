/**
 * Bringing the host to a desired state: the running config with a request on
 * top. Every change goes this one way: before_network_setup (the VDSM
 * request), rollback (the snapshot's earlier entries as the request) and
 * restore (no request: the running config as it is).
 *   observe -> plan (pure planners) -> one ovs-vsctl transaction -> ip -> files
 */
import { buildDesired, type DesiredState } from './desired.js';
import { OvsError } from './errors.js';
import { checkpoint } from './fault.js';
import { applyFileChanges } from './files.js';
import type { HookContext } from './hook-io.js';
import { readKernelState, type KernelState } from './kernel.js';
import { applyLinks, planLinks, renderLinks } from './links.js';
import { planTransaction, type TransactionPlan } from './planner.js';
import { foreignNames, readOvsState, type OvsState } from './ovs-state.js';
import type { HostPaths } from './paths.js';
import type { OvsRequest } from './request.js';
import { entryWrites, readRunningConfig, type EntryChange, type EntryWrites, type RunningConfig } from './running-config.js';
import { renderTransaction, type Command, type Vsctl } from './vsctl.js';

export interface Observed {
  running: RunningConfig;
  ovs: OvsState;
  kernel: KernelState;
}

export const NO_REQUEST: OvsRequest = { networks: new Map(), bonds: new Map() };

/** OVS and the kernel read once each, side by side; the running config as read already, or now. */
export async function observe(
  paths: HostPaths,
  vsctl: Vsctl,
  timeoutS: number,
  running: RunningConfig = readRunningConfig(paths),
): Promise<Observed> {
  const [ovs, kernel] = await Promise.all([readOvsState(vsctl), readKernelState(timeoutS)]);
  return { running, ovs, kernel };
}

export interface Plan {
  observed: Observed;
  desired: DesiredState;
  /** the running config entries the request sets or removes */
  changes: EntryChange[];
  transaction: TransactionPlan;
  /** the ip commands as far as they are known before the transaction creates devices */
  links: Command[];
  entries: EntryWrites;
}

export function makePlan(paths: HostPaths, observed: Observed, request: OvsRequest, datapathType: string): Plan {
  const { running, ovs, kernel } = observed;
  const { desired, changes } = buildDesired(running, request, {
    links: new Set(kernel.links.keys()),
    foreignOvs: foreignNames(ovs),
    ownDevices: ownDevices(ovs),
  });
  const transaction = planTransaction(desired, ovs, kernelMtus(kernel), datapathType);
  return {
    observed,
    desired,
    changes,
    transaction,
    links: planLinks(desired, kernel, transaction.restoreMtu),
    entries: entryWrites(paths, changes),
  };
}

export function isNoop(plan: Plan): boolean {
  return plan.transaction.commands.length === 0 && plan.links.length === 0 && plan.entries.files.length === 0;
}

/** The plan as a person reads it, one command per line with why. */
export function renderPlan(plan: Plan): string[] {
  const { commands } = plan.transaction;
  return [
    ...(commands.length ? [`OVS transaction (${commands.length} commands):`, ...renderTransaction(commands)] : []),
    ...(plan.links.length ? ['links:', ...renderLinks(plan.links)] : []),
    ...(plan.entries.labels.length ? [`running config: ${plan.entries.labels.join(', ')}`] : []),
  ];
}

/** Applies the plan: ONE ovs-vsctl transaction, then ip, then the running config files. */
export async function applyPlan({ config, log }: HookContext, vsctl: Vsctl, plan: Plan): Promise<void> {
  const { commands } = plan.transaction;
  const replan = (ovs: OvsState): Command[] =>
    planTransaction(plan.desired, ovs, kernelMtus(plan.observed.kernel), config.datapathType).commands;
  checkpoint('transaction');
  if (commands.length === 0) {
    log.info('OVS: no changes');
  } else {
    log.info(`OVS transaction (${commands.length} commands):\n${renderTransaction(commands).join('\n')}`);
    await transactOrConverged(vsctl, commands, async () => replan(await readOvsState(vsctl)).length === 0, log);
  }
  checkpoint('links');
  // devices the transaction created exist only now
  const links = commands.length === 0
    ? plan.links
    : planLinks(plan.desired, await readKernelState(config.timeout), plan.transaction.restoreMtu);
  if (links.length === 0) log.info('links: no changes');
  else log.info(`links:\n${renderLinks(links).join('\n')}`);
  await applyLinks(links, config.timeout);
  checkpoint('save');
  applyFileChanges(plan.entries.files);
  const saved = plan.entries.labels;
  log.info(saved.length ? `running config saved: ${saved.join(', ')}` : 'running config: no changes');
}

/**
 * A timeout does not tell whether OVS took the transaction (a large removal
 * in the userspace datapath outlasts a short timeout after the commit): the
 * DB, re-read and re-planned, does.
 */
async function transactOrConverged(
  vsctl: Vsctl,
  commands: Command[],
  converged: () => Promise<boolean>,
  log: HookContext['log'],
): Promise<void> {
  try {
    await vsctl.transact(commands);
  } catch (err) {
    if (!(err instanceof OvsError) || !err.timedOut) throw err;
    // a re-read that fails too (OVS hung) must not hide the first error
    if (!(await converged().catch(() => false))) throw err;
    log.warn(`${err.line}; the OVS database holds the requested state all the same, carrying on`);
  }
}

function kernelMtus(kernel: KernelState): Map<string, number> {
  return new Map([...kernel.links.values()].map((l) => [l.name, l.mtu]));
}

/** Kernel devices that are the hook's own OVS internal ports (networks, bridges). */
function ownDevices(state: OvsState): Set<string> {
  return new Set(
    [...state.interfaces.values()].filter((i) => i.role === 'network' || i.role === 'bridge').map((i) => i.name),
  );
}
