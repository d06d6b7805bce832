/**
 * Typed errors. Each names the object it is about (a network, a bond, a
 * command) so that the single line VDSM shows the Engine says what and why.
 * Who must act follows from the class: the administrator for InvalidRequest,
 * the host (OVS, iproute2, disk) for the others.
 */
export class HookError extends Error {
  /** what happened after the error (a rollback and its outcome), appended to the line */
  readonly notes: string[] = [];

  constructor(
    /** the network, bond, file or command the error is about */
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** The one line VDSM shows: "network 'red': vlan: 5000 is not in 0-4094". */
  get line(): string {
    return [`${this.subject}: ${this.message}`, ...this.notes].join('; ');
  }
}

/** The request (or the running config it merges with) is wrong; nothing was touched. */
export class InvalidRequest extends HookError {}

/** ovs-vsctl refused the transaction, timed out, or OVS is not answering. */
export class OvsError extends HookError {
  /** a timeout says nothing of whether the DB took the change: only a re-read does */
  readonly timedOut: boolean;

  constructor(subject: string, message: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super(subject, message, options);
    this.timedOut = options?.timedOut ?? false;
  }
}

/** A host command other than ovs-vsctl (ip) or a file operation failed. */
export class HostError extends HookError {}

/** The kernel interrupted every read of a dump (ip -j) the hook made: the host kept changing under it. */
export class DumpInterrupted extends HostError {}

/** The error as a HookError carrying the note, whatever it was. */
export function withNote(err: unknown, note: string): HookError {
  const hookError = err instanceof HookError
    ? err
    : new HookError('internal error', err instanceof Error ? err.message : String(err), { cause: err });
  hookError.notes.push(note);
  return hookError;
}

export function describe(err: unknown): string {
  if (err instanceof HookError) return err.line;
  if (err instanceof Error) return `internal error: ${err.message}`;
  return `internal error: ${String(err)}`;
}
