/**
 * The NAT forwarder of ovs_nat networks: one nftables table the hook owns
 * (nothing else's rules or tables are touched), loaded whole with `nft -f -`,
 * and net.ipv4.ip_forward on while any NAT network exists, given back as it
 * was when the last one goes. The original value and the loaded ruleset are
 * kept in the hook's state (nat.json), so that the last removal, a rollback
 * or a restore after a reboot know what to give back.
 *
 * renderRuleset and planNat are pure; readNat and applyNat touch the host.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredState } from '../model/desired.js';
import { subnetOf } from '../model/ipv4.js';
import { HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';

export const NAT_TABLE = 'vdsm_hook_ovs';
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

export interface NatNetwork {
  /** the network's device: the VMs' gateway */
  dev: string;
  /** its IPv4 subnet, "a.b.c.0/len" */
  subnet: string;
}

export interface NatState {
  /** the ruleset last loaded */
  ruleset: string;
  /** net.ipv4.ip_forward before the first NAT network */
  ipForwardWas: string;
}

export interface NatObserved {
  state?: NatState;
  /** whether the hook's table is in the kernel (only looked at when the state says it should be) */
  loaded: boolean;
  ipForward: string;
}

export interface NatPlan {
  /** a ruleset to load (with no NAT network left: the removal of the table) */
  load?: string;
  ipForward?: string;
  /** the state to keep; null: none any more; absent: unchanged */
  state?: NatState | null;
  why: string[];
}

export function natNetworks(desired: DesiredState): NatNetwork[] {
  return [...desired.networks.values()]
    .filter((n) => n.nat && n.ipv4)
    .map((n) => ({ dev: n.name, subnet: subnetOf(n.ipv4!.address, n.ipv4!.prefix) }))
    .sort((a, b) => (a.dev < b.dev ? -1 : 1));
}

/**
 * The whole table, replacing whatever it held: `table` first so that the
 * `delete` cannot fail on a missing table, all in one atomic nft transaction.
 * Replies only come in (conntrack); new connections into a NAT network, from
 * outside or from another NAT network, are dropped; its VMs go out from its
 * subnet only, behind the address of whichever interface they leave through.
 */
export function renderRuleset(nets: readonly NatNetwork[]): string {
  const head = [`table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`];
  if (nets.length === 0) return `${head.join('\n')}\n`;
  const q = (dev: string): string => JSON.stringify(dev);
  return [
    ...head,
    `table ip ${NAT_TABLE} {`,
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    ...nets.flatMap((n) => [
      `    oifname ${q(n.dev)} ct state established,related accept`,
      `    oifname ${q(n.dev)} drop`,
    ]),
    ...nets.flatMap((n) => [
      `    iifname ${q(n.dev)} ip saddr ${n.subnet} accept`,
      `    iifname ${q(n.dev)} drop`,
    ]),
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    ...nets.map((n) => `    oifname != ${q(n.dev)} ip saddr ${n.subnet} masquerade`),
    '  }',
    '}',
    '',
  ].join('\n');
}

export function planNat(desired: DesiredState, observed: NatObserved): NatPlan {
  const nets = natNetworks(desired);
  const { state, loaded, ipForward } = observed;
  const plan: NatPlan = { why: [] };
  if (nets.length === 0) {
    if (!state) return plan;
    plan.load = renderRuleset([]);
    plan.why.push(`nftables table ${NAT_TABLE} removed: no NAT network left`);
    if (ipForward !== state.ipForwardWas) {
      plan.ipForward = state.ipForwardWas;
      plan.why.push(`net.ipv4.ip_forward back to ${state.ipForwardWas}, as it was before the first NAT network`);
    }
    plan.state = null;
    return plan;
  }
  const ruleset = renderRuleset(nets);
  const what = nets.map((n) => `${n.dev} (${n.subnet})`).join(', ');
  if (!state || state.ruleset !== ruleset || !loaded) {
    plan.load = ruleset;
    plan.why.push(`nftables table ${NAT_TABLE}: NAT for ${what}`);
  }
  if (ipForward !== '1') {
    plan.ipForward = '1';
    plan.why.push('net.ipv4.ip_forward on: the host forwards for its NAT networks');
  }
  const next = { ruleset, ipForwardWas: state?.ipForwardWas ?? ipForward };
  if (!state || state.ruleset !== next.ruleset || state.ipForwardWas !== next.ipForwardWas) plan.state = next;
  return plan;
}

export function natPlanSize(plan: NatPlan): number {
  return plan.why.length + (plan.state === undefined ? 0 : 1);
}

const statePath = (stateDir: string): string => join(stateDir, 'nat.json');

export async function readNat(stateDir: string, timeoutS: number): Promise<NatObserved> {
  const ipForward = readFileSync(IP_FORWARD, 'utf8').trim();
  let state: NatState | undefined;
  try {
    state = JSON.parse(readFileSync(statePath(stateDir), 'utf8')) as NatState;
  } catch {
    state = undefined;
  }
  if (!state) return { loaded: false, ipForward };
  const listed = await run('nft', ['list', 'table', 'ip', NAT_TABLE], { timeoutMs: timeoutS * 1000 });
  return { state, loaded: listed.exitCode === 0, ipForward };
}

/** The state first (the original ip_forward is remembered before it changes), then nft, then the sysctl. */
export async function applyNat(stateDir: string, plan: NatPlan, timeoutS: number): Promise<void> {
  if (plan.state) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(statePath(stateDir), JSON.stringify(plan.state));
  }
  if (plan.load !== undefined) {
    const result = await run('nft', ['-f', '-'], { input: plan.load, timeoutMs: timeoutS * 1000 });
    if (result.exitCode !== 0) {
      throw new HostError(`nftables table ${NAT_TABLE}`, `loading the NAT rules failed: ${firstLine(result.stderr) || `exit code ${result.exitCode}`}`);
    }
  }
  if (plan.ipForward !== undefined) {
    try {
      writeFileSync(IP_FORWARD, plan.ipForward);
    } catch (err) {
      throw new HostError(IP_FORWARD, `setting it to ${plan.ipForward} failed: ${(err as Error).message}`);
    }
  }
  if (plan.state === null && existsSync(statePath(stateDir))) rmSync(statePath(stateDir));
}
