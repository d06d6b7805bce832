/**
 * Port mirroring of VM NICs on OVS networks (after_vm_start,
 * after_vm_migrate_destination, after_nic_hotplug make mirrors;
 * before_nic_hotunplug, after_vm_destroy remove them; every run sweeps the
 * hook's mirrors whose tap is gone). VDSM runs these hooks as its own user:
 * the hook then runs itself again as root through sudo (the package's
 * drop-in allows exactly that, the XML on stdin). A mirror is never worth a
 * failed VM start: every failure is one log line and exit 0.
 */
import { describe, HostError, InvalidRequest } from '../runtime/errors.js';
import { loadConfig } from '../runtime/config.js';
import { createLog } from '../runtime/log.js';
import { hostPaths } from '../host/paths.js';
import { firstLine, run, spawnDetached } from '../runtime/exec.js';
import { checkIfaceName } from '../model/names.js';
import { networkIsOvs } from '../model/definitions.js';
import { stripVdsmCopies, type StripResult } from '../host/tc-mirror.js';
import { mirrorWishes, parseDomain, parseInterface, type MirrorWish } from '../vdsm/domxml.js';
import { runQuietXmlHook, type HookContext } from '../vdsm/hook-io.js';
import { readRunningConfig } from '../vdsm/running-config.js';
import { planMirrors, readMirrorState, type OvsMirror, type WantedMirror } from '../ovs/mirrors.js';
import { renderTransaction, Vsctl } from '../ovs/vsctl.js';

export type MirrorPoint = 'after_vm_start' | 'after_vm_migrate_destination' | 'after_vm_destroy' | 'after_nic_hotplug' | 'before_nic_hotunplug';

/** The argument that makes a hook bundle the watcher taking VDSM's late tc copy out (see watchVdsmCopies). */
export const STRIP_ARG = '--strip-vdsm-copies';
/** How long the watcher waits for VDSM's tc mirroring, which VDSM sets up after the hook returned. */
const WATCH_S = 30;
const WATCH_INTERVAL_MS = 100;

/** What one run is to do for one VM: the mirrors it wants, and which of its mirrors go. */
export interface MirrorIntent {
  vm: string;
  wanted: MirrorWish[];
  drop: (m: OvsMirror) => boolean;
}

/** Reads libvirt's current XML of a domain (by uuid or name). */
export type DomainReader = (vm: string) => Promise<string>;

const VM_ID = /^[A-Za-z0-9][\w.-]{0,127}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function checkVm(vm: string | undefined, what: string): string {
  if (!vm) throw new InvalidRequest(what, 'names no VM (no vmId in the environment, no <uuid> in the XML)');
  if (!VM_ID.test(vm)) throw new InvalidRequest(what, `VM ${JSON.stringify(vm)} is not a VM uuid or name`);
  return vm;
}

/**
 * What a hook point's XML asks for. The VM-level points get the whole domain,
 * metadata included; the device points only the <interface>, so hot-plug
 * reads the domain as libvirt has it now.
 */
export async function mirrorIntent(point: MirrorPoint, xml: string, vmId: string | undefined, readDomain: DomainReader): Promise<MirrorIntent> {
  switch (point) {
    case 'after_vm_start':
    case 'after_vm_migrate_destination': {
      const domain = parseDomain(xml);
      const vm = checkVm(vmId ?? domain.uuid, 'domain XML');
      const wanted = mirrorWishes(domain);
      return { vm, wanted, drop: (m) => m.owner!.vm === vm && !wanted.some((w) => w.mac === m.owner!.mac) };
    }
    case 'after_vm_destroy': {
      const vm = checkVm(vmId ?? parseDomain(xml).uuid, 'domain XML');
      return { vm, wanted: [], drop: (m) => m.owner!.vm === vm };
    }
    case 'after_nic_hotplug': {
      const nic = parseInterface(xml);
      const vm = checkVm(vmId, 'device XML');
      if (!nic) return { vm, wanted: [], drop: () => false };
      return { vm, wanted: mirrorWishes(parseDomain(await readDomain(vm)), nic.mac), drop: () => false };
    }
    case 'before_nic_hotunplug': {
      const nic = parseInterface(xml);
      const vm = checkVm(vmId, 'device XML');
      return { vm, wanted: [], drop: (m) => nic !== undefined && m.owner!.vm === vm && m.owner!.mac === nic.mac };
    }
  }
}

/** libvirt's current domain XML, read-only, as `virsh -r dumpxml` prints it. */
export function virshReader(timeoutS: number): DomainReader {
  return async (vm) => {
    const r = await run('virsh', ['-r', 'dumpxml', vm], { timeoutMs: timeoutS * 1000 });
    if (r.exitCode !== 0 || r.timedOut) {
      throw new HostError(`virsh -r dumpxml ${vm}`, `cannot read the domain: ${firstLine(r.stderr) || (r.timedOut ? 'timed out' : `exit code ${r.exitCode}`)}`);
    }
    return r.stdout;
  };
}

/** The handler of every mirror hook point. */
export function mirrorHook(point: MirrorPoint) {
  return async (xml: string, ctx: HookContext): Promise<void> => {
    if (process.getuid?.() !== 0) return asRoot(xml, ctx);
    const intent = await mirrorIntent(point, xml, process.env['vmId'], virshReader(ctx.config.timeout));
    await applyMirrors(ctx, intent);
  };
}

/**
 * before_network_setup, after its change: removing a network deletes the
 * VM taps on it, and with them the output ports of their mirrors, which
 * would otherwise stay until the next mirror hook. Never fails the change.
 */
