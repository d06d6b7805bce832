/**
 * DHCP clients of DHCP networks: one per device and family, chosen at run
 * time among those the host has (dhclient, else dhcpcd), started with
 * arguments that keep it off the resolver and, unless the network has the
 * default route, off the main table's default route: the lease's routers go
 * into the network's own table instead, with rules from and to the leased
 * subnet (a script of the hook's that the client runs on every lease event).
 * What runs is recorded in var/lib/vdsm-hook-ovs/dhcp/<dev>-<family>.json so
 * that a later run stops exactly that process.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';
import { applyFileChanges } from './files.js';
import type { HostPaths } from './paths.js';
import { isRecord } from '../model/values.js';
import { HOOK_PROTO, RULE_PRIORITY } from '../model/routing.js';

export const DHCP_CLIENTS = ['dhclient', 'dhcpcd'] as const;
export type DhcpClientName = (typeof DHCP_CLIENTS)[number];
export type DhcpFamily = 4 | 6;

export interface DhcpSettings {
  /** 'auto': dhclient where present, otherwise dhcpcd */
  client: DhcpClientName | 'auto';
  /** seconds a blocking start waits for its lease */
  timeout: number;
}

/** A client the hook started, as recorded; alive: its process still runs for that device. */
export interface DhcpRun {
  dev: string;
  family: DhcpFamily;
  client: DhcpClientName;
  pid: number;
  defaultRoute: boolean;
  /** the routing table the client's script fills from the lease (DHCPv4 off the default route); null: none */
  table: number | null;
  alive: boolean;
}

/** key: dhcpKey(dev, family) */
export type DhcpClients = ReadonlyMap<string, DhcpRun>;

/** what a client of one device and family leaves in the DHCP directory */
const FILES = ['.json', '.pid', '.conf', '.leases', '.script'];

export const dhcpKey = (dev: string, family: DhcpFamily): string => `${dev}-${family}`;

export function readDhcpClients(paths: HostPaths): Map<string, DhcpRun> {
  const clients = new Map<string, DhcpRun>();
  if (!existsSync(paths.dhcpDir)) return clients;
  for (const file of readdirSync(paths.dhcpDir).filter((f) => f.endsWith('.json')).sort()) {
    const doc: unknown = JSON.parse(readFileSync(join(paths.dhcpDir, file), 'utf8'));
    const ok = isRecord(doc) && typeof doc['dev'] === 'string' && (doc['family'] === 4 || doc['family'] === 6)
      && DHCP_CLIENTS.includes(doc['client'] as DhcpClientName) && Number.isInteger(doc['pid'])
      && typeof doc['defaultRoute'] === 'boolean' && file === `${dhcpKey(doc['dev'], doc['family'])}.json`;
    if (!ok) throw new HostError(join(paths.dhcpDir, file), 'is not a DHCP client record of this hook; remove it');
    // a record of a version without tables has none: its client is restarted with one where one is due
    const table = Number.isInteger(doc['table']) ? (doc['table'] as number) : null;
    const rec = { ...(doc as Omit<DhcpRun, 'alive' | 'table'>), table };
    clients.set(dhcpKey(rec.dev, rec.family), { ...rec, alive: runsFor(rec.pid, rec.client, rec.dev) });
  }
  return clients;
}

/**
 * The pid is the recorded client for that device (not a recycled pid). dhcpcd
 * retitles itself ("dhcpcd: red [ip4]"), so the command line is read as words.
 */
function runsFor(pid: number, client: DhcpClientName, dev: string): boolean {
  try {
    const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0\s]+/);
    const program = words[0]?.replace(/:$/, '').split('/').pop();
    return program === client && words.includes(dev);
  } catch {
    return false;
  }
}

