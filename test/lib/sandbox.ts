/**
 * Test harness: a real Open vSwitch (ovsdb-server + ovs-vswitchd, userspace
 * "netdev" datapath) in a "host" network namespace, wired by veth pairs to a
 * second OVS in a "peer" namespace that plays the physical switch.
 *
 * Every process is started through execa with an argument array; no shell is
 * ever involved. Daemons are only ever stopped by the pids in their own pid
 * files, so OVS instances that do not belong to this harness are never touched.
 */
import { execa } from 'execa'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Every namespace and directory created by the harness starts with this. */
export const TEST_PREFIX = 'vho'
const NS_PREFIX = `${TEST_PREFIX}-`
/** All per-sandbox directories live below this base dir. */
export const BASE_DIR = `/tmp/${TEST_PREFIX}-test`
/** Marker file in a sandbox dir holding the pid of the test process owning it. */
const OWNER_FILE = 'owner.pid'
const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
const HOOKS_DIR = fileURLToPath(new URL('../../dist/hooks/', import.meta.url))
const CLI = fileURLToPath(new URL('../../dist/bin/vdsm-ovs', import.meta.url))
const DEFAULT_NICS = ['eth1', 'eth2']
const PEER_BRIDGE = 'pbr'
const STOP_GRACE_MS = 2000

export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface RunOpts {
  env?: Record<string, string>
  /**
   * In a namespace: the command sees PATH and env only, as a child of a
   * systemd service (VDSM's hooks) does, nothing of this process's environment.
   */
  cleanEnv?: boolean
  input?: string
  /** Throw on a non-zero exit (default true). */
  reject?: boolean
}

/* ------------------------------------------------------------------------ */
/* process helpers                                                           */
/* ------------------------------------------------------------------------ */

/**
 * Run a command. Failures are turned into errors that carry the whole command
 * line and stderr, because a bare "exit code 1" is useless in a test log.
 */
export async function run(cmd: string, args: string[], opts: RunOpts = {}): Promise<ExecResult> {
  const r = await execa(cmd, args, {
    ...(opts.env !== undefined && { env: opts.env }),
    ...(opts.input !== undefined && { input: opts.input }),
    reject: false,
    stripFinalNewline: false,
  })
  // exitCode is undefined when the process could not be spawned or was killed;
  // report that as a failure with execa's explanation as stderr.
  const spawnFailed = r.exitCode === undefined && r.failed
  const res: ExecResult = {
    exitCode: r.exitCode ?? (spawnFailed ? 127 : 0),
    stdout: String(r.stdout ?? ''),
    stderr: spawnFailed ? (r.message ?? '') : String(r.stderr ?? ''),
  }
  if (opts.reject !== false && res.exitCode !== 0) {
    throw new Error(
      `command failed (exit ${res.exitCode}): ${[cmd, ...args].join(' ')}\n${res.stderr.trim()}`,
    )
  }
  return res
}

/**
 * Run a command inside a namespace. The environment is passed explicitly via
 * env(1) so it is visible in error messages and does not depend on what
 * `ip netns exec` preserves.
 */
export function nsRun(ns: string, cmd: string, args: string[], opts: RunOpts = {}): Promise<ExecResult> {
  const envArgs = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)
  const clean = opts.cleanEnv ? ['-i', `PATH=${process.env['PATH'] ?? '/usr/sbin:/usr/bin'}`] : []
  const { env: _env, cleanEnv: _clean, ...rest } = opts
  return run('ip', ['netns', 'exec', ns, 'env', ...clean, ...envArgs, cmd, ...args], rest)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Linux process state letter from /proc, or undefined if the pid is gone. */
async function procState(pid: number): Promise<string | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8')
    // The comm field may contain spaces/parens, so parse after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return undefined
  }
}

/** A zombie counts as gone: our daemons are re-parented and may never be reaped. */
async function isAlive(pid: number): Promise<boolean> {
  const state = await procState(pid)
  return state !== undefined && state !== 'Z' && state !== 'X'
}

async function cmdlineOf(pid: number): Promise<string> {
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ')
  } catch {
    return ''
  }
}

