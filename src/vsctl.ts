/** ovs-vsctl: one read of the DB, one write transaction. OVS_RUNDIR passes through the environment. */
import { OvsError } from './errors.js';
import { firstLine, run } from './exec.js';

export interface Command {
  args: string[];
  /** why the command is in the transaction, for the log */
  why: string;
}

type Tool = 'ovs-vsctl' | 'ovs-appctl';

// "2026-11-23T14:45:06Z|00001|daemon_unix|WARN|" is stripped, so that the same failure reads the same each time
const OVS_LOG_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|[\w-]+\|[A-Z]+\|/;

export class Vsctl {
  /**
   * sudo: run the tools through `sudo -n`, for the hooks VDSM runs as its
   * own user (the package's sudoers drop-in allows exactly their reads).
   */
  constructor(
    private readonly timeoutS: number,
    private readonly sudo = false,
  ) {}

  /** Runs ovs-vsctl; its errors say what was being done. */
  call(args: string[], what: string): Promise<string> {
    return this.checked('ovs-vsctl', args, what);
  }

  /** Runs ovs-appctl (ovs-vswitchd's control socket); its errors say what was being done. */
  appctl(args: string[], what: string): Promise<string> {
    return this.checked('ovs-appctl', args, what);
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
    const probe = await this.runTool('ovs-appctl', ['version']);
    if ('failure' in probe) {
      throw new OvsError('ovs-vswitchd', `not answering: ${probe.failure}`);
    }
  }

  /** All commands as ONE transaction: OVS applies all of them or none. */
  async transact(commands: Command[]): Promise<void> {
    if (commands.length === 0) return;
    const probe = this.earlyProbe ?? this.probe();
    this.earlyProbe = undefined;
    await probe;
    await this.call(commands.flatMap((c) => ['--', ...c.args]), 'transaction');
  }

  /** An OVS tool with its own --timeout, and a hard stop a little later in case it ignores it. */
  private async runTool(tool: Tool, args: string[]): Promise<{ stdout: string } | { failure: string; timedOut: boolean }> {
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
