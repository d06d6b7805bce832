/**
 * Benchmark: the before_network_setup and after_network_setup_fail hooks
 * against a hand-written floor doing the same Open vSwitch work, on the
 * real-OVS sandbox (userspace datapath). The hooks are dist/hooks/ as
 * `npm run build` left them, copied once so a concurrent rebuild cannot pull
 * them away. As VDSM does, after_network_setup (untimed) commits each change.
 *
 *   npm run bench                          N = 1, 50, 200, 1000; 5 runs each; both scenarios
 *   npm run bench -- --n 1,50 --runs 5 --scenario vlan,bond
 *
 * Two scenarios place the N VLAN networks n0..n{N-1} (VLAN 100..):
 *
 *   vlan    all on one NIC, eth1 (bridge ovsbr-eth1)
 *   bond    on ceil(N/10) OVS bonds bond0.. of two NICs each (eth2+eth3,
 *           eth4+eth5, ...; bridge ovsbr-bondJ); network i on bond floor(i/10).
 *           The bonds come in the same request, as setupNetworks has them:
 *           bondings: { bondJ: { nics: [...], options: 'mode=4 custom=ovs=True' } }
 *           and the networks name them with `bonding`. The sandbox has every
 *           NIC the largest N needs (2 * ceil(N/10), plus eth1 for vlan).
 *
 * For each N, scenario and repetition the hook and the floor run one after the
 * other in this process (which goes first alternates), each through the same
 * `ip netns exec HOST env -i PATH=... OVS_RUNDIR=... CMD` path, timed with
 * process.hrtime around the whole subprocess. Every timed process gets only
 * PATH and its own variables, as a hook gets from VDSM (a systemd service),
 * none of this process's environment: NODE_EXTRA_CA_CERTS, say, makes each
 * Node start-up read and parse a CA bundle (~85 ms a process on the machine
 * this was written on). Each hook runs as the user VDSM runs it as: the
 * network hooks as root, after_get_caps as vdsm, reading OVS through sudo
 * and the package's sudoers drop-in (installed for the run, with a vdsm user
 * and kvm group when the machine has none). Each timed step, hook or floor, waits first for
 * both OVS daemons to be idle (Bench.settle), so that none pays for the work
 * ovs-vswitchd still does for the step before it:
 *
 *   add     hook adds the networks (and bonds) from empty
 *           floor: ONE ovs-vsctl transaction with the commands the hook issues
 *           (bridge, NIC uplink or bond with its slaves, fake bridge per network),
 *           + one ip -batch bringing the same links (NICs/slaves, networks) up
 *   noop    hook re-applies the same request      floor: `node -e 0`
 *   edit    hook moves every VLAN by +1000 (the request holds the networks only:
 *           bonds unchanged)                      floor: one transaction of N `set Port tag=`
 *   rollback  after_network_setup_fail undoes the edit
 *                                                 floor: one transaction of N `set Port tag=` back
 *   caps    after_get_caps with the networks (and bonds), as vdsm
 *                                                 floor: its read of all tables as one ovsdb-client query, as
 *                                                 root (the hook runs this very command through sudo)
 *   remove  hook removes every network (and bond) floor: one transaction `del-br` of each
 *                                                 network's fake bridge, then of each bridge
 *
 * The floor's add, edit and rollback are checked to leave the same OVS configuration as
 * the hook's (first repetition of each N and scenario); the hook's rollback to restore
 * the configuration after add. Every hook run must exit 0, or the benchmark aborts
 * with the first line of its stderr; the sandbox is torn down either way. Results
 * (one row per operation, scenario and N) go to bench-results/bench-<ISO timestamp>.json.
 */
import { execa } from 'execa'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSandbox, type Sandbox } from '../lib/sandbox.js'
import { vdsmUser, type VdsmUser } from '../lib/vdsm-user.js'
import { QUERY_ARGS } from '../../src/ovs/state.js'
import { fixturePath } from '../lib/fixtures.js'

const TOP = fileURLToPath(new URL('../../', import.meta.url))
const HOOKS = path.join(TOP, 'dist/hooks')
const HOOK_POINTS = ['before_network_setup', 'after_network_setup', 'after_network_setup_fail', 'after_get_caps'] as const
type HookPoint = (typeof HOOK_POINTS)[number]
/** Who VDSM runs each hook as (VDSM: hooks.py and supervdsm): supervdsmd is root, vdsmd is vdsm. */
const RUNS_AS_VDSM: ReadonlySet<HookPoint> = new Set(['after_get_caps'])
/** The drop-in the RPM installs, so that the vdsm user's reads go through sudo as on a host. */
const SUDOERS_SOURCE = path.join(TOP, 'rpm/vdsm-hook-ovs.sudoers')
const SUDOERS = '/etc/sudoers.d/50_vdsm_hook_ovs'
const RESULTS_DIR = path.join(TOP, 'bench-results')
/** a tmpfs, as /var/run is on a host */
const SHM = '/dev/shm'
const FIRST_VLAN = 100
const EDIT_DELTA = 1000
const MTU = 1500
/** What the hook writes into external_ids (src/ovs/state.ts). */
const OWNER_KEY = 'vdsm-hook-ovs'
const ORIG_MTU_KEY = 'vdsm-hook-ovs-orig-mtu'
const mark = (role: string): string => `external_ids:${OWNER_KEY}=${role}`

