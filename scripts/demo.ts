/**
 * End-to-end demo of the before_network_setup hook, on the test harness's
 * sandbox: a host OVS and a peer OVS (playing the physical switch) in their
 * own network namespaces, wired by veth pairs eth1/eth2 <-> p-eth1/p-eth2.
 *
 * Run as root after `npm run build`:  npx tsx scripts/demo.ts
 * Exits non-zero when an expected outcome does not happen, saying which.
 */
import { isDeepStrictEqual } from 'node:util'
import { createSandbox, type HookResult, type Sandbox } from '../test/lib/sandbox.js'

/* ------------------------------------------------------------------------ */
/* teardown collector: runs in `finally`, also after SIGINT/SIGTERM         */
/* ------------------------------------------------------------------------ */

const teardowns: (() => unknown)[] = []
/** What createSandbox registers its cleanup with (tap's `t` in the tests). */
const collector = {
  teardown(fn: () => unknown): void {
    teardowns.push(fn)
  },
}
let teardownChain: Promise<void> = Promise.resolve()

/** Run every registered teardown, last registered first; safe to call repeatedly. */
function teardownAll(): Promise<void> {
  teardownChain = teardownChain.then(async () => {
    for (let fn = teardowns.pop(); fn !== undefined; fn = teardowns.pop()) {
      try {
        await fn()
      } catch (err) {
        console.error(`teardown failed: ${(err as Error).message}`)
      }
    }
  })
  return teardownChain
}

/**
 * Set by a signal. The step in progress is allowed to finish (a hook or ping
 * still running must not find its sandbox gone); the next check stops the demo
 * and `finally` tears down, also a sandbox that was still being built.
 */
let interrupted: NodeJS.Signals | undefined

class Interrupted extends Error {}

