/** The hook's settings: etc/vdsm/vdsm-hook-ovs.conf (ini), then environment overrides. */
import { readFileSync } from 'node:fs';
import { parse } from 'ini';
import { InvalidRequest } from './errors.js';
import { isRecord, toInt } from './values.js';

export interface HookConfig {
  /** Bridge datapath_type: "system" (kernel) on oVirt hosts, "netdev" for the userspace datapath. */
  datapathType: string;
  /** Seconds every ovs-vsctl/ovs-appctl call may take (its --timeout). */
  timeout: number;
}

const DEFAULTS: HookConfig = { datapathType: 'system', timeout: 10 };

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): HookConfig {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const ovs = parse(text)['ovs'];
  const section: Record<string, unknown> = isRecord(ovs) ? ovs : {};
  const datapath = env['VDSM_HOOK_OVS_DATAPATH'] || section['datapath_type'] || DEFAULTS.datapathType;
  const timeout = env['VDSM_HOOK_OVS_TIMEOUT'] || section['timeout'] || DEFAULTS.timeout;
  if (typeof datapath !== 'string' || !/^[a-z]+$/.test(datapath)) {
    throw new InvalidRequest(file, `[ovs] datapath_type: ${JSON.stringify(datapath)} is not a datapath type`);
  }
  return { datapathType: datapath, timeout: toInt(file, '[ovs] timeout', timeout, 1, 3600) };
}
