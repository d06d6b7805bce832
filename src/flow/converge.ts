/**
 * Bringing the host to a desired state: the running config with a request on
 * top. Every change goes this one way: before_network_setup (the VDSM
 * request), rollback (the snapshot's earlier entries as the request) and
 * restore (no request: the running config as it is).
 *   observe -> plan (pure planners) -> one ovs-vsctl transaction -> links
 *   (sysctls, ip, DHCP clients) -> running config -> resolv.conf, with the
 *   ifcfg files written from the transaction on, beside the rest
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildDesired, ovsNics, type DesiredState, type HostFacts } from '../model/desired.js';
import { OvsError } from '../runtime/errors.js';
import { checkpoint } from '../runtime/fault.js';
import { applyFileChanges } from '../host/files.js';
import type { HookContext } from '../vdsm/hook-io.js';
import { readDhcpClients, type DhcpClients } from '../host/dhcp.js';
import { readIpv6Confs, readKernelState, type KernelState } from '../host/kernel.js';
import {
  applyLinks, linkPlanSize, nicAddressesToFlush, nicsDown, NO_RESTORE, planLinks, renderLinks,
  type LinkPlan, type LinkRestore,
} from '../host/links.js';
import { ifcfgChanges, readIfcfgDir, renderIfcfg } from '../host/ifcfg.js';
import { planResolvConf, type ResolvPlan } from '../host/resolv.js';
import type { SnapshotInput } from './snapshot.js';
import { originalMtu, planTransaction, type TransactionPlan } from '../ovs/planner.js';
import { foreignNames, readOvsState, type OvsState } from '../ovs/state.js';
import type { HostPaths } from '../host/paths.js';
import type { OvsRequest } from '../vdsm/request.js';
import { entryWrites, readRunningConfig, type EntryChange, type EntryWrites, type RunningConfig } from '../vdsm/running-config.js';
import { renderTransaction, type Command, type Vsctl } from '../ovs/vsctl.js';

export interface Observed {
  running: RunningConfig;
  ovs: OvsState;
  kernel: KernelState;
  dhcp: DhcpClients;
}

export const NO_REQUEST: OvsRequest = { networks: new Map(), bonds: new Map() };

/**
 * OVS and the kernel read once each, side by side; the running config as read
 * already, or now. The probe of a transaction that may follow runs beside them.
 */
export async function observe(
  paths: HostPaths,
  vsctl: Vsctl,
  timeoutS: number,
  running: RunningConfig = readRunningConfig(paths),
): Promise<Observed> {
  vsctl.probeAhead();
  const [ovs, kernel] = await Promise.all([readOvsState(vsctl), readKernelState(timeoutS)]);
  return { running, ovs, kernel, dhcp: readDhcpClients(paths) };
}

export interface Plan {
  observed: Observed;
  desired: DesiredState;
  /** the running config entries the request sets or removes */
  changes: EntryChange[];
  transaction: TransactionPlan;
  /** the kernel changes as far as they are known before the transaction creates devices */
  links: LinkPlan;
  /** addresses of NICs OVS takes, flushed, and NICs it brings up: the snapshot keeps them for a rollback */
  flushed: Map<string, string[]>;
  broughtUp: string[];
  restore: LinkRestore;
  entries: EntryWrites;
  /** the ifcfg files of the desired state; foreign: devices whose ifcfg file is not the hook's (left alone) */
  ifcfg: EntryWrites & { foreign: string[] };
  resolv: ResolvPlan;
}

export function makePlan(
  paths: HostPaths,
  observed: Observed,
  request: OvsRequest,
  datapathType: string,
  earlier: Pick<LinkRestore, 'addresses' | 'down'> = NO_RESTORE,
): Plan {
  const { running, ovs, kernel } = observed;
  const { desired, changes } = buildDesired(running, request, hostFacts(observed));
  readIpv6Confs(kernel, desired.networks.values());
  const mtus = kernelMtus(kernel);
  const transaction = planTransaction(desired, ovs, mtus, datapathType);
  const restore = { ...earlier, mtu: transaction.restoreMtu };
  const origMtu = new Map<string, number>();
  for (const nic of ovsNics(desired)) {
    const mtu = originalMtu(ovs, mtus, nic);
    if (mtu !== undefined) origMtu.set(nic, mtu);
  }
  const ifcfg = renderIfcfg({ desired, datapathType, origMtu });
  return {
    observed,
    desired,
    changes,
    transaction,
    links: planLinks(desired, kernel, observed.dhcp, restore),
    flushed: nicAddressesToFlush(desired, kernel),
    broughtUp: nicsDown(desired, kernel),
    restore,
    entries: entryWrites(paths, running, changes),
    ifcfg: ifcfgChanges(paths.ifcfgDir, ifcfg, readIfcfgDir(paths.ifcfgDir)),
    resolv: planResolvConf(paths.resolvConf, desired),
  };
}

export function isNoop(plan: Plan): boolean {
  return plan.transaction.commands.length === 0 && linkPlanSize(plan.links) === 0 && plan.entries.files.length === 0
    && plan.ifcfg.files.length === 0 && plan.resolv.write === undefined;
}

/** What the snapshot must keep beyond running config entries: flushed NIC addresses, rewritten host files. */
export function snapshotInput(plan: Plan, deferred: SnapshotInput['deferred'] = []): SnapshotInput {
  const { write, was = null } = plan.resolv;
  return {
    deferred,
    changes: plan.changes,
    flushed: plan.flushed,
    broughtUp: plan.broughtUp,
    hostFiles: write ? [{ path: write.path, content: was }] : [],
  };
}

