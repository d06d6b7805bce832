/** The one way the hook runs host commands: an argument array, never a shell, always bounded in time. */

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** the signal that ended the command, if one did */
  signal?: string;
}

export async function run(
  file: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs: number },
): Promise<CommandResult> {
  // loaded on the first command, not at start-up: execa (with node:child_process and its signal
  // tables) was a tenth of the start-up of the report hooks, which usually run no command
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    reject: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    timeout: opts.timeoutMs,
    stripFinalNewline: true,
  });
  // no exit code: the command could not start (not installed) or was killed; execa says which
  const noExit = result.exitCode === undefined;
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: noExit ? String(result.shortMessage ?? '') : String(result.stderr ?? ''),
    timedOut: Boolean(result.timedOut),
    ...(result.signal ? { signal: result.signal } : {}),
  };
}

export function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/**
 * Starts a command that outlives the caller (no shell, no stdio, its own
 * session): work a hook must leave running after VDSM got its answer.
 */
export async function spawnDetached(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { spawn } = await import('node:child_process');
  spawn(file, args, { detached: true, stdio: 'ignore', env }).unref();
}
