/**
 * ovn-controller, the chassis daemon: its systemd unit (enabled and started
 * by ovn-config, stopped and disabled by ovn-unconfigure) and its control
 * socket (ovn-appctl, in OVN_RUNDIR), which says whether it is connected
 * to the central.
 */
import { HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';

/** The unit on EL (ovn*-host packages) and Debian; on Debian it is static and ovn-host.service pulls it in. */
export const CONTROLLER_UNIT = 'ovn-controller.service';
const DEBIAN_UNIT = 'ovn-host.service';

/** The unit to enable: the controller's own, unless it has no [Install] section (static: Debian's, started by ovn-host). */
export function unitToEnable(controllerUnitFileState: string): string {
  return controllerUnitFileState === 'static' ? DEBIAN_UNIT : CONTROLLER_UNIT;
}

async function systemctl(args: string[], timeoutS: number): Promise<string> {
  const r = await run('systemctl', args, { timeoutMs: timeoutS * 1000 });
  if (r.exitCode !== 0) throw new HostError(`systemctl ${args.join(' ')}`, firstLine(r.stderr) || `exit code ${r.exitCode}`);
  return r.stdout.trim();
}

/** Enables and starts (on: true) or stops and disables ovn-controller through its unit; returns the unit used. */
export async function switchController(on: boolean, timeoutS: number): Promise<string> {
  const state = await systemctl(['show', '--property=UnitFileState', '--value', CONTROLLER_UNIT], timeoutS);
  if (state === '') throw new HostError(CONTROLLER_UNIT, 'is not installed: install the OVN host package (ovn-host)');
  const unit = unitToEnable(state);
  await systemctl([on ? 'enable' : 'disable', '--now', unit], timeoutS);
  return unit;
}

/** ovn-controller's connection to the southbound DB ("connected", "not connected"), undefined when it does not answer. */
export async function connectionStatus(timeoutS: number): Promise<string | undefined> {
  const r = await run('ovn-appctl', [`--timeout=${timeoutS}`, '-t', 'ovn-controller', 'connection-status'], { timeoutMs: (timeoutS + 1) * 1000 });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
