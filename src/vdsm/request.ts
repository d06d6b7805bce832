/**
 * The setupNetworks payload VDSM hands before_network_setup, and its split
 * into the part this hook applies (OVS) and the part that goes back to VDSM.
 */
import { InvalidRequest } from '../runtime/errors.js';
import { bondIsOvs, isRemoval, networkIsOvs, type Attrs } from '../model/definitions.js';
import type { RunningConfig } from './running-config.js';
import { isRecord } from '../model/values.js';

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

export interface SplitRequest {
  /** what the hook applies now */
  ovs: OvsRequest;
  /** what goes back to VDSM: the very objects VDSM sent, and removals of networks moving to OVS */
  rest: SetupRequest;
  /**
   * Linux-bridge networks arriving as OVS: VDSM removes the Linux network
   * first, and the OVS one is built once VDSM has succeeded (its name and NIC
   * are free only then)
   */
  toOvs: Map<string, Attrs>;
}

/**
 * Takes out what is OVS: networks flagged custom.ovs, bonds whose options say
 * custom ovs, and removals of entries the running config holds as OVS. A
 * network moving between Linux bridge and OVS is split in two: the old side
 * removed, the new side built (OVS -> Linux: the hook removes the OVS side
 * now and VDSM builds the Linux one; Linux -> OVS: see toOvs).
 */
export function splitRequest(req: SetupRequest, running: RunningConfig): SplitRequest {
  const nets = splitSection('network', 'custom.ovs', req.networks, running.networks, networkIsOvs, true);
  const bonds = splitSection('bond', 'options custom ovs', req.bondings, running.bonds, bondIsOvs, false);
  return {
    ovs: { networks: nets.ovs, bonds: bonds.ovs },
    rest: { networks: nets.rest, bondings: bonds.rest, options: req.options },
    toOvs: nets.toOvs,
  };
}

function splitSection(
  kind: 'network' | 'bond',
  flag: string,
  entries: Record<string, Attrs>,
  running: Map<string, Attrs>,
  isOvs: (name: string, attrs: Attrs) => boolean,
  canMove: boolean,
): { ovs: Map<string, Attrs | null>; rest: Record<string, Attrs>; toOvs: Map<string, Attrs> } {
  const ovs = new Map<string, Attrs | null>();
  const rest: Record<string, Attrs> = {};
  const toOvs = new Map<string, Attrs>();
  for (const [name, attrs] of Object.entries(entries)) {
    const subject = `${kind} '${name}'`;
    const current = running.get(name);
    const wasOvs = current !== undefined && isOvs(name, current);
    if (isRemoval(subject, attrs)) {
      if (wasOvs) ovs.set(name, null);
      else rest[name] = attrs;
      continue;
    }
    const nowOvs = isOvs(name, attrs);
    if (current !== undefined && nowOvs !== wasOvs) {
      if (!canMove) {
        const [from, to] = wasOvs ? ['OVS', 'Linux'] : ['Linux', 'OVS'];
        throw new InvalidRequest(subject, `${flag}: moving a ${kind} from ${from} to ${to} is not supported`);
      }
      if (wasOvs) {
        ovs.set(name, null);
        rest[name] = attrs;
      } else {
        toOvs.set(name, attrs);
        rest[name] = { remove: true };
      }
      continue;
    }
    if (nowOvs) ovs.set(name, attrs);
    else rest[name] = attrs;
  }
  return { ovs, rest, toOvs };
}

export function isEmpty(ovs: OvsRequest): boolean {
  return ovs.networks.size === 0 && ovs.bonds.size === 0;
}

/** "networks [a, b], bonds [bond0]", for the log and the CLI. */
export function describeEntries(networks: Iterable<string>, bonds: Iterable<string>): string {
  return `networks [${[...networks].join(', ')}], bonds [${[...bonds].join(', ')}]`;
}
