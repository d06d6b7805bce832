/**
 * Several simulated hosts joined by an underlay, for tests of networks that
 * span hosts (tunnels, OVN).
 *
 * Each host is a namespace with its own Open vSwitch (userspace datapath),
 * its own VDSM_HOOK_OVS_ROOT and the built hooks and CLI (the same HostTools
 * a Sandbox has). Its NIC eth1 is a veth to a switch namespace whose OVS
 * bridge joins all hosts. The underlay address of host n, 198.18.0.n/24, is
 * an OVS network of that host (UNDERLAY_NET on eth1, set up by the hook
 * itself): the userspace datapath's native tunnelling routes only through an
 * OVS internal port of the bridge holding the NIC.
 *
 * Usage:
 *   const lab = await createHosts(t, 2)          // teardown registered on t
 *   const [h1, h2] = lab.hosts
 *   await applyOk(t, h1, setup({ ... }))         // a host is what applyOk needs
 *   const vm = await h1.addVm('blue', '10.5.0.11/24')   // a VM namespace plugged into network blue
 *   await ping(vm.ns, '10.5.0.12')
 *   const h3 = await lab.addHost()               // later hosts join the same underlay
 *   await lab.peerEndpoint('out', '198.18.0.200/24')  // a machine outside every host, in lab.switchNs
 *
 * Every namespace has an id of its own (vho-h-<id> a host, vho-p-<id> the
 * switch, vho-v-<id> a VM), with its files under the harness's base dir, so
 * cleanupLeftovers finds what a crashed run left and leaves a live run alone. Both ends of every veth have TX checksum offload off (else TCP and
 * UDP through the userspace datapath arrive with bad checksums), and each
 * host's eth1 has `arp off` and no IPv6: its kernel still receives every frame
 * OVS gets and would answer twice.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import {
  BASE_DIR, allocateId, cleanupLeftoversOnce, destroyHarness, ensureNamespace, hostNs, hostTools, nsRun, peerNs,
  run, startOvs, vmNs, type ExecResult, type HostTools, type Ovs, type RunOpts,
} from './sandbox.js'

/** The OVS network each host's underlay address lives on. */
export const UNDERLAY_NET = 'ul'
/** The host NIC on the underlay. */
export const UNDERLAY_NIC = 'eth1'
const SWITCH_BRIDGE = 'usw'

export const underlayAddress = (n: number): string => `198.18.0.${n}`

export interface Vm {
  /** its namespace; its NIC there is eth0 */
  ns: string
  /** its address, without the prefix */
  address: string
}

export interface SimHost extends HostTools {
  /** 1, 2, ...: in the order the hosts were added */
  n: number
  ns: string
  ovs: Ovs
  root: string
  /** this host's underlay address (on UNDERLAY_NET) */
  address: string
  /** a command in the host's namespace */
  exec(cmd: string, args: string[], opts?: RunOpts): Promise<ExecResult>
  /**
   * A VM namespace with one NIC on OVS network `network`, plugged as libvirt
   * plugs a <virtualport type="openvswitch"/> NIC (a port on the network's
   * bridge), with address `cidr` and, when given, a default route via `gateway`.
   */
  addVm(network: string, cidr: string, gateway?: string): Promise<Vm>
}

export interface Hosts {
  hosts: SimHost[]
  /** the namespace of the switch joining the hosts (and of peerEndpoint's machines) */
  switchNs: string
  switchOvs: Ovs
  /** one more host on the same underlay, its underlay network set up */
  addHost(): Promise<SimHost>
  /** a machine outside every host: an internal port of the switch with this address, in switchNs */
  peerEndpoint(name: string, cidr: string): Promise<void>
  /** everything stopped and deleted (idempotent; also registered on t.teardown) */
  cleanup(): Promise<void>
}

/** TX checksum offload off on a veth end (see the module comment). */
async function txOff(ns: string, dev: string): Promise<void> {
  await nsRun(ns, 'ethtool', ['-K', dev, 'tx', 'off'], { env: {} })
}

