/**
 * The setupNetworks payload VDSM hands before_network_setup, and its split
 * into the part this hook applies (OVS) and the part that goes back to VDSM.
 */
import { InvalidRequest } from './errors.js';
import { bondIsOvs, isRemoval, networkIsOvs, type Attrs } from './model.js';
import type { RunningConfig } from './running-config.js';
import { isRecord } from './values.js';

export interface SetupRequest {
  networks: Record<string, Attrs>;
  bondings: Record<string, Attrs>;
  options: Record<string, unknown>;
}

/** An OVS entry of the request: its new attributes, or null for a removal. */
export interface OvsRequest {
  networks: Map<string, Attrs | null>;
  bonds: Map<string, Attrs | null>;
}

export function parseSetupPayload(doc: unknown): SetupRequest {
  const request = isRecord(doc) ? doc['request'] : undefined;
  if (!isRecord(request)) throw new InvalidRequest('request', 'the hook input has no "request" object');
  const section = (key: string): Record<string, Attrs> => {
    const value = request[key] ?? {};
    if (!isRecord(value)) throw new InvalidRequest('request', `${key}: is not an object`);
    for (const [name, attrs] of Object.entries(value)) {
      if (!isRecord(attrs)) throw new InvalidRequest(`${key} '${name}'`, 'attributes are not an object');
    }
    return value as Record<string, Attrs>;
  };
  const options = request['options'] ?? {};
  if (!isRecord(options)) throw new InvalidRequest('request', 'options: is not an object');
  return { networks: section('networks'), bondings: section('bondings'), options };
}

/**
 * Takes out what is OVS: networks flagged custom.ovs, bonds whose options say
 * custom ovs, and removals of entries the running config holds as OVS. The
 * rest is returned as the very objects VDSM sent.
 */
export function splitRequest(req: SetupRequest, running: RunningConfig): { ovs: OvsRequest; rest: SetupRequest } {
  const ovs: OvsRequest = { networks: new Map(), bonds: new Map() };
  const rest: SetupRequest = { networks: {}, bondings: {}, options: req.options };
  for (const [name, attrs] of Object.entries(req.networks)) {
    const subject = `network '${name}'`;
    const current = running.networks.get(name);
    const wasOvs = current !== undefined && networkIsOvs(name, current);
    if (isRemoval(subject, attrs)) {
      if (wasOvs) ovs.networks.set(name, null);
      else rest.networks[name] = attrs;
      continue;
    }
    const isOvs = networkIsOvs(name, attrs);
    if (isOvs && current !== undefined && !wasOvs) {
      throw new InvalidRequest(subject, 'custom.ovs: converting a Linux-bridge network to OVS is not supported yet');
    }
    if (!isOvs && wasOvs) {
      throw new InvalidRequest(subject, 'custom.ovs: converting an OVS network to a Linux bridge is not supported yet');
    }
    if (isOvs) ovs.networks.set(name, attrs);
    else rest.networks[name] = attrs;
  }
  for (const [name, attrs] of Object.entries(req.bondings)) {
    const subject = `bond '${name}'`;
    const current = running.bonds.get(name);
    const wasOvs = current !== undefined && bondIsOvs(name, current);
    if (isRemoval(subject, attrs)) {
      if (wasOvs) ovs.bonds.set(name, null);
      else rest.bondings[name] = attrs;
      continue;
    }
    const isOvs = bondIsOvs(name, attrs);
    if (isOvs !== wasOvs && current !== undefined) {
      throw new InvalidRequest(subject, 'options custom ovs: moving a bond between Linux and OVS is not supported yet');
    }
    if (isOvs) ovs.bonds.set(name, attrs);
    else rest.bondings[name] = attrs;
  }
  return { ovs, rest };
}

export function isEmpty(ovs: OvsRequest): boolean {
  return ovs.networks.size === 0 && ovs.bonds.size === 0;
}
