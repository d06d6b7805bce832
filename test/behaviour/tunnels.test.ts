/**
 * Overlay networks across two (then three) simulated hosts: tunnel ports of
 * the network's own bridge carry VM traffic between hosts, VNIs keep
 * overlays apart, remote edits touch only their ports, and MTUs that do not
 * fit the underlay are refused.
 */
import t from 'tap';
import { createHosts, underlayAddress, type SimHost } from '../lib/hosts.js';
import { applyOk, ovsNet, setup } from '../lib/requests.js';
import { ping } from '../lib/sandbox.js';

const remotes = (...hosts: number[]) => hosts.map(underlayAddress).join(',');

/** An overlay network as the Engine sends it, attached to eth1, host n's address 10.61.0.n when given. */
function overlay(tunnel: string, hosts: number[], opts: { n?: number; mtu?: number; custom?: Record<string, string> } = {}) {
  return ovsNet({
    nic: 'eth1', mtu: opts.mtu ?? 1450,
    ...(opts.n === undefined ? {} : { ipaddr: `10.61.0.${opts.n}`, prefix: '24' }),
    custom: { ovs: 'true', ovs_tunnel: tunnel, ovs_tunnel_remotes: remotes(...hosts), ...opts.custom },
  });
}

interface Tunnel { name: string; port: string; iface: string; type: string; options: Record<string, string> }

/** The hook's tunnel ports on a host, by remote_ip, with the uuids of their Port and Interface rows. */
async function tunnels(h: SimHost): Promise<Map<string, Tunnel>> {
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

t.test('VXLAN, Geneve and GRE overlays carry VM traffic between hosts; another VNI stays apart', async (t) => {
  const lab = await createHosts(t, 2);
  const [h1, h2] = lab.hosts as [SimHost, SimHost];
  for (const type of ['vxlan', 'geneve', 'gre']) {
    for (const h of [h1, h2]) {
      await applyOk(t, h, setup({
        ov1: overlay(`${type}:5001`, [1, 2], { n: h.n }),
        ov2: overlay(`${type}:5002`, [1, 2]),
      }));
    }
    const ports = await tunnels(h1);
    t.same([...ports.keys()].sort(), ['198.18.0.2/5001', '198.18.0.2/5002'],
      `${type}: host 1 has one tunnel per overlay, to host 2 with the overlay's key (its own address skipped)`);
    t.same([...ports.values()].map((p) => p.type), [type, type], `${type}: of that type`);
    if (type === 'vxlan') {
      // VMs once: they stay plugged while the networks' tunnels change type
      vms.a1 = await h1.addVm('ov1', '10.61.0.11/24');
      vms.a2 = await h2.addVm('ov1', '10.61.0.12/24');
      vms.b1 = await h1.addVm('ov2', '10.61.0.21/24');
      vms.b2 = await h2.addVm('ov2', '10.61.0.22/24');
    }
    t.ok(await ping(vms.a1!.ns, '10.61.0.12', { timeoutS: 10 }), `${type}: VM on host 1 reaches the VM on host 2`);
    t.ok(await ping(vms.a1!.ns, '10.61.0.2'), `${type}: VM on host 1 reaches host 2's address on the overlay`);
    t.ok(await ping(h2.ns, '10.61.0.11'), `${type}: host 2 reaches the VM on host 1`);
    t.ok(await ping(vms.b1!.ns, '10.61.0.22', { timeoutS: 10 }), `${type}: the second overlay carries its own VMs`);
    t.notOk(await ping(vms.a1!.ns, '10.61.0.22', { count: 1, timeoutS: 3 }), `${type}: the first overlay does not reach the second's VM`);
    t.notOk(await ping(vms.b1!.ns, '10.61.0.12', { count: 1, timeoutS: 3 }), `${type}: nor the second the first's`);
  }
});
const vms: Record<string, { ns: string } | undefined> = {};
