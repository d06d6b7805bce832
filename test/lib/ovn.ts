/**
 * OVN on top of the N-host harness (hosts.ts): an OVN central (NB and SB
 * ovsdb-server and ovn-northd) in a namespace of its own on the hosts'
 * underlay, an ovn-controller per simulated host, and VMs plugged into
 * br-int the way libvirt plugs an <virtualport type="openvswitch"> NIC with
 * an interfaceid. The tests play the Engine's ovirt-provider-ovn with nbctl.
 *
 * Every daemon has its files under the harness's base dir; ovn-northd and
 * the controllers are stopped by their pid files (only when the pid's
 * command line still names that dir), the namespaces go with the harness
 * (its deleteNamespace kills what is left in them). ovn-controller 23.03 has
 * no --unixctl: OVN_RUNDIR places its control socket and pid file, OVS_RUNDIR
 * tells it where the host's br-int.mgmt is.
 */
import { randomUUID } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import {
  BASE_DIR, allocateId, destroyHarness, ensureNamespace, nsRun, peerNs, run, vmNs,
} from './sandbox.js'
import type { Hosts, SimHost, Vm } from './hosts.js'

/** The central's address on the underlay (the hosts are 198.18.0.n). */
export const CENTRAL_ADDRESS = '198.18.0.250'
/** 1500 on the underlay less Geneve over IPv4 (58 bytes): ovirt-provider-ovn's default MTU for overlay networks. */
export const VM_MTU = 1442

export interface Central {
  address: string
  ns: string
  nbctl(...args: string[]): Promise<string>
  sbctl(...args: string[]): Promise<string>
}

export interface Ovn {
  central: Central
  /** ovn-controller on the host, as its unit would run it (after `vdsm-ovs ovn-config --no-start`) */
  startController(host: SimHost): Promise<void>
  /** SIGTERM, as a restart does: the chassis and its flows stay in place (an `ovn-appctl exit` would remove them) */
  stopController(host: SimHost): Promise<void>
  /** the environment the host's vdsm-ovs needs to find its ovn-controller */
  ovnEnv(host: SimHost): Record<string, string>
  /**
   * A VM NIC as libvirt plugs the XML the device hook returned: a tap on the
   * XML's source bridge with external_ids:iface-id = its interfaceid, the
   * VM's end with `mac` and `cidr`.
   */
  plugVm(host: SimHost, xml: string, mac: string, cidr: string): Promise<Vm>
}

const ovnDirOf = (host: SimHost): string => path.join(path.dirname(host.root), 'ovn')
const PROGRAMS = ['ovn-controller', 'ovn-northd']

async function pidOwned(pidFile: string, program: string): Promise<number | undefined> {
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim())
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ')
  return cmdline.includes(program) && cmdline.includes(`${BASE_DIR}/`) ? pid : undefined
}

async function stopByPidFile(pidFile: string, program: string): Promise<void> {
  const pid = await pidOwned(pidFile, program)
  if (pid === undefined) return
  process.kill(pid, 'SIGTERM')
  for (let i = 0; i < 50 && (await pidOwned(pidFile, program)) !== undefined; i++) await new Promise((r) => setTimeout(r, 100))
  if ((await pidOwned(pidFile, program)) !== undefined) process.kill(pid, 'SIGKILL')
}

/**
 * OVN daemons a crashed run left: their harness directory is gone (the
 * harness's leftover cleanup removed it), the process still names it.
 */
async function stopOrphans(): Promise<void> {
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0')
    if (!PROGRAMS.some((p) => cmdline[0]?.endsWith(p))) continue
    const dir = cmdline.map((a) => a.match(new RegExp(`${BASE_DIR}/([0-9a-f]+)/`))?.[1]).find((id) => id !== undefined)
    if (dir === undefined) continue
    const exists = await fs.stat(path.join(BASE_DIR, dir)).then(() => true, () => false)
    if (!exists) process.kill(Number(entry), 'SIGKILL')
  }
}

