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
import { buildDesired, ovsNics, uplinkMacs, type DesiredState, type HostFacts, type Leftover } from '../model/desired.js';
import { OvsError } from '../runtime/errors.js';
import { checkpoint } from '../runtime/fault.js';
import { applyFileChanges } from '../host/files.js';
import type { HookContext } from '../vdsm/hook-io.js';
import { readDhcpClients, type DhcpClients } from '../host/dhcp.js';
import { readIpv6Confs, readKernelState, type KernelState } from '../host/kernel.js';
import { planTc, readTcFilters, renderTc, shapedDevices, type TcFilters } from '../host/tc.js';
import {
  applyBatch, applyLinks, leftoverCommands, linkPlanSize, nicAddressesToFlush, nicsDown, NO_RESTORE, planLinks, removeLeftovers, renderLeftovers,
  renderLinks,
  type LinkPlan, type LinkRestore,
} from '../host/links.js';
import { ifcfgChanges, ifcfgSet, readIfcfgDir, renderIfcfg, renderRouteFiles } from '../host/ifcfg.js';
import { planResolvConf, type ResolvPlan } from '../host/resolv.js';
import { applyNat, natPlanSize, planNat, readNat, type NatObserved, type NatPlan } from '../host/nat.js';
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
  /** the hook's classifiers on the interfaces of uplink ports that carry its QoS */
  tc: TcFilters;
  nat: NatObserved;
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
  return observeOnly(paths, vsctl, timeoutS, running);
}

/**
 * The same reads for a command that changes nothing (vdsm-ovs show, plan):
 * no probe of ovs-vswitchd, which such a command needs no answer from, and
 * which would keep it waiting for a hung daemon's timeout.
 */
export async function observeOnly(
  paths: HostPaths,
  vsctl: Vsctl,
  timeoutS: number,
  running: RunningConfig = readRunningConfig(paths),
): Promise<Observed> {
  const [ovs, kernel, nat] = await Promise.all([
    readOvsState(vsctl), readKernelState(timeoutS, { kinds: true }), readNat(paths.stateDir, timeoutS),
  ]);
  const tc = await readTcFilters(shapedByOvs(ovs), timeoutS);
  return { running, ovs, kernel, dhcp: readDhcpClients(paths), tc, nat };
}

/** Interfaces of the hook's uplink ports that carry its QoS: only they can hold its classifiers. */
function shapedByOvs(ovs: OvsState): string[] {
  return [...ovs.ports.values()]
    .filter((p) => (p.role === 'uplink' || p.role === 'bond') && p.qos && ovs.qos.get(p.qos)?.role === 'qos')
    .flatMap((p) => p.interfaces);
}

export interface Plan {
  observed: Observed;
  desired: DesiredState;
  /** the running config entries the request sets or removes */
  changes: EntryChange[];
  /** devices of the hook's that Open vSwitch left behind: removed before the transaction */
  leftovers: Leftover[];
  transaction: TransactionPlan;
  /** the kernel changes as far as they are known before the transaction creates devices */
  links: LinkPlan;
  /** tc commands: the classifiers of the shaping networks, as far as known before the transaction (re)creates qdiscs */
  tc: Command[];
  /** addresses of NICs OVS takes, flushed, and NICs it brings up: the snapshot keeps them for a rollback */
  flushed: Map<string, string[]>;
  broughtUp: string[];
  restore: LinkRestore;
  entries: EntryWrites;
  /** the ifcfg files (ifcfg-, route-, rule-) of the desired state; foreign: those of its files there that are not the hook's (left alone) */
  ifcfg: EntryWrites & { foreign: string[] };
  resolv: ResolvPlan;
  /** the NAT forwarder's nftables table and ip_forward */
  nat: NatPlan;
}

export function makePlan(
  paths: HostPaths,
  observed: Observed,
  request: OvsRequest,
  datapathType: string,
  earlier: Pick<LinkRestore, 'addresses' | 'down'> = NO_RESTORE,
): Plan {
  const { running, ovs, kernel } = observed;
  const { desired, changes, leftovers } = buildDesired(running, request, hostFacts(observed));
  readIpv6Confs(kernel, desired.networks.values());
  const transaction = planTransaction(desired, ovs, kernel.links, datapathType);
  const restore = { ...earlier, mtu: transaction.restoreMtu };
  const origMtu = new Map<string, number>();
  for (const nic of ovsNics(desired)) {
    const mtu = originalMtu(ovs, kernel.links, nic);
    if (mtu !== undefined) origMtu.set(nic, mtu);
  }
  const uplinkMac = uplinkMacs(desired, (dev) => kernel.links.get(dev)?.mac);
  const ifcfg = renderIfcfg({ desired, datapathType, origMtu, uplinkMac });
  return {
    observed,
    desired,
    changes,
    leftovers,
    transaction,
    links: planLinks(desired, kernel, observed.dhcp, restore, rebuiltNames(leftovers)),
    tc: planTc(desired, observed.tc),
    flushed: nicAddressesToFlush(desired, kernel),
    broughtUp: nicsDown(desired, kernel),
    restore,
    entries: entryWrites(paths, running, changes),
    ifcfg: ifcfgChanges(paths.ifcfgDir, ifcfgSet(ifcfg, renderRouteFiles(desired)), readIfcfgDir(paths.ifcfgDir)),
    resolv: planResolvConf(paths.resolvConf, desired),
    nat: planNat(desired, observed.nat),
  };
}

