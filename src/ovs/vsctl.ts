/**
 * Open vSwitch: one read of the DB, one write transaction (ovs-vsctl).
 * Root reads through OVS's sockets (socket.ts), starting no process;
 * the hooks VDSM runs as its own user read through sudo and the tools
 * (the same selects, through ovsdb-client query). Both honour OVS_RUNDIR
 * and the timeout.
 */
import { OvsError } from '../runtime/errors.js';
import { firstLine, run } from '../runtime/exec.js';
import { dbSocket, rpc, vswitchdSocket, type Failure } from './socket.js';

export interface Command {
  args: string[];
  /** why the command is in the transaction, for the log */
  why: string;
}

type Tool = 'ovs-vsctl' | 'ovs-appctl' | 'ovsdb-client';

/** The columns of one table that a read asks for. */
export interface TableRead {
  table: string;
  columns: readonly string[];
}

/** One OVSDB row, column -> value in OVSDB's JSON notation. */
export type Row = Record<string, unknown>;

/** A read of the tables as the params of one transact of selects: what the socket is sent. */
export function selectParams(tables: readonly TableRead[]): unknown[] {
  return ['Open_vSwitch', ...tables.map(({ table, columns }) => ({ op: 'select', table, where: [], columns }))];
}

/**
 * That read through `ovsdb-client query`, which prints ovsdb-server's
 * answer and commits nothing (it appends an abort to the transaction):
 * what the sudoers drop-in allows.
 */
export function queryArgs(tables: readonly TableRead[]): string[] {
  return ['query', JSON.stringify(selectParams(tables))];
}

/** ovsdb-server's answer to a transact of selects: one {rows} per select, or an {error} for a failed one. */
export function rowsOfSelect(result: unknown, tables: number): Row[][] {
  const ops = Array.isArray(result) ? (result as { rows?: unknown; error?: unknown; details?: unknown }[]) : [];
  if (ops.length !== tables) throw new OvsError('ovsdb-server', `expected ${tables} tables, got ${ops.length}`);
  return ops.map((op) => {
    if (!Array.isArray(op.rows)) throw new OvsError('ovsdb-server', `select failed: ${String(op.error)}: ${String(op.details)}`);
    return op.rows as Row[];
  });
}

// "2026-11-23T14:45:06Z|00001|daemon_unix|WARN|" is stripped, so that the same failure reads the same each time
const OVS_LOG_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|[\w-]+\|[A-Z]+\|/;

export class Vsctl {
  /**
   * sudo: read through `sudo -n` and the tools, for the hooks VDSM runs as
   * its own user (the package's sudoers drop-in allows exactly their reads);
   * otherwise through OVS's sockets, which only root may open.
   */
  constructor(
    private readonly timeoutS: number,
    private readonly sudo = false,
  ) {}

  /** The rows of the tables, in one read; its errors say what was being done. */
  async select(tables: readonly TableRead[], what: string): Promise<Row[][]> {
    const answer = this.sudo ? await this.query(tables) : await rpc(dbSocket(), 'transact', selectParams(tables), this.timeoutS);
    if ('failure' in answer) {
      throw new OvsError(this.sudo ? 'ovsdb-client' : 'ovsdb-server', `${what} failed: ${answer.failure}`, { timedOut: answer.timedOut });
    }
    return rowsOfSelect(answer.result, tables.length);
  }

  /** The same selects through the tool: its output is ovsdb-server's answer. */
  private async query(tables: readonly TableRead[]): Promise<{ result: unknown } | Failure> {
    const out = await this.runTool('ovsdb-client', queryArgs(tables));
    if ('failure' in out) return out;
    try {
      return { result: JSON.parse(out.stdout) };
    } catch {
      return { failure: `printed no JSON answer: ${JSON.stringify(firstLine(out.stdout).slice(0, 80))}`, timedOut: false };
    }
  }

  /** An ovs-vswitchd command, as ovs-appctl gives it (e.g. bond/show); its errors say what was being done. */
  async appctl(args: string[], what: string): Promise<string> {
    const answer = await this.vswitchd(args);
    if ('failure' in answer) throw new OvsError(this.sudo ? 'ovs-appctl' : 'ovs-vswitchd', `${what} failed: ${answer.failure}`);
    return answer.stdout;
  }

  private vswitchd(args: string[]): Promise<{ stdout: string } | Failure> {
    if (this.sudo) return this.runTool('ovs-appctl', args);
    const socket = vswitchdSocket();
    if (typeof socket !== 'string') return Promise.resolve(socket);
    return rpc(socket, args[0]!, args.slice(1), this.timeoutS).then((answer) =>
      'failure' in answer ? answer : { stdout: typeof answer.result === 'string' ? answer.result : '' });
  }

  private async checked(tool: Tool, args: string[], what: string): Promise<string> {
    const result = await this.runTool(tool, args);
    if ('failure' in result) {
      throw new OvsError(tool, `${what} failed: ${result.failure}`, { timedOut: result.timedOut });
    }
    return result.stdout;
  }

  /** A probe started ahead of the transaction it guards (probeAhead), answered when that transaction starts. */
  private earlyProbe: Promise<void> | undefined;

  /**
   * Starts the probe of the next transaction now, beside the reads, so that
   * it does not add its own round trip; the transaction waits for its answer.
   */
  probeAhead(): void {
    const probe = this.probe();
    probe.catch(() => undefined); // its failure is the transaction's, if one comes
    this.earlyProbe = probe;
  }

  /**
   * Without a live ovs-vswitchd, ovs-vsctl would commit a transaction to the
   * DB and then time out waiting for it: ask it before writing anything.
   */
  private async probe(): Promise<void> {
    const probe = await this.vswitchd(['version']);
    if ('failure' in probe) {
      throw new OvsError('ovs-vswitchd', `not answering: ${probe.failure}`);
    }
  }

  /** Resolves once ovs-vswitchd answered the probe of the next transaction (the one probeAhead started, or a new one). */
  async ready(): Promise<void> {
    this.earlyProbe ??= this.probe();
    await this.earlyProbe;
  }

  /** All commands as ONE transaction: OVS applies all of them or none. */
  async transact(commands: Command[]): Promise<void> {
    if (commands.length === 0) return;
    try {
      await this.ready();
    } finally {
      this.earlyProbe = undefined; // each transaction has its own probe
    }
    await this.checked('ovs-vsctl', commands.flatMap((c) => ['--', ...c.args]), 'transaction');
  }

  /** An OVS tool with its own --timeout, and a hard stop a little later in case it ignores it. */
  private async runTool(tool: Tool, args: string[]): Promise<{ stdout: string } | Failure> {
    const argv = [tool, `--timeout=${this.timeoutS}`, ...args];
    const [file, ...rest] = this.sudo ? ['sudo', '-n', ...argv] : argv;
    const result = await run(file!, rest, { timeoutMs: (this.timeoutS + 2) * 1000 });
    if (result.exitCode === 0 && !result.timedOut) return { stdout: result.stdout };
    // the tools' own --timeout ends them by SIGALRM
    const timedOut = result.timedOut || result.signal === 'SIGALRM';
    const failure = timedOut
      ? `no answer within the ${this.timeoutS} s timeout`
      : firstLine(result.stderr).replace(OVS_LOG_PREFIX, '') || `exit code ${result.exitCode}`;
    return { failure, timedOut };
  }
}

/** The transaction as a person reads it: one command per line, with why. */
export function renderTransaction(commands: Command[]): string[] {
  return commands.map((c) => `ovs-vsctl ${c.args.map(quoteArg).join(' ')}   # ${c.why}`);
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