async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await fs.readFile(pidFile, 'utf8')).trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * Stop the daemon named in pidFile: SIGTERM, wait, SIGKILL after a grace
 * period. The pid is only signalled if its command line still names the
 * expected program, so a stale pid file can never hit an unrelated process.
 */
async function stopByPidFile(pidFile: string, program: string): Promise<void> {
  const pid = await readPid(pidFile)
  if (pid === undefined) return
  if ((await isAlive(pid)) && (await cmdlineOf(pid)).includes(program)) {
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(pid, sig)
      } catch {
        /* already gone */
      }
    }
    signal('SIGTERM')
    const deadline = Date.now() + STOP_GRACE_MS
    while ((await isAlive(pid)) && Date.now() < deadline) await sleep(50)
    if (await isAlive(pid)) {
      signal('SIGKILL')
      while (await isAlive(pid)) await sleep(50)
    }
  }
  // OVS removes its pid file on a clean exit, not after SIGKILL.
  await fs.rm(pidFile, { force: true })
}

/* ------------------------------------------------------------------------ */
/* namespaces                                                                */
/* ------------------------------------------------------------------------ */

async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list'])
  // Lines look like "name (id: 3)" or just "name".
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '')
}

export async function ensureNamespace(ns: string): Promise<void> {
  if (!(await listNamespaces()).includes(ns)) await run('ip', ['netns', 'add', ns])
  await nsRun(ns, 'ip', ['link', 'set', 'lo', 'up'])
}

export async function deleteNamespace(ns: string): Promise<void> {
  if (!(await listNamespaces()).includes(ns)) return
  // processes still in it (DHCP clients the hook started, a peer's dnsmasq) would keep it alive unseen
  const pids = (await run('ip', ['netns', 'pids', ns], { reject: false })).stdout.split(/\s+/).filter(Boolean)
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {
      // gone already
    }
  }
  await run('ip', ['netns', 'del', ns], { reject: false })
}

/* ------------------------------------------------------------------------ */
/* one OVS instance                                                          */
/* ------------------------------------------------------------------------ */

export interface Ovs {
  ns: string
  rundir: string
  /** ovs-vsctl --timeout=10 ...args inside the namespace; stdout trimmed. */
  vsctl(...args: string[]): Promise<string>
  /** ovs-appctl --timeout=10 against this instance's ovs-vswitchd; stdout trimmed. */
  appctl(...args: string[]): Promise<string>
  /** Stop ovs-vswitchd and ovsdb-server (idempotent). */
  stop(): Promise<void>
  /** Stop only ovs-vswitchd, e.g. to test behaviour while the switch is down. */
  stopVswitchd(): Promise<void>
  startVswitchd(): Promise<void>
  /**
   * The database lost: both daemons stopped, conf.db deleted and created
   * empty, both started again. What the datapath left in the kernel stays.
   */
  wipeDatabase(): Promise<void>
  /** Send a signal to one daemon (SIGSTOP/SIGCONT: hung and back), by its pid file. */
  signal(daemon: 'ovsdb-server' | 'ovs-vswitchd', sig: NodeJS.Signals): Promise<void>
  /** Normalized, deterministic text of the configuration in the DB. */
  snapshot(): Promise<string>
  /** Open_vSwitch table next_cfg. */
  nextCfg(): Promise<number>
}

/** Every OVS tool reads its paths from these, so all of them are set always. */
function ovsEnv(dir: string): Record<string, string> {
  return { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir }
}

const DAEMON_FLAGS = ['--detach', '--no-chdir', '--pidfile', '--log-file']

/**
 * Start ovsdb-server and ovs-vswitchd in namespace `ns` with all their files in
 * `dir`. Creates the namespace and the database if missing.
 */
