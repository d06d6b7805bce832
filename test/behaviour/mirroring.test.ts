/**
 * Port mirroring of VM NICs on OVS networks, with real OVS and real traffic.
 *
 * A simulated VDSM runs the VM-level hooks with the domain XML as the Engine
 * writes it (the portMirroring request in its metadata, libvirt's <target
 * dev>) and the device hooks with the <interface> alone, and applies its own
 * tc mirroring as VDSM's setPortMirroring does (an ingress filter and a root
 * qdisc filter with `mirred egress mirror dev TAP` on the device named after
 * the network, promiscuous mode): after after_vm_start and after_nic_hotplug,
 * before after_vm_migrate_destination. A simulated libvirt plugs the taps
 * (veths) into the network's fake bridge. The mirror VM counts frames with
 * tcpdump.
 *
 * libvirt is not available here. The hot-plug hook reads the domain with
 * `virsh -r dumpxml`; a stand-in `virsh` script put on the hook's PATH by the
 * test prints the domain XML libvirt would hold (and fails for any other
 * command line). OVS and the kernel are real.
 */
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyOk, ovsNet, remove, setup } from '../lib/requests.js';
import { createSandbox, type Sandbox } from '../lib/sandbox.js';
import { vdsmUser } from '../lib/vdsm-user.js';

interface Nic {
  mac: string;
  net: string;
  tap?: string;
  mirror?: boolean;
}

/** A running domain as libvirt dumps it for an Engine-made VM. */
function domainXml(uuid: string, name: string, nics: Nic[]): string {
  const devices = nics.map((n) => `      <ovirt-vm:device mac_address="${n.mac}">
${n.mirror ? `        <ovirt-vm:portMirroring>
          <ovirt-vm:network>${n.net}</ovirt-vm:network>
        </ovirt-vm:portMirroring>
` : ''}        <ovirt-vm:custom/>
      </ovirt-vm:device>`).join('\n');
  const ifaces = nics.map((n) => `    <interface type='bridge'>
      <mac address='${n.mac}'/>
      <source bridge='${n.net}'/>
      <virtualport type='openvswitch'/>
${n.tap ? `      <target dev='${n.tap}'/>\n` : ''}      <model type='virtio'/>
      <link state='up'/>
    </interface>`).join('\n');
  return `<domain type='kvm' id='1' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <metadata xmlns:ns1="http://ovirt.org/vm/tune/1.0" xmlns:ovirt-vm="http://ovirt.org/vm/1.0">
    <ns1:qos/>
    <ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0">
      <ovirt-vm:clusterVersion>4.4</ovirt-vm:clusterVersion>
${devices}
    </ovirt-vm:vm>
  </metadata>
  <devices>
${ifaces}
  </devices>
</domain>
`;
}

/** The <interface> VDSM hands the device hooks. */
const interfaceXml = (n: Nic): string => `<?xml version='1.0' encoding='utf-8'?>
<interface type="bridge">
    <mac address="${n.mac}"/>
    <model type="virtio"/>
    <source bridge="${n.net}"/>
    <link state="up"/>
    <virtualport type="openvswitch"/>
</interface>`;

/** libvirt plugging a VM NIC: a veth tap added to the network's fake bridge, which tags it. */
async function plug(sb: Sandbox, vm: string, tap: string, n: Nic, cidr?: string): Promise<void> {
  await sb.addVmNic(tap, 'eth0', vm);
  await sb.hostOvs.vsctl('add-port', n.net, tap, '--', 'set', 'Interface', tap, `external-ids:attached-mac=${n.mac}`);
  await sb.setLink(sb.host, tap, true);
  if (cidr) await sb.exec(vm, 'ip', ['addr', 'add', cidr, 'dev', 'eth0']);
}

const tc = (sb: Sandbox, ...args: string[]) => sb.exec(sb.host, 'tc', args);
const MIRRED = (tap: string) => ['protocol', 'all', 'u32', 'match', 'u8', '0', '0', 'action', 'mirred', 'egress', 'mirror', 'dev', tap];

/**
 * VDSM's setPortMirroring(net, tap). VDSM replaces the root qdisc by `prio`;
 * this kernel has no sch_prio (CONFIG_NET_SCH_PRIO unset), so htb, also
 * classful, stands in: the egress filter hangs on the root qdisc the same way.
 */
