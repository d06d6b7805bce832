/**
 * vdsm-ovs: the hook's state for a person, and the recoveries VDSM does not
 * trigger itself. Exit 0 done, 1 usage, 2 failed (the error line first on stderr).
 */
import { readFileSync } from 'node:fs';
import { readActiveSlaves } from '../ovs/bond-show.js';
import { capsAdditions } from '../vdsm/caps.js';
import { loadConfig } from '../runtime/config.js';
import { applyPlan, bootPersistence, isNoop, makePlan, NO_REQUEST, observe, observeOnly, renderPlan, type Observed } from '../flow/converge.js';
import { describe, HostError, InvalidRequest } from '../runtime/errors.js';
import { EXIT_FAILED, type HookContext } from '../vdsm/hook-io.js';
import { lockHolder, withHookLock } from '../flow/lock.js';
import { createLog } from '../runtime/log.js';
import { bondIsOvs, networkIsOvs } from '../model/definitions.js';
import { ownedEntries } from '../vdsm/owned.js';
import { hostPaths, type HostPaths } from '../host/paths.js';
import { rollback, settlePending } from '../flow/pending.js';
import { describeEntries, isEmpty, parseSetupPayload, splitRequest } from '../vdsm/request.js';
import { readPersistedConfig, readRunningConfig, type RunningConfig } from '../vdsm/running-config.js';
import { readIfaceStatus, renderMirrors, renderOwned } from './show.js';
import { readMirrorState } from '../ovs/mirrors.js';
import { readSnapshot, type Snapshot } from '../flow/snapshot.js';
import { Vsctl } from '../ovs/vsctl.js';
import { vswitchdDown } from '../ovs/socket.js';
import { writeNoCodeCache } from '../runtime/code-cache.js';
import { ovnConfig, ovnUnconfigure } from './ovn.js';
import { UsageError } from '../ovn/options.js';
import { connectionStatus } from '../ovn/controller.js';
import { renderChassis } from '../ovn/show.js';

const USAGE = `usage: vdsm-ovs COMMAND
  plan FILE   what a setupNetworks request would do, changing nothing
              (FILE: the JSON VDSM hands before_network_setup; - for stdin)
  show        the OVS bridges, bonds and networks of the hook as the Engine
              sees them (after_get_caps), the port mirrors of VM NICs,
              the pending change, and any drift of OVS from the running
              config; changes nothing
  rollback    restore the state before the pending change
  restore     re-apply the running config to OVS and the kernel (after the
              OVS database was lost); at boot, before VDSM refilled the
              running config, VDSM's persisted config, without writing it
  ovn-config CENTRAL [TUNNEL] [--fqdn NAME] [--ssl-key F --ssl-cert F --ssl-ca F]
             [--encap geneve|vxlan] [--no-start]
              make this host an OVN chassis of the central CENTRAL, tunnelling
              from TUNNEL (an address of this host, or a network whose address
              it is; default ovirtmgmt); tcp: without SSL files; then enable
              and start ovn-controller (not with --no-start)
  ovn-unconfigure [--no-start]
              stop and disable ovn-controller (not with --no-start) and remove
              what ovn-config wrote; br-int and its VM ports stay
`;

type Handler = (args: string[], ctx: HookContext) => Promise<string[]>;

/**
 * args: how many the command takes; 'options': its handler parses them (a UsageError when they do not parse).
 * readOnly: the command writes no file (no log line, no code cache, no lock;
 * its output is for the person who asked) and sends ovs-vswitchd nothing it
 * does not need an answer to, so that it works while ovs-vswitchd is down.
 */
const COMMANDS: Record<string, { args: number | 'options'; run: Handler; readOnly: boolean }> = {
  plan: { args: 1, run: plan, readOnly: true },
  show: { args: 0, run: show, readOnly: true },
  rollback: { args: 0, run: rollbackByHand, readOnly: false },
  restore: { args: 0, run: restore, readOnly: false },
  'ovn-config': { args: 'options', run: ovnConfig, readOnly: false },
  'ovn-unconfigure': { args: 'options', run: ovnUnconfigure, readOnly: false },
};

