/** DHCP in the sandbox: a dnsmasq peer, the hook's configuration, and the clients the hook records. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';

export const DHCP_DIR = 'var/lib/vdsm-hook-ovs/dhcp';

export function hookConfig(sb: Sandbox, lines: string): void {
  mkdirSync(join(sb.root, 'etc/vdsm'), { recursive: true });
  writeFileSync(join(sb.root, 'etc/vdsm/vdsm-hook-ovs.conf'), `[ovs]\n${lines}`);
}

/** dnsmasq on a peer endpoint of the given VLAN: leases .50-.60, and itself as the router. */
export async function dhcpServer(sb: Sandbox, endpoint: string, vlan: number, subnet: string): Promise<void> {
  await sb.peerEndpoint(endpoint, vlan, `${subnet}.2/24`);
  // it lives in the peer namespace, which the sandbox empties of processes when it goes
  await sb.exec(sb.peer, 'dnsmasq', [
    '--conf-file=/dev/null', `--interface=${endpoint}`, '--bind-interfaces', '--port=0',
    `--dhcp-range=${subnet}.50,${subnet}.60,255.255.255.0,1h`, `--dhcp-option=option:router,${subnet}.2`,
    `--dhcp-leasefile=${join(sb.root, `dnsmasq-${endpoint}.leases`)}`, `--pid-file=${join(sb.root, `dnsmasq-${endpoint}.pid`)}`,
  ]);
}

/** The DHCP client the hook recorded for dev, and whether that process runs. */
export function dhcpClient(sb: Sandbox, dev: string, family = 4): { pid: number; client: string; alive: boolean } | undefined {
  const file = join(sb.root, DHCP_DIR, `${dev}-${family}.json`);
  if (!existsSync(file)) return undefined;
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; client: string };
  return { ...rec, alive: pidRunsFor(rec.pid, dev) };
}

export function pidRunsFor(pid: number, dev: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0\s]+/).includes(dev);
  } catch {
    return false;
  }
}
