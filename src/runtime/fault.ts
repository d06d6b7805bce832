/**
 * Fault injection for the crash-safety tests, which must stop the hook at
 * each step of a change: VDSM_HOOK_OVS_FAULT=<step>:kill makes the hook
 * SIGKILL itself just before <step>, <step>:fail makes <step> fail, the first
 * time the step is reached (the rollback that follows runs clean). Unset
 * (always, outside tests) a checkpoint costs one environment lookup.
 */
import { HostError } from './errors.js';

/**
 * The steps of applying a change, in order; `commit` marks the snapshot
 * applied. And `rename`: a file written, complete in its temp file, about to
 * replace the old one (the first file a run writes).
 */
export type Step = 'transaction' | 'links' | 'save' | 'commit' | 'drop' | 'rename';

export function checkpoint(step: Step): void {
  const fault = process.env['VDSM_HOOK_OVS_FAULT'];
  if (!fault) return;
  const [at, action] = fault.split(':');
  if (at !== step) return;
  delete process.env['VDSM_HOOK_OVS_FAULT'];
  if (action === 'kill') process.kill(process.pid, 'SIGKILL');
  if (action === 'fail') throw new HostError(step, 'failed (injected by VDSM_HOOK_OVS_FAULT)');
}