export async function main(argv: string[]): Promise<number> {
  const [name = '', ...args] = argv;
  const command = COMMANDS[name];
  if (!command || (command.args !== 'options' && args.length !== command.args)) {
    process.stderr.write(name === '--help' || name === '-h' ? '' : `vdsm-ovs: unknown command or arguments: ${argv.join(' ')}\n`);
    process.stderr.write(USAGE);
    return name === '--help' || name === '-h' ? 0 : 1;
  }
  const paths = hostPaths();
  if (command.readOnly) writeNoCodeCache();
  const log = createLog(command.readOnly ? null : paths.log, `vdsm-ovs ${name}`);
  let errorLine: string | undefined;
  try {
    const output = await command.run(args, { paths, config: loadConfig(paths.config), log });
    process.stdout.write(output.map((l) => `${l}\n`).join(''));
  } catch (err) {
    if (err instanceof UsageError) {
      await log.close();
      process.stderr.write(`vdsm-ovs: ${err.message}\n${USAGE}`);
      return 1;
    }
    errorLine = describe(err);
    log.error(errorLine);
  }
  await log.close();
  process.stderr.write(log.stderrText(errorLine));
  return errorLine === undefined ? 0 : EXIT_FAILED;
}

async function plan([file = '-']: string[], ctx: HookContext): Promise<string[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (err) {
    throw new InvalidRequest(file, `cannot read the request: ${(err as Error).message}`);
  }
  const running = readRunningConfig(ctx.paths);
  const { ovs, rest, toOvs } = splitRequest(parseSetupPayload(doc), running);
  const lines = [
    `OVS part: ${describeEntries(ovs.networks.keys(), ovs.bonds.keys())}`,
    `handed to VDSM: ${describeEntries(Object.keys(rest.networks), Object.keys(rest.bondings))}`,
    ...(toOvs.size ? [`moving to OVS once VDSM removed their Linux bridges: networks [${[...toOvs.keys()].join(', ')}]`] : []),
    ...pendingLines(readSnapshot(ctx.paths), 'before_network_setup settles it first'),
  ];
  if (isEmpty(ovs)) return lines;
  const observed = await observeOnly(ctx.paths, new Vsctl(ctx.config.timeout), ctx.config.timeout, running);
  const planned = makePlan(ctx.paths, observed, ovs, ctx.config.datapathType);
  const down = vswitchdDown();
  return [
    ...lines,
    ...lockLines(ctx.paths),
    ...(down ? [`ovs-vswitchd is not running (${down}): planned from the OVS database; applying it fails until ovs-vswitchd runs`] : []),
    ...(isNoop(planned) ? ['nothing to change'] : renderPlan(planned)),
  ];
}

async function show(_args: string[], ctx: HookContext): Promise<string[]> {
  const vsctl = new Vsctl(ctx.config.timeout);
  const observed = await observeOnly(ctx.paths, vsctl, ctx.config.timeout);
  const { owned, problems } = ownedEntries(observed.running);
  const { activeSlaves, vswitchd } = await readVswitchd(vsctl, owned.bonds.length > 0);
  const caps = capsAdditions(owned, { ...observed, activeSlaves });
  const hasTunnels = [...observed.ovs.interfaces.values()].some((i) => i.role === 'tunnel');
  const status = observed.ovs.systemIds['ovn-remote'] === undefined ? undefined : await connectionStatus(2);
  const lines = [
    ...lockLines(ctx.paths), ...vswitchd,
    ...renderOwned(observed.ovs, observed.kernel, caps, hasTunnels ? await readIfaceStatus(vsctl) : undefined),
    ...renderMirrors(await readMirrorState(vsctl)), ...problems,
    ...pendingLines(readSnapshot(ctx.paths), ''),
    `boot persistence: ${bootPersistence(ctx.paths)}`,
    ...renderChassis(observed.ovs, status),
  ];
  try {
    const drift = makePlan(ctx.paths, observed, NO_REQUEST, ctx.config.datapathType);
    if (isNoop(drift)) return [...lines, 'drift from the running config: none'];
    return [...lines, "drift from the running config ('vdsm-ovs restore' would do):", ...renderPlan(drift).map((l) => `  ${l}`)];
  } catch (err) {
    return [...lines, `the running config cannot be applied: ${describe(err)}`];
  }
}

/**
 * What only ovs-vswitchd knows for show (the bonds' active slaves), when it
 * runs; otherwise a line saying that what is shown is the database's view.
 */
async function readVswitchd(vsctl: Vsctl, bonds: boolean): Promise<{ activeSlaves: Map<string, string>; vswitchd: string[] }> {
  const dbView = (why: string): string[] => [`${why}: what is shown is the OVS database's view, not what the switch does`];
  const down = vswitchdDown();
  if (down) return { activeSlaves: new Map(), vswitchd: dbView(`ovs-vswitchd is not running (${down})`) };
  if (!bonds) return { activeSlaves: new Map(), vswitchd: [] };
  try {
    return { activeSlaves: await readActiveSlaves(vsctl), vswitchd: [] };
  } catch (err) {
    return { activeSlaves: new Map(), vswitchd: dbView(`ovs-vswitchd is not answering (${describe(err)}), the bonds' active slaves are unknown`) };
  }
}