export async function startOvs(ns: string, dir: string): Promise<Ovs> {
  const rundir = path.resolve(dir)
  const env = ovsEnv(rundir)
  const inNs = (cmd: string, args: string[]): Promise<ExecResult> => nsRun(ns, cmd, args, { env })

  await ensureNamespace(ns)
  await fs.mkdir(rundir, { recursive: true })
  const db = path.join(rundir, 'conf.db')
  const startDb = async (): Promise<void> => {
    if (!existsSync(db)) await inNs('ovsdb-tool', ['create', db, OVS_SCHEMA])
    await inNs('ovsdb-server', [...DAEMON_FLAGS, `--remote=punix:${rundir}/db.sock`, db])
  }
  await startDb()

  const vsctl = async (...args: string[]): Promise<string> =>
    (await inNs('ovs-vsctl', ['--timeout=10', ...args])).stdout.trim()

  const startVswitchd = async (): Promise<void> => {
    await inNs('ovs-vswitchd', DAEMON_FLAGS)
  }
  const stopVswitchd = (): Promise<void> =>
    stopByPidFile(path.join(rundir, 'ovs-vswitchd.pid'), 'ovs-vswitchd')
  const initAndStartVswitchd = async (): Promise<void> => {
    // --no-wait: ovs-vswitchd is not running yet to acknowledge the change.
    await vsctl('--no-wait', 'init')
    await startVswitchd()
  }

  const ovs: Ovs = {
    ns,
    rundir,
    vsctl,
    async appctl(...args) {
      // The control socket is named after the daemon's pid.
      const pid = await readPid(path.join(rundir, 'ovs-vswitchd.pid'))
      if (pid === undefined) throw new Error(`ovs-vswitchd is not running in ${ns}`)
      const target = path.join(rundir, `ovs-vswitchd.${pid}.ctl`)
      return (await inNs('ovs-appctl', ['--timeout=10', '-t', target, ...args])).stdout.trim()
    },
    async stop() {
      await stopVswitchd()
      await stopByPidFile(path.join(rundir, 'ovsdb-server.pid'), 'ovsdb-server')
    },
    stopVswitchd,
    startVswitchd,
    async wipeDatabase() {
      await ovs.stop()
      await fs.rm(db)
      await startDb()
      await initAndStartVswitchd()
    },
    async signal(daemon, sig) {
      const pid = await readPid(path.join(rundir, `${daemon}.pid`))
      if (pid === undefined) throw new Error(`${daemon} is not running in ${ns}`)
      process.kill(pid, sig)
    },
    snapshot: () => snapshotDb(vsctl),
    async nextCfg() {
      return Number.parseInt(await vsctl('get', 'Open_vSwitch', '.', 'next_cfg'), 10)
    },
  }

  try {
    await initAndStartVswitchd()
  } catch (err) {
    await ovs.stop()
    throw err
  }
  return ovs
}

/* ------------------------------------------------------------------------ */
/* DB snapshot                                                               */
/* ------------------------------------------------------------------------ */

/** OVSDB JSON datum as printed by `ovs-vsctl --format=json --data=json`. */
type Atom = string | number | boolean | ['uuid', string] | ['named-uuid', string]
type Datum = Atom | ['set', Atom[]] | ['map', [Atom, Atom][]]
type Row = Record<string, Datum>

/**
 * How a column is normalized: `one` = scalar, `opt` = optional scalar (null
 * when empty), `set` = sorted array, `map` = object with sorted keys, `ref` =
 * set of uuids rendered as the sorted names of the referenced rows.
 */
type Kind = 'one' | 'opt' | 'set' | 'map' | 'ref'

/** Only configuration columns: status/statistics columns change on their own. */
const SNAPSHOT_TABLES: Record<'Bridge' | 'Port' | 'Interface', Record<string, Kind>> = {
  Bridge: {
    name: 'one',
    datapath_type: 'one',
    stp_enable: 'one',
    external_ids: 'map',
    other_config: 'map',
    fail_mode: 'opt',
    ports: 'ref',
  },
  Port: {
    name: 'one',
    tag: 'opt',
    trunks: 'set',
    vlan_mode: 'opt',
    fake_bridge: 'one',
    bond_mode: 'opt',
    lacp: 'opt',
    bond_updelay: 'one',
    bond_downdelay: 'one',
    external_ids: 'map',
    other_config: 'map',
    interfaces: 'ref',
  },
  Interface: {
    name: 'one',
    type: 'one',
    options: 'map',
    mtu_request: 'opt',
    external_ids: 'map',
    other_config: 'map',
  },
}

