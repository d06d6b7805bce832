import type { Test } from 'tap';
import type { Sandbox } from './sandbox.js';

/** Small builders for setupNetworks payloads, as VDSM hands them to before_network_setup. */
export type Attrs = Record<string, unknown>;

export function setup(networks: Record<string, Attrs> = {}, bondings: Record<string, Attrs> = {}, options: Attrs = {}) {
  return { request: { networks, bondings, options } };
}

/** An OVS network as the Engine sends it (raw string values). */
export function ovsNet(attrs: Attrs): Attrs {
  return { bridged: 'true', custom: { ovs: 'true' }, ...attrs };
}

export function ovsBond(nics: string[], custom = 'ovs:True'): Attrs {
  return { nics, options: `custom=${custom}` };
}

export const remove: Attrs = { remove: 'true' };

/**
 * Runs before_network_setup and, as VDSM does once its own part succeeded,
 * after_network_setup; asserts both succeeded, naming the error if not.
 * Returns before_network_setup's result.
 */
export async function applyOk(t: Test, sb: Pick<Sandbox, 'runHook'>, payload: unknown) {
  const r = await sb.runHook('before_network_setup', payload);
  t.equal(r.exitCode, 0, r.exitCode === 0 ? 'hook succeeded' : `hook failed (exit ${r.exitCode}):\n${r.stderr}`);
  if (r.exitCode === 0) {
    const after = await sb.runHook('after_network_setup', r.output);
    t.equal(after.exitCode, 0, after.exitCode === 0 ? 'after_network_setup committed' : `after_network_setup failed:\n${after.stderr}`);
  }
  return r;
}