type Op = 'add' | 'noop' | 'caps' | 'edit' | 'rollback' | 'remove'
const OPS: Op[] = ['add', 'noop', 'caps', 'edit', 'rollback', 'remove']
const CAPS = fixturePath('caps-before.json')

/* ------------------------------------------------------------------------ */
/* arguments                                                                 */
/* ------------------------------------------------------------------------ */

interface Args {
  ns: number[]
  runs: number
  scenarios: ScenarioName[]
}

const USAGE = 'usage: npm run bench -- [--n 1,50,200,1000] [--runs 5] [--scenario vlan,bond]'

function parseArgs(argv: string[]): Args {
  const args: Args = { ns: [1, 50, 200, 1000], runs: 5, scenarios: Object.keys(SCENARIOS) as ScenarioName[] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const eq = a.indexOf('=')
    const key = eq >= 0 ? a.slice(0, eq) : a
    const value = (): string => {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i]
      if (v === undefined) throw new Error(`${key} needs a value`)
      return v
    }
    if (key === '--n') {
      args.ns = value().split(',').map((s) => positiveInt('--n', s))
    } else if (key === '--runs') {
      args.runs = positiveInt('--runs', value())
    } else if (key === '--scenario') {
      args.scenarios = [...new Set(value().split(',').map((s) => scenarioName(s.trim())))]
    } else if (key === '--help' || key === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else {
      throw new Error(`unknown argument ${a} (${USAGE})`)
    }
  }
  for (const n of args.ns) {
    // VLAN ids must stay <= 4094 after the +1000 edit
    if (FIRST_VLAN + n - 1 + EDIT_DELTA > 4094) throw new Error(`--n ${n}: too many VLANs`)
  }
  return args
}

function scenarioName(s: string): ScenarioName {
  if (Object.hasOwn(SCENARIOS, s)) return s as ScenarioName
  throw new Error(`--scenario: ${JSON.stringify(s)} is not one of ${Object.keys(SCENARIOS).join(', ')}`)
}

