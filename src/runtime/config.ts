/** The hook's settings: etc/vdsm/vdsm-hook-ovs.conf (ini), then environment overrides. */
import { readFileSync } from 'node:fs';
import { parse } from 'ini';
import { DHCP_CLIENTS, type DhcpSettings } from '../host/dhcp.js';
import { InvalidRequest } from './errors.js';
import { isRecord, toInt } from '../model/values.js';

export interface HookConfig {
  /** Bridge datapath_type: "system" (kernel) on oVirt hosts, "netdev" for the userspace datapath. */
  datapathType: string;
  /** Seconds every ovs-vsctl/ovs-appctl call may take (its --timeout). */
  timeout: number;
  /** [ovs] dhcp_client (auto, dhclient, dhcpcd) and dhcp_timeout (seconds a blocking DHCP start waits) */
  dhcp: DhcpSettings;
}

const DEFAULTS: HookConfig = { datapathType: 'system', timeout: 10, dhcp: { client: 'auto', timeout: 30 } };

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
  const client = section['dhcp_client'] ?? DEFAULTS.dhcp.client;
  const choices: readonly unknown[] = ['auto', ...DHCP_CLIENTS];
  if (!choices.includes(client)) {
    throw new InvalidRequest(file, `[ovs] dhcp_client: ${JSON.stringify(client)} is not one of ${choices.join(', ')}`);
  }
  return {
    datapathType: datapath,
    timeout: toInt(file, '[ovs] timeout', timeout, 1, 3600),
    dhcp: {
      client: client as DhcpSettings['client'],
      timeout: toInt(file, '[ovs] dhcp_timeout', section['dhcp_timeout'] ?? DEFAULTS.dhcp.timeout, 1, 3600),
    },
  };
}