/**
 * A read-only command neither waits for nor takes the hooks' lock: VDSM's
 * setupNetworks must never wait on a person's 'show'. It says instead when a
 * hook run holds the lock, as what it read may then be half-way through a change.
 */
function lockLines(paths: HostPaths): string[] {
  const holder = lockHolder(paths.lock);
  return holder === undefined ? [] : [`a hook run (pid ${holder}) is changing the host: what was read may be half-way through its change`];
}

async function rollbackByHand(_args: string[], ctx: HookContext): Promise<string[]> {
  return withHookLock(ctx, async () => {
    const snap = readSnapshot(ctx.paths);
    if (!snap) return ['no pending change: nothing to roll back'];
    const changed = await rollback(ctx, new Vsctl(ctx.config.timeout), snap, "asked for by hand ('vdsm-ovs rollback')");
    return [changed ? `rolled back ${snap.change}` : `${snap.change} had changed nothing: snapshot dropped`];
  });
}

async function restore(_args: string[], ctx: HookContext): Promise<string[]> {
  return withHookLock(ctx, async () => {
    const vsctl = new Vsctl(ctx.config.timeout);
    let source = restoreSource(ctx.paths);
    if (source.persisted) {
      // rolling a pending change back against an empty running config would tear down what it never touched:
      // VDSM's own restore calls setupNetworks with its entries, and before_network_setup settles the change then
      if (readSnapshot(ctx.paths)) ctx.log.warn("a pending change is left for VDSM's restore of the running config to settle");
    } else {
      await settlePending(ctx, vsctl, 'unknown');
      source = restoreSource(ctx.paths);
    }
    ctx.log.info(`restoring from ${source.name}`);
    // the persisted config stands in for the running config: planned with no
    // request, nothing is written to the running config, whichever was read
    const observed = await observe(ctx.paths, vsctl, ctx.config.timeout, source.config);
    refuseNothingToRestore(observed);
    const planned = makePlan(ctx.paths, observed, NO_REQUEST, ctx.config.datapathType);
    if (isNoop(planned)) return [`OVS and links already match ${source.name}`];
    await applyPlan(ctx, vsctl, planned);
    return [`restored from ${source.name}:`, ...renderPlan(planned).map((l) => `  ${l}`)];
  });
}

/**
 * What restore re-applies: the running config once it holds an OVS entry.
 * Before that, at boot, the running config (a tmpfs) is empty until VDSM's
 * vdsm-network.service refills it from its persisted config; restore runs
 * ahead of it and reads the persisted config directly. It must not write the
 * running config then: VDSM's restore first removes whatever it finds there.
 */
function restoreSource(paths: HostPaths): { config: RunningConfig; name: string; persisted: boolean } {
  const running = readRunningConfig(paths);
  const runningSource = { config: running, name: 'the running config', persisted: false };
  if (holdsOvsEntry(running)) return runningSource;
  const persisted = readPersistedConfig(paths);
  if (!holdsOvsEntry(persisted)) return runningSource;
  return { config: persisted, name: "VDSM's persisted config (the running config holds no OVS entry yet)", persisted: true };
}

/** An entry that cannot be told OVS or not counts as OVS: planning then names what is wrong with it. */
function holdsOvsEntry({ networks, bonds }: RunningConfig): boolean {
  const isOvs = (test: () => boolean): boolean => {
    try {
      return test();
    } catch {
      return true;
    }
  };
  return [...networks].some(([name, attrs]) => isOvs(() => networkIsOvs(name, attrs)))
    || [...bonds].some(([name, attrs]) => isOvs(() => bondIsOvs(name, attrs)));
}

/**
 * Neither config holding an OVS entry while OVS holds the hook's bridges is
 * a lost config (files removed by hand, a persisted config never saved), not
 * a wish to tear every OVS network down.
 */
function refuseNothingToRestore({ running, ovs }: Observed): void {
  const bridges = [...ovs.bridges.values()].filter((b) => b.role).map((b) => b.name).sort();
  if (holdsOvsEntry(running) || !bridges.length) return;
  throw new HostError(
    'running config',
    "holds no OVS network or bond, and neither does VDSM's persisted config, while Open vSwitch holds the hook's bridges " +
      `${bridges.join(', ')}: not removing them (to tear the networks down, remove them in the Engine)`,
  );
}

function pendingLines(snap: Snapshot | undefined, then: string): string[] {
  if (!snap) return ['pending change: none'];
  const state = { applied: 'applied, waiting for VDSM', applying: 'interrupted half-way', 'rolling-back': 'rollback interrupted' }[snap.phase];
  return [`pending change: ${snap.change}, ${state} (pid ${snap.pid}, ${snap.time})${then ? `; ${then}` : ''}`];
}