function positiveInt(what: string, s: string): number {
  const n = Number(s.trim())
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: ${JSON.stringify(s)} is not a positive integer`)
  return n
}

/* ------------------------------------------------------------------------ */
/* statistics and output                                                     */
/* ------------------------------------------------------------------------ */

function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-')
const round = (x: number): number => Math.round(x * 100) / 100

function table(head: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/* ------------------------------------------------------------------------ */
/* scenarios: which uplinks N networks sit on                                 */
/* ------------------------------------------------------------------------ */

/** An uplink as the hook makes it: a NIC or an OVS bond, on its own bridge. */
interface Uplink {
  kind: 'nic' | 'bond'
  /** the NIC, or the bond */
  name: string
  /** the NICs OVS takes: the NIC itself, or the bond's slaves */
  nics: string[]
  /** the bridge the hook names after the uplink (src/model/desired.ts defaultBridgeName) */
  bridge: string
}

type ScenarioName = 'vlan' | 'bond'

/** A scenario says where N networks go; everything else (requests, floors, reset) follows from that. */
interface Scenario {
  name: ScenarioName
  /** the uplinks of N networks, in the order the hook plans them (src/ovs/planner.ts) */
  uplinks(n: number): Uplink[]
  /** index into uplinks(n) of network i */
  uplinkOf(i: number): number
}

/** The bond path: networks per bond, as in the issue ("N/10 bonds"). */
const NETS_PER_BOND = 10
/** A bond's options as VDSM's setupNetworks has them (the 2015 spelling test/behaviour/bonds.test.ts uses too). */
const BOND_OPTIONS = 'mode=4 custom=ovs=True'
/** What the hook makes of BOND_OPTIONS: mode=4 (802.3ad) is balance-tcp with LACP active (src/model/bond-options.ts, README "Bond options"). */
const BOND_MODE = 'balance-tcp'
const BOND_LACP = 'active'

const SCENARIOS: Record<ScenarioName, Scenario> = {
  /** N VLAN networks on one NIC, eth1 */
  vlan: {
    name: 'vlan',
    uplinks: () => [{ kind: 'nic', name: 'eth1', nics: ['eth1'], bridge: 'ovsbr-eth1' }],
    uplinkOf: () => 0,
  },
  /** ceil(N/10) bonds bond0.. of two NICs each (eth2+eth3, eth4+eth5, ...); network i on bond floor(i/10) */
  bond: {
    name: 'bond',
    uplinks: (n) =>
      Array.from({ length: Math.max(1, Math.ceil(n / NETS_PER_BOND)) }, (_, j) => ({
        kind: 'bond',
        name: `bond${j}`,
        nics: [`eth${2 + 2 * j}`, `eth${3 + 2 * j}`],
        bridge: `ovsbr-bond${j}`,
      })),
    uplinkOf: (i) => Math.floor(i / NETS_PER_BOND),
  },
}

const netName = (i: number): string => `n${i}`

/** N networks of one scenario: the requests for the hook and the floor's hand-written equivalents. */
class Layout {
  readonly uplinks: Uplink[]

  constructor(
    readonly scenario: Scenario,
    readonly n: number,
  ) {
    this.uplinks = scenario.uplinks(n)
  }

  get label(): string {
    return `${this.scenario.name} N=${this.n}`
  }

  uplinkOf(i: number): Uplink {
    return this.uplinks[this.scenario.uplinkOf(i)]!
  }

  get nics(): string[] {
    return this.uplinks.flatMap((u) => u.nics)
  }

  get bridges(): string[] {
    return this.uplinks.map((u) => u.bridge)
  }

  get bonds(): Uplink[] {
    return this.uplinks.filter((u) => u.kind === 'bond')
  }

  /* requests ------------------------------------------------------------- */

  /** The N networks with VLAN FIRST_VLAN + i, and their bonds. */
  addRequest(): unknown {
    const bondings = Object.fromEntries(this.bonds.map((b) => [b.name, { nics: b.nics, options: BOND_OPTIONS }]))
    return setupRequest(this.networks(FIRST_VLAN), bondings)
  }

  /** Every network's VLAN moved by delta; the bonds stay as they are, so the Engine does not send them. */
  editRequest(delta: number): unknown {
    return setupRequest(this.networks(FIRST_VLAN + delta), {})
  }

  /** Every network and every bond removed. */
  removeRequest(): unknown {
    const networks: Record<string, unknown> = {}
    for (let i = 0; i < this.n; i++) networks[netName(i)] = { remove: 'true' }
    const bondings = Object.fromEntries(this.bonds.map((b) => [b.name, { remove: 'true' }]))
    return setupRequest(networks, bondings)
  }

  private networks(vlanBase: number): Record<string, unknown> {
    const networks: Record<string, unknown> = {}
    for (let i = 0; i < this.n; i++) {
      const up = this.uplinkOf(i)
      networks[netName(i)] = {
        ...(up.kind === 'nic' ? { nic: up.name } : { bonding: up.name }),
        vlan: String(vlanBase + i),
        bridged: 'true',
        custom: { ovs: 'true' },
      }
    }
    return networks
  }

  /* the floor: the same OVS and ip work, hand-written, in one call each ---- */

  /** The transaction src/ovs/planner.ts issues for the N networks on new bridges. */
  floorAddArgs(origMtu: ReadonlyMap<string, number>): string[] {
    const cmds: string[][] = []
    for (const up of this.uplinks) {
      cmds.push(
        ['add-br', up.bridge],
        ['set', 'Bridge', up.bridge, 'datapath_type=netdev', 'stp_enable=false', mark('bridge')],
        ['set', 'Port', up.bridge, mark('bridge')],
        ['set', 'Interface', up.bridge, mark('bridge')],
      )
      const nicIface = (nic: string, role: string): string[] =>
        ['set', 'Interface', nic, mark(role), `external_ids:${ORIG_MTU_KEY}=${origMtuOf(origMtu, nic)}`, `mtu_request=${MTU}`]
      if (up.kind === 'nic') {
        cmds.push(['add-port', up.bridge, up.name], ['set', 'Port', up.name, mark('uplink')], nicIface(up.name, 'uplink'))
      } else {
        cmds.push(
          ['add-bond', up.bridge, up.name, ...up.nics],
          ['set', 'Port', up.name, `bond_mode=${BOND_MODE}`, `lacp=${BOND_LACP}`, mark('bond')],
          ...up.nics.map((nic) => nicIface(nic, 'slave')),
        )
      }
    }
    for (let i = 0; i < this.n; i++) {
      const name = netName(i)
      cmds.push(
        ['add-br', name, this.uplinkOf(i).bridge, String(FIRST_VLAN + i)],
        ['set', 'Port', name, mark('network')],
        ['set', 'Interface', name, mark('network'), `mtu_request=${MTU}`],
      )
    }
    return transaction(cmds)
  }

  /** ip -batch input bringing up what the hook brings up: the NICs OVS took, then the networks. */
  floorAddLinks(): string {
    const lines = this.nics.map((nic) => `link set dev ${nic} up`)
    for (let i = 0; i < this.n; i++) lines.push(`link set dev ${netName(i)} up`)
    return `${lines.join('\n')}\n`
  }

  floorEditArgs(delta: number): string[] {
    const cmds: string[][] = []
    for (let i = 0; i < this.n; i++) cmds.push(['set', 'Port', netName(i), `tag=${FIRST_VLAN + i + delta}`])
    return transaction(cmds)
  }

  /**
   * The transaction src/ovs/planner.ts issues: each network's fake bridge, then
   * the bridges. Deleting only the bridges leaves OVS the same, but took
   * ovs-vswitchd 3 times as long at N = 1000 (33 s against the hook's 11).
   */
  floorRemoveArgs(): string[] {
    const cmds: string[][] = []
    for (let i = 0; i < this.n; i++) cmds.push(['del-br', netName(i)])
    return transaction([...cmds, ...this.bridges.map((b) => ['del-br', b])])
  }
}

const setupRequest = (networks: object, bondings: object): unknown => ({ request: { networks, bondings, options: {} } })
const transaction = (cmds: string[][]): string[] => ['--timeout=60', ...cmds.flatMap((c) => ['--', ...c])]
const floorCapsArgs = (): string[] => ['--timeout=60', ...QUERY_ARGS]

function origMtuOf(origMtu: ReadonlyMap<string, number>, nic: string): number {
  const mtu = origMtu.get(nic)
  if (mtu === undefined) throw new Error(`no MTU known for NIC ${nic}`)
  return mtu
}

/* ------------------------------------------------------------------------ */
/* running things in the host namespace                                      */
/* ------------------------------------------------------------------------ */

interface HookPhases {
  /** spawn -> first log line: node start-up, lock, request and running config */
  startup: number
  /** -> transaction logged: ovs-vsctl list + ip read + desired + plan */
  readPlan: number
  /** -> links logged: the ovs-vsctl transaction + ip re-read (0 when nothing to do) */
  transact: number
  /** -> running config logged: ip -batch + running config files */
  linksSave: number
  /** -> ifcfg files logged: writing them, rendered during read+plan (0 when none change) */
  ifcfg: number
  /** -> exit: log close, output file, process exit */
  exit: number
}

interface Timed {
  ms: number
  phases?: HookPhases
}

class Bench {
  private seq = 0
  /** The hook's root dir of the current repetition (VDSM_HOOK_OVS_ROOT). */
  hookRoot = ''

  constructor(
    readonly sb: Sandbox,
    readonly workDir: string,
    /** The built hooks, copied: dist/hooks/<point>/50_ovs may be rebuilt meanwhile. */
    readonly hooksDir: string,
    /** every sandbox NIC's MTU before anything touched it */
    readonly origMtu: ReadonlyMap<string, number>,
    readonly vdsm: VdsmUser,
  ) {}

  get env(): Record<string, string> {
    return { OVS_RUNDIR: this.sb.hostOvs.rundir }
  }

  /** Total time settle() waited, ms: printed, so that a reader sees how busy OVS stayed after steps. */
  settledMs = 0

  /**
   * Waits until both OVS daemons are idle (under 10% of a CPU over 200 ms, at
   * most 60 s). After a transaction returns, ovs-vswitchd goes on creating or
   * deleting the userspace datapath's devices, hundreds of them at N = 1000:
   * a step timed meanwhile would pay for the previous one. The hook's cycle
   * left it time for that (its steps are slower), the floor's did not, so
   * every timed step, hook or floor, starts from an idle OVS.
   */
  async settle(): Promise<void> {
    const start = Date.now()
    const pids = await Promise.all(['ovsdb-server', 'ovs-vswitchd'].map(async (d) =>
      (await fs.readFile(path.join(this.sb.hostOvs.rundir, `${d}.pid`), 'utf8')).trim()))
    // utime + stime, in clock ticks (fields 14 and 15; the command name in field 2 may hold spaces)
    const ticks = async (): Promise<number> => {
      let sum = 0
      for (const pid of pids) {
        const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8')
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        sum += Number(fields[11]) + Number(fields[12])
      }
      return sum
    }
    let before = await ticks()
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      const now = await ticks()
      // 100 ticks a second: 2 ticks in 200 ms is 10% of a CPU
      if (now - before <= 2) break
      if (Date.now() - start > 60_000) {
        console.error(`  settle: OVS still busy after 60 s (${now - before} ticks in 200 ms); timing the next step anyway`)
        break
      }
      before = now
    }
    this.settledMs += Date.now() - start
  }

  /** Time one subprocess in the host namespace, from an idle OVS; throws with stderr if it fails. */
  async timed(cmd: string, args: string[], input?: string): Promise<number> {
    await this.settle()
    const t0 = process.hrtime.bigint()
    const r = await this.sb.exec(this.sb.host, cmd, args, {
      env: this.env,
      cleanEnv: true,
      reject: false,
      ...(input !== undefined && { input }),
    })
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e6
    if (r.exitCode !== 0) {
      throw new Error(`floor command failed (exit ${r.exitCode}): ${cmd} ${args.slice(0, 6).join(' ')} ...\n${r.stderr.trim()}`)
    }
    return elapsed
  }

  /**
   * As on a host: VDSM's running config (var/run) on a tmpfs, the rest (the
   * snapshot in var/lib, the log) on disk; what the RPM gives the vdsm user
   * (the log, the report directory) is vdsm's, and the rest readable to it.
   */
  async freshHookRoot(): Promise<void> {
    this.hookRoot = await fs.mkdtemp(path.join(this.workDir, 'root-'))
    const run = await fs.mkdtemp(path.join(SHM, 'vho-bench-run-'))
    teardowns.push(() => fs.rm(run, { recursive: true, force: true }))
    await fs.chmod(this.hookRoot, 0o755)
    await fs.chmod(run, 0o755)
    await fs.mkdir(path.join(this.hookRoot, 'var'))
    await fs.symlink(run, path.join(this.hookRoot, 'var/run'))
    const report = path.join(this.hookRoot, 'var/lib/vdsm-hook-ovs/report')
    const log = path.join(this.hookRoot, 'var/log/vdsm/ovs-hook.log')
    await fs.mkdir(report, { recursive: true })
    await fs.mkdir(path.dirname(log), { recursive: true })
    await fs.writeFile(log, '')
    for (const file of [report, log]) await fs.chown(file, this.vdsm.uid, this.vdsm.gid)
  }

  /** Run a hook as VDSM does (as Sandbox.runHook does), from an idle OVS, timing only the subprocess; check: its output. */
  async hook(
    payload: unknown,
    what: string,
    point: HookPoint = 'before_network_setup',
    check?: (out: Record<string, unknown>) => string | undefined,
  ): Promise<Timed> {
    const jsonFile = path.join(this.workDir, `hook-${++this.seq}.json`)
    await fs.writeFile(jsonFile, JSON.stringify(payload))
    const asVdsm = RUNS_AS_VDSM.has(point)
    // the hook rewrites the file in place, as VDSM's temp file is its own
    if (asVdsm) await fs.chown(jsonFile, this.vdsm.uid, this.vdsm.gid)
    const script = path.join(this.hooksDir, point, '50_ovs')
    const [cmd, args] = asVdsm ? ['setpriv', ['--reuid=vdsm', '--regid=kvm', '--init-groups', '--', script]] : [script, []]
    const logFile = path.join(this.hookRoot, 'var/log/vdsm/ovs-hook.log')
    const logBefore = await fs.stat(logFile).then((s) => s.size, () => 0)
    await this.settle()
    const wallStart = Date.now()
    const t0 = process.hrtime.bigint()
    const r = await this.sb.exec(this.sb.host, cmd, args, {
      reject: false,
      cleanEnv: true,
      env: {
        _hook_json: jsonFile,
        VDSM_HOOK_OVS_ROOT: this.hookRoot,
        OVS_RUNDIR: this.sb.hostOvs.rundir,
        VDSM_HOOK_OVS_DATAPATH: 'netdev',
      },
    })
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e6
    const wallEnd = Date.now()
    if (r.exitCode !== 0) {
      const first = r.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit code ${r.exitCode}`
      throw new Error(`hook ${what} failed (exit ${r.exitCode}): ${first}`)
    }
    const out = JSON.parse(await fs.readFile(jsonFile, 'utf8')) as { request?: { networks?: object } }
    if (point === 'before_network_setup' && Object.keys(out.request?.networks ?? { x: 1 }).length !== 0) {
      throw new Error(`hook ${what}: networks left for VDSM: ${JSON.stringify(out.request?.networks)}`)
    }
    const wrong = check?.(out)
    if (wrong) throw new Error(`hook ${what}: ${wrong}`)
    await fs.rm(jsonFile, { force: true })
    const log = await fs.readFile(logFile).then((b) => b.subarray(logBefore).toString('utf8'), () => '')
    const phases = hookPhases(log, wallStart, wallEnd)
    return phases ? { ms: elapsed, phases } : { ms: elapsed }
  }

  /** Back to the start state: no OVS bridges, the layout's NICs down (as the sandbox starts). */
  async reset(layout: Layout): Promise<void> {
    await this.sb.hostOvs.vsctl('--timeout=60', ...layout.bridges.flatMap((br) => ['--', '--if-exists', 'del-br', br]))
    const down = layout.nics.map((nic) => `link set dev ${nic} down\n`).join('')
    await this.sb.exec(this.sb.host, 'ip', ['-batch', '-'], { input: down })
    const bridges = await this.sb.hostOvs.vsctl('list-br')
    if (bridges !== '') throw new Error(`reset: bridges left: ${bridges.replace(/\n/g, ' ')}`)
    // ovs-vswitchd deletes the userspace datapath's tap devices after the transaction: wait for them
    const deadline = Date.now() + 120_000
    for (;;) {
      const links = JSON.parse((await this.sb.exec(this.sb.host, 'ip', ['-j', 'link', 'show'])).stdout) as { ifname: string }[]
      const left = links.filter((l) => /^n\d+$/.test(l.ifname)).length
      if (left === 0) return
      if (Date.now() > deadline) throw new Error(`reset: ${left} network devices still there after 120 s`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  snapshot(): Promise<string> {
    return this.sb.hostOvs.snapshot()
  }
}

/** Timestamps of the hook's own log lines (winston, ISO, ms) split the run into phases. */
function hookPhases(log: string, wallStart: number, wallEnd: number): HookPhases | undefined {
  const at = (re: RegExp): number | undefined => {
    for (const line of log.split('\n')) {
      const m = /^(\S+) \S+ (?:info|warn|error): (.*)$/.exec(line)
      if (m && re.test(m[2]!)) return Date.parse(m[1]!)
    }
    return undefined
  }
  const part = at(/^OVS part:/)
  const txn = at(/^OVS transaction|^OVS: no changes/)
  const links = at(/^links/)
  const saved = at(/^running config/)
  if (part === undefined || txn === undefined || links === undefined || saved === undefined) return undefined
  const ifcfg = at(/^ifcfg files/) ?? saved
  return {
    startup: part - wallStart,
    readPlan: txn - part,
    transact: links - txn,
    linksSave: saved - links,
    ifcfg: ifcfg - saved,
    exit: wallEnd - ifcfg,
  }
}

/* ------------------------------------------------------------------------ */
/* one repetition: the hook's cycle and the floor's cycle                     */
/* ------------------------------------------------------------------------ */

type Samples = Record<Op, Timed[]>
const emptySamples = (): Samples => ({ add: [], noop: [], caps: [], edit: [], rollback: [], remove: [] })

interface Snapshots {
  add: string
  edit: string
  rollback: string
}

async function hookCycle(b: Bench, layout: Layout, out: Samples): Promise<Snapshots> {
  const what = (op: string): string => `${op} ${layout.label}`
  await b.reset(layout)
  await b.freshHookRoot()
  const add = layout.addRequest()
  const commit = (payload: unknown) => b.hook(payload, what('commit'), 'after_network_setup')
  out.add.push(await b.hook(add, what('add')))
  await commit(add)
  const afterAdd = await b.snapshot()
  out.noop.push(await b.hook(add, what('noop')))
  await commit(add)
  const caps = JSON.parse(await fs.readFile(CAPS, 'utf8')) as unknown
  out.caps.push(await b.hook(caps, what('caps'), 'after_get_caps', (o) => {
    const nets = Object.keys(o['networks'] as object).filter((k) => /^n\d+$/.test(k)).length
    if (nets !== layout.n) return `reported ${nets} of the ${layout.n} networks`
    const bonds = Object.keys(o['bondings'] as object).filter((k) => /^bond\d+$/.test(k)).length
    return bonds === layout.bonds.length ? undefined : `reported ${bonds} of the ${layout.bonds.length} bonds`
  }))
  const edit = layout.editRequest(EDIT_DELTA)
  out.edit.push(await b.hook(edit, what('edit')))
  const afterEdit = await b.snapshot()
  out.rollback.push(await b.hook(edit, what('rollback'), 'after_network_setup_fail'))
  const afterRollback = await b.snapshot()
  if (afterRollback !== afterAdd) {
    throw new Error(`hook rollback ${layout.label} did not restore the state before the edit: ${firstDifference(afterAdd, afterRollback)}`)
  }
  const remove = layout.removeRequest()
  out.remove.push(await b.hook(remove, what('remove')))
  await commit(remove)
  const left = await b.sb.hostOvs.vsctl('list-br')
  if (left !== '') throw new Error(`hook remove ${layout.label} left bridges: ${left.replace(/\n/g, ' ')}`)
  return { add: afterAdd, edit: afterEdit, rollback: afterRollback }
}

async function floorCycle(b: Bench, layout: Layout, out: Samples, nodeMs: number[]): Promise<Snapshots> {
  await b.reset(layout)
  const t0 = await b.timed('ovs-vsctl', layout.floorAddArgs(b.origMtu))
  const t1 = await b.timed('ip', ['-batch', '-'], layout.floorAddLinks())
  out.add.push({ ms: t0 + t1 })
  const afterAdd = await b.snapshot()
  const tNode = await b.timed('node', ['-e', '0'])
  out.noop.push({ ms: tNode })
  nodeMs.push(tNode)
  out.caps.push({ ms: await b.timed('ovsdb-client', floorCapsArgs()) })
  out.edit.push({ ms: await b.timed('ovs-vsctl', layout.floorEditArgs(EDIT_DELTA)) })
  const afterEdit = await b.snapshot()
  out.rollback.push({ ms: await b.timed('ovs-vsctl', layout.floorEditArgs(0)) })
  const afterRollback = await b.snapshot()
  out.remove.push({ ms: await b.timed('ovs-vsctl', layout.floorRemoveArgs()) })
  return { add: afterAdd, edit: afterEdit, rollback: afterRollback }
}

function firstDifference(a: string, b: string): string {
  const la = a.split('\n')
  const lb = b.split('\n')
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: hook ${JSON.stringify(la[i])} vs floor ${JSON.stringify(lb[i])}`
  }
  return 'none'
}

/* ------------------------------------------------------------------------ */
/* main                                                                      */
/* ------------------------------------------------------------------------ */

/** The RPM's sudoers drop-in in /etc/sudoers.d for the run (checked by visudo); a drop-in found there is put back after. */
async function installSudoers(): Promise<void> {
  const check = await execa('visudo', ['-cf', SUDOERS_SOURCE], { reject: false })
  if (check.exitCode !== 0) throw new Error(`visudo refuses ${SUDOERS_SOURCE}: ${check.stderr || check.stdout}`)
  const earlier = await fs.readFile(SUDOERS).catch(() => null)
  teardowns.push(() => (earlier === null ? fs.rm(SUDOERS, { force: true }) : fs.writeFile(SUDOERS, earlier, { mode: 0o440 })))
  await fs.copyFile(SUDOERS_SOURCE, SUDOERS)
  await fs.chmod(SUDOERS, 0o440)
}

interface Row {
  op: Op
  scenario: ScenarioName
  n: number
  hookMs: number[]
  floorMs: number[]
  hookMedianMs: number
  floorMedianMs: number
  ratio: number
  hookPhasesMedianMs?: HookPhases
}

const teardowns: (() => unknown)[] = []
let tornDown: Promise<void> | undefined

function teardown(): Promise<void> {
  tornDown ??= (async () => {
    for (const fn of teardowns.reverse()) {
      try {
        await fn()
      } catch (err) {
        console.error(`teardown: ${(err as Error).message}`)
      }
    }
  })()
  return tornDown
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: tearing down the sandbox`)
    void teardown().finally(() => process.exit(code))
  })
}

