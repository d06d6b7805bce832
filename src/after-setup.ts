/**
 * after_network_setup / after_network_setup_fail: VDSM's outcome for the rest
 * of the request settles the change before_network_setup applied (commit:
 * drop its snapshot; failure: restore it). The document passes unchanged.
 */
import type { HookContext } from './hook-io.js';
import { withHookLock } from './lock.js';
import { settlePending, type Outcome } from './pending.js';
import { Vsctl } from './vsctl.js';

function settleWith(outcome: Outcome) {
  return (doc: unknown, ctx: HookContext): Promise<unknown> =>
    withHookLock(ctx, async () => {
      await settlePending(ctx, new Vsctl(ctx.config.timeout), outcome);
      return doc;
    });
}

export const afterNetworkSetup = settleWith('succeeded');
export const afterNetworkSetupFail = settleWith('failed');
