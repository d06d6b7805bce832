/**
 * before_network_setup: the data flow of DESIGN.md.
 * settle the last change -> validate -> split -> observe -> plan -> snapshot
 * -> apply (one ovs-vsctl transaction, links, files) -> hand the rest to
 * VDSM. A failure after the snapshot rolls the host back before exit 2.
 */
import { applyPlan, hostFacts, isNoop, makePlan, observe, snapshotInput, type Observed } from './converge.js';
import { buildDesired } from '../model/desired.js';
import { describe, HookError, withNote } from '../runtime/errors.js';
import { checkpoint } from '../runtime/fault.js';
import type { HookContext } from '../vdsm/hook-io.js';
import { withHookLock } from './lock.js';
import type { Attrs } from '../model/definitions.js';
import { rollback, settlePending } from './pending.js';
import { describeEntries, isEmpty, parseSetupPayload, splitRequest, type OvsRequest, type SetupRequest } from '../vdsm/request.js';
import { readRunningConfig, type EntryChange, type RunningConfig } from '../vdsm/running-config.js';
import { takeSnapshot, writeSnapshot, type Snapshot } from './snapshot.js';
import { isRecord, toBool } from '../model/values.js';
import { Vsctl } from '../ovs/vsctl.js';
import { sweepMirrors } from './mirror.js';

export async function beforeNetworkSetup(doc: unknown, ctx: HookContext): Promise<unknown> {
  const { paths, config, log } = ctx;
  return withHookLock(ctx, async () => {
    const vsctl = new Vsctl(config.timeout);
    if (inOvsRollback(doc)) {
      // the old hook's rollback pass: restore the last change, configure nothing else
      log.info('_inOVSRollback: restoring the state before the last change');
      await settlePending(ctx, vsctl, 'failed');
      return withRequest(doc, { networks: {}, bondings: {} });
    }
    await settlePending(ctx, vsctl, 'new-request');
    const request = parseSetupPayload(doc);
    const running = readRunningConfig(paths);
    const { ovs, rest, toOvs } = splitRequest(request, running);
    if (isEmpty(ovs) && toOvs.size === 0) {
      log.info('no OVS networks or bonds in this request');
      return doc;
    }
    const observed = await observe(paths, vsctl, config.timeout, running);
    const deferred = [...toOvs].map(([name, attrs]): EntryChange => ({ kind: 'nets', name, attrs }));
    if (deferred.length) {
      checkMovesToOvs(observed, ovs, toOvs);
      log.info(`moving to OVS once VDSM has removed their Linux bridges: networks [${[...toOvs.keys()].join(', ')}]`);
    }
    await applyChange(ctx, vsctl, observed, ovs, deferred);
    await sweepMirrors(vsctl, log);
    return withRequest(doc, rest);
  });
}

/**
 * One change with its snapshot: plan, snapshot, apply; a failure rolls back
 * before it is thrown. Deferred entries ride in the snapshot until VDSM's
 * outcome (after_network_setup applies them).
 */
export async function applyChange(
  ctx: HookContext,
  vsctl: Vsctl,
  observed: Observed,
  request: OvsRequest,
  deferred: EntryChange[] = [],
): Promise<void> {
  const { paths, config, log } = ctx;
  const change = describeEntries(request.networks.keys(), request.bonds.keys());
  log.info(`OVS part: ${change}`);
  const plan = makePlan(paths, observed, request, config.datapathType);
  const snap = takeSnapshot(observed.running, snapshotInput(plan, deferred), change);
  if (isNoop(plan)) {
    log.info('nothing to change: OVS, links and files already match the request');
    // nothing to roll back, but the deferred entries wait for VDSM's outcome
    if (deferred.length) await writeSnapshot(paths, { ...snap, phase: 'applied' });
    return;
  }
  await writeSnapshot(paths, snap);
  try {
    await applyPlan(ctx, vsctl, plan);
    checkpoint('commit');
    await writeSnapshot(paths, { ...snap, phase: 'applied' });
  } catch (err) {
    throw await rollBackFailure(ctx, vsctl, snap, err);
  }
}

/**
 * A network moving to OVS is checked now, with the rest of the request, as
 * if VDSM had already removed its Linux side: its NIC free, its Linux bridge
 * and VLAN devices gone. Nothing is built for it before VDSM has done that.
 */
function checkMovesToOvs(observed: Observed, request: OvsRequest, toOvs: Map<string, Attrs>): void {
  const { running } = observed;
  const networks = new Map(running.networks);
  const host = hostFacts(observed);
  const links = new Set(host.links);
  for (const name of toOvs.keys()) {
    const old = networks.get(name)!;
    networks.delete(name);
    links.delete(name);
    if (typeof old['nic'] === 'string' && old['vlan'] !== undefined) links.delete(`${old['nic']}.${String(old['vlan'])}`);
  }
  const after: RunningConfig = { networks, bonds: running.bonds };
  const all: OvsRequest = { networks: new Map([...request.networks, ...toOvs]), bonds: request.bonds };
  buildDesired(after, all, { ...host, links });
}

/** Applying failed half-way: back to the snapshot, and the error says how that went. */
async function rollBackFailure(ctx: HookContext, vsctl: Vsctl, snap: Snapshot, err: unknown): Promise<HookError> {
  const { log } = ctx;
  log.error(`applying failed: ${describe(err)}`);
  if (!(err instanceof HookError) && err instanceof Error && err.stack) log.error(err.stack);
  try {
    const changed = await rollback(ctx, vsctl, snap, 'applying it failed');
    return withNote(err, changed ? 'rolled back to the state before this request' : 'nothing was changed');
  } catch (rollbackErr) {
    return withNote(err, `rolling back failed too (${describe(rollbackErr)}): ` +
      "the next network hook run or 'vdsm-ovs rollback' retries it");
  }
}

function inOvsRollback(doc: unknown): boolean {
  const request = isRecord(doc) ? doc['request'] : undefined;
  const flag = isRecord(request) && isRecord(request['options']) ? request['options']['_inOVSRollback'] : undefined;
  return flag !== undefined && flag !== null && toBool('request', 'options._inOVSRollback', flag);
}

/** The document VDSM gets back: the same, with only the non-OVS networks and bonds left. */
function withRequest(doc: unknown, rest: Pick<SetupRequest, 'networks' | 'bondings'>): unknown {
  const top = doc as Record<string, unknown>;
  const request = isRecord(top['request']) ? top['request'] : {};
  return { ...top, request: { ...request, networks: rest.networks, bondings: rest.bondings } };
}