function medianPhases(samples: Timed[]): HookPhases | undefined {
  const ps = samples.map((s) => s.phases).filter((p): p is HookPhases => p !== undefined)
  if (ps.length === 0) return undefined
  const keys: (keyof HookPhases)[] = ['startup', 'readPlan', 'transact', 'linksSave', 'ifcfg', 'exit']
  return Object.fromEntries(keys.map((k) => [k, median(ps.map((p) => p[k]))])) as unknown as HookPhases
}

/** All repetitions of one layout, hook and floor alternating which goes first; one row per operation. */
async function measure(b: Bench, layout: Layout, runs: number, nodeMs: number[]): Promise<Row[]> {
  const hook = emptySamples()
  const floor = emptySamples()
  for (let rep = 0; rep < runs; rep++) {
    process.stdout.write(`  ${layout.label} run ${rep + 1}/${runs} ...`)
    const t0 = Date.now()
    let hs: Snapshots
    let fs_: Snapshots
    if (rep % 2 === 0) {
      hs = await hookCycle(b, layout, hook)
      fs_ = await floorCycle(b, layout, floor, nodeMs)
    } else {
      fs_ = await floorCycle(b, layout, floor, nodeMs)
      hs = await hookCycle(b, layout, hook)
    }
    if (rep === 0) {
      // the floor must do the same OVS work as the hook
      for (const op of ['add', 'edit', 'rollback'] as const) {
        if (hs[op] !== fs_[op]) {
          throw new Error(`floor ${op} ${layout.label} leaves another OVS config than the hook: ${firstDifference(hs[op], fs_[op])}`)
        }
      }
    }
    console.log(` ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  return OPS.map((op) => {
    const hookMs = hook[op].map((s) => s.ms)
    const floorMs = floor[op].map((s) => s.ms)
    const row: Row = {
      op,
      scenario: layout.scenario.name,
      n: layout.n,
      hookMs: hookMs.map(round),
      floorMs: floorMs.map(round),
      hookMedianMs: round(median(hookMs)),
      floorMedianMs: round(median(floorMs)),
      ratio: round(median(hookMs) / median(floorMs)),
    }
    const phases = medianPhases(hook[op])
    if (phases) row.hookPhasesMedianMs = phases
    return row
  })
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  for (const point of HOOK_POINTS) {
    await fs.access(path.join(HOOKS, point, '50_ovs')).catch(() => {
      throw new Error(`dist/hooks/${point}/50_ovs is missing: run npm run build first (npm run bench does)`)
    })
  }
  const started = new Date()
  console.log(
    `bench: scenarios ${args.scenarios.join(', ')}; N = ${args.ns.join(', ')}; ${args.runs} run(s) each; ${os.cpus().length} CPU(s)`,
  )

  // every NIC any scenario needs at the largest N
  const maxN = Math.max(...args.ns)
  const nics = [...new Set(args.scenarios.flatMap((s) => new Layout(SCENARIOS[s], maxN).nics))]
  const sandboxStart = Date.now()
  const sb = await createSandbox({ teardown: (fn) => void teardowns.push(fn) }, { nics })
  const sandboxMs = Date.now() - sandboxStart
  console.log(`sandbox with ${nics.length} NIC(s) created in ${(sandboxMs / 1000).toFixed(1)} s`)
  const workDir = await fs.mkdtemp(path.join(path.dirname(sb.root), 'bench-'))
  // the vdsm user runs the copied hooks and rewrites its payload files there
  await fs.chmod(workDir, 0o755)
  const vdsm = await vdsmUser({ teardown: (fn) => void teardowns.push(fn) })
  await installSudoers()
  const linksJson = await sb.exec(sb.host, 'ip', ['-j', 'link', 'show'])
  const origMtu = new Map((JSON.parse(linksJson.stdout) as { ifname: string; mtu: number }[]).map((l) => [l.ifname, l.mtu]))
  // the bundle is self-contained CommonJS; no package.json lies above the copy
  const hooksDir = path.join(workDir, 'hooks')
  for (const point of HOOK_POINTS) {
    const script = path.join(hooksDir, point, '50_ovs')
    await fs.mkdir(path.dirname(script), { recursive: true })
    await fs.copyFile(path.join(HOOKS, point, '50_ovs'), script)
    await fs.chmod(script, 0o755)
  }
  const b = new Bench(sb, workDir, hooksDir, origMtu, vdsm)

  // the cost of entering the namespace, paid equally by every measured call
  const nsEntryMs: number[] = []
  for (let i = 0; i < Math.max(3, args.runs); i++) nsEntryMs.push(await b.timed('true', []))
  const nodeMs: number[] = []

  const rows: Row[] = []
  for (const n of args.ns) {
    for (const scenario of args.scenarios) {
      rows.push(...(await measure(b, new Layout(SCENARIOS[scenario], n), args.runs, nodeMs)))
    }
  }
  await teardown()


  const order = (r: Row): number => OPS.indexOf(r.op)
  const scenarioOrder = (r: Row): number => args.scenarios.indexOf(r.scenario)
  rows.sort((x, y) => order(x) - order(y) || scenarioOrder(x) - scenarioOrder(y) || x.n - y.n)
  const floorName: Record<Op, string> = {
    add: '1 vsctl txn + ip -batch',
    noop: 'node -e 0',
    caps: '1 ovsdb-client query of all tables (root)',
    edit: '1 vsctl txn (set Port tag)',
    rollback: '1 vsctl txn (set Port tag back)',
    remove: '1 vsctl txn (del-br)',
  }
  console.log()
  console.log(
    table(
      ['operation', 'scenario', 'N', 'hook ms', 'floor ms', 'hook/floor', 'floor'],
      rows.map((r) => [r.op, r.scenario, String(r.n), ms(r.hookMedianMs), ms(r.floorMedianMs), r.ratio.toFixed(2), floorName[r.op]]),
      [false, false, true, true, true, true, false],
    ),
  )
  console.log()
  console.log('every timed process ran with PATH and its own variables only, as VDSM runs hooks; after_get_caps as vdsm, through sudo')
  console.log(`node -e 0 (Node start-up, via ip netns exec): median ${ms(median(nodeMs))} ms over ${nodeMs.length} runs`)
  console.log(`ip netns exec HOST env true (namespace entry): median ${ms(median(nsEntryMs))} ms`)
  console.log(`waited ${(b.settledMs / 1000).toFixed(1)} s in all for OVS to go idle before timed steps (untimed)`)
  console.log()
  console.log('where the hook spends its time (medians, ms, from its own log timestamps):')
  console.log(
    table(
      ['operation', 'scenario', 'N', 'start-up', 'read+plan', 'vsctl txn+ip read', 'ip batch+save', 'ifcfg', 'exit'],
      rows
        .filter((r) => r.hookPhasesMedianMs)
        .map((r) => {
          const p = r.hookPhasesMedianMs!
          return [r.op, r.scenario, String(r.n), ms(p.startup), ms(p.readPlan), ms(p.transact), ms(p.linksSave), ms(p.ifcfg), ms(p.exit)]
        }),
      [false, false, true, true, true, true, true, true, true],
    ),
  )

  const ovsVersion = (await execa('ovs-vsctl', ['--version'], { reject: false })).stdout.split('\n')[0] ?? ''
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    args,
    host: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? '',
      loadavg: os.loadavg(),
      node: process.version,
      ovs: ovsVersion,
      datapath: 'netdev',
    },
    sandbox: { nics: nics.length, createMs: sandboxMs },
    nodeStartupMs: { median: round(median(nodeMs)), samples: nodeMs.map(round) },
    nsEntryMs: { median: round(median(nsEntryMs)), samples: nsEntryMs.map(round) },
    floors: floorName,
    rows,
  }
  await fs.mkdir(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, `bench-${started.toISOString().replace(/:/g, '-')}.json`)
  await fs.writeFile(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log()
  console.log(`results: ${path.relative(TOP, file)}`)
}

try {
  await main()
} catch (err) {
  console.error(`\nbench failed: ${(err as Error).message}`)
  process.exitCode = 1
} finally {
  await teardown()
}
