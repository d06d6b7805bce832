/**
 * before_network_setup: the data flow of DESIGN.md.
 * settle the last change -> validate -> split -> observe -> plan -> snapshot
 * -> apply (one ovs-vsctl transaction, ip, running config) -> hand the rest
 * to VDSM. A failure after the snapshot rolls the host back before exit 2.
 */
import { applyPlan, isNoop, makePlan, observe, snapshotInput } from './converge.js';
import { describe, HookError, withNote } from './errors.js';
import { checkpoint } from './fault.js';
import type { HookContext } from './hook-io.js';
import { withHookLock } from './lock.js';
import { rollback, settlePending } from './pending.js';
import { describeEntries, isEmpty, parseSetupPayload, splitRequest, type SetupRequest } from './request.js';
import { readRunningConfig } from './running-config.js';
import { takeSnapshot, writeSnapshot, type Snapshot } from './snapshot.js';
import { isRecord, toBool } from './values.js';
import { Vsctl } from './vsctl.js';

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
    const { ovs, rest } = splitRequest(request, running);
    if (isEmpty(ovs)) {
      log.info('no OVS networks or bonds in this request');
      return doc;
    }
    const change = describeEntries(ovs.networks.keys(), ovs.bonds.keys());
    log.info(`OVS part: ${change}`);
    const observed = await observe(paths, vsctl, config.timeout, running);
    const plan = makePlan(paths, observed, ovs, config.datapathType);
    if (isNoop(plan)) {
      log.info('nothing to change: OVS, links and running config already match the request');
      return withRequest(doc, rest);
    }
    const snap = takeSnapshot(running, snapshotInput(plan), change);
    writeSnapshot(paths, snap);
    try {
      await applyPlan(ctx, vsctl, plan);
      checkpoint('commit');
      writeSnapshot(paths, { ...snap, phase: 'applied' });
    } catch (err) {
      throw await rollBackFailure(ctx, vsctl, snap, err);
    }
    return withRequest(doc, rest);
  });
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