function onSignal(sig: NodeJS.Signals): void {
  if (interrupted !== undefined) {
    console.error(`\n${sig} again: exiting without teardown (the next run removes the leftovers)`)
    process.exit(sig === 'SIGINT' ? 130 : 143)
  }
  interrupted = sig
  console.error(`\n${sig}: finishing the current step, then tearing down the sandbox...`)
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

function checkInterrupted(): void {
  if (interrupted !== undefined) throw new Interrupted(`interrupted by ${interrupted}`)
}

/* ------------------------------------------------------------------------ */
/* output                                                                    */
/* ------------------------------------------------------------------------ */

let sectionNo = 0
function section(title: string): void {
  checkInterrupted()
  const head = `== ${++sectionNo}. ${title} `
  console.log(`\n${head}${'='.repeat(Math.max(4, 78 - head.length))}`)
}

const indent = (text: string, by = '  '): string =>
  text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n')

/** One line per network / bond: readable without dumping the whole JSON tree. */
function formatRequest(doc: unknown): string {
  const request = (doc as { request?: Record<string, unknown> } | null)?.request
  if (request === undefined) return `(no request object: ${JSON.stringify(doc)})`
  const lines: string[] = []
  const entries = (key: string): void => {
    const value = (request[key] ?? {}) as Record<string, unknown>
    const names = Object.keys(value)
    lines.push(`${key}:${names.length === 0 ? ' (none)' : ''}`)
    const width = Math.max(...names.map((n) => n.length))
    for (const name of names) lines.push(`  ${name.padEnd(width)}  ${JSON.stringify(value[name])}`)
  }
  entries('bondings')
  entries('networks')
  const rest = Object.fromEntries(Object.entries(request).filter(([k]) => k !== 'bondings' && k !== 'networks'))
  for (const [k, v] of Object.entries(rest)) lines.push(`${k}: ${JSON.stringify(v)}`)
  return lines.join('\n')
}

/* ------------------------------------------------------------------------ */
/* expectations                                                              */
/* ------------------------------------------------------------------------ */

const failures: string[] = []

function expect(ok: boolean, what: string, why = ''): boolean {
  if (ok) {
    console.log(`  [ok]   ${what}`)
  } else {
    console.log(`  [FAIL] ${what}${why ? `: ${why}` : ''}`)
    failures.push(`${what}${why ? `: ${why}` : ''}`)
  }
  return ok
}

/** Stops the demo: later steps make no sense after this failure. */
class Fatal extends Error {}

async function runHook(sb: Sandbox, payload: unknown): Promise<HookResult> {
  checkInterrupted()
  const res = await sb.runHook('before_network_setup', payload)
  checkInterrupted() // Ctrl-C reaches the hook too: its result would mean nothing
  console.log(`hook exit code: ${res.exitCode}`)
  console.log('hook stderr (its log; the ovs-vsctl transaction is one command per line, "# why"):')
  console.log(res.stderr.trim() === '' ? '  (empty)' : indent(res.stderr))
  if (res.stdout.trim() !== '') console.log(`hook stdout (VDSM ignores it):\n${indent(res.stdout)}`)
  return res
}

/** Ping from the host namespace; a ping cut short by a signal counts as no result. */
async function ping(sb: Sandbox, addr: string, opts: { count?: number; timeoutS?: number } = {}): Promise<boolean> {
  checkInterrupted()
  const ok = await sb.ping(sb.host, addr, opts)
  checkInterrupted()
  return ok
}

async function ovsShow(sb: Sandbox): Promise<void> {
  console.log(indent(await sb.hostOvs.vsctl('show')))
}

/** Names of every Port and Interface in the host OVS. */
async function ovsNames(sb: Sandbox): Promise<Set<string>> {
  const names = new Set<string>()
  for (const table of ['Port', 'Interface']) {
    const out = await sb.hostOvs.vsctl('--bare', '--columns=name', 'list', table)
    for (const n of out.split('\n').map((l) => l.trim())) if (n !== '') names.add(n)
  }
  return names
}

/* ------------------------------------------------------------------------ */
/* the requests                                                              */
/* ------------------------------------------------------------------------ */

/**
 * DEMO_PEER_BOND=<mode> puts the peer's ports into an OVS bond of that mode
 * instead of leaving them plain switch ports. With balance-slb on both ends the
 * VLAN 100 ping fails: the peer bond drops the host's ARP broadcast when it
 * arrives on the peer's non-active member ("bonding refused admissibility").
 */
const PEER_BOND_MODE = process.env['DEMO_PEER_BOND'] || undefined

const OPTIONS = { connectivityCheck: 'true', connectivityTimeout: 120 }

/** The legacy (Linux bridge) network: not OVS, so VDSM must get it back untouched. */
const DISPLAY = {
  STP: 'no',
  bootproto: 'dhcp',
  bridged: 'true',
  custom: { bridge_opts: 'forward_delay=1500' },
  mtu: 1500,
  nic: 'eth0',
  vlan: '50',
}

/** Raw Engine values, as in test/fixtures/vdsm/setup-add-vlan-over-bond.json. */
const SETUP = {
  request: {
    bondings: {
      bond0: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True,ovs_mode:balance-slb' },
    },
    networks: {
      ovsmgmt: {
        STP: 'no',
        bonding: 'bond0',
        bridged: 'true',
        custom: { ovs: 'true' },
        ipaddr: '198.51.100.10',
        netmask: '255.255.255.0',
        mtu: 1500,
      },
      vmnet100: {
        STP: 'no',
        bonding: 'bond0',
        bridged: 'true',
        custom: { ovs: 'true' },
        ipaddr: '10.100.0.1',
        prefix: '24',
        mtu: 1500,
        vlan: '100',
      },
      display: DISPLAY,
    },
    options: OPTIONS,
  },
}

const REMOVE = {
  request: {
    bondings: { bond0: { remove: true } },
    networks: { ovsmgmt: { remove: true }, vmnet100: { remove: true } },
    options: OPTIONS,
  },
}

/* ------------------------------------------------------------------------ */
/* the demo                                                                  */
/* ------------------------------------------------------------------------ */

async function demo(): Promise<void> {
  section('Sandbox: host OVS and peer OVS (the "physical switch") in network namespaces')
  const sb = await createSandbox(collector)
  checkInterrupted()
  console.log(`host namespace ${sb.host}: NICs ${sb.nics.join(', ')}, OVS in ${sb.hostOvs.rundir}`)
  console.log(`peer namespace ${sb.peer}: bridge ${sb.peerBridge} holding ${sb.nics.map((n) => `p-${n}`).join(', ')}`)
  console.log(`hook root (VDSM_HOOK_OVS_ROOT): ${sb.root}`)

  const peerNics = sb.nics.map((n) => `p-${n}`)
  if (PEER_BOND_MODE === undefined) {
    section('Peer switch: plain switch ports and two endpoints')
    // An SLB bond needs nothing from the switch: the switch just learns MACs
    // on ordinary ports. A bond on the peer would accept broadcasts (ARP) only
    // on its active member and drop those the host hashes onto the other one.
    console.log(`${peerNics.join(', ')}: ordinary ports of ${sb.peerBridge} (balance-slb needs no bond on the switch)`)
  } else {
    section(`Peer switch: bond pbond (${PEER_BOND_MODE}) and two endpoints`)
    await sb.peerBond('pbond', peerNics, { mode: PEER_BOND_MODE })
    console.log(`pbond   = ${peerNics.join(' + ')}, bond_mode=${PEER_BOND_MODE}`)
  }
  await sb.peerEndpoint('pv100', 100, '10.100.0.2/24')
  console.log('pv100   VLAN 100   10.100.0.2/24')
  await sb.peerEndpoint('puntag', 0, '198.51.100.2/24')
  console.log('puntag  untagged   198.51.100.2/24')

  section('Request VDSM hands the hook (before_network_setup)')
  console.log(indent(formatRequest(SETUP)))

  section('Running the hook')
  const first = await runHook(sb, SETUP)
  if (!expect(first.exitCode === 0, 'hook applied the request (exit 0)', `exit ${first.exitCode}: ${first.stderr.split('\n')[0]}`)) {
    throw new Fatal('the hook failed on the setup request')
  }

  section('What the hook handed back to VDSM (the non-OVS part only)')
  console.log(indent(formatRequest(first.output)))
  const back = (first.output as { request?: { networks?: Record<string, unknown>; bondings?: Record<string, unknown> } } | null)
    ?.request
  expect(
    isDeepStrictEqual(Object.keys(back?.networks ?? {}), ['display']),
    'only the legacy network "display" is left for VDSM',
    `networks left: [${Object.keys(back?.networks ?? {}).join(', ')}]`,
  )
  expect(isDeepStrictEqual(back?.networks?.['display'], DISPLAY), '"display" is passed through unchanged')
  expect(
    Object.keys(back?.bondings ?? {}).length === 0,
    'no bond is left for VDSM (bond0 is OVS)',
    `bondings left: [${Object.keys(back?.bondings ?? {}).join(', ')}]`,
  )
  expect(
    isDeepStrictEqual((back as Record<string, unknown> | undefined)?.['options'], OPTIONS),
    'request options are passed through unchanged',
  )

  section('ovs-vsctl show (host)')
  await ovsShow(sb)
  const bondMode = await sb.hostOvs.vsctl('--if-exists', 'get', 'Port', 'bond0', 'bond_mode')
  expect(bondMode.replace(/"/g, '') === 'balance-slb', 'bond0 is an OVS bond in balance-slb mode', `bond_mode=${bondMode || '(no port bond0)'}`)

  section('Connectivity from the host namespace')
  expect(await ping(sb, '198.51.100.2'), 'ping 198.51.100.2 (untagged peer) via ovsmgmt', 'no replies')
  expect(await ping(sb, '10.100.0.2'), 'ping 10.100.0.2 (VLAN 100 peer) via vmnet100', 'no replies')
  await sb.peerEndpoint('pv200', 200, '10.100.0.3/24')
  console.log('  added peer endpoint pv200 on VLAN 200 with 10.100.0.3/24 (same subnet, other VLAN)')
  const crossed = await ping(sb, '10.100.0.3', { count: 1, timeoutS: 3 })
  expect(!crossed, 'ping 10.100.0.3 (VLAN 200 peer) fails: VLANs are isolated', 'it answered: VLAN 100 leaks into VLAN 200')

  section('Same request again: nothing may change')
  const cfgBefore = await sb.hostOvs.nextCfg()
  const snapBefore = await sb.hostOvs.snapshot()
  const second = await runHook(sb, SETUP)
  expect(second.exitCode === 0, 'hook accepted the repeated request (exit 0)', `exit ${second.exitCode}: ${second.stderr.split('\n')[0]}`)
  const cfgAfter = await sb.hostOvs.nextCfg()
  console.log(`  OVS DB next_cfg: ${cfgBefore} before, ${cfgAfter} after`)
  expect(cfgAfter === cfgBefore, 'next_cfg unchanged: no OVS transaction was committed (idempotent)')
  expect(snapBefore === (await sb.hostOvs.snapshot()), 'bridge/port/interface configuration unchanged')

  section('Removal request')
  console.log(indent(formatRequest(REMOVE)))
  const removal = await runHook(sb, REMOVE)
  expect(removal.exitCode === 0, 'hook applied the removal (exit 0)', `exit ${removal.exitCode}: ${removal.stderr.split('\n')[0]}`)
  const backAfterRemove = (removal.output as { request?: { networks?: object; bondings?: object } } | null)?.request
  if (removal.exitCode === 0) expect(
    Object.keys(backAfterRemove?.networks ?? {}).length === 0 && Object.keys(backAfterRemove?.bondings ?? {}).length === 0,
    'nothing of the removal is left for VDSM (all of it was OVS)',
    formatRequest(removal.output).replace(/\n/g, ' | '),
  )

  section('ovs-vsctl show (host) after the removal')
  await ovsShow(sb)
  const left = [...(await ovsNames(sb))].filter((n) => ['bond0', 'ovsmgmt', 'vmnet100', 'eth1', 'eth2'].includes(n))
  expect(left.length === 0, 'bond0, its NICs and both networks are gone from OVS', `still there: ${left.join(', ')}`)
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('demo: must run as root (network namespaces and OVS daemons)')
    return 1
  }
  try {
    await demo()
  } catch (err) {
    if (err instanceof Interrupted || interrupted !== undefined) {
      console.error(`\ndemo: interrupted by ${interrupted ?? 'a signal'}`)
    } else if (err instanceof Fatal) {
      console.error(`\ndemo stopped: ${err.message}`)
    } else {
      console.error(`\ndemo error: ${(err as Error).stack ?? String(err)}`)
      failures.push(`unexpected error: ${(err as Error).message.split('\n')[0]}`)
    }
  } finally {
    console.log('\n== teardown: stopping both OVS, deleting namespaces and files')
    await teardownAll()
  }
  if (interrupted !== undefined) {
    console.log(`\nDEMO INTERRUPTED (${interrupted}); sandbox torn down.`)
    return interrupted === 'SIGINT' ? 130 : 143
  }
  if (failures.length > 0) {
    console.log(`\nDEMO FAILED: ${failures.length} expected outcome(s) did not happen:`)
    for (const f of failures) console.log(`  - ${f}`)
    return 1
  }
  console.log('\nDEMO OK: every expected outcome happened.')
  return 0
}

process.exitCode = await main()