export async function createHosts(t: { teardown(fn: () => unknown): void }, count: number): Promise<Hosts> {
  await cleanupLeftoversOnce()
  const ids: string[] = []
  /** a fresh id (and its directory) for one namespace, destroyed with the rest */
  const newId = async (): Promise<string> => {
    const id = await allocateId()
    ids.push(id)
    return id
  }
  let cleaned: Promise<void> | undefined
  const cleanup = (): Promise<void> => {
    // VMs, then hosts, then the switch: the reverse of their creation
    cleaned ??= (async () => {
      for (const id of [...ids].reverse()) await destroyHarness(id).catch(() => undefined)
    })()
    return cleaned
  }
  t.teardown(cleanup)

  const switchId = await newId()
  const switchNs = peerNs(switchId)
  const switchOvs = await startOvs(switchNs, path.join(BASE_DIR, switchId, 'switch'))
  await switchOvs.vsctl('add-br', SWITCH_BRIDGE, '--', 'set', 'bridge', SWITCH_BRIDGE, 'datapath_type=netdev')
  const hosts: SimHost[] = []

  const addHost = async (): Promise<SimHost> => {
    const n = hosts.length + 1
    const dir = path.join(BASE_DIR, await newId())
    const ns = hostNs(path.basename(dir))
    const ovs = await startOvs(ns, path.join(dir, 'ovs'))
    const root = path.join(dir, 'root')
    const scratch = path.join(dir, 'scratch')
    await fs.mkdir(root)
    await fs.mkdir(scratch)
    const swPort = `u${n}`
    await run('ip', ['link', 'add', UNDERLAY_NIC, 'netns', ns, 'type', 'veth', 'peer', 'name', swPort, 'netns', switchNs])
    await txOff(ns, UNDERLAY_NIC)
    await txOff(switchNs, swPort)
    await nsRun(ns, 'ip', ['link', 'set', UNDERLAY_NIC, 'arp', 'off'])
    await nsRun(ns, 'sysctl', ['-qw', `net.ipv6.conf.${UNDERLAY_NIC}.disable_ipv6=1`])
    await nsRun(switchNs, 'sysctl', ['-qw', `net.ipv6.conf.${swPort}.disable_ipv6=1`])
    await nsRun(switchNs, 'ip', ['link', 'set', swPort, 'up'])
    await switchOvs.vsctl('add-port', SWITCH_BRIDGE, swPort)

    const tools = hostTools({ ns, ovs, root, scratch })
    const address = underlayAddress(n)
    await underlayNetwork(tools, address)
    let vms = 0
    const host: SimHost = {
      ...tools,
      n,
      ns,
      ovs,
      root,
      address,
      exec: (cmd, args, opts = {}) => nsRun(ns, cmd, args, opts),
      async addVm(network, cidr, gateway) {
        const k = ++vms
        const vm = vmNs(await newId())
        const tap = `vnet${k}`
        await ensureNamespace(vm)
        await run('ip', ['link', 'add', tap, 'netns', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm])
        await txOff(ns, tap)
        await txOff(vm, 'eth0')
        await ovs.vsctl('add-port', network, tap)
        await nsRun(ns, 'ip', ['link', 'set', tap, 'up'])
        await nsRun(vm, 'ip', ['addr', 'add', cidr, 'dev', 'eth0'])
        await nsRun(vm, 'ip', ['link', 'set', 'eth0', 'up'])
        if (gateway !== undefined) await nsRun(vm, 'ip', ['route', 'add', 'default', 'via', gateway])
        return { ns: vm, address: cidr.split('/')[0]! }
      },
    }
    hosts.push(host)
    return host
  }

  try {
    for (let i = 0; i < count; i++) await addHost()
  } catch (err) {
    await cleanup()
    throw err
  }
  return {
    hosts,
    switchNs,
    switchOvs,
    addHost,
    async peerEndpoint(name, cidr) {
      await switchOvs.vsctl('add-port', SWITCH_BRIDGE, name, '--', 'set', 'interface', name, 'type=internal')
      await nsRun(switchNs, 'ip', ['addr', 'add', cidr, 'dev', name])
      await nsRun(switchNs, 'ip', ['link', 'set', name, 'up'])
    },
    cleanup,
  }
}

/** The underlay address as an OVS network on eth1, made by the hook as VDSM would ask for it. */
async function underlayNetwork(tools: HostTools, address: string): Promise<void> {
  const payload = {
    request: {
      networks: { [UNDERLAY_NET]: { bridged: 'true', custom: { ovs: 'true' }, nic: UNDERLAY_NIC, ipaddr: address, prefix: '24' } },
      bondings: {},
      options: {},
    },
  }
  const before = await tools.runHook('before_network_setup', payload)
  const after = before.exitCode === 0 ? await tools.runHook('after_network_setup', before.output) : undefined
  if (before.exitCode !== 0 || after?.exitCode !== 0) {
    throw new Error(`underlay network ${UNDERLAY_NET} ${address}: ${before.stderr}${after?.stderr ?? ''}`)
  }
}