export async function sweepMirrors(vsctl: Vsctl, log: HookContext['log']): Promise<void> {
  try {
    const plan = planMirrors(await readMirrorState(vsctl), [], () => false);
    if (!plan.commands.length) return;
    log.info(`OVS transaction (${plan.commands.length} commands):\n${renderTransaction(plan.commands).join('\n')}`);
    await vsctl.transact(plan.commands);
    await vsctl.appctl(['revalidator/purge'], 'making the mirror changes take effect');
  } catch (err) {
    log.warn(`sweeping mirrors without output port failed: ${describe(err)}; the next mirror hook run does it`);
  }
}

/** The same hook as root, through the sudoers drop-in: no arguments, the XML on stdin, vmId kept. */
async function asRoot(xml: string, { log, config }: HookContext): Promise<void> {
  const script = process.argv[1]!;
  const r = await run('sudo', ['-n', script], { input: xml, timeoutMs: config.timeout * 4 * 1000 });
  if (r.stderr) process.stderr.write(`${r.stderr}\n`);
  if (r.exitCode !== 0) throw new HostError(`sudo ${script}`, firstLine(r.stderr) || `exit code ${r.exitCode}`);
  log.info('ran as root through sudo');
}

/**
 * Makes the wanted mirrors (one transaction), makes them take effect at once,
 * and takes VDSM's tc copy to the same taps out.
 */
export async function applyMirrors({ paths, config, log }: HookContext, intent: MirrorIntent): Promise<void> {
  const networks = readRunningConfig(paths).networks;
  const wanted: WantedMirror[] = [];
  for (const w of intent.wanted) {
    const attrs = networks.get(w.network);
    const what = `VM ${intent.vm} NIC ${w.mac}: mirroring network ${w.network}`;
    if (!attrs || !networkIsOvs(w.network, attrs)) {
      log.info(`${what}: not an OVS network, left to VDSM`);
      continue;
    }
    if (!w.tap) {
      log.warn(`${what}: the NIC has no tap in the domain XML; no mirror`);
      continue;
    }
    if (!MAC.test(w.mac)) {
      log.warn(`${what}: ${JSON.stringify(w.mac)} is not a MAC address; no mirror`);
      continue;
    }
    wanted.push({ vm: intent.vm, mac: w.mac, network: checkIfaceName(what, 'network', w.network), tap: checkIfaceName(what, 'tap', w.tap) });
  }
  const vsctl = new Vsctl(config.timeout);
  const plan = planMirrors(await readMirrorState(vsctl), wanted, intent.drop);
  for (const problem of plan.problems) log.warn(`${problem}; no mirror`);
  if (plan.commands.length) {
    log.info(`OVS transaction (${plan.commands.length} commands):\n${renderTransaction(plan.commands).join('\n')}`);
    await vsctl.transact(plan.commands);
    // OVS 3.1 keeps forwarding by the datapath flows installed before a mirror change (made:
    // unmirrored; removed: still copying to the tap) until they are revalidated
    await vsctl.appctl(['revalidator/purge'], 'making the mirror changes take effect');
  } else {
    log.info(`VM ${intent.vm}: mirrors already as wanted`);
  }
  for (const w of plan.mirrored) await neutraliseVdsmCopy(w.network, w.tap, config.timeout, log);
}

/**
 * VDSM copies the host's traffic on the network to the tap with tc, once the
 * hook has returned (VM start, hot-plug) or before it ran (migration): taken
 * out now if it is there, else by a watcher left running for WATCH_S seconds.
 */
async function neutraliseVdsmCopy(network: string, tap: string, timeoutS: number, log: HookContext['log']): Promise<void> {
  const done = await stripVdsmCopies(network, tap, timeoutS);
  logStripped(network, tap, done, log);
  if (done.ingress && done.egress) return;
  await spawnDetached(process.execPath, [process.argv[1]!, STRIP_ARG, network, tap], process.env);
  log.info(`network ${network}: watching ${WATCH_S} s for VDSM's tc mirroring to ${tap}, to take it out (OVS mirrors that traffic already)`);
}

function logStripped(network: string, tap: string, done: StripResult, log: HookContext['log']): void {
  const sides = [...(done.ingress ? ['ingress'] : []), ...(done.egress ? ['egress'] : [])];
  if (sides.length) log.info(`network ${network}: VDSM's tc mirroring to ${tap} taken out (${sides.join(', ')}): the OVS mirror copies that traffic`);
}

/** The watcher: passes until both of VDSM's copies were taken out, or WATCH_S is over. */
export async function watchVdsmCopies([network = '', tap = '']: string[], { config, log }: HookContext): Promise<void> {
  checkIfaceName('watcher', 'network', network);
  checkIfaceName('watcher', 'tap', tap);
  const seen: StripResult = { ingress: false, egress: false };
  const deadline = Date.now() + WATCH_S * 1000;
  while (Date.now() < deadline && !(seen.ingress && seen.egress)) {
    const done = await stripVdsmCopies(network, tap, config.timeout);
    logStripped(network, tap, done, log);
    seen.ingress ||= done.ingress;
    seen.egress ||= done.egress;
    await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
  }
}

/** A mirror hook's entry point: the hook VDSM runs, or (with STRIP_ARG) the watcher it left. */
export async function runMirrorHook(point: MirrorPoint): Promise<void> {
  const [arg, ...rest] = process.argv.slice(2);
  if (arg !== STRIP_ARG) return runQuietXmlHook(point, mirrorHook(point));
  const paths = hostPaths();
  const log = createLog(paths.log, `${point} watcher`);
  try {
    await watchVdsmCopies(rest, { paths, config: loadConfig(paths.config), log });
  } catch (err) {
    log.warn(`taking VDSM's tc mirroring out failed: ${describe(err)}`);
  }
  await log.close();
}
