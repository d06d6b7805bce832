/** Every host path the hook touches, under VDSM_HOOK_OVS_ROOT (default "/"). */
import { join } from 'node:path';

export interface HostPaths {
  root: string;
  config: string;
  netsDir: string;
  bondsDir: string;
  stateDir: string;
  /** the pre-request state of the change in progress (see flow/snapshot.ts) */
  snapshot: string;
  /** what the report hooks (caps, stats) last logged as wrong, one file per hook (see flow/report.ts) */
  reportDir: string;
  /** the DHCP clients the hook started (see dhcp.ts) */
  dhcpDir: string;
  /** VDSM's persisted ("safe") network config, which restore reads at boot before VDSM refills the running config */
  persistedNetsDir: string;
  persistedBondsDir: string;
  ifcfgDir: string;
  /** V8's compiled code of the embedded libraries (see runtime/code-cache.ts) */
  codeCacheDir: string;
  resolvConf: string;
  log: string;
  lock: string;
}

export function hostPaths(root = process.env['VDSM_HOOK_OVS_ROOT'] || '/'): HostPaths {
  return {
    root,
    config: join(root, 'etc/vdsm/vdsm-hook-ovs.conf'),
    netsDir: join(root, 'var/run/vdsm/netconf/nets'),
    bondsDir: join(root, 'var/run/vdsm/netconf/bonds'),
    stateDir: join(root, 'var/lib/vdsm-hook-ovs'),
    snapshot: join(root, 'var/lib/vdsm-hook-ovs/pending.json'),
    reportDir: join(root, 'var/lib/vdsm-hook-ovs/report'),
    dhcpDir: join(root, 'var/lib/vdsm-hook-ovs/dhcp'),
    persistedNetsDir: join(root, 'var/lib/vdsm/persistence/netconf/nets'),
    persistedBondsDir: join(root, 'var/lib/vdsm/persistence/netconf/bonds'),
    ifcfgDir: join(root, 'etc/sysconfig/network-scripts'),
    codeCacheDir: join(root, 'var/cache/vdsm-hook-ovs'),
    resolvConf: join(root, 'etc/resolv.conf'),
    log: join(root, 'var/log/vdsm/ovs-hook.log'),
    lock: join(root, 'run/vdsm-hook-ovs.lock'),
  };
}
