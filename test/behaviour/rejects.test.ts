/**
 * Every rejected request fails as a whole with one clear line naming the
 * object and the attribute, and leaves the OVS DB, the running config and
 * every file exactly as they were.
 */
import t from 'tap';
import { createSandbox } from '../lib/sandbox.js';
import { applyOk, ovsBond, ovsNet, remove, setup, type Attrs } from '../lib/requests.js';

const good = ovsNet({ nic: 'eth1', vlan: '100', ipaddr: '10.100.0.1', netmask: '255.255.255.0' });

const cases: { what: string; payload: unknown; raw?: string; error: RegExp }[] = [
  { what: 'VLAN out of range', payload: setup({ x: ovsNet({ nic: 'eth1', vlan: '4095' }) }),
    error: /^network 'x': vlan: "4095" is not an integer in 0-4094$/ },
  { what: 'MTU too small', payload: setup({ x: ovsNet({ nic: 'eth1', mtu: 67 }) }),
    error: /^network 'x': mtu: 67 is not an integer in 68-65535$/ },
  { what: 'NIC missing on the host', payload: setup({ x: ovsNet({ nic: 'eth9' }) }),
    error: /^network 'x': nic: eth9 does not exist on this host$/ },
  { what: 'name too long', payload: setup({ 'a-very-long-name1': ovsNet({ nic: 'eth1' }) }),
    error: /^network 'a-very-long-name1': name: .* is longer than 15 characters$/ },
  { what: 'name ifup-ovs would expand as a file pattern', payload: setup({ 'net*': ovsNet({ nic: 'eth1' }) }),
    error: /^network 'net\*': net\* cannot be written to an ifcfg file: ifup-ovs would expand its \*, \?, \[ or \\ as a file pattern$/ },
  { what: 'name with a slash', payload: setup({ 'a/b': ovsNet({ nic: 'eth1' }) }),
    error: /^network 'a\/b': name: .* contains "\/", ":" or whitespace$/ },
  { what: 'same uplink and VLAN as an existing network', payload: setup({ y: ovsNet({ nic: 'eth1', vlan: 100 }) }),
    error: /^network 'y': vlan: network 'good' is already VLAN 100 on eth1$/ },
  { what: 'bond of one NIC', payload: setup({}, { bond0: ovsBond(['eth2']) }),
    error: /^bond 'bond0': nics: an OVS bond needs at least 2 NICs, got 1$/ },
  { what: 'unknown bond mode', payload: setup({}, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_mode:balance-rr') }),
    error: /^bond 'bond0': options custom ovs_mode: "balance-rr" is not one of active-backup, balance-slb, balance-tcp$/ },
  { what: 'unknown LACP mode', payload: setup({}, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_lacp:fast') }),
    error: /^bond 'bond0': options custom ovs_lacp: "fast" is not one of off, active, passive$/ },
  { what: 'network on a bond that does not exist', payload: setup({ x: ovsNet({ bonding: 'bond7' }) }),
    error: /^network 'x': bonding: bond7 is not defined$/ },
  { what: 'NIC already used by the network uplink as bond slave',
    payload: setup({}, { bond0: ovsBond(['eth1', 'eth2']) }),
    error: /^network 'good': nic: eth1 is a slave of bond 'bond0'$/ },
  { what: 'DHCP with a static address', payload: setup({ x: ovsNet({ nic: 'eth2', bootproto: 'dhcp', ipaddr: '10.1.1.1', prefix: '24' }) }),
    error: /^network 'x': ipaddr: a static address cannot be combined with bootproto dhcp$/ },
  { what: 'nameservers off the default route', payload: setup({ x: ovsNet({ nic: 'eth2', nameservers: ['10.1.1.53'] }) }),
    error: /^network 'x': nameservers: only the network with the default route may set them$/ },
  { what: 'IPv6 without a prefix', payload: setup({ x: ovsNet({ nic: 'eth2', ipv6addr: '2001:db8::1' }) }),
    error: /^network 'x': ipv6addr: "2001:db8::1" is not an IPv6 address with a \/prefix \(0-128\)$/ },
  { what: 'ipaddr without netmask', payload: setup({ x: ovsNet({ nic: 'eth2', ipaddr: '10.1.1.1' }) }),
    error: /^network 'x': netmask\/prefix: ipaddr needs a netmask or a prefix$/ },
  { what: 'bad custom.ovs value', payload: setup({ x: { nic: 'eth2', custom: { ovs: 'maybe' } } }),
    error: /^network 'x': custom\.ovs: "maybe" is not a boolean/ },
  { what: 'a valid network next to an invalid one: nothing is applied',
    payload: setup({ fine: ovsNet({ nic: 'eth2', vlan: 5 }), bad: ovsNet({ nic: 'eth2', vlan: 'x' }) }),
    error: /^network 'bad': vlan: "x" is not an integer in 0-4094$/ },
  { what: 'input that is not JSON', payload: null, raw: '{"request": ',
    error: /^hook input: is not JSON/ },
  { what: 'input without a request', payload: { networks: {} },
    error: /^request: the hook input has no "request" object$/ },
];

t.test('rejected requests change nothing', async (t) => {
  const sb = await createSandbox(t);
  await applyOk(t, sb, setup({ good }));
  const db = await sb.hostOvs.snapshot();
  const cfg = await sb.hostOvs.nextCfg();
  const files = await sb.files();
  for (const c of cases) {
    const r = await sb.runHook('before_network_setup', c.payload, c.raw === undefined ? {} : { raw: c.raw });
    t.equal(r.exitCode, 2, `${c.what}: exit code 2`);
    t.match(r.stderr.split('\n')[0], c.error, `${c.what}: first stderr line names object and attribute`);
    t.equal(await sb.hostOvs.nextCfg(), cfg, `${c.what}: nothing written to OVS`);
    t.same(await sb.files(), files, `${c.what}: running config and files unchanged`);
  }
  t.equal(await sb.hostOvs.snapshot(), db, 'OVS DB identical after all rejected requests');
});

t.test('removing a bond that a network still uses is refused', async (t) => {
  const sb = await createSandbox(t);
  await applyOk(t, sb, setup({ v: ovsNet({ bonding: 'bond0', vlan: 3 }) }, { bond0: ovsBond(['eth1', 'eth2']) }));
  const db = await sb.hostOvs.snapshot();
  const files = await sb.files();
  const r = await sb.runHook('before_network_setup', setup({}, { bond0: remove }));
  t.equal(r.exitCode, 2);
  t.match(r.stderr.split('\n')[0],
    /^network 'v': bonding: bond bond0 is removed by this request but the network still uses it$/);
  t.equal(await sb.hostOvs.snapshot(), db);
  t.same(await sb.files(), files);
});

t.test('a request with nothing for OVS goes back to VDSM untouched', async (t) => {
  const sb = await createSandbox(t);
  const legacy: Attrs = { nic: 'eth0', vlan: '50', bootproto: 'dhcp', bridged: 'true', STP: 'no', mtu: 1500 };
  const payload = setup({ display: legacy }, {}, { connectivityCheck: 'true', connectivityTimeout: 120 });
  const r = await applyOk(t, sb, payload);
  t.same(r.output, payload, 'document unchanged');
  t.equal(await sb.hostOvs.vsctl('list-br'), '', 'OVS untouched');
});

t.test('ovs-vswitchd down: the hook fails clearly within its timeout and the DB is unchanged', async (t) => {
  const sb = await createSandbox(t);
  await applyOk(t, sb, setup({ good }));
  const db = await sb.hostOvs.snapshot();
  const files = await sb.files();
  await sb.hostOvs.stopVswitchd();
  const started = Date.now();
  const r = await sb.runHook('before_network_setup', setup({ more: ovsNet({ nic: 'eth2', vlan: 8 }) }),
    { env: { VDSM_HOOK_OVS_TIMEOUT: '2' } });
  const took = (Date.now() - started) / 1000;
  t.equal(r.exitCode, 2);
  t.match(r.stderr.split('\n')[0], /^ovs-vswitchd: not answering: .*; nothing was changed$/);
  t.ok(took < 2 + 3, `failed within the timeout plus a margin (${took.toFixed(1)} s)`);
  t.equal(await sb.hostOvs.snapshot(), db, 'OVS DB unchanged');
  t.same(await sb.files(), files, 'running config unchanged');
  await sb.hostOvs.startVswitchd();
  await applyOk(t, sb, setup({ more: ovsNet({ nic: 'eth2', vlan: 8 }) }));
});
