/**
 * before_network_setup: the data flow of DESIGN.md, one step per module.
 * validate -> split -> desired -> observe -> plan -> apply (one ovs-vsctl
 * transaction, then ip) -> save running config -> hand the rest to VDSM.
 */
import { buildDesired } from './desired.js';
import { OvsError } from './errors.js';
import type { HookContext } from './hook-io.js';
import { readKernelState } from './kernel.js';
import { applyLinks, planLinks, renderLinks } from './links.js';
import { withLock } from './lock.js';
import { planTransaction } from './planner.js';
import { foreignNames, readOvsState, type OvsState } from './ovs-state.js';
import { isEmpty, parseSetupPayload, splitRequest, type SetupRequest } from './request.js';
import { readRunningConfig, saveEntries } from './running-config.js';
import { renderTransaction, Vsctl, type Command } from './vsctl.js';
import { isRecord } from './values.js';

export async function beforeNetworkSetup(doc: unknown, { paths, config, log }: HookContext): Promise<unknown> {
  const request = parseSetupPayload(doc);
  // a run holding the lock may itself wait on OVS for its timeout, more than once
  return withLock(paths.lock, config.timeout * 6, async () => {
    const running = readRunningConfig(paths);
    const { ovs, rest } = splitRequest(request, running);
    if (isEmpty(ovs)) {
      log.info('no OVS networks or bonds in this request');
      return doc;
    }
    log.info(`OVS part: networks [${[...ovs.networks.keys()].join(', ')}], bonds [${[...ovs.bonds.keys()].join(', ')}]`);
    const vsctl = new Vsctl(config.timeout);
    const [observed, kernel] = await Promise.all([readOvsState(vsctl), readKernelState(config.timeout)]);
    const { desired, changes } = buildDesired(running, ovs, {
      links: new Set(kernel.links.keys()),
      foreignOvs: foreignNames(observed),
      ownDevices: ownDevices(observed),
    });
    const kernelMtu = new Map([...kernel.links.values()].map((l) => [l.name, l.mtu]));
    const txn = planTransaction(desired, observed, kernelMtu, config.datapathType);
    if (txn.commands.length === 0) {
      log.info('OVS: no changes');
    } else {
      log.info(`OVS transaction (${txn.commands.length} commands):\n${renderTransaction(txn.commands).join('\n')}`);
      await transactOrConverged(vsctl, txn.commands, async () => {
        const now = await readOvsState(vsctl);
        return planTransaction(desired, now, kernelMtu, config.datapathType).commands.length === 0;
      }, log);
    }
    // devices the transaction created exist only now
    const kernelAfter = txn.commands.length === 0 ? kernel : await readKernelState(config.timeout);
    const links = planLinks(desired, kernelAfter, txn.restoreMtu);
    if (links.length === 0) log.info('links: no changes');
    else log.info(`links:\n${renderLinks(links).join('\n')}`);
    await applyLinks(links, config.timeout);
    const saved = saveEntries(paths, changes);
    log.info(saved.length ? `running config saved: ${saved.join(', ')}` : 'running config: no changes');
    return withRequest(doc, rest);
  });
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

/** Kernel devices that are the hook's own OVS internal ports (networks, bridges). */
function ownDevices(state: OvsState): Set<string> {
  return new Set(
    [...state.interfaces.values()].filter((i) => i.role === 'network' || i.role === 'bridge').map((i) => i.name),
  );
}

/** The document VDSM gets back: the same, with only the non-OVS networks and bonds left. */
function withRequest(doc: unknown, rest: SetupRequest): unknown {
  const top = doc as Record<string, unknown>;
  const request = isRecord(top['request']) ? top['request'] : {};
  return { ...top, request: { ...request, networks: rest.networks, bondings: rest.bondings } };
}