type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain }

function atomValue(a: Atom, names: Map<string, string>): string | number | boolean {
  if (!Array.isArray(a)) return a
  return names.get(a[1]) ?? `<${a[0]}:${a[1]}>`
}

function setMembers(d: Datum): Atom[] {
  if (Array.isArray(d) && d[0] === 'set') return d[1] as Atom[]
  return [d as Atom] // a one-element set is printed as the bare atom
}

function compareValues(a: Plain, b: Plain): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}

function normalizeDatum(d: Datum | undefined, kind: Kind, names: Map<string, string>): Plain {
  if (d === undefined) return null
  switch (kind) {
    case 'one':
      return atomValue(d as Atom, names)
    case 'opt': {
      const members = setMembers(d)
      return members.length === 0 ? null : atomValue(members[0] as Atom, names)
    }
    case 'set':
    case 'ref':
      return setMembers(d)
        .map((a) => atomValue(a, names))
        .sort(compareValues)
    case 'map': {
      const pairs = Array.isArray(d) && d[0] === 'map' ? (d[1] as [Atom, Atom][]) : []
      const obj: Record<string, Plain> = {}
      for (const [k, v] of [...pairs].sort((x, y) => compareValues(String(x[0]), String(y[0])))) {
        obj[String(atomValue(k, names))] = atomValue(v, names)
      }
      return obj
    }
  }
}

/** Rows of one table as objects keyed by column name. */
async function listTable(
  vsctl: (...args: string[]) => Promise<string>,
  table: string,
  columns: string[],
): Promise<Row[]> {
  const out = await vsctl(
    '--format=json',
    '--data=json',
    `--columns=${['_uuid', ...columns].join(',')}`,
    'list',
    table,
  )
  const parsed = JSON.parse(out) as { headings: string[]; data: Datum[][] }
  return parsed.data.map((cells) =>
    Object.fromEntries(parsed.headings.map((h, i) => [h, cells[i] as Datum])),
  )
}

/**
 * Deterministic text of the Bridge/Port/Interface configuration: uuids are
 * resolved to names, sets and map keys are sorted, rows are sorted by name, so
 * two snapshots are equal iff the configuration is.
 */
async function snapshotDb(vsctl: (...args: string[]) => Promise<string>): Promise<string> {
  const tables = Object.entries(SNAPSHOT_TABLES)
  const rowsByTable = await Promise.all(
    tables.map(([table, cols]) => listTable(vsctl, table, Object.keys(cols))),
  )
  const names = new Map<string, string>()
  for (const rows of rowsByTable) {
    for (const row of rows) {
      const uuid = row._uuid as ['uuid', string]
      names.set(uuid[1], String(row.name))
    }
  }
  const result: Record<string, Plain> = {}
  tables.forEach(([table, cols], i) => {
    result[table] = (rowsByTable[i] ?? [])
      .map((row) => {
        const obj: Record<string, Plain> = {}
        for (const col of Object.keys(cols).sort()) {
          obj[col] = normalizeDatum(row[col], cols[col] as Kind, names)
        }
        return obj
      })
      .sort((a, b) => compareValues(a.name ?? '', b.name ?? ''))
  })
  return JSON.stringify(result, null, 2)
}

/* ------------------------------------------------------------------------ */
/* sandbox                                                                   */
/* ------------------------------------------------------------------------ */

export interface HookResult extends ExecResult {
  /** The payload file after the hook ran, parsed; null if it is not JSON. */
  output: any
}

