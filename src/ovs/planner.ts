/**
 * The planner: a pure function from (desired state, observed OVS state,
 * kernel MTUs) to the commands of ONE ovs-vsctl transaction. It only ever
 * names objects the hook owns (and its own entries of OVN's bridge
 * mappings); removals come first so that a device can move (NIC -> bond,
 * bridge -> bridge) within the same transaction.
 */
import { bridgeOfNetwork, ovsNics, uplinkMacs, uplinkMtus, type BridgeDef, type DesiredState } from '../model/desired.js';
import type { TunnelPort } from '../model/tunnels.js';
import { FLOOD_KEYS, ovsSettings } from '../model/bridge-opts.js';
import { describeQos, queueConfig, queueId, type HostQos } from '../model/host-qos.js';
import type { BondDef, NetworkDef, Uplink } from '../model/definitions.js';
import { LS_KEY, OPTS_KEY, ORIG_MTU_KEY, OWNER_KEY, type OvsBridge, type OvsPort, type OvsQueue, type OvsState, type Role } from './state.js';
import type { Command } from './vsctl.js';
import { bondPortEdits, bondPortSettings } from './bond-port.js';
import { planMappings } from '../ovn/mappings.js';

export interface MtuRestore {
  dev: string;
  mtu: number;
}

/** A kernel link as the planner needs it: the MTU a NIC had before OVS took it, and its MAC. */
export interface KernelDevice {
  mtu: number;
  mac: string;
}

export interface TransactionPlan {
  commands: Command[];
  /** uplinks leaving OVS get back the MTU they had before the hook took them */
  restoreMtu: MtuRestore[];
}

/** the QoS type whose qdisc this kernel has (it has no hfsc) */
const HTB = 'linux-htb';

/** A queue as OVS has it against what a network asks. */
function sameQueue(seen: OvsQueue, qos: HostQos): boolean {
  const want = queueConfig(qos);
  return seen.ls === qos.ls && seen.otherConfig.size === want.size && [...want].every(([k, v]) => seen.otherConfig.get(k) === v);
}

/** The queues of an uplink's shaping networks, by queue id. */
export function shapedQueues(desired: DesiredState, uplink: string): Map<number, { net: NetworkDef; qos: HostQos }> {
  const queues = new Map<number, { net: NetworkDef; qos: HostQos }>();
  for (const net of desired.networks.values()) {
    if (net.uplink.name === uplink && net.hostQos) queues.set(queueId(net.vlan), { net, qos: net.hostQos });
  }
  return queues;
}

const queueRef = (uplink: string, id: number): string => `@q_${uplink}_${id}`;

function createQueue(uplink: string, id: number, qos: HostQos): string[] {
  return [
    `--id=${queueRef(uplink, id)}`, 'create', 'Queue', ...[...queueConfig(qos)].map(([k, v]) => `other_config:${k}=${v}`),
    mark('queue'), ...(qos.ls === undefined ? [] : [`external_ids:${LS_KEY}=${qos.ls}`]),
  ];
}

/** A new linux-htb QoS on the uplink's port: queue 0 for unshaped traffic, one queue per shaping network (the planner's and the ifcfg file's). */
export function createQos(uplink: string, queues: Map<number, { qos: HostQos }>): string[][] {
  const ids = [0, ...[...queues.keys()].sort((a, b) => a - b)];
  return [
    ...ids.map((id) => createQueue(uplink, id, queues.get(id)?.qos ?? {})),
    [`--id=@qos_${uplink}`, 'create', 'QoS', `type=${HTB}`, mark('qos'), ...ids.map((id) => `queues:${id}=${queueRef(uplink, id)}`)],
    ['set', 'Port', uplink, `qos=@qos_${uplink}`],
  ];
}

const mark = (role: Role): string => `external_ids:${OWNER_KEY}=${role}`;

/** The MTU a NIC had before OVS took it: as recorded on its row, else the kernel's now (it is about to be taken). */
export function originalMtu(observed: OvsState, kernel: ReadonlyMap<string, KernelDevice>, dev: string): number | undefined {
  return observed.interfaces.get(dev)?.origMtu ?? kernel.get(dev)?.mtu;
}

/** The Interface mac column as ovs-vsctl takes it: a quoted string (its documented spelling). */
export const macColumn = (mac: string): string => `mac="${mac}"`;