/** The plan as a person reads it, one command per line with why. */
export function renderPlan(plan: Plan): string[] {
  const { commands } = plan.transaction;
  return [
    ...(commands.length ? [`OVS transaction (${commands.length} commands):`, ...renderTransaction(commands)] : []),
    ...(linkPlanSize(plan.links) ? ['links:', ...renderLinks(plan.links)] : []),
    ...(plan.entries.labels.length ? [`running config: ${plan.entries.labels.join(', ')}`] : []),
    ...(plan.ifcfg.labels.length ? [`ifcfg files: ${plan.ifcfg.labels.join(', ')}`] : []),
    ...plan.ifcfg.foreign.map(foreignIfcfgLine),
    ...(plan.resolv.write ? [`${plan.resolv.write.path}: nameservers of the default-route network`] : []),
    ...(plan.resolv.skipped ? [plan.resolv.skipped] : []),
  ];
}

/**
 * Applies the plan: ONE ovs-vsctl transaction, then ip, then the running
 * config files; the ifcfg files beside all that; then resolv.conf.
 */
export async function applyPlan(ctx: HookContext, vsctl: Vsctl, plan: Plan): Promise<void> {
  const { paths, log } = ctx;
  checkpoint('transaction');
  // nothing is written before ovs-vswitchd answers: without it the transaction cannot land
  if (plan.transaction.commands.length) await vsctl.ready();
  // The ifcfg files are written while OVS works: their fsyncs go on in libuv's threads while
  // ovs-vsctl waits for ovs-vswitchd to create or delete devices (seconds at hundreds of
  // networks), instead of after it. They are rendered from the desired state already, and a
  // rollback rewrites them from the earlier one.
  const ifcfgWritten = applyFileChanges(plan.ifcfg.files);
  try {
    await applyOvsAndLinks(ctx, vsctl, plan);
  } catch (err) {
    // a rollback re-reads the directory: no write of this change may land after that
    await ifcfgWritten.catch(() => undefined);
    throw err;
  }
  await ifcfgWritten;
  if (plan.ifcfg.labels.length) log.info(`ifcfg files (${bootPersistence(paths)}): ${plan.ifcfg.labels.join(', ')}`);
  for (const dev of plan.ifcfg.foreign) log.warn(foreignIfcfgLine(dev));
  if (plan.resolv.skipped) log.warn(plan.resolv.skipped);
  if (plan.resolv.write) {
    await applyFileChanges([plan.resolv.write]);
    log.info(`${plan.resolv.write.path}: nameservers written`);
  }
}

/** The transaction, then the kernel (sysctls, ip, DHCP clients), then the running config. */
async function applyOvsAndLinks({ paths, config, log }: HookContext, vsctl: Vsctl, plan: Plan): Promise<void> {
  const { commands } = plan.transaction;
  const replan = (ovs: OvsState): Command[] =>
    planTransaction(plan.desired, ovs, kernelMtus(plan.observed.kernel), config.datapathType).commands;
  if (commands.length === 0) {
    log.info('OVS: no changes');
  } else {
    log.info(`OVS transaction (${commands.length} commands):\n${renderTransaction(commands).join('\n')}`);
    await transactOrConverged(vsctl, commands, async () => replan(await readOvsState(vsctl)).length === 0, log);
  }
  checkpoint('links');
  // devices the transaction created (or whose MTU or datapath it set) exist so only now
  const links = commands.every(keepsKernelDevices)
    ? plan.links
    : planLinks(plan.desired, readIpv6Confs(await readKernelState(config.timeout), plan.desired.networks.values()), plan.observed.dhcp, plan.restore);
  if (linkPlanSize(links) === 0) log.info('links: no changes');
  else log.info(`links:\n${renderLinks(links).join('\n')}`);
  for (const run of await applyLinks(paths, config.dhcp, links, config.timeout)) {
    log.info(`network ${run.dev}: DHCPv${run.family} client ${run.client} runs (pid ${run.pid})`);
  }
  checkpoint('save');
  await applyFileChanges(plan.entries.files);
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

/** VLAN tags, bond modes, STP, marks and OVN's bridge mappings: OVS columns that create, remove or change no kernel device. */
function keepsKernelDevices({ args: [verb, table, ...rest] }: Command): boolean {
  if (table === 'Open_vSwitch') return verb === 'set' || verb === 'remove';
  return verb === 'set' && (table === 'Port' || (table === 'Bridge' && !rest.some((a) => a.startsWith('datapath_type='))));
}

function kernelMtus(kernel: KernelState): Map<string, number> {
  return new Map([...kernel.links.values()].map((l) => [l.name, l.mtu]));
}

function foreignIfcfgLine(dev: string): string {
  return `ifcfg-${dev} was not written by the hook: left as it is (at boot it configures ${dev} as it says, OVS keeps the port)`;
}

/** Which mechanism brings the networks back at boot, for the log and 'vdsm-ovs show'. */
export function bootPersistence(paths: { ifcfgDir: string }): string {
  return existsSync(join(paths.ifcfgDir, 'ifup-ovs'))
    ? "network-scripts with ifup-ovs: the ifcfg files bring the networks back at boot"
    : "no network-scripts ifup-ovs (NetworkManager ignores the OVS keys): the ifcfg files are a record, " +
      'vdsm-hook-ovs-restore.service brings the networks back at boot';
}

/** What validation needs to know of the host, from what was observed. */
export function hostFacts({ ovs, kernel }: Pick<Observed, 'ovs' | 'kernel'>): HostFacts {
  return { links: new Set(kernel.links.keys()), foreignOvs: foreignNames(ovs), ownDevices: ownDevices(ovs) };
}

/** Kernel devices that are the hook's own OVS internal ports (networks, bridges). */
function ownDevices(state: OvsState): Set<string> {
  return new Set(
    [...state.interfaces.values()].filter((i) => i.role === 'network' || i.role === 'bridge').map((i) => i.name),
  );
}
