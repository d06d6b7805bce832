/**
 * Kernel side after the OVS transaction: links up, static IPv4 addresses,
 * the default route, and the MTU uplinks had before OVS took them. Planned
 * purely from desired vs kernel state, applied as one `ip -batch`.
 */
import type { DesiredState } from './desired.js';
import { HostError } from './errors.js';
import { firstLine, run } from './exec.js';
import type { KernelState } from './kernel.js';
import type { MtuRestore } from './planner.js';
import type { Command } from './vsctl.js';

export function planLinks(desired: DesiredState, kernel: KernelState, restoreMtu: MtuRestore[]): Command[] {
  const commands: Command[] = [];
  const up = (dev: string, why: string): void => {
    if (!kernel.links.get(dev)?.up) commands.push({ args: ['link', 'set', 'dev', dev, 'up'], why });
  };
  for (const { dev, mtu } of restoreMtu) {
    const link = kernel.links.get(dev);
    if (link && link.mtu !== mtu) {
      commands.push({ args: ['link', 'set', 'dev', dev, 'mtu', String(mtu)], why: `${dev} left OVS: its MTU back to ${mtu}` });
    }
  }
  for (const bridge of desired.bridges.values()) {
    const nics = bridge.uplink.kind === 'nic' ? [bridge.uplink.name] : desired.bonds.get(bridge.uplink.name)!.nics;
    for (const nic of nics) up(nic, `uplink ${nic} of bridge ${bridge.name} up`);
  }
  for (const net of desired.networks.values()) {
    up(net.name, `network ${net.name} up`);
    const want = net.ipv4 ? [`${net.ipv4.address}/${net.ipv4.prefix}`] : [];
    const have = kernel.links.get(net.name)?.ipv4 ?? [];
    for (const addr of have.filter((a) => !want.includes(a))) {
      commands.push({ args: ['address', 'del', addr, 'dev', net.name], why: `network ${net.name}: address ${addr} removed` });
    }
    for (const addr of want.filter((a) => !have.includes(a))) {
      commands.push({ args: ['address', 'add', addr, 'dev', net.name], why: `network ${net.name}: address ${addr}` });
    }
    const route = kernel.defaultRoute;
    const gateway = net.ipv4?.gateway;
    if (net.defaultRoute && gateway && (route?.dev !== net.name || route.gateway !== gateway)) {
      commands.push({
        args: ['route', 'replace', 'default', 'via', gateway, 'dev', net.name],
        why: `network ${net.name}: default route via ${gateway}`,
      });
    } else if (!net.defaultRoute && route?.dev === net.name) {
      commands.push({ args: ['route', 'del', 'default', 'dev', net.name], why: `network ${net.name}: no longer the default route` });
    }
  }
  return commands;
}

export function renderLinks(commands: Command[]): string[] {
  return commands.map((c) => `ip ${c.args.join(' ')}   # ${c.why}`);
}

export async function applyLinks(commands: Command[], timeoutS: number): Promise<void> {
  if (commands.length === 0) return;
  const result = await run('ip', ['-batch', '-'], {
    input: commands.map((c) => c.args.join(' ')).join('\n') + '\n',
    timeoutMs: timeoutS * 1000,
  });
  if (result.exitCode !== 0) {
    // ip names the failing batch line as "Command failed -:N"
    const line = Number(/-:(\d+)/.exec(result.stderr)?.[1]);
    const failed = commands[line - 1];
    const subject = failed ? `ip ${failed.args.join(' ')}` : 'ip';
    throw new HostError(subject, `${failed?.why ?? 'link setup'} failed: ${firstLine(result.stderr)}`);
  }
}
