/**
 * vdsm-ovs ovn-config / ovn-unconfigure: the host joins or leaves an OVN
 * deployment by hand, as oVirt's `vdsm-tool ovn-config` does it when the
 * Engine adds a host with ovirt-provider-ovn. Everything is read and
 * validated before the one transaction; a bad tunnel changes nothing.
 */
import { accessSync, constants } from 'node:fs';
import { withHookLock } from '../flow/lock.js';
import { readKernelState } from '../host/kernel.js';
import { HostError, withNote } from '../runtime/errors.js';
import { readOvsState } from '../ovs/state.js';
import { renderTransaction, Vsctl } from '../ovs/vsctl.js';
import type { HookContext } from '../vdsm/hook-io.js';
import { readRunningConfig } from '../vdsm/running-config.js';
import { chassisKeys, planOvnConfig, planOvnUnconfigure, resolveTunnel, type ChassisObserved } from '../ovn/chassis.js';
import { switchController } from '../ovn/controller.js';
import { parseOvnConfig, parseOvnUnconfigure, type SslFiles } from '../ovn/options.js';

export async function ovnConfig(args: string[], ctx: HookContext): Promise<string[]> {
  const req = parseOvnConfig(args);
  for (const file of req.ssl ? [req.ssl.key, req.ssl.cert, req.ssl.ca] : []) {
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new HostError(`SSL file ${file}`, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const { timeout, datapathType } = ctx.config;
  const lines = await withHookLock(ctx, async () => {
    const vsctl = new Vsctl(timeout);
    const [seen, kernel] = await Promise.all([observeChassis(vsctl), readKernelState(timeout)]);
    const encapIp = resolveTunnel(req.tunnel, readRunningConfig(ctx.paths).networks, kernel);
    const commands = planOvnConfig(chassisKeys(req, encapIp, datapathType), req.ssl, seen, datapathType);
    if (!commands.length) return ['OVN chassis: already configured so'];
    ctx.log.info(`ovn-config transaction:\n${renderTransaction(commands).join('\n')}`);
    await vsctl.transact(commands);
    return ['OVN chassis configured:', ...renderTransaction(commands).map((l) => `  ${l}`)];
  });
  if (!req.start) return [...lines, 'ovn-controller: not started (--no-start)'];
  const unit = await switchController(true, timeout).catch((err: unknown) => {
    throw withNote(err, 'the chassis is configured in Open vSwitch, but ovn-controller was not started');
  });
  return [...lines, `ovn-controller: ${unit} enabled and started`];
}

export async function ovnUnconfigure(args: string[], ctx: HookContext): Promise<string[]> {
  const { start } = parseOvnUnconfigure(args);
  const { timeout } = ctx.config;
  return withHookLock(ctx, async () => {
    const vsctl = new Vsctl(timeout);
    const commands = planOvnUnconfigure(await observeChassis(vsctl));
    if (!commands.length) return ['OVN chassis: not configured by vdsm-ovs ovn-config, nothing to undo'];
    // stopped first, while it still knows the central: its exit removes the chassis there
    const stopped = start ? [`ovn-controller: ${await switchController(false, timeout)} stopped and disabled`] : [];
    ctx.log.info(`ovn-unconfigure transaction:\n${renderTransaction(commands).join('\n')}`);
    await vsctl.transact(commands);
    return [...stopped, 'OVN chassis unconfigured (br-int and its VM ports kept):', ...renderTransaction(commands).map((l) => `  ${l}`)];
  });
}

async function observeChassis(vsctl: Vsctl): Promise<ChassisObserved> {
  const [ovs, [sslRows]] = await Promise.all([
    readOvsState(vsctl),
    vsctl.select([{ table: 'SSL', columns: ['private_key', 'certificate', 'ca_cert'] }], 'reading the SSL table'),
  ]);
  const row = sslRows?.[0];
  const seen: ChassisObserved = { systemIds: ovs.systemIds, bridges: new Set(ovs.bridges.keys()) };
  if (row) seen.ssl = { key: String(row['private_key']), cert: String(row['certificate']), ca: String(row['ca_cert']) } satisfies SslFiles;
  return seen;
}