export function planTransaction(
  desired: DesiredState,
  observed: OvsState,
  kernel: ReadonlyMap<string, KernelDevice>,
  datapathType: string,
): TransactionPlan {
  const commands: Command[] = [];
  const add = (why: string, ...args: string[][]): void => {
    for (const a of args) commands.push({ args: a, why });
  };
  const bridgeOf = bridgeOfNetwork(desired);
  const owned = <T extends { role?: Role }>(rows: Map<string, T>, ...roles: Role[]): T[] =>
    [...rows.values()].filter((r) => r.role !== undefined && roles.includes(r.role));

  // 1. removals: bridges nobody uses, networks gone or moving, uplinks leaving a kept bridge
  const goneBridges = new Set(
    owned(observed.bridges, 'bridge').filter((b) => !desired.bridges.has(b.name)).map((b) => b.name),
  );
  const survives = (port: OvsPort): boolean => port.bridge !== undefined && !goneBridges.has(port.bridge);
  const keptNets = new Set<string>();
  for (const port of owned(observed.ports, 'network')) {
    const net = desired.networks.get(port.name);
    if (net && bridgeOf(net) === port.bridge && survives(port)) {
      keptNets.add(port.name);
    } else if (survives(port)) {
      add(net ? `network ${port.name} moves from bridge ${port.bridge} to ${bridgeOf(net)}` : `network ${port.name} removed`,
        ['del-br', port.name]);
    }
  }
  for (const name of goneBridges) add(`bridge ${name} removed: no OVS network or bond uses it any more`, ['del-br', name]);
  const keptUplinks = new Set<string>();
  for (const port of owned(observed.ports, 'uplink', 'bond')) {
    if (!survives(port)) continue;
    const uplink = desired.bridges.get(port.bridge!)!.uplink;
    if (uplink.name === port.name && (uplink.kind === 'bond') === (port.role === 'bond')) {
      keptUplinks.add(port.name);
    } else {
      add(`${port.name} is no longer the uplink of bridge ${port.bridge}`, ['del-port', port.bridge!, port.name]);
    }
  }
  // tunnels gone (a remote dropped, the network removed or no longer an overlay) or moving to another bridge
  const keptTunnels = new Set<string>();
  for (const port of owned(observed.ports, 'tunnel')) {
    if (!survives(port)) continue;
    const want = desired.tunnels.get(port.name);
    if (want && want.bridge === port.bridge) {
      keptTunnels.add(port.name);
    } else {
      // without the bridge: ovs-vsctl counts a port on a fake bridge's VLAN as the fake bridge's, not its parent's
      add(`tunnel ${port.name}${want ? ` moves to bridge ${want.bridge}` : ' removed'}`, ['del-port', port.name]);
    }
  }
  // slaves leave kept bonds before any bond takes them (a NIC may move between bonds)
  for (const name of keptUplinks) {
    const port = observed.ports.get(name)!;
    const bond = desired.bonds.get(name);
    for (const nic of bond ? port.interfaces.filter((n) => !bond.nics.includes(n)) : []) {
      add(`bond ${name}: slave ${nic} removed`, ['remove', 'Port', name, 'interfaces', observed.interfaces.get(nic)!.uuid]);
    }
  }

  // 2. bridges and their uplinks
  const mtuOf = uplinkMtus(desired);
  const origMtu = (dev: string): string[] => {
    const orig = originalMtu(observed, kernel, dev);
    return orig === undefined ? [] : [`external_ids:${ORIG_MTU_KEY}=${orig}`];
  };
  const uplinkIface = (dev: string, role: Role, mtu: number): string[] =>
    ['set', 'Interface', dev, mark(role), ...origMtu(dev), `mtu_request=${mtu}`];
  const fixMtu = (dev: string, mtu: number, why: string): void => {
    if (observed.interfaces.get(dev)?.mtuRequest !== mtu) add(why, ['set', 'Interface', dev, `mtu_request=${mtu}`]);
  };

  for (const bridge of desired.bridges.values()) {
    const seen = observed.bridges.get(bridge.name);
    const fresh = !seen || goneBridges.has(bridge.name);
    if (fresh) {
      add(bridge.uplink.kind === 'own' ? `bridge ${bridge.name} added for network ${bridge.uplink.name}, without uplink`
        : `bridge ${bridge.name} added for uplink ${bridge.uplink.name}`,
        ['add-br', bridge.name],
        ['set', 'Bridge', bridge.name, `datapath_type=${datapathType}`, mark('bridge')],
        ['set', 'Port', bridge.name, mark('bridge')],
        ['set', 'Interface', bridge.name, mark('bridge')]);
    } else if (seen.datapathType !== datapathType) {
      add(`bridge ${bridge.name}: datapath type ${seen.datapathType} -> ${datapathType}`,
        ['set', 'Bridge', bridge.name, `datapath_type=${datapathType}`]);
    }
    planBridgeOptions(bridge, fresh ? undefined : seen);
    const mtu = mtuOf(bridge.uplink.name);
    // a network's own bridge has no uplink: its tunnels (step 4) are its way out, if any
    if (bridge.uplink.kind === 'nic') {
      planNicUplink(bridge.name, bridge.uplink, mtu);
    } else if (bridge.uplink.kind === 'bond') {
      planBond(bridge.name, desired.bonds.get(bridge.uplink.name)!, mtu);
    }
    planQos(bridge.uplink.name);
  }

  /**
   * hostQos: a linux-htb QoS row on the uplink's port (OVS gives it to each
   * interface of the port: every slave of a bond) with queue 0 for what no
   * network shapes and one queue per shaping network; a queue that changes is
   * replaced, which keeps the qdisc (and the classifiers on it).
   */
  function planQos(uplink: string): void {
    const wanted = shapedQueues(desired, uplink);
    const port = keptUplinks.has(uplink) ? observed.ports.get(uplink) : undefined;
    const seen = port?.qos ? observed.qos.get(port.qos) : undefined;
    const ours = seen?.role === 'qos' && seen.type === HTB ? seen : undefined;
    if (!wanted.size) {
      if (seen?.role === 'qos') add(`uplink ${uplink}: no network shapes its traffic any more`, ['clear', 'Port', uplink, 'qos']);
      return;
    }
    const ref = (id: number): string => queueRef(uplink, id);
    const queue = (id: number, qos: HostQos): string[] => createQueue(uplink, id, qos);
    const shaped = (net: NetworkDef, qos: HostQos): string => `network ${net.name}: hostQos ${describeQos(qos)} on ${uplink}`;
    if (!ours) {
      add(`uplink ${uplink}: htb shaping for ${[...wanted.values()].map(({ net, qos }) => shaped(net, qos)).join(', ')}`,
        ...createQos(uplink, wanted));
      return;
    }
    if (!ours.queues.has(0)) {
      add(`uplink ${uplink}: queue 0 for unshaped traffic`, queue(0, {}), ['set', 'QoS', ours.uuid, `queues:0=${ref(0)}`]);
    }
    for (const [id, { net, qos }] of wanted) {
      const was = observed.queues.get(ours.queues.get(id) ?? '');
      if (was && sameQueue(was, qos)) continue;
      add(shaped(net, qos), queue(id, qos), ['set', 'QoS', ours.uuid, `queues:${id}=${ref(id)}`]);
    }
    for (const id of ours.queues.keys()) {
      if (id !== 0 && !wanted.has(id)) add(`uplink ${uplink}: queue ${id} no network uses any more`, ['remove', 'QoS', ours.uuid, 'queues', String(id)]);
    }
  }

  /** STP/RSTP, snooping and the other_config keys of the bridge options; keys the hook set and no network asks for any more go. */
  function planBridgeOptions(bridge: BridgeDef, seen: OvsBridge | undefined): void {
    const want = ovsSettings(bridge.opts);
    const columns: string[] = [];
    const column = (name: string, on: boolean, was = false): void => {
      if (on !== was) columns.push(`${name}=${on}`);
    };
    column('stp_enable', want.stp, seen?.stp);
    column('rstp_enable', want.rstp, seen?.rstp);
    column('mcast_snooping_enable', want.mcastSnooping, seen?.mcastSnooping);
    for (const [key, value] of want.otherConfig) {
      if (seen?.otherConfig.get(key) !== value) columns.push(`other_config:${key}=${value}`);
    }
    const keys = [...want.otherConfig.keys()].sort();
    const had = seen ? [...seen.hookOpts].sort() : [];
    const record = keys.join(',') !== had.join(',');
    if (record && keys.length) columns.push(`external_ids:${OPTS_KEY}=${keys.join(',')}`);
    const opts = [...bridge.opts].map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
    if (columns.length) add(`bridge ${bridge.name}: options ${opts}`, ['set', 'Bridge', bridge.name, ...columns]);
    const drop = had.filter((k) => !want.otherConfig.has(k) && seen!.otherConfig.has(k));
    if (drop.length) {
      add(`bridge ${bridge.name}: options no network asks for any more cleared (${drop.join(', ')})`,
        ['remove', 'Bridge', bridge.name, 'other_config', ...drop]);
    }
    if (record && !keys.length) {
      add(`bridge ${bridge.name}: no options of the hook's left`, ['remove', 'Bridge', bridge.name, 'external_ids', OPTS_KEY]);
    }
  }

  function planNicUplink(bridge: string, uplink: Uplink, mtu: number): void {
    if (keptUplinks.has(uplink.name)) {
      fixMtu(uplink.name, mtu, `uplink ${uplink.name}: MTU ${mtu}, the largest of its networks`);
      return;
    }
    add(`uplink ${uplink.name} added to bridge ${bridge}`,
      ['add-port', bridge, uplink.name],
      ['set', 'Port', uplink.name, mark('uplink')],
      uplinkIface(uplink.name, 'uplink', mtu));
  }

  function planBond(bridge: string, bond: BondDef, mtu: number): void {
    const port = observed.ports.get(bond.name);
    if (!port || !keptUplinks.has(bond.name)) {
      add(`bond ${bond.name} (${bond.nics.join(', ')}) added to bridge ${bridge}`,
        ['add-bond', bridge, bond.name, ...bond.nics],
        ['set', 'Port', bond.name, ...bondPortSettings(bond), mark('bond')],
        ...bond.nics.map((nic) => uplinkIface(nic, 'slave', mtu)));
      return;
    }
    const edits = bondPortEdits(bond, port);
    if (edits.set.length) add(`bond ${bond.name}: options now ${edits.set.join(' ')}`, ['set', 'Port', bond.name, ...edits.set]);
    for (const key of edits.clear) {
      add(`bond ${bond.name}: other_config:${key} cleared, no option asks for it any more`,
        ['remove', 'Port', bond.name, 'other_config', key]);
    }
    for (const nic of bond.nics.filter((n) => !port.interfaces.includes(n))) {
      add(`bond ${bond.name}: slave ${nic} added`,
        [`--id=@${nic}`, 'create', 'Interface', `name=${nic}`, mark('slave'), ...origMtu(nic), `mtu_request=${mtu}`],
        ['add', 'Port', bond.name, 'interfaces', `@${nic}`]);
    }
    for (const nic of bond.nics.filter((n) => port.interfaces.includes(n))) {
      fixMtu(nic, mtu, `bond ${bond.name}: slave ${nic} MTU ${mtu}, the largest of its networks`);
    }
  }

  // 3. networks: a fake bridge per network, tagged with its VLAN (0 = untagged), with its uplink's
  // MAC (set in OVS: ovs-vswitchd would put back a MAC set with ip link), so that a DHCP server
  // hands the network the lease its NIC had
  const macOf = uplinkMacs(desired, (dev) => kernel.get(dev)?.mac);
  for (const net of desired.networks.values()) {
    const bridge = bridgeOf(net);
    const mac = macOf(net.uplink);
    const macArgs = mac ? [macColumn(mac)] : [];
    if (!keptNets.has(net.name)) {
      const where = net.vlan === 0 ? 'untagged' : `VLAN ${net.vlan}`;
      add(`network ${net.name} added on ${net.uplink.name}, ${where}${mac ? `, MAC ${mac} of its uplink` : ''}`,
        ['add-br', net.name, bridge, String(net.vlan)],
        ['set', 'Port', net.name, mark('network')],
        ['set', 'Interface', net.name, mark('network'), `mtu_request=${net.mtu}`, ...macArgs]);
    }
    const seen = keptNets.has(net.name) ? observed.ports.get(net.name)! : undefined;
    planHostFlood(net, bridge, seen);
    if (!seen) continue;
    if ((seen.tag ?? 0) !== net.vlan) {
      add(`network ${net.name}: VLAN ${seen.tag ?? 0} -> ${net.vlan}`, ['set', 'Port', net.name, `tag=${net.vlan}`]);
    }
    fixMtu(net.name, net.mtu, `network ${net.name}: MTU ${net.mtu}`);
    if (mac && observed.interfaces.get(net.name)?.mac !== mac) {
      add(`network ${net.name}: MAC ${mac} of its uplink ${net.uplink.name}`, ['set', 'Interface', net.name, macColumn(mac)]);
    }
  }

  /** multicast_router=2: the network's own port (the host, as a Linux bridge device) gets all multicast and reports. */
  function planHostFlood(net: NetworkDef, bridge: string, seen: OvsPort | undefined): void {
    const flood = ovsSettings(desired.bridges.get(bridge)!.opts).floodToHost;
    const present = FLOOD_KEYS.filter((k) => seen?.otherConfig.has(k));
    if (flood && !FLOOD_KEYS.every((k) => seen?.otherConfig.get(k) === 'true')) {
      add(`network ${net.name}: all multicast to the host (multicast_router=2)`,
        ['set', 'Port', net.name, ...FLOOD_KEYS.map((k) => `other_config:${k}=true`)]);
    } else if (!flood && present.length) {
      add(`network ${net.name}: multicast to the host as snooping learns it`, ['remove', 'Port', net.name, 'other_config', ...present]);
    }
  }

  // 4. tunnels: access ports of their network, one per remote
  for (const tunnel of desired.tunnels.values()) {
    const options = tunnelOptions(tunnel);
    if (!keptTunnels.has(tunnel.port)) {
      add(`network ${tunnel.network}: ${tunnel.type} tunnel to ${tunnel.remote}, key ${tunnel.key}`,
        ['add-port', tunnel.bridge, tunnel.port],
        ['set', 'Port', tunnel.port, `tag=${tunnel.vlan}`, mark('tunnel')],
        ['set', 'Interface', tunnel.port, `type=${tunnel.type}`, options, mark('tunnel')]);
      continue;
    }
    const iface = observed.interfaces.get(tunnel.port);
    if (iface?.type !== tunnel.type || options !== renderOptions(iface.options)) {
      add(`network ${tunnel.network}: tunnel to ${tunnel.remote} now ${tunnel.type}, key ${tunnel.key}${tunnel.local ? `, local ${tunnel.local}` : ''}`,
        ['set', 'Interface', tunnel.port, `type=${tunnel.type}`, options]);
    }
    if ((observed.ports.get(tunnel.port)?.tag ?? 0) !== tunnel.vlan) {
      add(`network ${tunnel.network}: tunnel to ${tunnel.remote} on VLAN ${tunnel.vlan}`, ['set', 'Port', tunnel.port, `tag=${tunnel.vlan}`]);
    }
  }

  // 5. every OVS network offered to OVN as the physical network of its name, on its parent bridge
  commands.push(...planMappings(new Map([...desired.networks.values()].map((n) => [n.name, bridgeOf(n)])), observed));

  // 6. uplinks that leave OVS altogether get their own MTU back
  const stillUplinks = new Set(ovsNics(desired));
  const restoreMtu = owned(observed.interfaces, 'uplink', 'slave')
    .filter((i) => !stillUplinks.has(i.name) && i.origMtu !== undefined)
    .map((i) => ({ dev: i.name, mtu: i.origMtu! }));
  return { commands, restoreMtu };
}

/** The tunnel's options column as one ovs-vsctl value: the whole map, so that a dropped local_ip goes too. */
function tunnelOptions(tunnel: TunnelPort): string {
  const options: Record<string, string> = { key: String(tunnel.key), remote_ip: tunnel.remote };
  if (tunnel.local) options['local_ip'] = tunnel.local;
  return renderOptions(options);
}

/** A string map in ovs-vsctl's syntax, keys sorted: equal maps render equal. */
function renderOptions(options: Record<string, string>): string {
  const pairs = Object.keys(options).sort().map((k) => `${k}=${JSON.stringify(options[k])}`);
  return `options={${pairs.join(',')}}`;
}
