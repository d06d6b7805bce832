/**
 * A host with two OVS networks, a request that changes all of it, and the
 * host state a rollback must bring back: shared by the rollback, fault and
 * CLI tests.
 */
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from './sandbox.js';
import { applyOk, ovsNet, remove, setup } from './requests.js';

/** blue: VLAN 10 on eth1; red: untagged on eth2; peers for VLAN 10, 20 and untagged. */
export async function baseHost(t: Test): Promise<Sandbox> {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pv10', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pv20', 20, '10.20.0.2/24');
  await sb.peerEndpoint('pv30', 30, '10.30.0.2/24');
  await sb.peerEndpoint('pu', 0, '10.1.0.2/24');
  await applyOk(t, sb, setup({
    blue: ovsNet({ nic: 'eth1', vlan: '10', ipaddr: '10.10.0.1', netmask: '255.255.255.0' }),
    red: ovsNet({ nic: 'eth2', ipaddr: '10.1.0.1', prefix: '24' }),
  }));
  return sb;
}

/** An edit, a removal and an addition that raises an uplink's MTU: one request. */
export const change = setup({
  blue: ovsNet({ nic: 'eth1', vlan: '20', ipaddr: '10.20.0.1', netmask: '255.255.255.0' }),
  red: remove,
  green: ovsNet({ nic: 'eth2', vlan: '30', mtu: '9000', ipaddr: '10.30.0.1', prefix: '24' }),
});

/** Everything a rollback must bring back: OVS DB, files, kernel links (MTU, up, IPv4), default route. */
export async function hostState(sb: Sandbox) {
  const links = JSON.parse((await sb.exec(sb.host, 'ip', ['-j', 'addr', 'show'])).stdout) as {
    ifname: string; mtu: number; flags: string[]; addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  const kernel = links
    .filter((l) => l.ifname !== 'lo')
    .map((l) => [l.ifname, l.mtu, l.flags.includes('UP') ? 'UP' : 'DOWN',
      ...l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)].join(' '))
    .sort();
  const route = (await sb.exec(sb.host, 'ip', ['route', 'show', 'default'])).stdout.trim();
  return { db: await sb.hostOvs.snapshot(), files: await sb.files(), kernel, route };
}

export function pendingPhase(sb: Sandbox): string | undefined {
  try {
    return JSON.parse(readFileSync(join(sb.root, 'var/lib/vdsm-hook-ovs/pending.json'), 'utf8')).phase;
  } catch {
    return undefined;
  }
}

/** The old networks work again: blue on VLAN 10, red untagged. */
export async function oldTrafficWorks(t: Test, sb: Sandbox): Promise<void> {
  t.ok(await sb.ping(sb.host, '10.10.0.2'), 'blue reaches VLAN 10 again');
  t.ok(await sb.ping(sb.host, '10.1.0.2'), 'red reaches the untagged peer again');
}

