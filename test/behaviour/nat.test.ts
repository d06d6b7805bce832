/**
 * The host as NAT forwarder of a NIC-less network: its VMs reach a machine
 * outside the host behind the host's address, nothing gets in unless it is a
 * reply, and the rules and ip_forward go with the network (removal, rollback)
 * and come back with restore; nobody else's nftables table is touched.
 */
import t from 'tap';
import { createHosts, type SimHost } from '../lib/hosts.js';
import { applyOk, ovsNet, remove, setup } from '../lib/requests.js';
import { nsRun, ping } from '../lib/sandbox.js';

const natnet = ovsNet({ ipaddr: '10.70.0.1', prefix: '24', custom: { ovs: 'true', ovs_nat: 'true' } });
/** Somebody else's table, in the same hook (forward) as the hook's own. */
const FOREIGN = 'table inet foreign {\n  chain c {\n    type filter hook forward priority 10; policy accept;\n' +
  '    ip saddr 192.0.2.0/24 counter accept\n  }\n}\n';

const nft = async (h: SimHost, ...args: string[]) => (await h.exec('nft', args)).stdout;
const ipForward = async (h: SimHost) => (await h.exec('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim();

/** The source address a UDP datagram from `fromNs` to the outside machine arrives with, as that machine sees it. */
async function sourceSeenOutside(switchNs: string, fromNs: string): Promise<string> {
  const listen = execIn(switchNs, 'python3', ['-c', [
    'import socket', 's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)', "s.bind(('198.18.0.200', 7777))",
    's.settimeout(8)', 'print(s.recvfrom(64)[1][0])'].join('\n')]);
  await new Promise((r) => setTimeout(r, 500));
  await execIn(fromNs, 'python3', ['-c', [
    'import socket, time', 's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    "for _ in range(10):\n    s.sendto(b'hi', ('198.18.0.200', 7777)); time.sleep(0.3)"].join('\n')]);
  return (await listen).stdout.trim();
}

const execIn = (ns: string, cmd: string, args: string[]) => nsRun(ns, cmd, args, { reject: false });

t.test('NAT forwarder: out behind the host address, nothing in, rules gone with the network', async (t) => {
  const lab = await createHosts(t, 1);
  const h1 = lab.hosts[0]!;
  await lab.peerEndpoint('out', '198.18.0.200/24');
  await h1.exec('nft', ['-f', '-'], { input: FOREIGN });
  const foreign = await nft(h1, 'list', 'table', 'inet', 'foreign');
  t.equal(await ipForward(h1), '0', 'forwarding off to start with');

  const planned = await h1.runCli(['plan', '-'], { input: JSON.stringify(setup({ natnet })) });
  t.match(planned.stdout, /^nat: nftables table vdsm_hook_ovs: NAT for natnet \(10\.70\.0\.0\/24\)$/m, 'plan: the NAT rules');
  t.match(planned.stdout, /^nat: net\.ipv4\.ip_forward on/m, 'plan: forwarding on');
  t.notMatch(await nft(h1, 'list', 'tables'), /vdsm_hook_ovs/, 'plan loads nothing');
  await applyOk(t, h1, setup({ natnet }));
  const vm = await h1.addVm('natnet', '10.70.0.10/24', '10.70.0.1');
  t.ok(await ping(vm.ns, '198.18.0.200', { timeoutS: 10 }), 'the VM reaches the machine outside (which has no route back)');
  t.equal(await sourceSeenOutside(lab.switchNs, vm.ns), '198.18.0.1', "the outside machine sees the host's address");
  t.equal(await ipForward(h1), '1', 'forwarding on while a NAT network exists');

  // the outside machine knows the way in, and tries
  await execIn(lab.switchNs, 'ip', ['route', 'add', '10.70.0.0/24', 'via', '198.18.0.1']);
  const server = execIn(vm.ns, 'python3', ['-c', [
    'import socket', 's = socket.socket()', "s.bind(('0.0.0.0', 8080))", 's.listen()', 's.settimeout(6)',
    'try:\n    s.accept(); print("accepted")\nexcept OSError:\n    print("none")'].join('\n')]);
  const dial = await execIn(lab.switchNs, 'python3', ['-c', [
    'import socket', 's = socket.socket()', 's.settimeout(3)',
    "try:\n    s.connect(('10.70.0.10', 8080)); print('connected')\nexcept OSError as e:\n    print('refused', e)"].join('\n')]);
  t.match(dial.stdout, /^refused/, 'a connection from outside into the network does not get through');
  t.equal((await server).stdout.trim(), 'none', 'the VM saw no connection');
  t.notOk(await ping(lab.switchNs, '10.70.0.10', { count: 1, timeoutS: 2 }), 'nor a ping');

  const cfg = await h1.ovs.nextCfg();
  const files = await h1.files();
  await applyOk(t, h1, setup({ natnet }));
  t.equal(await h1.ovs.nextCfg(), cfg, 'the same request again writes nothing to OVS');
  t.same(await h1.files(), files, 'nor any file');

  const refused = await h1.runHook('before_network_setup', setup({ bad: ovsNet({ custom: { ovs: 'true', ovs_nat: 'true' } }) }));
  t.equal(refused.exitCode, 2, 'NAT without a static IPv4 address is refused');
  t.match(refused.stderr.split('\n')[0], /^network 'bad': custom\.ovs_nat: a NAT network needs a static IPv4 address/);
  t.same(await h1.files(), files, 'with nothing changed');

  // a reboot: the kernel forgets the table and the sysctl; restore brings them back
  await h1.exec('nft', ['delete', 'table', 'ip', 'vdsm_hook_ovs']);
  await h1.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
  const restored = await h1.runCli(['restore']);
  t.equal(restored.exitCode, 0, `restore succeeded ${restored.stderr}`);
  t.ok(await ping(vm.ns, '198.18.0.200', { timeoutS: 10 }), 'NAT works again after restore');

  await applyOk(t, h1, setup({ natnet: remove }));
  t.notMatch(await nft(h1, 'list', 'tables'), /vdsm_hook_ovs/, "the hook's table is gone with the last NAT network");
  t.equal(await ipForward(h1), '0', 'forwarding given back as it was');
  t.equal(await nft(h1, 'list', 'table', 'inet', 'foreign'), foreign, 'the foreign table is byte for byte as it was');
});

t.test('a NAT network rolled back by after_network_setup_fail takes its rules with it', async (t) => {
  const lab = await createHosts(t, 1);
  const h1 = lab.hosts[0]!;
  const r = await h1.runHook('before_network_setup', setup({ natnet }));
  t.equal(r.exitCode, 0, r.stderr);
  t.match(await nft(h1, 'list', 'tables'), /table ip vdsm_hook_ovs/, 'rules loaded with the network');
  const fail = await h1.runHook('after_network_setup_fail', r.output);
  t.equal(fail.exitCode, 0, fail.stderr);
  t.notMatch(await nft(h1, 'list', 'tables'), /vdsm_hook_ovs/, 'the rollback removed the table');
  t.equal(await ipForward(h1), '0', 'and gave ip_forward back');
});
