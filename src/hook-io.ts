/**
 * VDSM's hook protocol: the file named by _hook_json is read and rewritten
 * in place (stdin/stdout when it is unset). Exit 0 on success, 2 on failure
 * with the error as the first stderr line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig, type HookConfig } from './config.js';
import { describe, HookError, InvalidRequest } from './errors.js';
import { createLog, type Log } from './log.js';
import { hostPaths, type HostPaths } from './paths.js';

export interface HookContext {
  paths: HostPaths;
  config: HookConfig;
  log: Log;
}

export type JsonHandler = (doc: unknown, ctx: HookContext) => Promise<unknown>;

export const EXIT_FAILED = 2;

export async function runJsonHook(hook: string, handler: JsonHandler): Promise<void> {
  const paths = hostPaths();
  const log = createLog(paths.log, hook);
  const file = process.env['_hook_json'];
  let errorLine: string | undefined;
  try {
    const text = file ? readFileSync(file, 'utf8') : readFileSync(0, 'utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InvalidRequest('hook input', `is not JSON: ${(err as Error).message}`);
    }
    const config = loadConfig(paths.config);
    const out = `${JSON.stringify(await handler(doc, { paths, config, log }))}\n`;
    if (file) writeFileSync(file, out);
    else process.stdout.write(out);
  } catch (err) {
    errorLine = describe(err);
    log.error(errorLine);
    if (!(err instanceof HookError) && err instanceof Error && err.stack) log.error(err.stack);
    process.exitCode = EXIT_FAILED;
  }
  await log.close();
  process.stderr.write(log.stderrText(errorLine));
}
