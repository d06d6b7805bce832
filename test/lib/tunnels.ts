/** Overlay networks as the Engine sends them, and the hook's tunnel ports as OVS holds them, for the tunnel tests. */
import { underlayAddress, type SimHost } from './hosts.js';
import { ovsNet } from './requests.js';

const remotes = (...hosts: number[]) => hosts.map(underlayAddress).join(',');

/** An overlay network as the Engine sends it, attached to eth1, host n's address 10.61.0.n when given. */
export function overlay(tunnel: string, hosts: number[], opts: { n?: number; mtu?: number; custom?: Record<string, string> } = {}) {
  return ovsNet({
    nic: 'eth1', mtu: opts.mtu ?? 1450,
    ...(opts.n === undefined ? {} : { ipaddr: `10.61.0.${opts.n}`, prefix: '24' }),
    custom: { ovs: 'true', ovs_tunnel: tunnel, ovs_tunnel_remotes: remotes(...hosts), ...opts.custom },
  });
}

export interface Tunnel { name: string; port: string; iface: string; type: string; options: Record<string, string> }

/** The hook's tunnel ports on a host, by remote_ip, with the uuids of their Port and Interface rows. */
export async function tunnels(h: SimHost): Promise<Map<string, Tunnel>> {
  const list = async (table: string, columns: string) => (JSON.parse(await h.ovs.vsctl('--format=json', '--data=json',
    `--columns=${columns}`, 'find', table, 'external_ids:vdsm-hook-ovs=tunnel')) as { data: unknown[][] }).data;
  const ports = new Map((await list('Port', 'name,_uuid')).map(([name, uuid]) => [name as string, (uuid as string[])[1]!]));
  const out = new Map<string, Tunnel>();
  for (const [name, uuid, type, options] of await list('Interface', 'name,_uuid,type,options')) {
    const opts = Object.fromEntries((options as [string, [string, string][]])[1]);
    out.set(`${opts['remote_ip']}/${opts['key']}`,
      { name: name as string, port: ports.get(name as string)!, iface: (uuid as string[])[1]!, type: type as string, options: opts });
  }
  return out;
}