async function vdsmSetPortMirroring(sb: Sandbox, net: string, tap: string): Promise<void> {
  await sb.exec(sb.host, 'tc', ['qdisc', 'add', 'dev', net, 'ingress'], { reject: false });
  await tc(sb, 'filter', 'replace', 'dev', net, 'parent', 'ffff:', ...MIRRED(tap));
  await tc(sb, 'qdisc', 'replace', 'dev', net, 'root', 'handle', '1:', 'htb');
  await tc(sb, 'filter', 'replace', 'dev', net, 'parent', '1:', ...MIRRED(tap));
  await sb.exec(sb.host, 'ip', ['link', 'set', net, 'promisc', 'on']);
}

/**
 * VDSM's unsetPortMirroring(net, tap), as it runs before before_nic_hotunplug
 * and after_vm_destroy: the tap's actions out, and with no other target left
 * both qdiscs deleted and promiscuous mode off.
 */
async function vdsmUnsetPortMirroring(sb: Sandbox, net: string, tap: string): Promise<void> {
  const left = (await mirredTargets(sb, net)).filter((target) => target !== tap);
  if (left.length) throw new Error(`the simulated VDSM handles one mirroring NIC per network, ${net} has ${left.join(', ')}`);
  for (const parent of ['ffff:', '1:']) {
    await sb.exec(sb.host, 'tc', ['filter', 'del', 'dev', net, 'parent', parent], { reject: false });
  }
  await sb.exec(sb.host, 'tc', ['qdisc', 'del', 'dev', net, 'root'], { reject: false });
  await sb.exec(sb.host, 'tc', ['qdisc', 'del', 'dev', net, 'ingress'], { reject: false });
  await sb.exec(sb.host, 'ip', ['link', 'set', net, 'promisc', 'off']);
}

/** The tc mirred targets on a device's ingress and root filters. */
async function mirredTargets(sb: Sandbox, net: string): Promise<string[]> {
  const out = await Promise.all(['ffff:', '1:'].map(async (parent) =>
    (await sb.exec(sb.host, 'tc', ['filter', 'show', 'dev', net, 'parent', parent], { reject: false })).stdout));
  return [...out.join('\n').matchAll(/Mirror to device (\S+)\)/g)].map((m) => m[1]!);
}

async function until(what: string, test: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Pinged {
  from: string;
  to: string;
  sent: number;
  received: number;
}

/** ping -c 3 from a namespace; how many echo requests went out and how many replies came. */
async function ping(sb: Sandbox, ns: string, from: string, to: string): Promise<Pinged> {
  const r = await sb.exec(ns, 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '1', '-w', '5', '-I', from, to], { reject: false });
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  return { from, to, sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0) };
}

/** What the mirror VM's eth0 receives while `traffic` runs: tcpdump's ICMP lines. */
async function capture(vm: string, traffic: () => Promise<void>): Promise<string[]> {
  // bounded twice: timeout(1) ends tcpdump at the latest after 40 s; normally SIGTERM does once the traffic is over
  const dump = execa('ip', ['netns', 'exec', vm, 'timeout', '40', 'tcpdump', '-i', 'eth0', '-nn', '-l', 'icmp'], { reject: false });
  const listening = await new Promise<boolean>((resolve) => {
    dump.stderr!.on('data', (d: Buffer) => { if (String(d).includes('listening on')) resolve(true); });
    void dump.finally(() => resolve(false));
  });
  if (!listening) throw new Error(`tcpdump in ${vm} did not start: ${String((await dump).stderr)}`);
  try {
    await traffic();
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    dump.kill('SIGTERM');
  }
  return String((await dump).stdout).split('\n').filter((l) => l.includes('ICMP'));
}

/** Each echo request and reply of the pings seen exactly once by the mirror VM. */
function seenOnce(t: Test, lines: string[], pings: Pinged[]): void {
  for (const p of pings) {
    t.equal(p.received, 3, `${p.from} -> ${p.to}: the ping went through`);
    const requests = lines.filter((l) => l.includes(`${p.from} > ${p.to}: ICMP echo request`)).length;
    const replies = lines.filter((l) => l.includes(`${p.to} > ${p.from}: ICMP echo reply`)).length;
    t.same({ requests, replies }, { requests: p.sent, replies: p.received }, `${p.from} <-> ${p.to}: every request and reply seen exactly once`);
  }
}

interface MirrorRow {
  name: string;
  select_all: boolean;
  select_vlan: number[];
  output: string;
  ids: Record<string, string>;
  bridge: string;
}

