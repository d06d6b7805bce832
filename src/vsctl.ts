/** ovs-vsctl: one read of the DB, one write transaction. OVS_RUNDIR passes through the environment. */
import { OvsError } from './errors.js';
import { firstLine, run } from './exec.js';

export interface Command {
  args: string[];
  /** why the command is in the transaction, for the log */
  why: string;
}

export class Vsctl {
  constructor(private readonly timeoutS: number) {}

  /** Runs ovs-vsctl with its own --timeout, and a hard stop a little later in case it ignores it. */
  async call(args: string[], what: string): Promise<string> {
    const result = await run('ovs-vsctl', [`--timeout=${this.timeoutS}`, ...args], {
      timeoutMs: (this.timeoutS + 2) * 1000,
    });
    if (result.exitCode !== 0 || result.timedOut) {
      // ovs-vsctl's own --timeout ends it by SIGALRM
      const timedOut = result.timedOut || result.signal === 'SIGALRM';
      const reason = timedOut
        ? `no answer within the ${this.timeoutS} s timeout`
        : firstLine(result.stderr) || `exit code ${result.exitCode}`;
      throw new OvsError('ovs-vsctl', `${what} failed: ${reason}`, { timedOut });
    }
    return result.stdout;
  }

  /**
   * All commands as ONE transaction: OVS applies all of them or none. Without
   * a live ovs-vswitchd, ovs-vsctl would commit to the DB and then time out
   * waiting for it, so it is asked first.
   */
  async transact(commands: Command[]): Promise<void> {
    if (commands.length === 0) return;
    await this.probeVswitchd();
    await this.call(commands.flatMap((c) => ['--', ...c.args]), 'transaction');
  }

  private async probeVswitchd(): Promise<void> {
    const result = await run('ovs-appctl', [`--timeout=${this.timeoutS}`, 'version'], {
      timeoutMs: (this.timeoutS + 2) * 1000,
    });
    if (result.exitCode !== 0 || result.timedOut) {
      const reason = firstLine(result.stderr) || `no answer within the ${this.timeoutS} s timeout`;
      throw new OvsError('ovs-vswitchd', `not answering, nothing was changed: ${reason}`);
    }
  }
}

/** The transaction as a person reads it: one command per line, with why. */
export function renderTransaction(commands: Command[]): string[] {
  return commands.map((c) => `ovs-vsctl ${c.args.map(quoteArg).join(' ')}   # ${c.why}`);
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
