/**
 * Overlay networks edited and removed across three simulated hosts: remote
 * edits touch only their tunnel ports, MTUs that do not fit the underlay and
 * IPsec are refused with nothing changed, a NIC-less overlay, `show`, caps,
 * and removal leaving nothing on any host.
 */
import t from 'tap';
import { createHosts, type SimHost } from '../lib/hosts.js';
import { applyOk, remove, setup } from '../lib/requests.js';
import { ping } from '../lib/sandbox.js';
import { overlay, tunnels } from '../lib/tunnels.js';

t.test('remotes edited, MTU and IPsec refused, NIC-less overlay, show, removal on every host', async (t) => {
  const lab = await createHosts(t, 2);
  const [h1, h2] = lab.hosts as [SimHost, SimHost];
  // host 4 does not exist: its tunnel is configured all the same, and dropped below
  const first = (n: number) => setup({
    ov: overlay('vxlan:6001', [1, 2, 4], { n }),
    keep: overlay('vxlan:6002', [1, 2]),
  });
  await applyOk(t, h1, first(1));
  await applyOk(t, h2, first(2));
  const a1 = await h1.addVm('ov', '10.61.0.11/24');
  const a2 = await h2.addVm('ov', '10.61.0.12/24');
  t.ok(await ping(a1.ns, a2.address, { timeoutS: 10, args: ['-M', 'do', '-s', '1422'] }),
    'a don\'t-fragment ping of the network MTU (1450 = 1422 + 28) passes the tunnel');

  const cfg = await h1.ovs.nextCfg();
  await applyOk(t, h1, first(1));
  t.equal(await h1.ovs.nextCfg(), cfg, 'the same request again writes nothing to OVS');

  const show = (await h1.runCli(['show'])).stdout;
  t.match(show, /^bridge ovsbr-ov: uplink none, /m, 'show: the overlay on a bridge of its own');
  t.match(show, /^  tunnel vtun-\w+: vxlan to 198\.18\.0\.2, key 6001, up \(egress ul\)$/m, 'show: the tunnel to host 2, up');
  t.match(show, /^  tunnel vtun-\w+: vxlan to 198\.18\.0\.4, key 6001, up \(egress ul\)$/m, 'show: the tunnel to host 4');

  const caps = await h1.runHook('after_get_caps', { networks: {}, bridges: {}, vlans: {}, bondings: {}, nics: {} });
  t.equal(caps.output?.networks?.ov?.southbound, 'eth1', 'caps: the overlay on the NIC the Engine attached it to');

  const db = await h1.ovs.snapshot();
  const files = await h1.files();
  const refused: [string, unknown, RegExp][] = [
    ['MTU too large for the underlay', setup({ ov: overlay('vxlan:6001', [1, 2, 4], { n: 1, mtu: 1460 }) }),
      /^network 'ov': mtu: 1460 does not fit the underlay: vxlan takes 50 bytes of the MTU 1500 of ul; set the network's MTU to at most 1450, or the MTU of ul to at least 1510$/],
    ['IPsec', setup({ ov: overlay('vxlan:6001', [1, 2], { n: 1, custom: { ovs_tunnel_psk: 'swordfish' } }) }),
      /^network 'ov': custom\.ovs_tunnel_psk: encrypted tunnels are not supported: .* clear text; remove the property$/],
    ['unknown tunnel type', setup({ ov: overlay('stt:6001', [1, 2], { n: 1 }) }),
      /^network 'ov': custom\.ovs_tunnel: "stt:6001" is not TYPE:KEY with TYPE one of vxlan, geneve, gre$/],
    ['VNI out of range', setup({ ov: overlay('vxlan:16777216', [1, 2], { n: 1 }) }),
      /^network 'ov': custom\.ovs_tunnel: vxlan key 16777216 is not in 0-16777215$/],
    ['remote not an address', setup({ ov: overlay('vxlan:6001', [1], { n: 1, custom: { ovs_tunnel_remotes: '198.18.0.2,host3' } }) }),
      /^network 'ov': custom\.ovs_tunnel_remotes: "host3" is not an IPv4 address$/],
  ];
  for (const [what, payload, error] of refused) {
    const r = await h1.runHook('before_network_setup', payload);
    t.equal(r.exitCode, 2, `${what}: refused`);
    t.match(r.stderr.split('\n')[0], error, `${what}: the error says why`);
  }
  t.equal(await h1.ovs.snapshot(), db, 'refused requests left OVS as it was');
  t.same(await h1.files(), files, 'and the files');

  // host 3 joins with a NIC-less overlay; host 1 drops host 4 and adds host 3
  const h3 = await lab.addHost();
  const before = await tunnels(h1);
  const edited = setup({ ov: overlay('vxlan:6001', [1, 2, 3], { n: 1 }) });
  const cfgEdit = await h1.ovs.nextCfg();
  const planned = await h1.runCli(['plan', '-'], { input: JSON.stringify(edited) });
  t.match(planned.stdout, /ovs-vsctl del-port vtun-\w+ +# tunnel vtun-\w+ removed/, 'plan: the tunnel to host 4 goes');
  t.match(planned.stdout, /ovs-vsctl add-port ovsbr-ov vtun-\w+ +# network ov: vxlan tunnel to 198\.18\.0\.3, key 6001/,
    'plan: a tunnel to host 3 comes');
  t.equal(await h1.ovs.nextCfg(), cfgEdit, 'plan changes nothing');
  await applyOk(t, h1, edited);
  t.equal(await h1.ovs.nextCfg(), cfgEdit + 1, 'the edit is one transaction');
  const after = await tunnels(h1);
  t.same([...after.keys()].sort(), ['198.18.0.2/6001', '198.18.0.2/6002', '198.18.0.3/6001'], 'host 4 dropped, host 3 added');
  for (const kept of ['198.18.0.2/6001', '198.18.0.2/6002']) {
    t.same([after.get(kept)!.port, after.get(kept)!.iface], [before.get(kept)!.port, before.get(kept)!.iface],
      `the tunnel ${kept} is the same Port and Interface row`);
  }
  const { nic: _nic, ...nicless } = overlay('vxlan:6001', [1, 2, 3], { n: 3 });
  await applyOk(t, h3, setup({ ov: nicless }));
  const a3 = await h3.addVm('ov', '10.61.0.13/24');
  t.ok(await ping(a3.ns, a1.address, { timeoutS: 10 }), 'a VM on the NIC-less overlay of host 3 reaches the VM on host 1');

  for (const h of [h1, h2, h3]) {
    await applyOk(t, h, setup({ ov: remove, ...(h.n === 3 ? {} : { keep: remove }) }));
    t.same((await h.ovs.vsctl('list-br')).split('\n'), ['ovsbr-eth1', 'ul'], `host ${h.n}: only the underlay's bridges are left`);
    t.equal(await h.ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', 'external_ids:vdsm-hook-ovs=tunnel'), '',
      `host ${h.n}: no tunnel left`);
  }
});
