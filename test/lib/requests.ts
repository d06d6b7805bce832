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
