/**
 * A change's snapshot from before_network_setup to VDSM's outcome:
 *   applying  the change was started; a run that finds it so was killed
 *             half-way, and the host goes back to the earlier state
 *   applied   the change is complete; after_network_setup drops the snapshot,
 *             after_network_setup_fail (or _inOVSRollback) restores it
 *   rolling-back  a rollback started; whoever finds it so finishes it
 * Every network hook settles a snapshot it finds before doing its own work,
 * so the host is always in the earlier or the requested state, never a mix.
 */
import { applyPlan, isNoop, makePlan, observe } from './converge.js';
import { checkpoint } from '../runtime/fault.js';
import { readHostFile } from '../host/resolv.js';
import type { HookContext } from '../vdsm/hook-io.js';
import type { EntryChange } from '../vdsm/running-config.js';
import { dropSnapshot, readSnapshot, snapshotRequest, writeSnapshot, type Snapshot } from './snapshot.js';
import type { Vsctl } from '../ovs/vsctl.js';

/** What the settling run knows about VDSM's outcome. */
export type Outcome =
  | 'new-request' // a new setupNetworks begins: VDSM never reported on the last one
  | 'succeeded' // after_network_setup
  | 'failed' // after_network_setup_fail, _inOVSRollback, vdsm-ovs rollback
  | 'unknown'; // vdsm-ovs restore: keep a complete change for VDSM to settle

/** Returns the entries the settled change deferred to VDSM's success (networks moving to OVS), when it succeeded. */
export async function settlePending(ctx: HookContext, vsctl: Vsctl, outcome: Outcome): Promise<EntryChange[]> {
  const { paths, log } = ctx;
  const snap = readSnapshot(paths);
  if (!snap) {
    if (outcome === 'failed') log.info('no pending change: nothing to roll back');
    return [];
  }
  const moving = `networks [${snap.deferred.map((e) => e.name).join(', ')}] moving to OVS`;
  if (snap.phase === 'applying') {
    await rollback(ctx, vsctl, snap, `the run that started it (pid ${snap.pid}) ended before finishing it`);
  } else if (snap.phase === 'rolling-back') {
    await rollback(ctx, vsctl, snap, 'an earlier rollback of it ended before finishing');
  } else if (outcome === 'failed') {
    await rollback(ctx, vsctl, snap, 'VDSM reported that setupNetworks failed');
    if (snap.deferred.length) log.warn(`${moving}: not built, VDSM keeps their Linux bridges`);
  } else if (outcome === 'succeeded') {
    await dropSnapshot(paths);
    log.info(`committed: ${snap.change}`);
    return snap.deferred;
  } else if (outcome === 'new-request') {
    await dropSnapshot(paths);
    log.warn(`${snap.change} (${snap.time}) was applied, but VDSM never reported whether setupNetworks succeeded: kept`);
    if (snap.deferred.length) log.warn(`${moving}: not built, set them up again in the Engine`);
  } else {
    log.info(`${snap.change} (${snap.time}) is applied and waits for VDSM's outcome: left pending`);
  }
  return [];
}

/**
 * Back to the state before the snapshot's change: its earlier running config
 * entries applied as a request, so what changed is torn down and the earlier
 * state recreated in ONE transaction. Returns whether anything had changed.
 */
export async function rollback(ctx: HookContext, vsctl: Vsctl, snap: Snapshot, why: string): Promise<boolean> {
  const { paths, config, log } = ctx;
  log.warn(`rolling back ${snap.change} (started ${snap.time}): ${why}`);
  // from here on, no run may take the change as complete
  if (snap.phase !== 'rolling-back') await writeSnapshot(paths, { ...snap, phase: 'rolling-back' });
  const observed = await observe(paths, vsctl, config.timeout);
  const planned = makePlan(paths, observed, snapshotRequest(snap), config.datapathType, {
    addresses: new Map(Object.entries(snap.nicAddresses)),
    down: snap.downNics,
  });
  // host files go back to what they were, whatever the earlier state would render
  const files = snap.hostFiles.filter((f) => readHostFile(f.path) !== f.content);
  const plan = { ...planned, resolv: files.length ? { write: files[0]! } : {} };
  const changed = !isNoop(plan);
  if (changed) await applyPlan(ctx, vsctl, plan);
  checkpoint('drop');
  await dropSnapshot(paths);
  log.info(changed
    ? `rolled back: the host is in the state before ${snap.change}`
    : `nothing to roll back: the host is already in the state before ${snap.change}`);
  return changed;
}