/** The Mirror table, as ovs-vsctl lists it, with output port and bridge by name. */
async function mirrors(sb: Sandbox): Promise<MirrorRow[]> {
  const list = async (table: string, cols: string) =>
    JSON.parse(await sb.hostOvs.vsctl('--format=json', '--data=json', `--columns=${cols}`, 'list', table)) as { data: unknown[][] };
  const ports = new Map((await list('Port', '_uuid,name')).data.map(([u, n]) => [(u as string[])[1], n as string]));
  const bridges = (await list('Bridge', 'name,mirrors')).data;
  const set = (v: unknown): unknown[] => (Array.isArray(v) && v[0] === 'set' ? v[1] as unknown[] : [v]);
  return (await list('Mirror', '_uuid,name,select_all,select_vlan,output_port,external_ids')).data.map(([u, name, all, vlan, out, ids]) => ({
    name: name as string,
    select_all: all as boolean,
    select_vlan: set(vlan) as number[],
    output: set(out).map((o) => ports.get((o as string[])[1]) ?? '').join(','),
    ids: Object.fromEntries((ids as [string, [string, string][]])[1]),
    bridge: bridges.filter(([, ms]) => set(ms).some((m) => (m as string[])[1] === (u as string[])[1])).map(([b]) => b as string).join(','),
  }));
}

const VM_M = { uuid: '6f1c0e1a-0000-4000-8000-00000000000a', name: 'ids' };
const M_BLUE: Nic = { mac: '00:1a:4a:16:01:a0', net: 'blue', tap: 'vnet10', mirror: true };
const A: Nic = { mac: '00:1a:4a:16:01:a1', net: 'blue', tap: 'vnet11' };
const B: Nic = { mac: '00:1a:4a:16:01:a2', net: 'blue', tap: 'vnet12' };
const C: Nic = { mac: '00:1a:4a:16:01:a3', net: 'green', tap: 'vnet13' };