export interface Sandbox {
  /** Namespace names. */
  host: string
  peer: string
  hostOvs: Ovs
  peerOvs: Ovs
  /** A fresh temp dir, passed to hooks as VDSM_HOOK_OVS_ROOT. */
  root: string
  /** Host-side NIC names (veth ends in the host namespace). */
  nics: string[]
  /** Netdev bridge on the peer OVS holding every peer veth end (p-<nic>). */
  peerBridge: string
  exec(ns: string, cmd: string, args: string[], opts?: RunOpts): Promise<ExecResult>
  runHook(
    hookPoint: string,
    payload: unknown,
    /** script: run this file instead of the built dist/hooks/<hookPoint>/50_ovs (e.g. an installed one) */
    opts?: { env?: Record<string, string>; raw?: string; script?: string },
  ): Promise<HookResult>
  /** Namespace of the "VM" whose NICs addVmNic creates. */
  vm: string
  /** A further namespace of this sandbox (a router, a far host), lo up; removed with the sandbox. */
  addNamespace(role: string): Promise<string>
  /** The namespace of another VM of this sandbox (several VMs in one subnet need one namespace each); name: letters and digits. */
  vmNamed(name: string): string
  /** A VM NIC: veth `tap` in the host namespace (as libvirt's vnetN), `vmIf` in the VM namespace (default: vm). */
  addVmNic(tap: string, vmIf: string, vm?: string): Promise<void>
  /** Runs a device or VM hook as VDSM does: the XML in the file named by _hook_domxml, read back after (env: VDSM's extra variables, e.g. an OVN NIC's). */
  runXmlHook(hookPoint: string, xml: string, opts?: { env?: Record<string, string> }): Promise<ExecResult & { xml: string }>
  /** Runs the built vdsm-ovs CLI in the host namespace with the hook's environment. */
  runCli(args: string[], opts?: { env?: Record<string, string>; input?: string }): Promise<ExecResult>
  /** Internal port on the peer bridge with the given access VLAN (0 = untagged) and address. */
  peerEndpoint(name: string, vlan: number, cidr: string): Promise<void>
  /** Replace these peer veth ports on the peer bridge by one OVS bond port. */
  peerBond(name: string, peerNics: string[], opts: { mode: string; lacp?: string }): Promise<void>
  /** True when `count` echo replies arrive within the timeout. */
  /** from: the source address (ping -I), which picks the routing rules that apply; args: more ping arguments (e.g. -M do -s N) */
  ping(ns: string, addr: string, opts?: { count?: number; timeoutS?: number; from?: string; args?: string[] }): Promise<boolean>
  setLink(ns: string, dev: string, up: boolean): Promise<void>
  /** Every regular file under root except var/log/, var/cache/ and run/, relative path -> content. */
  files(): Promise<Record<string, string>>
  /** Stop both OVS, delete the namespaces and files (idempotent, never throws). */
  cleanup(): Promise<void>
}

/*
 * One harness id has at most one namespace of each kind: vho-h-<id> (a host),
 * vho-p-<id> (a peer or switch), vho-v-<id> (a VM). A harness of several
 * hosts allocates an id for each namespace, so that the leftover cleanup of
 * any test process recognises every one as owned while its owner lives.
 */
export const hostNs = (id: string): string => `${NS_PREFIX}h-${id}`
export const peerNs = (id: string): string => `${NS_PREFIX}p-${id}`
export const vmNs = (id: string): string => `${NS_PREFIX}v-${id}`
const idOfNs = (ns: string): string | undefined => ns.split('-')[2]

/** Stop every OVS daemon whose pid file lies in a direct subdir of `dir`. */
export async function stopDaemonsUnder(dir: string): Promise<void> {
  const subdirs = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const sub of subdirs) {
    if (!sub.isDirectory()) continue
    const d = path.join(dir, sub.name)
    // vswitchd first: it is a client of ovsdb-server.
    await stopByPidFile(path.join(d, 'ovs-vswitchd.pid'), 'ovs-vswitchd')
    await stopByPidFile(path.join(d, 'ovsdb-server.pid'), 'ovsdb-server')
  }
}

/** Tear down everything of harness `id` (daemons, namespaces, files), tolerating parts that never existed. */
export async function destroyHarness(id: string): Promise<void> {
  const dir = path.join(BASE_DIR, id)
  await stopDaemonsUnder(dir)
  for (const ns of await listNamespaces()) {
    if (ns.startsWith(NS_PREFIX) && idOfNs(ns) === id) await deleteNamespace(ns)
  }
  await fs.rm(dir, { recursive: true, force: true })
}

