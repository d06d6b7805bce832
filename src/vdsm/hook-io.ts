/**
 * VDSM's hook protocol: the file named by _hook_json (network hooks) or
 * _hook_domxml (device hooks) is read and rewritten in place (stdin/stdout
 * when it is unset). Exit 0 on success, 2 on failure with the error as the
 * first stderr line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig, type HookConfig } from '../runtime/config.js';
import { describe, HookError, InvalidRequest } from '../runtime/errors.js';
import { createLog, type Log } from '../runtime/log.js';
import { hostPaths, type HostPaths } from '../host/paths.js';

export interface HookContext {
  paths: HostPaths;
  config: HookConfig;
  log: Log;
}

export type JsonHandler = (doc: unknown, ctx: HookContext) => Promise<unknown>;
export type XmlHandler = (xml: string, ctx: HookContext) => Promise<string>;

export const EXIT_FAILED = 2;

/** Network hooks: a JSON document in the file named by _hook_json. */
export function runJsonHook(hook: string, handler: JsonHandler): Promise<void> {
  return runHook(hook, '_hook_json', async (text, ctx) => {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InvalidRequest('hook input', `is not JSON: ${(err as Error).message}`);
    }
    return `${JSON.stringify(await handler(doc, ctx))}\n`;
  });
}

/** Device hooks: one device's libvirt XML in the file named by _hook_domxml. */
export function runXmlHook(hook: string, handler: XmlHandler): Promise<void> {
  return runHook(hook, '_hook_domxml', handler);
}

/**
 * Hooks whose failure must never stop what VDSM is doing (a VM start, a
 * hot-plug): the file named by _hook_domxml is left as VDSM wrote it, a
 * failure is one warning line, and the exit code is 0 whatever happened.
 */
export function runQuietXmlHook(hook: string, handler: (xml: string, ctx: HookContext) => Promise<void>): Promise<void> {
  return runHook(hook, '_hook_domxml', async (xml, ctx) => {
    await handler(xml, ctx);
    return xml;
  }, true);
}

async function runHook(
  hook: string,
  fileVar: string,
  handler: (text: string, ctx: HookContext) => Promise<string>,
  quiet = false,
): Promise<void> {
  const paths = hostPaths();
  const log = createLog(paths.log, hook);
  const file = process.env[fileVar];
  let errorLine: string | undefined;
  try {
    const text = file ? readFileSync(file, 'utf8') : readFileSync(0, 'utf8');
    const out = await handler(text, { paths, config: loadConfig(paths.config), log });
    if (file) writeFileSync(file, out);
    else process.stdout.write(out);
  } catch (err) {
    if (quiet) {
      log.warn(`${describe(err)}; carrying on without it`);
    } else {
      errorLine = describe(err);
      log.error(errorLine);
      if (!(err instanceof HookError) && err instanceof Error && err.stack) log.error(err.stack);
      process.exitCode = EXIT_FAILED;
    }
  }
  await log.close();
  process.stderr.write(log.stderrText(errorLine));
}
