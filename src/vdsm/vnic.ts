/**
 * A VM NIC's libvirt XML, as before_device_create and before_nic_hotplug get
 * it: an <interface type="bridge"> whose source is an OVS network gets
 * <virtualport type="openvswitch"/>. Every OVS network is a fake bridge
 * carrying its VLAN, so the source stays the network's name: libvirt's
 * `ovs-vsctl add-port NET vnetX` tags the tap in the same transaction that
 * creates the port, and no untagged moment exists.
 *
 * A NIC on an OVN network (the Engine's ovirt-provider-ovn says so in the
 * hook's environment) is pointed at OVN's integration bridge instead, with
 * its logical switch port's name as the interface id, whatever its source
 * names: libvirt then sets external_ids:iface-id on the tap and the host's
 * ovn-controller binds it. Pure: XML in, XML out.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { InvalidRequest } from '../runtime/errors.js';
import { networkIsOvs, type Attrs } from '../model/definitions.js';

export interface VnicResult {
  /** the XML to hand back: the input itself when nothing changes */
  xml: string;
  /** what was done and why, for the log */
  why: string;
}

/** No network: VDSM's placeholder bridge for an unplugged NIC. */
const NO_NETWORK = ';vdsmdummy;';

/** OVN's integration bridge, where ovn-controller binds VM ports (external_ids:ovn-bridge, set by vdsm-ovs ovn-config). */
export const INTEGRATION_BRIDGE = 'br-int';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The logical switch port of a NIC on an OVN network, from the variables
 * VDSM passes the device hooks for a NIC on an external network of
 * ovirt-provider-ovn; undefined for every other NIC.
 */
export function ovnPortOf(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env['provider_type'] !== 'EXTERNAL_NETWORK' || env['plugin_type'] !== 'OVIRT_PROVIDER_OVN') return undefined;
  const id = env['vnic_id'];
  if (id === undefined || !UUID.test(id)) {
    throw new InvalidRequest('vnic_id', `${JSON.stringify(id ?? '')} is not a UUID (the OVN logical port of a NIC on an OVN network)`);
  }
  return id.toLowerCase();
}

const OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
} as const;

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

const tagOf = (node: Node): string => Object.keys(node).find((k) => k !== ':@') ?? '';
const childrenOf = (node: Node): Node[] => node[tagOf(node)] as Node[];
const isElement = (node: Node): boolean => !['#text', '#comment', '#cdata', '?xml'].includes(tagOf(node));

/** ovnPort: the NIC's OVN logical port (ovnPortOf), when it is on an OVN network. */
export function plugVnic(xml: string, networks: ReadonlyMap<string, Attrs>, ovnPort?: string): VnicResult {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new InvalidRequest('device XML', `is not well-formed: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = new XMLParser(OPTIONS).parse(xml) as Node[];
  const root = doc.find(isElement);
  const unchanged = (why: string): VnicResult => ({ xml, why });
  if (!root || tagOf(root) !== 'interface') return unchanged(`not a NIC (<${root ? tagOf(root) : ''}>): left as it is`);
  if (root[':@']?.['@_type'] !== 'bridge') return unchanged(`NIC of type ${root[':@']?.['@_type'] ?? '?'}: left as it is`);
  const children = childrenOf(root);
  const bridge = children.find((c) => tagOf(c) === 'source')?.[':@']?.['@_bridge'];
  const mac = children.find((c) => tagOf(c) === 'mac')?.[':@']?.['@_address'] ?? 'without a MAC';
  if (ovnPort !== undefined) {
    plugOvn(children, ovnPort);
    return { xml: build(doc, xml), why: `NIC ${mac} plugged into OVN logical port ${ovnPort} on ${INTEGRATION_BRIDGE}` };
  }
  if (bridge === undefined || bridge === NO_NETWORK) return unchanged(`NIC ${mac} has no network: left as it is`);
  const attrs = networks.get(bridge);
  if (!attrs) {
    throw new InvalidRequest(`network '${bridge}'`, `of VM NIC ${mac}: no such network in VDSM's running config on this host`);
  }
  if (!networkIsOvs(bridge, attrs)) return unchanged(`NIC ${mac} is on Linux bridge network ${bridge}: left as it is`);
  const port = children.find((c) => tagOf(c) === 'virtualport');
  if (port) {
    const type = port[':@']?.['@_type'];
    if (type === 'openvswitch') return unchanged(`NIC ${mac} on OVS network ${bridge} already has its virtualport`);
    throw new InvalidRequest(`network '${bridge}'`, `of VM NIC ${mac}: a virtualport of type ${type ?? '(none)'} cannot go on an OVS network`);
  }
  addLastChild(children, { virtualport: [], ':@': { '@_type': 'openvswitch' } });
  return { xml: build(doc, xml), why: `NIC ${mac} plugged into OVS network ${bridge} (a fake bridge with its VLAN)` };
}

/** <source bridge='br-int'/> and an openvswitch virtualport naming the port; any other virtualport (and its indent) goes. */
function plugOvn(children: Node[], port: string): void {
  for (let i = children.length - 1; i >= 0; i--) {
    if (tagOf(children[i]!) !== 'virtualport') continue;
    const before = children[i - 1];
    const indent = before && tagOf(before) === '#text' && /^\s+$/.test(String(before['#text']));
    children.splice(indent ? i - 1 : i, indent ? 2 : 1);
  }
  const source = children.find((c) => tagOf(c) === 'source');
  if (source) source[':@'] = { ...source[':@'], '@_bridge': INTEGRATION_BRIDGE };
  else addLastChild(children, { source: [], ':@': { '@_bridge': INTEGRATION_BRIDGE } });
  addLastChild(children, {
    virtualport: [{ parameters: [], ':@': { '@_interfaceid': port } }],
    ':@': { '@_type': 'openvswitch' },
  });
}

function build(doc: Node[], xml: string): string {
  const built = new XMLBuilder({ ...OPTIONS, suppressEmptyNode: true }).build(doc) as string;
  // the builder drops the line break VDSM puts after the declaration
  return /^<\?xml[^>]*\?>\n/.test(xml) ? built.replace(/^(<\?xml[^>]*\?>)/, '$1\n') : built;
}

/** Appends an element, indented like its siblings when the XML is pretty-printed. */
function addLastChild(children: Node[], element: Node): void {
  const last = children.findLastIndex(isElement);
  const indent = children[last - 1];
  const whitespace = indent && tagOf(indent) === '#text' && /^\s+$/.test(String(indent['#text']));
  children.splice(last + 1, 0, ...(whitespace ? [{ '#text': indent['#text'] }, element] : [element]));
}