export function isNoop(plan: Plan): boolean {
  return plan.leftovers.length === 0 && plan.transaction.commands.length === 0 && linkPlanSize(plan.links) === 0
    && plan.tc.length === 0 && plan.entries.files.length === 0
    && plan.ifcfg.files.length === 0 && plan.resolv.write === undefined && natPlanSize(plan.nat) === 0;
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
    ...(plan.leftovers.length ? ['devices Open vSwitch left behind:', ...renderLeftovers(plan.leftovers)] : []),
    ...(commands.length ? [`OVS transaction (${commands.length} commands):`, ...renderTransaction(commands)] : []),
    ...(linkPlanSize(plan.links) ? ['links:', ...renderLinks(plan.links)] : []),
    ...(plan.tc.length ? ['classifiers:', ...renderTc(plan.tc)] : []),
    ...plan.nat.why.map((why) => `nat: ${why}`),
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
  for (const file of plan.ifcfg.foreign) log.warn(foreignIfcfgLine(file));
  if (plan.resolv.skipped) log.warn(plan.resolv.skipped);
  if (plan.resolv.write) {
    await applyFileChanges([plan.resolv.write]);
    log.info(`${plan.resolv.write.path}: nameservers written`);
  }
}

/** The devices OVS left behind, the transaction, then the kernel (sysctls, ip, DHCP clients), then the running config. */
async function applyOvsAndLinks({ paths, config, log }: HookContext, vsctl: Vsctl, plan: Plan): Promise<void> {
  const { commands } = plan.transaction;
  if (plan.leftovers.length) {
    // Before the transaction, which would otherwise adopt the stale device. Nothing of a leftover
    // is kept for a rollback: no OVS port backs it, so it carries no traffic, and what it held
    // (addresses, up) is the running config's, which the rebuild puts back. A failure from here
    // on leaves the host consistent all the same: a rollback (or the next restore) plans from
    // the running config again and builds these devices like any missing one.
    for (const c of leftoverCommands(plan.leftovers)) log.info(`${c.why}: ip ${c.args.join(' ')}`);
    await removeLeftovers(plan.leftovers, config.timeout);
  }
  const replan = (ovs: OvsState): Command[] =>
    planTransaction(plan.desired, ovs, plan.observed.kernel.links, config.datapathType).commands;
  if (commands.length === 0) {
    log.info('OVS: no changes');
  } else {
    log.info(`OVS transaction (${commands.length} commands):\n${renderTransaction(commands).join('\n')}`);
    await transactOrConverged(vsctl, commands, async () => replan(await readOvsState(vsctl)).length === 0, log);
  }
  checkpoint('links');
  // devices the transaction created (or whose MTU or datapath it set) exist so only now
  const links = plan.leftovers.length === 0 && commands.every(keepsKernelDevices)
    ? plan.links
    : planLinks(
      plan.desired, readIpv6Confs(await readKernelState(config.timeout), plan.desired.networks.values()),
      plan.observed.dhcp, plan.restore, rebuiltNames(plan.leftovers),
    );
  if (linkPlanSize(links) === 0) log.info('links: no changes');
  else log.info(`links:\n${renderLinks(links).join('\n')}`);
  for (const run of await applyLinks(paths, config.dhcp, links, config.timeout)) {
    log.info(`network ${run.dev}: DHCPv${run.family} client ${run.client} runs (pid ${run.pid})`);
  }
  // a transaction may have (re)created the qdiscs the classifiers hang on: read them again
  const shaped = shapedDevices(plan.desired);
  const tc = commands.length && shaped.size ? planTc(plan.desired, await readTcFilters(shaped.keys(), config.timeout)) : plan.tc;
  if (tc.length) log.info(`classifiers:\n${renderTc(tc).join('\n')}`);
  await applyBatch('tc', tc, config.timeout);
  if (plan.nat.why.length) log.info(`nat:\n${plan.nat.why.join('\n')}`);
  await applyNat(paths.stateDir, plan.nat, config.timeout);
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

const rebuiltNames = (leftovers: Leftover[]): Set<string> => new Set(leftovers.filter((l) => l.rebuilt).map((l) => l.name));

function foreignIfcfgLine(file: string): string {
  const dev = file.slice(file.indexOf('-') + 1);
  return `${file} was not written by the hook: left as it is (at boot it configures ${dev} as it says, OVS keeps the port)`;
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
  const links = [...kernel.links.values()];
  const facts: HostFacts = {
    links: new Set(kernel.links.keys()),
    linkKinds: new Map(links.flatMap((l) => (l.kind ? [[l.name, l.kind] as const] : []))),
    // the kind an OVS internal port of the userspace datapath leaves behind, which OVS no longer names
    strayTaps: new Set(links.filter((l) => l.kind === 'tap' && l.persistent && !ovs.interfaces.has(l.name)).map((l) => l.name)),
    foreignOvs: foreignNames(ovs),
    ownDevices: ownDevices(ovs),
    ipv4: new Map(links.map((l) => [l.name, l.ipv4])),
    mtus: new Map(links.map((l) => [l.name, l.mtu])),
  };
  if (kernel.defaultRoute) facts.defaultDev = kernel.defaultRoute.dev;
  return facts;
}

/** Kernel devices that are the hook's own OVS internal ports (networks, bridges). */
function ownDevices(state: OvsState): Set<string> {
  return new Set(
    [...state.interfaces.values()].filter((i) => i.role === 'network' || i.role === 'bridge').map((i) => i.name),
  );
}