export async function startOvn(t: { teardown(fn: () => unknown): void }, lab: Hosts): Promise<Ovn> {
  await stopOrphans()
  const ids: string[] = []
  const pidFiles: [string, string][] = []
  t.teardown(async () => {
    for (const [file, program] of pidFiles.reverse()) await stopByPidFile(file, program).catch(() => undefined)
    for (const id of ids.reverse()) await destroyHarness(id).catch(() => undefined)
  })

  const centralId = await allocateId()
  ids.push(centralId)
  const dir = path.join(BASE_DIR, centralId)
  const ns = peerNs(centralId)
  await ensureNamespace(ns)
  // a port of the hosts' switch, as a host has
  const switchBridge = (await lab.switchOvs.vsctl('list-br')).split('\n')[0]!
  const swPort = `c${centralId.slice(0, 4)}`
  await run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', swPort, 'netns', lab.switchNs])
  for (const [where, dev] of [[ns, 'eth0'], [lab.switchNs, swPort]] as const) {
    // TCP from a kernel into the userspace datapath needs full checksums (the SB connection)
    await nsRun(where, 'ethtool', ['-K', dev, 'tx', 'off'])
    await nsRun(where, 'ip', ['link', 'set', dev, 'up'])
  }
  await lab.switchOvs.vsctl('add-port', switchBridge, swPort)
  await nsRun(ns, 'ip', ['addr', 'add', `${CENTRAL_ADDRESS}/24`, 'dev', 'eth0'])

  // NB and SB each in a subdirectory as ovsdb-server.pid: the harness stops them with the rest
  const socket = (db: 'nb' | 'sb'): string => path.join(dir, db, `${db}.sock`)
  for (const [db, port] of [['nb', 6641], ['sb', 6642]] as const) {
    const d = path.join(dir, db)
    await fs.mkdir(d)
    await run('ovsdb-tool', ['create', path.join(d, `${db}.db`), `/usr/share/ovn/ovn-${db}.ovsschema`])
    await nsRun(ns, 'ovsdb-server', [path.join(d, `${db}.db`), `--remote=punix:${socket(db)}`, `--remote=ptcp:${port}`,
      `--pidfile=${path.join(d, 'ovsdb-server.pid')}`, `--unixctl=${path.join(d, 'ovsdb-server.ctl')}`,
      '-vconsole:off', `--log-file=${path.join(d, 'ovsdb-server.log')}`, '--detach', '--no-chdir'])
  }
  const northdPid = path.join(dir, 'ovn-northd.pid')
  pidFiles.push([northdPid, 'ovn-northd'])
  await nsRun(ns, 'ovn-northd', [`--ovnnb-db=unix:${socket('nb')}`, `--ovnsb-db=unix:${socket('sb')}`,
    `--pidfile=${northdPid}`, `--unixctl=${path.join(dir, 'ovn-northd.ctl')}`,
    '-vconsole:off', `--log-file=${path.join(dir, 'ovn-northd.log')}`, '--detach', '--no-chdir'])

  const ctl = (tool: string, db: 'nb' | 'sb') => async (...args: string[]): Promise<string> =>
    (await run(tool, [`--db=unix:${socket(db)}`, '--timeout=20', ...args])).stdout.trim()
  const central: Central = { address: CENTRAL_ADDRESS, ns, nbctl: ctl('ovn-nbctl', 'nb'), sbctl: ctl('ovn-sbctl', 'sb') }

  const ovnEnv = (host: SimHost): Record<string, string> => ({ OVS_RUNDIR: host.ovs.rundir, OVN_RUNDIR: ovnDirOf(host) })

  return {
    central,
    ovnEnv,
    async startController(host) {
      const d = ovnDirOf(host)
      await fs.mkdir(d, { recursive: true })
      const pidFile = path.join(d, 'ovn-controller.pid')
      if (!pidFiles.some(([f]) => f === pidFile)) pidFiles.push([pidFile, 'ovn-controller'])
      await nsRun(host.ns, 'ovn-controller', [`unix:${host.ovs.rundir}/db.sock`, '-vconsole:off',
        `--log-file=${path.join(d, 'ovn-controller.log')}`, `--pidfile=${pidFile}`, '--detach', '--no-chdir'], { env: ovnEnv(host) })
    },
    stopController: (host) => stopByPidFile(path.join(ovnDirOf(host), 'ovn-controller.pid'), 'ovn-controller'),
    async plugVm(host, xml, mac, cidr) {
      const nic = (new XMLParser({ ignoreAttributes: false }).parse(xml) as {
        interface: { source?: { '@_bridge'?: string }; virtualport?: { '@_type'?: string; parameters?: { '@_interfaceid'?: string } } }
      }).interface
      const bridge = nic.source?.['@_bridge']
      const ifaceId = nic.virtualport?.parameters?.['@_interfaceid']
      if (!bridge || nic.virtualport?.['@_type'] !== 'openvswitch' || !ifaceId) throw new Error(`not an OVS NIC with an interfaceid: ${xml}`)
      const id = await allocateId()
      ids.push(id)
      const vm = vmNs(id)
      const tap = `vnet${id.slice(0, 4)}`
      await ensureNamespace(vm)
      await run('ip', ['link', 'add', tap, 'netns', host.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm])
      await nsRun(vm, 'ip', ['link', 'set', 'eth0', 'address', mac, 'mtu', String(VM_MTU)])
      await nsRun(vm, 'ethtool', ['-K', 'eth0', 'tx', 'off'])
      await nsRun(vm, 'ip', ['addr', 'add', cidr, 'dev', 'eth0'])
      await nsRun(vm, 'ip', ['link', 'set', 'eth0', 'up'])
      await nsRun(host.ns, 'ip', ['link', 'set', tap, 'up'])
      // libvirt's own transaction for such a NIC (virNetDevOpenvswitchAddPort)
      await host.ovs.vsctl('--', '--may-exist', 'add-port', bridge, tap,
        '--', 'set', 'Interface', tap, `external-ids:attached-mac="${mac}"`,
        '--', 'set', 'Interface', tap, `external-ids:iface-id="${ifaceId}"`,
        '--', 'set', 'Interface', tap, `external-ids:vm-id="${randomUUID()}"`,
        '--', 'set', 'Interface', tap, 'external-ids:iface-status=active')
      return { ns: vm, address: cidr.split('/')[0]! }
    },
  }
}

/** Polls until `check` holds (every 100 ms, at most timeoutS); whether it did. */
export async function waitFor(check: () => Promise<boolean>, timeoutS = 20): Promise<boolean> {
  const end = Date.now() + timeoutS * 1000
  for (;;) {
    if (await check().catch(() => false)) return true
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 100))
  }
}