/**
 * Sandbox ids in use by another live test process. A dir without an owner
 * file yet is being created right now, unless it is old.
 */
async function idsOwnedByOthers(): Promise<Set<string>> {
  const owned = new Set<string>()
  for (const id of await fs.readdir(BASE_DIR).catch(() => [] as string[])) {
    const dir = path.join(BASE_DIR, id)
    const owner = await readPid(path.join(dir, OWNER_FILE))
    if (owner === undefined) {
      const stat = await fs.stat(dir).catch(() => undefined)
      if (stat !== undefined && Date.now() - stat.ctimeMs < 60_000) owned.add(id)
    } else if (owner !== process.pid && (await isAlive(owner))) {
      owned.add(id)
    }
  }
  return owned
}

/**
 * Remove what crashed earlier runs left behind: daemons (by their pid files
 * under the base dir), `vho-` namespaces and the base dir content. Sandboxes
 * of other test processes that are still running are left alone, so parallel
 * test files cannot pull the rug from under each other.
 */
export async function cleanupLeftovers(): Promise<void> {
  const keep = await idsOwnedByOthers()
  for (const id of await fs.readdir(BASE_DIR).catch(() => [] as string[])) {
    if (keep.has(id)) continue
    await stopDaemonsUnder(path.join(BASE_DIR, id))
    await fs.rm(path.join(BASE_DIR, id), { recursive: true, force: true })
  }
  for (const ns of await listNamespaces()) {
    if (ns.startsWith(NS_PREFIX) && !keep.has(idOfNs(ns) ?? '')) {
      await run('ip', ['netns', 'del', ns], { reject: false })
    }
  }
}

let leftoversCleaned = false

/** cleanupLeftovers, once per test process: before its first harness. */
export async function cleanupLeftoversOnce(): Promise<void> {
  if (leftoversCleaned) return
  leftoversCleaned = true
  await cleanupLeftovers()
}

