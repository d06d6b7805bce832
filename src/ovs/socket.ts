/**
 * Open vSwitch's own unix sockets, spoken to as ovs-vsctl and ovs-appctl
 * speak to them (JSON-RPC 1.0): ovsdb-server's db.sock and ovs-vswitchd's
 * control socket, both in OVS_RUNDIR. A read through them starts no process,
 * and ovsdb-server answers a select of 3000 rows in under half the time
 * `ovs-vsctl list` takes (~45 against ~120 ms here). Only root may open them (see vsctl.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { alive } from '../runtime/processes.js';

/** Why a tool or socket gave no answer (timedOut: a change may still have been taken). */
export interface Failure {
  failure: string;
  timedOut: boolean;
}

export function ovsRundir(): string {
  return process.env['OVS_RUNDIR'] || '/var/run/openvswitch';
}

export function dbSocket(): string {
  return join(ovsRundir(), 'db.sock');
}

/** ovs-vswitchd's control socket is named after its pid, as ovs-appctl finds it. */
export function vswitchdSocket(): string | Failure {
  const pid = vswitchdPid();
  return typeof pid === 'number' ? controlSocket(pid) : pid;
}

/**
 * Why ovs-vswitchd does not run, told by its pid file, /proc and its control
 * socket: nothing is sent to it (the read-only commands must not wait on a
 * hung daemon); undefined when it runs.
 */
export function vswitchdDown(): string | undefined {
  const pid = vswitchdPid();
  if (typeof pid !== 'number') return pid.failure;
  if (!alive(pid)) return `its pid file names pid ${pid}, which is not running`;
  return existsSync(controlSocket(pid)) ? undefined : `no control socket ${controlSocket(pid)}`;
}

function vswitchdPid(): number | Failure {
  const pidFile = join(ovsRundir(), 'ovs-vswitchd.pid');
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch (err) {
    return { failure: `cannot read ${pidFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}): not running?`, timedOut: false };
  }
  if (!Number.isInteger(pid) || pid <= 0) return { failure: `${pidFile} holds no pid`, timedOut: false };
  return pid;
}

const controlSocket = (pid: number): string => join(ovsRundir(), `ovs-vswitchd.${pid}.ctl`);

const ID = 'vdsm-hook-ovs';

/** One JSON-RPC request and its answer's result, within timeoutS. */
export function rpc(socket: string, method: string, params: unknown[], timeoutS: number): Promise<{ result: unknown } | Failure> {
  return new Promise((resolve) => {
    const conn = connect(socket);
    const finish = (answer: { result: unknown } | Failure): void => {
      clearTimeout(timer);
      conn.destroy();
      resolve(answer); // the first answer wins: a later close or error changes nothing
    };
    const fail = (failure: string): void => finish({ failure, timedOut: false });
    const timer = setTimeout(() => finish({ failure: `no answer within the ${timeoutS} s timeout`, timedOut: true }), timeoutS * 1000);
    let text = '';
    conn.setEncoding('utf8');
    conn.on('error', (err: NodeJS.ErrnoException) => fail(connectFailure(socket, err)));
    conn.on('close', () => fail(`${socket} closed the connection without an answer`));
    conn.on('data', (chunk: string) => {
      text += chunk;
      // the answer is one JSON object (OVS sends no probes on unix sockets): whole once it parses
      if (!chunk.trimEnd().endsWith('}')) return;
      let msg: { id?: unknown; result?: unknown; error?: unknown };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return; // a "}" inside the answer, at the end of a chunk
      }
      if (msg.id !== ID) fail(`${socket} answered another request (id ${JSON.stringify(msg.id)})`);
      else if (msg.error !== null && msg.error !== undefined) fail(errorText(msg.error));
      else finish({ result: msg.result });
    });
    conn.write(JSON.stringify({ id: ID, method, params }));
  });
}

function connectFailure(socket: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return `cannot connect to ${socket} (${err.code}): not running?`;
  return `cannot connect to ${socket}: ${err.message}`;
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error.trim();
  const { error: kind, details } = error as { error?: unknown; details?: unknown };
  return [kind, details].filter((x) => typeof x === 'string').join(': ') || JSON.stringify(error);
}
