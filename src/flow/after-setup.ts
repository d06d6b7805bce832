/**
 * after_network_setup / after_network_setup_fail: VDSM's outcome for the rest
 * of the request settles the change before_network_setup applied (commit:
 * drop its snapshot; failure: restore it). On success, networks moving from
 * Linux bridge to OVS are built now that VDSM has removed their Linux side.
 * The document passes unchanged.
 */
import { observe } from './converge.js';
import type { HookContext } from '../vdsm/hook-io.js';
import { withHookLock } from './lock.js';
import { settlePending } from './pending.js';
import { applyChange } from './setup.js';
import { entriesRequest } from './snapshot.js';
import { Vsctl } from '../ovs/vsctl.js';

export function afterNetworkSetup(doc: unknown, ctx: HookContext): Promise<unknown> {
  return withHookLock(ctx, async () => {
    const vsctl = new Vsctl(ctx.config.timeout);
    const deferred = await settlePending(ctx, vsctl, 'succeeded');
    if (deferred.length) {
      ctx.log.info(`VDSM removed the Linux side of networks [${deferred.map((e) => e.name).join(', ')}]: building them on OVS`);
      await applyChange(ctx, vsctl, await observe(ctx.paths, vsctl, ctx.config.timeout), entriesRequest(deferred));
      // VDSM is done already: nothing else will settle this change
      await settlePending(ctx, vsctl, 'succeeded');
    }
    return doc;
  });
}

export function afterNetworkSetupFail(doc: unknown, ctx: HookContext): Promise<unknown> {
  return withHookLock(ctx, async () => {
    await settlePending(ctx, new Vsctl(ctx.config.timeout), 'failed');
    return doc;
  });
}