/** Create a fresh, unused sandbox id and its directory. */
export async function allocateId(): Promise<string> {
  await fs.mkdir(BASE_DIR, { recursive: true })
  for (;;) {
    const id = randomBytes(3).toString('hex')
    try {
      await fs.mkdir(path.join(BASE_DIR, id)) // non-recursive: fails if taken
      await fs.writeFile(path.join(BASE_DIR, id, OWNER_FILE), `${process.pid}\n`)
      return id
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}

async function walkFiles(root: string, rel: string, out: Record<string, string>): Promise<void> {
  for (const entry of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`
    if (entry.isDirectory()) await walkFiles(root, relPath, out)
    else if (entry.isFile()) out[relPath] = await fs.readFile(path.join(root, relPath), 'utf8')
  }
}

/**
 * The hook's log and lock change on every run, and its code cache (var/cache) is written by
 * whichever run first may: none of them is host state, so "files unchanged" ignores them.
 */
const isVolatile = (rel: string): boolean => rel.startsWith('var/log/') || rel.startsWith('run/') || rel.startsWith('var/cache/')

/**
 * Build a sandbox: host and peer namespaces each running an OVS, veth pairs
 * <nic> (host) <-> p-<nic> (peer), and the peer bridge holding all p-* ends.
 * Teardown is registered on `t`.
 */
export async function createSandbox(
  t: { teardown(fn: () => unknown): void },
  opts: { nics?: string[] } = {},
): Promise<Sandbox> {
  await cleanupLeftoversOnce()
  const id = await allocateId()
  const dir = path.join(BASE_DIR, id)
  const host = hostNs(id)
  const peer = peerNs(id)
  const nics = opts.nics ?? DEFAULT_NICS

  let cleaned: Promise<void> | undefined
  const cleanup = (): Promise<void> => {
    cleaned ??= destroyHarness(id).catch(() => undefined)
    return cleaned
  }

  try {
    const [hostOvs, peerOvs] = await Promise.all([
      startOvs(host, path.join(dir, 'host')),
      startOvs(peer, path.join(dir, 'peer')),
    ])
    for (const nic of nics) {
      await run('ip', ['link', 'add', nic, 'netns', host, 'type', 'veth', 'peer', 'name', `p-${nic}`, 'netns', peer])
      // host NICs stay down: bringing uplinks up is the hook's job, and tested
      await nsRun(peer, 'ip', ['link', 'set', `p-${nic}`, 'up'])
    }
    // the peer holds endpoints of several VLANs in one namespace: without this its
    // kernel answers ARP for any of its addresses on any VLAN and fakes reachability
    await nsRun(peer, 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1'])
    await peerOvs.vsctl(
      'add-br', PEER_BRIDGE,
      '--', 'set', 'bridge', PEER_BRIDGE, 'datapath_type=netdev',
      ...nics.flatMap((nic) => ['--', 'add-port', PEER_BRIDGE, `p-${nic}`]),
    )
    const rootParent = path.join(dir, 'root')
    await fs.mkdir(rootParent)
    const root = await fs.mkdtemp(path.join(rootParent, `${TEST_PREFIX}-`))

    const sandbox = buildSandbox({ id, host, peer, vm: vmNs(id), hostOvs, peerOvs, root, nics, dir, cleanup })
    t.teardown(cleanup)
    return sandbox
  } catch (err) {
    await cleanup()
    throw err
  }
}

/** The hook's view of one simulated host: what its hooks and CLI run with, and its files. */
export interface HostTools {
  runHook: Sandbox['runHook']
  runXmlHook: Sandbox['runXmlHook']
  runCli: Sandbox['runCli']
  files: Sandbox['files']
}

/**
 * Hooks and CLI of one simulated host: the built ones, run in namespace `ns`
 * against `ovs`, with VDSM_HOOK_OVS_ROOT `root`; payload files go to `scratch`.
 */
export function hostTools(p: { ns: string; ovs: Ovs; root: string; scratch: string }): HostTools {
  const { ns, root } = p
  let hookSeq = 0
  const hookEnv = { VDSM_HOOK_OVS_ROOT: root, OVS_RUNDIR: p.ovs.rundir, VDSM_HOOK_OVS_DATAPATH: 'netdev' }
  return {
    async runHook(hookPoint, payload, opts = {}) {
      // VDSM hands the hook a JSON file and reads the (possibly edited) file back.
      const jsonFile = path.join(p.scratch, `hook-${++hookSeq}.json`)
      await fs.writeFile(jsonFile, opts.raw ?? JSON.stringify(payload))
      try {
        const script = opts.script ?? path.join(HOOKS_DIR, hookPoint, '50_ovs')
        const res = await nsRun(ns, script, [], {
          reject: false,
          env: { _hook_json: jsonFile, ...hookEnv, ...opts.env },
        })
        const content = await fs.readFile(jsonFile, 'utf8').catch(() => '')
        let output: unknown = null
        try {
          output = JSON.parse(content)
        } catch {
          output = null
        }
        return { ...res, output }
      } finally {
        await fs.rm(jsonFile, { force: true })
      }
    },

    async runXmlHook(hookPoint, xml, opts = {}) {
      const xmlFile = path.join(p.scratch, `hook-${++hookSeq}.xml`)
      await fs.writeFile(xmlFile, xml)
      try {
        const res = await nsRun(ns, path.join(HOOKS_DIR, hookPoint, '50_ovs'), [], {
          reject: false,
          env: { _hook_domxml: xmlFile, ...hookEnv, ...opts.env },
        })
        return { ...res, xml: await fs.readFile(xmlFile, 'utf8') }
      } finally {
        await fs.rm(xmlFile, { force: true })
      }
    },

    runCli: (args, opts = {}) =>
      nsRun(ns, CLI, args, {
        reject: false,
        env: { ...hookEnv, ...opts.env },
        ...(opts.input !== undefined && { input: opts.input }),
      }),

    async files() {
      const out: Record<string, string> = {}
      await walkFiles(root, '', out)
      return Object.fromEntries(
        Object.entries(out)
          .filter(([rel]) => !isVolatile(rel))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      )
    },
  }
}

/** A veth pair: `a` in namespace `nsA`, `b` in `nsB` (up); `b`'s namespace answers ARP only on the NIC owning the address. */
export async function addVethToNs(a: string, nsA: string, b: string, nsB: string): Promise<void> {
  await ensureNamespace(nsB)
  // the VM holds NICs of several networks: answer ARP only on the NIC that owns the address
  await nsRun(nsB, 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1'])
  await run('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB])
  await nsRun(nsB, 'ip', ['link', 'set', b, 'up'])
}

/** True when `count` echo replies arrive within the timeout (extra ping arguments, e.g. -M do -s N, before the address). */
export async function ping(
  ns: string,
  addr: string,
  opts: { count?: number; timeoutS?: number; from?: string; args?: string[] } = {},
): Promise<boolean> {
  // With both -c and -w, ping succeeds only if `count` replies arrive before
  // the deadline, and keeps retrying meanwhile: this absorbs slow MAC
  // learning and ARP in the userspace datapath.
  const count = opts.count ?? 2
  const timeoutS = opts.timeoutS ?? 5
  const res = await nsRun(
    ns, 'ping',
    ['-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', '-w', String(timeoutS), ...(opts.from ? ['-I', opts.from] : []), ...(opts.args ?? []), addr],
    { reject: false },
  )
  return res.exitCode === 0
}

function buildSandbox(p: {
  id: string
  host: string
  peer: string
  vm: string
  hostOvs: Ovs
  peerOvs: Ovs
  root: string
  nics: string[]
  dir: string
  cleanup: () => Promise<void>
}): Sandbox {
  const { host, peer, hostOvs, peerOvs, root } = p

  return {
    host,
    peer,
    hostOvs,
    peerOvs,
    root,
    nics: [...p.nics],
    peerBridge: PEER_BRIDGE,

    exec: (ns, cmd, args, opts = {}) => nsRun(ns, cmd, args, opts),

    ...hostTools({ ns: host, ovs: hostOvs, root, scratch: p.dir }),

    vm: p.vm,

    async addNamespace(role) {
      // named as the harness names its own, so that leftover cleanup knows whose it is
      const ns = `${NS_PREFIX}${role}-${p.id}`
      await ensureNamespace(ns)
      return ns
    },

    // vho-v<name>-<id>: the harness's own naming, so that leftover cleanup knows whose it is
    vmNamed: (name) => `${NS_PREFIX}v${name}-${p.id}`,

    async addVmNic(tap, vmIf, vm = p.vm) {
      await ensureNamespace(vm)
      // the VM holds NICs of several networks: answer ARP only on the NIC that owns the address
      await nsRun(vm, 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1'])
      await addVethToNs(tap, host, vmIf, vm)
    },

    async peerEndpoint(name, vlan, cidr) {
      await peerOvs.vsctl(
        'add-port', PEER_BRIDGE, name,
        '--', 'set', 'interface', name, 'type=internal',
        ...(vlan > 0 ? ['--', 'set', 'port', name, `tag=${vlan}`] : []),
      )
      await nsRun(peer, 'ip', ['addr', 'add', cidr, 'dev', name])
      await nsRun(peer, 'ip', ['link', 'set', name, 'up'])
    },

    async peerBond(name, peerNics, opts) {
      // One transaction, so the interfaces are never in two ports at once.
      await peerOvs.vsctl(
        ...peerNics.flatMap((nic) => ['--if-exists', 'del-port', PEER_BRIDGE, nic, '--']),
        'add-bond', PEER_BRIDGE, name, ...peerNics,
        `bond_mode=${opts.mode}`,
        ...(opts.lacp !== undefined ? [`lacp=${opts.lacp}`] : []),
      )
    },

    ping: (ns, addr, opts) => ping(ns, addr, opts),

    async setLink(ns, dev, up) {
      await nsRun(ns, 'ip', ['link', 'set', dev, up ? 'up' : 'down'])
    },

    cleanup: p.cleanup,
  }
}
