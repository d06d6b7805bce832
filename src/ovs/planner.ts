/**
 * The planner: a pure function from (desired state, observed OVS state,
 * kernel MTUs) to the commands of ONE ovs-vsctl transaction. It only ever
 * names objects the hook owns (and its own entries of OVN's bridge
 * mappings); removals come first so that a device can move (NIC -> bond,
 * bridge -> bridge) within the same transaction.
 */
import { ovsNics, uplinkMtus, type DesiredState } from '../model/desired.js';
import type { BondDef, NetworkDef, Uplink } from '../model/definitions.js';
import { ORIG_MTU_KEY, OWNER_KEY, type OvsPort, type OvsState, type Role } from './state.js';
import type { Command } from './vsctl.js';
import { planMappings } from '../ovn/mappings.js';

export interface MtuRestore {
  dev: string;
  mtu: number;
}

export interface TransactionPlan {
  commands: Command[];
  /** uplinks leaving OVS get back the MTU they had before the hook took them */
  restoreMtu: MtuRestore[];
}

const mark = (role: Role): string => `external_ids:${OWNER_KEY}=${role}`;

/** The MTU a NIC had before OVS took it: as recorded on its row, else the kernel's now (it is about to be taken). */
export function originalMtu(observed: OvsState, kernelMtu: ReadonlyMap<string, number>, dev: string): number | undefined {
  return observed.interfaces.get(dev)?.origMtu ?? kernelMtu.get(dev);
}

export function planTransaction(
  desired: DesiredState,
  observed: OvsState,
  kernelMtu: ReadonlyMap<string, number>,
  datapathType: string,
): TransactionPlan {
  const commands: Command[] = [];
  const add = (why: string, ...args: string[][]): void => {
    for (const a of args) commands.push({ args: a, why });
  };
  const bridgeOfUplink = new Map([...desired.bridges.values()].map((b) => [b.uplink.name, b.name]));
  const bridgeOf = (net: NetworkDef): string => bridgeOfUplink.get(net.uplink.name)!;
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
    const orig = originalMtu(observed, kernelMtu, dev);
    return orig === undefined ? [] : [`external_ids:${ORIG_MTU_KEY}=${orig}`];
  };
  const uplinkIface = (dev: string, role: Role, mtu: number): string[] =>
    ['set', 'Interface', dev, mark(role), ...origMtu(dev), `mtu_request=${mtu}`];
  const fixMtu = (dev: string, mtu: number, why: string): void => {
    if (observed.interfaces.get(dev)?.mtuRequest !== mtu) add(why, ['set', 'Interface', dev, `mtu_request=${mtu}`]);
  };

  for (const bridge of desired.bridges.values()) {
    const seen = observed.bridges.get(bridge.name);
    if (!seen || goneBridges.has(bridge.name)) {
      add(`bridge ${bridge.name} added for uplink ${bridge.uplink.name}`,
        ['add-br', bridge.name],
        ['set', 'Bridge', bridge.name, `datapath_type=${datapathType}`, `stp_enable=${bridge.stp}`, mark('bridge')],
        ['set', 'Port', bridge.name, mark('bridge')],
        ['set', 'Interface', bridge.name, mark('bridge')]);
    } else {
      if (seen.datapathType !== datapathType) {
        add(`bridge ${bridge.name}: datapath type ${seen.datapathType} -> ${datapathType}`,
          ['set', 'Bridge', bridge.name, `datapath_type=${datapathType}`]);
      }
      if (seen.stp !== bridge.stp) {
        add(`bridge ${bridge.name}: STP ${bridge.stp ? 'on' : 'off'}`, ['set', 'Bridge', bridge.name, `stp_enable=${bridge.stp}`]);
      }
    }
    const mtu = mtuOf(bridge.uplink.name);
    if (bridge.uplink.kind === 'nic') {
      planNicUplink(bridge.name, bridge.uplink, mtu);
    } else {
      planBond(bridge.name, desired.bonds.get(bridge.uplink.name)!, mtu);
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
        ['set', 'Port', bond.name, `bond_mode=${bond.mode}`, `lacp=${bond.lacp}`, mark('bond')],
        ...bond.nics.map((nic) => uplinkIface(nic, 'slave', mtu)));
      return;
    }
    if (port.bondMode !== bond.mode || port.lacp !== bond.lacp) {
      add(`bond ${bond.name}: mode ${bond.mode}, LACP ${bond.lacp}`,
        ['set', 'Port', bond.name, `bond_mode=${bond.mode}`, `lacp=${bond.lacp}`]);
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

  // 3. networks: a fake bridge per network, tagged with its VLAN (0 = untagged)
  for (const net of desired.networks.values()) {
    const bridge = bridgeOf(net);
    if (!keptNets.has(net.name)) {
      const where = net.vlan === 0 ? 'untagged' : `VLAN ${net.vlan}`;
      add(`network ${net.name} added on ${net.uplink.name}, ${where}`,
        ['add-br', net.name, bridge, String(net.vlan)],
        ['set', 'Port', net.name, mark('network')],
        ['set', 'Interface', net.name, mark('network'), `mtu_request=${net.mtu}`]);
      continue;
    }
    const seen = observed.ports.get(net.name)!;
    if ((seen.tag ?? 0) !== net.vlan) {
      add(`network ${net.name}: VLAN ${seen.tag ?? 0} -> ${net.vlan}`, ['set', 'Port', net.name, `tag=${net.vlan}`]);
    }
    fixMtu(net.name, net.mtu, `network ${net.name}: MTU ${net.mtu}`);
  }

  // 4. every OVS network offered to OVN as the physical network of its name, on its parent bridge
  commands.push(...planMappings(new Map([...desired.networks.values()].map((n) => [n.name, bridgeOf(n)])), observed));

  // 5. uplinks that leave OVS altogether get their own MTU back
  const stillUplinks = new Set(ovsNics(desired));
  const restoreMtu = owned(observed.interfaces, 'uplink', 'slave')
    .filter((i) => !stillUplinks.has(i.name) && i.origMtu !== undefined)
    .map((i) => ({ dev: i.name, mtu: i.origMtu! }));
  return { commands, restoreMtu };
}
