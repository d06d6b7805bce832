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
      const reason = result.timedOut
        ? `no answer within ${this.timeoutS} s`
        : firstLine(result.stderr) || `exit code ${result.exitCode}`;
      throw new OvsError('ovs-vsctl', `${what} failed: ${reason}`);
    }
    return result.stdout;
  }

  /** All commands as ONE transaction: OVS applies all of them or none. */
  async transact(commands: Command[]): Promise<void> {
    if (commands.length === 0) return;
    await this.call(commands.flatMap((c) => ['--', ...c.args]), 'transaction');
  }
}

/** The transaction as a person reads it: one command per line, with why. */
export function renderTransaction(commands: Command[]): string[] {
  return commands.map((c) => `ovs-vsctl ${c.args.map(quoteArg).join(' ')}   # ${c.why}`);
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
