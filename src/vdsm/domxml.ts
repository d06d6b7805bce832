/**
 * What port mirroring needs from libvirt XML: the VM (uuid, name), its NICs
 * (MAC, tap, network) and which of them the Engine asked to mirror a
 * network. The request lives in the domain's metadata, per NIC:
 *   <ovirt-vm:device mac_address="M"><ovirt-vm:portMirroring>
 *     <ovirt-vm:network>NET</ovirt-vm:network></ovirt-vm:portMirroring></ovirt-vm:device>
 * with ovirt-vm bound to http://ovirt.org/vm/1.0 (the prefix is whatever the
 * XML binds it to). Device hooks get a lone <interface>. Pure: XML in, data out.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InvalidRequest } from '../runtime/errors.js';

export const OVIRT_VM_NS = 'http://ovirt.org/vm/1.0';

export interface DomainNic {
  /** lower case, as the Engine writes it */
  mac: string;
  /** libvirt's <target dev>: the tap, known once the domain runs */
  tap?: string;
  /** <source bridge>: the VDSM network */
  network?: string;
}

export interface Domain {
  uuid?: string;
  name?: string;
  nics: DomainNic[];
  /** MAC -> the networks its metadata asks to mirror */
  mirroring: Map<string, string[]>;
}

/** A NIC to mirror a network to. */
export interface MirrorWish {
  mac: string;
  tap?: string;
  network: string;
}

const OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

const tagOf = (node: Node): string => Object.keys(node).find((k) => k !== ':@') ?? '';
const attrsOf = (node: Node): Record<string, string> => node[':@'] ?? {};
const isElement = (node: Node): boolean => !['#text', '#comment', '#cdata'].includes(tagOf(node)) && !tagOf(node).startsWith('?');
const elementsOf = (node: Node): Node[] => ((node[tagOf(node)] as Node[] | undefined) ?? []).filter(isElement);
const textOf = (node: Node): string =>
  ((node[tagOf(node)] as Node[] | undefined) ?? []).map((c) => (tagOf(c) === '#text' ? String(c['#text']) : '')).join('').trim();
const child = (node: Node, tag: string): Node | undefined => elementsOf(node).find((c) => tagOf(c) === tag);

function parse(xml: string, what: string): Node {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new InvalidRequest(what, `is not well-formed: ${valid.err.msg} (line ${valid.err.line})`);
  const root = (new XMLParser(OPTIONS).parse(xml) as Node[]).find(isElement);
  if (!root) throw new InvalidRequest(what, 'holds no element');
  return root;
}

function nicOf(iface: Node): DomainNic | undefined {
  const mac = child(iface, 'mac') && attrsOf(child(iface, 'mac')!)['address'];
  if (!mac) return undefined;
  const tap = child(iface, 'target') && attrsOf(child(iface, 'target')!)['dev'];
  const network = child(iface, 'source') && attrsOf(child(iface, 'source')!)['bridge'];
  return { mac: mac.toLowerCase(), ...(tap ? { tap } : {}), ...(network ? { network } : {}) };
}

/** A whole domain, as the VM-level hooks and `virsh dumpxml` give it. */
export function parseDomain(xml: string): Domain {
  const root = parse(xml, 'domain XML');
  if (tagOf(root) !== 'domain') throw new InvalidRequest('domain XML', `is a <${tagOf(root)}>, not a <domain>`);
  const uuid = child(root, 'uuid') && textOf(child(root, 'uuid')!);
  const name = child(root, 'name') && textOf(child(root, 'name')!);
  const devices = child(root, 'devices');
  const nics = (devices ? elementsOf(devices) : []).filter((d) => tagOf(d) === 'interface').flatMap((d) => nicOf(d) ?? []);
  const metadata = child(root, 'metadata');
  return {
    ...(uuid ? { uuid } : {}),
    ...(name ? { name } : {}),
    nics,
    mirroring: metadata ? mirroringOf(metadata, namespaces(root, new Map())) : new Map(),
  };
}

/** A lone <interface>, as the device hooks get it; undefined for any other device. */
export function parseInterface(xml: string): DomainNic | undefined {
  const root = parse(xml, 'device XML');
  return tagOf(root) === 'interface' ? nicOf(root) : undefined;
}

/** prefix -> namespace URI in scope at an element ('' is the default namespace). */
function namespaces(node: Node, outer: ReadonlyMap<string, string>): Map<string, string> {
  const scope = new Map(outer);
  for (const [key, value] of Object.entries(attrsOf(node))) {
    if (key === 'xmlns') scope.set('', value);
    else if (key.startsWith('xmlns:')) scope.set(key.slice('xmlns:'.length), value);
  }
  return scope;
}

/** An element's local name when it is in the oVirt VM namespace. */
function ovirtName(node: Node, scope: ReadonlyMap<string, string>): string | undefined {
  const tag = tagOf(node);
  const colon = tag.indexOf(':');
  const [prefix, local] = colon < 0 ? ['', tag] : [tag.slice(0, colon), tag.slice(colon + 1)];
  return scope.get(prefix) === OVIRT_VM_NS ? local : undefined;
}

/** Every <device mac_address> in the oVirt namespace below <metadata>, with its portMirroring networks. */
function mirroringOf(metadata: Node, outer: ReadonlyMap<string, string>): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (node: Node, inherited: ReadonlyMap<string, string>): void => {
    const scope = namespaces(node, inherited);
    const mac = attrsOf(node)['mac_address'];
    if (ovirtName(node, scope) === 'device' && mac) {
      const networks = elementsOf(node)
        .filter((c) => ovirtName(c, namespaces(c, scope)) === 'portMirroring')
        .flatMap((pm) => elementsOf(pm).filter((n) => ovirtName(n, namespaces(n, scope)) === 'network'))
        .map(textOf)
        .filter((n) => n !== '');
      if (networks.length) found.set(mac.toLowerCase(), networks);
      return;
    }
    for (const c of elementsOf(node)) walk(c, scope);
  };
  walk(metadata, namespaces(metadata, outer));
  return found;
}

/**
 * The mirrors a domain asks for: one per NIC whose metadata names a network,
 * the NIC's own network when listed (the Engine lists only that), else the
 * first. NICs of the metadata missing from <devices> are left out.
 */
export function mirrorWishes(domain: Domain, onlyMac?: string): MirrorWish[] {
  const wishes: MirrorWish[] = [];
  for (const nic of domain.nics) {
    if (onlyMac !== undefined && nic.mac !== onlyMac.toLowerCase()) continue;
    const networks = domain.mirroring.get(nic.mac);
    if (!networks) continue;
    const network = nic.network !== undefined && networks.includes(nic.network) ? nic.network : networks[0]!;
    wishes.push({ mac: nic.mac, network, ...(nic.tap ? { tap: nic.tap } : {}) });
  }
  return wishes;
}