t.test('a VM NIC with port mirroring on an OVS network', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pb', 10, '10.10.0.2/24');
  await sb.peerEndpoint('pg', 20, '10.20.0.2/24');
  await applyOk(t, sb, setup({
    blue: ovsNet({ nic: 'eth1', vlan: '10', ipaddr: '10.10.0.1', prefix: '24' }),
    green: ovsNet({ nic: 'eth1', vlan: '20', ipaddr: '10.20.0.1', prefix: '24' }),
  }));
  const parent = await sb.hostOvs.vsctl('br-to-parent', 'blue');
  const [vmM, vmA, vmB, vmC] = ['m', 'a', 'b', 'c'].map((n) => sb.vmNamed(n)) as [string, string, string, string];
  await plug(sb, vmA, A.tap!, A, '10.10.0.11/24');
  await plug(sb, vmB, B.tap!, B, '10.10.0.12/24');
  await plug(sb, vmC, C.tap!, C, '10.20.0.13/24');
  await plug(sb, vmM, M_BLUE.tap!, M_BLUE);
  // another tool's mirror on the same bridge (to a port of its own), which the hook must leave alone
  await sb.hostOvs.vsctl('add-port', parent, 'fmon', '--', 'set', 'Interface', 'fmon', 'type=internal');
  await sb.hostOvs.vsctl('--', '--id=@o', 'get', 'Port', 'fmon', '--', '--id=@m', 'create', 'Mirror', 'name=foreign', 'select_vlan=30',
    'output_port=@o', '--', 'add', 'Bridge', parent, 'mirrors', '@m');
  const traffic = async () => [
    await ping(sb, vmA, '10.10.0.11', '10.10.0.12'),
    await ping(sb, vmA, '10.10.0.11', '10.10.0.2'),
    await ping(sb, sb.host, '10.10.0.1', '10.10.0.2'),
    await ping(sb, sb.host, '10.10.0.1', '10.10.0.12'),
  ];
  const otherNetwork = () => ping(sb, vmC, '10.20.0.13', '10.20.0.2');
  // flows for all of it already in the datapath: OVS 3.1 would keep them unmirrored without a revalidator purge
  await traffic();
  await otherNetwork();

  await t.test('after_vm_start makes the mirror, and VDSM\'s tc copy is taken out', async (t) => {
    const start = await sb.runXmlHook('after_vm_start', domainXml(VM_M.uuid, VM_M.name, [M_BLUE]), { env: { vmId: VM_M.uuid } });
    t.equal(start.exitCode, 0, start.stderr);
    // VDSM, once after_vm_start returned
    await vdsmSetPortMirroring(sb, 'blue', M_BLUE.tap!);
    t.match(start.stderr, /revalidator|mirror vdsm-mirror-vnet10/);
    t.same((await mirrors(sb)).find((m) => m.name === 'vdsm-mirror-vnet10'), {
      name: 'vdsm-mirror-vnet10', select_all: true, select_vlan: [10], output: 'vnet10', bridge: parent,
      ids: { 'vdsm-hook-ovs': 'mirror', 'vdsm-hook-ovs-vm': VM_M.uuid, 'vdsm-hook-ovs-mac': M_BLUE.mac, 'vdsm-hook-ovs-network': 'blue' },
    }, 'one mirror of VLAN 10 on the parent bridge to the tap, marked with its VM and NIC');
    await until("VDSM's tc mirroring to vnet10 taken out", async () => !(await mirredTargets(sb, 'blue')).includes('vnet10'));

    const pings: Pinged[] = [];
    const lines = await capture(vmM, async () => { pings.push(...await traffic()); pings.push(await otherNetwork()); });
    seenOnce(t, lines, pings.slice(0, 4));
    t.equal(pings[4]!.received, 3, 'green carries traffic meanwhile');
    t.same(lines.filter((l) => l.includes('10.20.0.')), [], 'and none of it reaches the mirror of blue');

    const show = await sb.runCli(['show']);
    t.match(show.stdout, new RegExp(`^mirror vdsm-mirror-vnet10: network blue \\(VLAN 10 on ${parent}\\) to vnet10, VM ${VM_M.uuid} NIC ${M_BLUE.mac}$`, 'm'),
      'vdsm-ovs show lists the mirror');
    t.match(show.stdout, /^mirrors of other tools: 1 \(left alone\)$/m);
  });

  const VM_H = { uuid: '6f1c0e1a-0000-4000-8000-00000000000b', name: 'sniffer' };
  const H_GREEN: Nic = { mac: '00:1a:4a:16:01:b0', net: 'green', tap: 'vnet20', mirror: true };
  const vmH = sb.vmNamed('h');
  const stand = mkdtempSync(join(tmpdir(), 'vho-virsh-'));
  t.teardown(() => rmSync(stand, { recursive: true, force: true }));
  const withVirsh = (script: string) => {
    writeFileSync(join(stand, 'virsh'), script, { mode: 0o755 });
    chmodSync(join(stand, 'virsh'), 0o755);
    return { vmId: VM_H.uuid, PATH: `${stand}:${process.env['PATH']}` };
  };

  await t.test('after_nic_hotplug reads the domain through virsh and mirrors green', async (t) => {
    await plug(sb, vmH, H_GREEN.tap!, H_GREEN);
    const dumped = join(stand, 'domain.xml');
    writeFileSync(dumped, domainXml(VM_H.uuid, VM_H.name, [H_GREEN]));
    const env = withVirsh(`#!/bin/sh\n[ "$*" = "-r dumpxml ${VM_H.uuid}" ] || { echo "error: unexpected virsh $*" >&2; exit 1; }\ncat '${dumped}'\n`);
    const r = await sb.runXmlHook('after_nic_hotplug', interfaceXml(H_GREEN), { env });
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(r.xml, interfaceXml(H_GREEN), 'the NIC XML comes back as it was');
    await vdsmSetPortMirroring(sb, 'green', H_GREEN.tap!);
    const row = (await mirrors(sb)).find((m) => m.name === 'vdsm-mirror-vnet20');
    t.same([row?.select_vlan, row?.output, row?.ids['vdsm-hook-ovs-vm']], [[20], 'vnet20', VM_H.uuid]);
    await until("VDSM's tc mirroring to vnet20 taken out", async () => !(await mirredTargets(sb, 'green')).includes('vnet20'));
    const pings: Pinged[] = [];
    const lines = await capture(vmH, async () => {
      pings.push(await otherNetwork(), await ping(sb, sb.host, '10.20.0.1', '10.20.0.2'), await ping(sb, vmA, '10.10.0.11', '10.10.0.12'));
    });
    seenOnce(t, lines, pings.slice(0, 2));
    t.same(lines.filter((l) => l.includes('10.10.0.')), [], 'blue is not seen on the mirror of green');
  });

  await t.test('before_nic_hotunplug removes the NIC\'s mirror only', async (t) => {
    await vdsmUnsetPortMirroring(sb, 'green', H_GREEN.tap!);
    const r = await sb.runXmlHook('before_nic_hotunplug', interfaceXml(H_GREEN), { env: { vmId: VM_H.uuid } });
    t.equal(r.exitCode, 0, r.stderr);
    t.same((await mirrors(sb)).map((m) => m.name).sort(), ['foreign', 'vdsm-mirror-vnet10']);
  });

  await t.test('a mirror that cannot be read or made never fails the hook', async (t) => {
    // a PATH with node (the hook's interpreter) and no virsh
    const noVirsh = join(stand, 'no-virsh');
    mkdirSync(noVirsh);
    symlinkSync(process.execPath, join(noVirsh, 'node'));
    const absent = await sb.runXmlHook('after_nic_hotplug', interfaceXml(H_GREEN), { env: { vmId: VM_H.uuid, PATH: noVirsh } });
    t.equal(absent.exitCode, 0, 'virsh absent: exit 0');
    t.match(absent.stderr, /^warn: virsh -r dumpxml 6f1c0e1a-0000-4000-8000-00000000000b: cannot read the domain: .*; carrying on without it$/m, 'one line says why');
    const failing = await sb.runXmlHook('after_nic_hotplug', interfaceXml(H_GREEN),
      { env: withVirsh("#!/bin/sh\necho \"error: failed to get domain '$3'\" >&2\nexit 1\n") });
    t.equal(failing.exitCode, 0, 'virsh failing: exit 0');
    t.match(failing.stderr, /^warn: virsh -r dumpxml \S+: cannot read the domain: error: failed to get domain '6f1c0e1a-0000-4000-8000-00000000000b'; carrying on without it$/m);
    // a VM whose tap libvirt has not plugged into OVS
    const lost: Nic = { mac: '00:1a:4a:16:01:c0', net: 'blue', tap: 'vnet99', mirror: true };
    const start = await sb.runXmlHook('after_vm_start', domainXml('6f1c0e1a-0000-4000-8000-00000000000c', 'lost', [lost]),
      { env: { vmId: '6f1c0e1a-0000-4000-8000-00000000000c' } });
    t.equal(start.exitCode, 0, 'the VM starts all the same');
    t.match(start.stderr, /^warn: mirror of network blue to VM NIC 00:1a:4a:16:01:c0 \(vnet99\): no port vnet99 on bridge \S+; no mirror$/m);
    const broken = await sb.runXmlHook('after_vm_start', '<domain><name>x</domain>', { env: { vmId: VM_M.uuid } });
    t.equal(broken.exitCode, 0, 'XML that cannot be parsed: exit 0');
    t.equal(broken.stderr.split('\n').filter((l) => l.startsWith('warn:')).length, 1, 'one warning line');
    t.same((await mirrors(sb)).map((m) => m.name).sort(), ['foreign', 'vdsm-mirror-vnet10'], 'no mirror made or lost');
  });

  await t.test('a mirror whose tap is gone is swept by the next mirror hook run', async (t) => {
    const VM_S = '6f1c0e1a-0000-4000-8000-00000000000d';
    const S: Nic = { mac: '00:1a:4a:16:01:d0', net: 'blue', tap: 'vnet30', mirror: true };
    await plug(sb, sb.vmNamed('s'), S.tap!, S);
    t.equal((await sb.runXmlHook('after_vm_start', domainXml(VM_S, 's', [S]), { env: { vmId: VM_S } })).exitCode, 0);
    t.ok((await mirrors(sb)).some((m) => m.name === 'vdsm-mirror-vnet30'), 'made');
    // libvirt removes the tap of a VM that died while VDSM was away: no hook ran for it
    await sb.hostOvs.vsctl('del-port', S.tap!);
    const r = await sb.runXmlHook('before_nic_hotunplug', interfaceXml(H_GREEN), { env: { vmId: VM_H.uuid } });
    t.equal(r.exitCode, 0);
    t.match(r.stderr, /mirror vdsm-mirror-vnet30 removed: its output port no longer exists/);
    t.same((await mirrors(sb)).map((m) => m.name).sort(), ['foreign', 'vdsm-mirror-vnet10']);
  });

  await t.test('after_vm_destroy removes the VM\'s mirror', async (t) => {
    // libvirt tears the domain down, taking its tap out of OVS; then VDSM unsets its tc mirroring
    await sb.hostOvs.vsctl('del-port', M_BLUE.tap!);
    await sb.exec(sb.host, 'ip', ['link', 'del', M_BLUE.tap!]);
    await vdsmUnsetPortMirroring(sb, 'blue', M_BLUE.tap!);
    const r = await sb.runXmlHook('after_vm_destroy', domainXml(VM_M.uuid, VM_M.name, [M_BLUE]), { env: { vmId: VM_M.uuid } });
    t.equal(r.exitCode, 0, r.stderr);
    t.match(r.stderr, /mirror vdsm-mirror-vnet10 removed/);
    t.same((await mirrors(sb)).map((m) => m.name), ['foreign'], "only the other tool's mirror is left");
  });

  await t.test('at a migration destination VDSM mirrors first: the hook takes its copy out at once', async (t) => {
    // the VM arrives: libvirt plugs its tap, VDSM mirrors with tc, then runs after_vm_migrate_destination
    await plug(sb, vmM, M_BLUE.tap!, M_BLUE);
    // the control: VDSM's tc alone copies the host's own traffic, and nothing of the other VMs'. Only
    // the egress half is counted, and only a capture through which VDSM's egress filter lasted:
    // ovs-vswitchd deletes qdiscs it did not make on its internal ports whenever it reconfigures
    // them (its QoS and ingress policing), which it may do a moment after a tap was plugged.
    let control: { lines: string[]; host: Pinged; vm: Pinged } | undefined;
    for (let attempt = 0; attempt < 5 && !control; attempt++) {
      await vdsmUnsetPortMirroring(sb, 'blue', M_BLUE.tap!);
      await vdsmSetPortMirroring(sb, 'blue', M_BLUE.tap!);
      // the tap just plugged is an ordinary port until the hook makes it the mirror's: learnt
      // MACs first, so that no flooded frame reaches it
      await ping(sb, sb.host, '10.10.0.1', '10.10.0.2');
      await ping(sb, vmA, '10.10.0.11', '10.10.0.12');
      const pings: Pinged[] = [];
      const lines = await capture(vmM, async () => {
        pings.push(await ping(sb, sb.host, '10.10.0.1', '10.10.0.2'), await ping(sb, vmA, '10.10.0.11', '10.10.0.12'));
      });
      const out = await sb.exec(sb.host, 'tc', ['filter', 'show', 'dev', 'blue', 'parent', '1:'], { reject: false });
      if (out.stdout.includes('Mirror to device vnet10')) control = { lines, host: pings[0]!, vm: pings[1]! };
    }
    if (!control) throw new Error("VDSM's simulated tc mirroring never lasted through a capture");
    t.equal(control.lines.filter((l) => l.includes('10.10.0.1 > 10.10.0.2: ICMP echo request')).length, control.host.sent,
      "VDSM's tc alone copies each of the host's frames once");
    t.equal(control.vm.received, 3);
    t.same(control.lines.filter((l) => l.includes('10.10.0.11')), [], "without the OVS mirror the other VMs' traffic is not seen");
    const r = await sb.runXmlHook('after_vm_migrate_destination', domainXml(VM_M.uuid, VM_M.name, [M_BLUE]), { env: { vmId: VM_M.uuid } });
    t.equal(r.exitCode, 0, r.stderr);
    t.same(await mirredTargets(sb, 'blue'), [], "VDSM's copy taken out before the hook returned");
    const pings: Pinged[] = [];
    const lines = await capture(vmM, async () => { pings.push(...await traffic()); });
    seenOnce(t, lines, pings);
  });

  await t.test("as VDSM runs it, as the vdsm user: the hook runs itself as root through sudo", async (t) => {
    const vdsm = await vdsmUser(t);
    const hook = fileURLToPath(new URL('../../dist/hooks/after_vm_start/50_ovs', import.meta.url));
    // the package's drop-in names the installed hooks; this one names the built hook, and keeps the
    // sandbox's paths, which the package does not let the vdsm user choose
    const dropIn = `/etc/sudoers.d/vho_mirror_test_${process.pid}`;
    const staged = join(stand, 'sudoers');
    writeFileSync(staged, `Defaults!${hook} env_keep += "vmId OVS_RUNDIR VDSM_HOOK_OVS_ROOT VDSM_HOOK_OVS_DATAPATH", !pam_session
vdsm ALL = (root) NOPASSWD: ${hook} ""
`, { mode: 0o440 });
    // a broken file in sudoers.d would break sudo for everyone: checked before it goes there
    t.equal((await execa('visudo', ['-cf', staged], { reject: false })).exitCode, 0, 'visudo accepts the test drop-in');
    t.teardown(() => rmSync(dropIn, { force: true }));
    writeFileSync(dropIn, readFileSync(staged), { mode: 0o440 });
    const VM_U = '6f1c0e1a-0000-4000-8000-00000000000f';
    const U: Nic = { mac: '00:1a:4a:16:01:f0', net: 'blue', tap: 'vnet40', mirror: true };
    await plug(sb, sb.vmNamed('u'), U.tap!, U);
    const file = join(stand, 'domain-u.xml');
    writeFileSync(file, domainXml(VM_U, 'u', [U]));
    chownSync(file, vdsm.uid, vdsm.gid);
    chownSync(stand, vdsm.uid, vdsm.gid);
    // as on a host, where the configuration is readable by all (the sandbox root is made private)
    chmodSync(sb.root, 0o755);
    const r = await sb.exec(sb.host, 'setpriv', ['--reuid=vdsm', '--regid=kvm', '--init-groups', '--', hook], {
      // NODE_OPTIONS emptied: the test runner's instrumentation would write files of root's as vdsm
      env: { VDSM_HOOK_OVS_ROOT: sb.root, OVS_RUNDIR: sb.hostOvs.rundir, VDSM_HOOK_OVS_DATAPATH: 'netdev', _hook_domxml: file, vmId: VM_U, NODE_OPTIONS: '' },
      reject: false,
    });
    t.equal(r.exitCode, 0, r.stderr);
    t.match(r.stderr, /^info: ran as root through sudo$/m);
    const row = (await mirrors(sb)).find((m) => m.name === 'vdsm-mirror-vnet40');
    t.same([row?.output, row?.select_vlan, row?.ids['vdsm-hook-ovs-vm']], ['vnet40', [10], VM_U], 'the mirror is made');
  });
});

