/**
 * Overlay networks across two simulated hosts: VXLAN, Geneve and GRE tunnel
 * ports of the network's own bridge carry VM traffic between hosts at the
 * largest MTU that fits the underlay, and VNIs keep overlays apart.
 */
import t from 'tap';
import { createHosts, type SimHost, type Vm } from '../lib/hosts.js';
import { applyOk, setup } from '../lib/requests.js';
import { ping } from '../lib/sandbox.js';
import { overlay, tunnels } from '../lib/tunnels.js';

t.test('VXLAN, Geneve and GRE overlays carry VM traffic between hosts; another VNI stays apart', async (t) => {
  const lab = await createHosts(t, 2);
  const [h1, h2] = lab.hosts as [SimHost, SimHost];
  const vms: Record<string, Vm | undefined> = {};
  for (const type of ['vxlan', 'geneve', 'gre']) {
    // the largest MTU that fits an underlay of 1500 (GRE with a key takes 42 bytes, VXLAN and Geneve 50)
    const mtu = type === 'gre' ? 1458 : 1450;
    for (const h of [h1, h2]) {
      await applyOk(t, h, setup({
        ov1: overlay(`${type}:5001`, [1, 2], { n: h.n, mtu }),
        ov2: overlay(`${type}:5002`, [1, 2], { mtu }),
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
    t.ok(await ping(vms.a1!.ns, '10.61.0.12', { args: ['-M', 'do', '-s', String(mtu - 28)] }),
      `${type}: a don't-fragment ping of the network MTU ${mtu} gets through`);
    t.ok(await ping(h2.ns, '10.61.0.11'), `${type}: host 2 reaches the VM on host 1`);
    t.ok(await ping(vms.b1!.ns, '10.61.0.22', { timeoutS: 10 }), `${type}: the second overlay carries its own VMs`);
    t.notOk(await ping(vms.a1!.ns, '10.61.0.22', { count: 1, timeoutS: 3 }), `${type}: the first overlay does not reach the second's VM`);
    t.notOk(await ping(vms.b1!.ns, '10.61.0.12', { count: 1, timeoutS: 3 }), `${type}: nor the second the first's`);
  }
});