/** The first of the clients that is installed, or the configured one. */
export function chooseClient(settings: DhcpSettings, path = process.env['PATH'] ?? ''): { name: DhcpClientName; file: string } {
  const dirs = [...path.split(':').filter(Boolean), '/usr/sbin', '/sbin'];
  const find = (name: string): string | undefined =>
    dirs.map((d) => join(d, name)).find((f) => {
      try {
        accessSync(f, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  const names = settings.client === 'auto' ? DHCP_CLIENTS : [settings.client];
  for (const name of names) {
    const file = find(name);
    if (file) return { name, file };
  }
  throw new HostError('dhcp', `no DHCP client on this host (looked for ${names.join(', ')})`);
}

export interface DhcpStartRequest {
  dev: string;
  family: DhcpFamily;
  blocking: boolean;
  defaultRoute: boolean;
  /** the network's own table, for the lease's routers and the rules of the leased subnet; null: none */
  table: number | null;
}

/**
 * The script the client runs on each lease event (dhclient -sf, dhcpcd -c):
 * the lease's first router as the default route of the network's table, its
 * subnet there too, and the two rules of the leased subnet; all of them
 * (the hook's protocol, that table) removed first, and when the lease ends.
 * dhclient's own script still configures the address, without the routers
 * (so no default route in the main table); dhcpcd configures it itself
 * (-G keeps its default route off the main table). Only numbers and the
 * system script's path are written into it: the device comes from the
 * client's environment ($interface).
 */
export function leaseScript(table: number, systemScript: string | undefined): string {
  if (systemScript !== undefined && !/^\/[\w./-]+$/.test(systemScript)) {
    throw new HostError('dhcp', `${systemScript}: not a path the hook writes into a script`);
  }
  const ours = `priority ${RULE_PRIORITY} table ${table} protocol ${HOOK_PROTO}`;
  return [
    '#!/bin/sh',
    `# Generated by vdsm-hook-ovs: the DHCP lease's routers into table ${table}, with rules from and to its subnet`,
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    'routers=$new_routers',
    'unset new_routers old_routers',
    ...(systemScript ? [`${systemScript}`, 'rc=$?'] : ['rc=0']),
    `flush() { ip route flush table ${table} proto ${HOOK_PROTO} 2>/dev/null; while ip rule del ${ours} 2>/dev/null; do :; done; }`,
    'case "$reason" in',
    'BOUND|RENEW|REBIND|REBOOT)',
    '  flush',
    // dhcpcd names the prefix length, dhclient only the mask (which ip takes as well)
    '  subnet=$new_network_number/${new_subnet_cidr:-$new_subnet_mask}',
    `  ip route replace "$subnet" dev "$interface" table ${table} proto ${HOOK_PROTO}`,
    '  for router in $routers; do',
    `    ip route replace default via "$router" dev "$interface" table ${table} proto ${HOOK_PROTO}`,
    '    break',
    '  done',
    `  ip rule add from "$subnet" ${ours}`,
    `  ip rule add to "$subnet" ${ours}`,
    '  ;;',
    // the lease is gone (dhclient's and dhcpcd's names for it)
    'EXPIRE|FAIL|RELEASE|STOP|NAK|STOPPED|DEPARTED) flush ;;',
    'esac',
    'exit $rc',
    '',
  ].join('\n');
}

/** dhclient's own script, beside dhclient or where distributions put it. */
function systemDhclientScript(client: string): string | undefined {
  const dirs = [client.slice(0, client.lastIndexOf('/')), '/usr/sbin', '/sbin'];
  return dirs.map((d) => join(d, 'dhclient-script')).find((f) => existsSync(f));
}

export async function startDhcp(paths: HostPaths, settings: DhcpSettings, start: DhcpStartRequest): Promise<DhcpRun> {
  const { dev, family, blocking, defaultRoute, table } = start;
  const subject = `network '${dev}'`;
  const client = chooseClient(settings);
  const base = join(paths.dhcpDir, dhcpKey(dev, family));
  mkdirSync(paths.dhcpDir, { recursive: true, mode: 0o700 });
  let args: string[];
  let pidFile: string;
  const script = `${base}.script`;
  if (table !== null) {
    const system = client.name === 'dhclient' ? systemDhclientScript(client.file) : undefined;
    if (client.name === 'dhclient' && !system) throw new HostError(subject, 'bootproto: no dhclient-script on this host');
    await applyFileChanges([{ path: script, content: leaseScript(table, system), mode: 0o700 }]);
  }
  if (client.name === 'dhclient') {
    // routers asked for only when they go somewhere (main table or the network's); no name servers ever (nameservers does that)
    const routers = defaultRoute || table !== null ? ', routers' : '';
    const request = family === 4 ? `request subnet-mask, broadcast-address${routers};\n` : 'request;\n';
    await applyFileChanges([{ path: `${base}.conf`, content: `timeout ${settings.timeout};\n${request}` }]);
    pidFile = `${base}.pid`;
    args = [`-${family}`, blocking ? '-1' : '-nw', '-pf', pidFile, '-lf', `${base}.leases`, '-cf', `${base}.conf`,
      ...(table !== null ? ['-sf', script] : []), dev];
  } else {
    args = [`-${family}`, ...(blocking ? ['-w', '-t', String(settings.timeout)] : ['-b']),
      '-L', '-C', 'resolv.conf', '-C', 'hostname', ...(defaultRoute ? [] : ['-G']), ...(table !== null ? ['-c', script] : []), dev];
    const printed = await run(client.file, ['-P', `-${family}`, dev], { timeoutMs: 5000 });
    pidFile = printed.stdout.trim();
  }
  const result = await run(client.file, args, { timeoutMs: (settings.timeout + 10) * 1000 });
  const forget = (): Promise<void> => applyFileChanges(FILES.map((ext) => ({ path: `${base}${ext}`, content: null })));
  if (result.exitCode !== 0) {
    await forget();
    const what = blocking ? `no DHCPv${family} lease on ${dev} within ${settings.timeout} s` : `the DHCPv${family} client for ${dev} did not start`;
    throw new HostError(subject, `bootproto: ${what} (${client.name} exited with ${result.exitCode}${
      firstLine(result.stderr) ? `: ${firstLine(result.stderr)}` : ''})`);
  }
  // the client forks: its pid file may appear a moment after the parent exits
  const pid = await waitForPid(pidFile, client.name, dev);
  if (pid === undefined) {
    await forget();
    throw new HostError(subject, `bootproto: the ${client.name} for ${dev} exited at once`);
  }
  const rec = { dev, family, client: client.name, pid, defaultRoute, table };
  await applyFileChanges([{ path: `${base}.json`, content: `${JSON.stringify(rec)}\n`, mode: 0o600 }]);
  return { ...rec, alive: true };
}

async function waitForPid(pidFile: string, client: DhcpClientName, dev: string): Promise<number | undefined> {
  for (let i = 0; i < 50; i++) {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (Number.isInteger(pid) && pid > 0 && runsFor(pid, client, dev)) return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** SIGTERM (dhcpcd then removes what it configured), SIGKILL after 2 s; then the record goes. */
export async function stopDhcp(paths: HostPaths, client: DhcpRun): Promise<void> {
  if (client.alive) {
    const gone = (): boolean => !runsFor(client.pid, client.client, client.dev);
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(client.pid, sig);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // it ended by itself meanwhile
      }
    };
    signal('SIGTERM');
    for (let i = 0; i < 100 && !gone(); i++) await new Promise((r) => setTimeout(r, 20));
    if (!gone()) signal('SIGKILL');
  }
  const base = join(paths.dhcpDir, dhcpKey(client.dev, client.family));
  await applyFileChanges(FILES.map((ext) => ({ path: `${base}${ext}`, content: null })));
}