t.test('an untagged network: its mirror selects VLAN 0, the untagged traffic of its bridge', async (t) => {
  const sb = await createSandbox(t);
  await sb.peerEndpoint('pr', 0, '10.1.0.2/24');
  // pink keeps the parent bridge when red goes
  await applyOk(t, sb, setup({
    red: ovsNet({ nic: 'eth2', ipaddr: '10.1.0.1', prefix: '24' }),
    pink: ovsNet({ nic: 'eth2', vlan: '30', ipaddr: '10.30.0.1', prefix: '24' }),
  }));
  const VM_R = '6f1c0e1a-0000-4000-8000-000000000010';
  const R0: Nic = { mac: '00:1a:4a:16:02:00', net: 'red', tap: 'vnet50', mirror: true };
  const R1: Nic = { mac: '00:1a:4a:16:02:01', net: 'red', tap: 'vnet51' };
  const [vm0, vm1] = [sb.vmNamed('r0'), sb.vmNamed('r1')];
  await plug(sb, vm1, R1.tap!, R1, '10.1.0.11/24');
  await plug(sb, vm0, R0.tap!, R0);
  const start = await sb.runXmlHook('after_vm_start', domainXml(VM_R, 'r', [R0]), { env: { vmId: VM_R } });
  t.equal(start.exitCode, 0, start.stderr);
  await vdsmSetPortMirroring(sb, 'red', R0.tap!);
  t.same((await mirrors(sb)).map((m) => [m.name, m.select_vlan, m.output]), [['vdsm-mirror-vnet50', [0], 'vnet50']]);
  await until("VDSM's tc mirroring to vnet50 taken out", async () => !(await mirredTargets(sb, 'red')).includes('vnet50'));
  const pings: Pinged[] = [];
  const lines = await capture(vm0, async () => {
    pings.push(await ping(sb, vm1, '10.1.0.11', '10.1.0.2'), await ping(sb, sb.host, '10.1.0.1', '10.1.0.2'));
  });
  seenOnce(t, lines, pings);

  // the network removed: its fake bridge goes with the VM taps on it, the parent bridge stays
  await applyOk(t, sb, setup({ red: remove }));
  t.equal(await sb.hostOvs.vsctl('br-exists', 'ovsbr-eth2').then(() => 'kept', () => 'gone'), 'kept');
  t.same(await mirrors(sb), [], 'before_network_setup swept the mirror whose output port went with the network');
});
