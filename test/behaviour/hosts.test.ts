/** The multi-host harness itself: hosts on one underlay reach each other through their OVS underlay networks. */
import t from 'tap';
import { createHosts } from '../lib/hosts.js';
import { ping } from '../lib/sandbox.js';

t.test('two simulated hosts reach each other on the underlay, a third joins later', async (t) => {
  const lab = await createHosts(t, 2);
  const [h1, h2] = lab.hosts;
  t.equal(await h1!.ovs.vsctl('get', 'Interface', 'ul', 'external_ids:vdsm-hook-ovs'), 'network',
    "the underlay address is on the hook's OVS network");
  t.ok(await ping(h1!.ns, h2!.address), 'host 1 pings host 2');
  const h3 = await lab.addHost();
  t.ok(await ping(h3.ns, h1!.address), 'a host added later pings host 1');
  await lab.peerEndpoint('out', '198.18.0.200/24');
  t.ok(await ping(lab.switchNs, h2!.address), 'a machine outside the hosts pings host 2');
});
