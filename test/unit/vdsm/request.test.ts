import t from 'tap';
import { InvalidRequest } from '../../../src/runtime/errors.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { isEmpty, parseSetupPayload, splitRequest } from '../../../src/vdsm/request.js';
import type { RunningConfig } from '../../../src/vdsm/running-config.js';
import { assertInvalid } from '../fixtures/invalid.js';
import { fixtureJson } from '../../lib/fixtures.js';

function example(file: string): unknown {
  return fixtureJson(file);
}

/** Running config entries as VDSM keeps them (one object per network or bond). */
function running(networks: Record<string, Attrs> = {}, bonds: Record<string, Attrs> = {}): RunningConfig {
  return { networks: new Map(Object.entries(networks)), bonds: new Map(Object.entries(bonds)) };
}

const OVS_BOND0 = example('running-config-bond.json') as Attrs;
const OVS_NET100 = example('running-config-net.json') as Attrs;
const LEGACY_NET = { nic: 'eth0', bridged: true, ipaddr: '192.0.2.10', netmask: '255.255.255.0', switch: 'legacy' };

t.test('parseSetupPayload: the three sections, absent ones empty', async (t) => {
  const req = parseSetupPayload({ request: { networks: { red: { nic: 'eth1' } } } });
  t.strictSame(req, { networks: { red: { nic: 'eth1' } }, bondings: {}, options: {} });
  const doc = example('setup-mixed.json') as { request: { options: unknown } };
  t.equal(parseSetupPayload(doc).options, doc.request.options, 'options are the very object sent');
});

t.test('parseSetupPayload: malformed documents', async (t) => {
  for (const doc of [null, {}, { request: [] }, { request: 'x' }]) {
    t.throws(() => parseSetupPayload(doc), InvalidRequest, JSON.stringify(doc));
  }
  assertInvalid(t, () => parseSetupPayload({ request: { networks: [] } }), 'request', 'networks');
  assertInvalid(t, () => parseSetupPayload({ request: { networks: { red: 'eth1' } } }), "networks 'red'", 'attributes');
  assertInvalid(t, () => parseSetupPayload({ request: { bondings: { bond0: null } } }), "bondings 'bond0'", 'attributes');
  assertInvalid(t, () => parseSetupPayload({ request: { options: 'x' } }), 'request', 'options');
});

t.test('mixed request: the OVS network is taken out, the legacy one comes back as the same object', async (t) => {
  const doc = example('setup-mixed.json') as { request: Record<string, Record<string, Attrs>> };
  const pristine = structuredClone(doc);
  const req = parseSetupPayload(doc);
  const { ovs, rest } = splitRequest(req, running({}, { bond0: OVS_BOND0 }));

  t.strictSame([...ovs.networks.keys()], ['vmnet300']);
  t.equal(ovs.networks.get('vmnet300'), req.networks['vmnet300'], 'OVS attrs are the request object');
  t.equal(ovs.bonds.size, 0);

  t.strictSame(Object.keys(rest.networks), ['display']);
  t.equal(rest.networks['display'], req.networks['display'], 'legacy network: the same object');
  t.equal(rest.options, req.options, 'options: the same object');
  const expectedRest = structuredClone(pristine.request);
  delete expectedRest['networks']!['vmnet300'];
  t.strictSame(rest, expectedRest, 'the rest is the request minus vmnet300, unchanged');
  t.strictSame(doc, pristine, 'the input document is not modified');
  t.notOk(isEmpty(ovs));
});

t.test('a request without OVS entries comes back whole', async (t) => {
  const req = parseSetupPayload({
    request: {
      networks: { display: { nic: 'eth0', vlan: '50', custom: { bridge_opts: 'forward_delay=1500' } } },
      bondings: { bond5: { nics: ['eth3', 'eth4'], options: 'mode=4 miimon=100' } },
      options: { connectivityCheck: 'true' },
    },
  });
  const { ovs, rest } = splitRequest(req, running());
  t.ok(isEmpty(ovs));
  t.equal(rest.networks['display'], req.networks['display']);
  t.equal(rest.bondings['bond5'], req.bondings['bond5']);
  t.strictSame(rest, req);
});

t.test('raw and canonical OVS requests split the same way', async (t) => {
  for (const file of ['setup-add-vlan-over-bond.json', 'setup-add-vlan-over-bond.canonical.json']) {
    const req = parseSetupPayload(example(file));
    const { ovs, rest } = splitRequest(req, running());
    t.strictSame([...ovs.networks.keys()].sort(), ['ovsmgmt', 'vmnet100', 'vmnet200'], file);
    t.strictSame([...ovs.bonds.keys()], ['bond0'], file);
    t.equal(ovs.bonds.get('bond0'), req.bondings['bond0'], `${file}: bond attrs are the request object`);
    t.strictSame(rest.networks, {}, file);
    t.strictSame(rest.bondings, {}, file);
  }
});

t.test('both bond option spellings mark a bond OVS', async (t) => {
  for (const options of ['custom=ovs=True,ovs_mode=balance-tcp,ovs_lacp=active', 'custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active']) {
    const req = parseSetupPayload({ request: { bondings: { bond0: { nics: ['eth1', 'eth2'], options } } } });
    const { ovs, rest } = splitRequest(req, running());
    t.ok(ovs.bonds.has('bond0'), options);
    t.strictSame(rest.bondings, {}, options);
  }
});

t.test('removals are OVS when the running config holds the entry as OVS', async (t) => {
  for (const file of ['setup-remove.json', 'setup-remove.canonical.json']) {
    const req = parseSetupPayload(example(file));
    const ovsMgmt = { ...OVS_NET100, vlan: undefined };
    const { ovs, rest } = splitRequest(req, running(
      { ovsmgmt: ovsMgmt, vmnet100: OVS_NET100, vmnet200: { ...OVS_NET100, vlan: 200 } },
      { bond0: OVS_BOND0 },
    ));
    t.strictSame([...ovs.networks.entries()].sort(), [['ovsmgmt', null], ['vmnet100', null], ['vmnet200', null]], file);
    t.strictSame([...ovs.bonds.entries()], [['bond0', null]], file);
    t.strictSame(rest.networks, {}, file);
    t.strictSame(rest.bondings, {}, file);
  }
});

t.test('removals of legacy or unknown entries go back to VDSM untouched', async (t) => {
  const req = parseSetupPayload(example('setup-remove.json'));
  const { ovs, rest } = splitRequest(req, running(
    { vmnet100: LEGACY_NET },
    { bond0: { nics: ['eth1', 'eth2'], options: 'mode=4 miimon=100' } },
  ));
  t.ok(isEmpty(ovs), 'nothing for OVS');
  for (const name of ['ovsmgmt', 'vmnet100', 'vmnet200']) {
    t.equal(rest.networks[name], req.networks[name], `${name}: the same object`);
  }
  t.equal(rest.bondings['bond0'], req.bondings['bond0']);
});

t.test('removal carrying custom.ovs of a network VDSM holds as legacy is not OVS', async (t) => {
  const req = parseSetupPayload({ request: { networks: { red: { remove: true, custom: { ovs: 'true' } } } } });
  const { ovs, rest } = splitRequest(req, running({ red: LEGACY_NET }));
  t.ok(isEmpty(ovs));
  t.equal(rest.networks['red'], req.networks['red']);
});

t.test('editing an OVS network keeps it OVS', async (t) => {
  const attrs = { bonding: 'bond0', vlan: '101', custom: { ovs: 'true' } };
  const req = parseSetupPayload({ request: { networks: { vmnet100: attrs } } });
  const { ovs } = splitRequest(req, running({ vmnet100: OVS_NET100 }, { bond0: OVS_BOND0 }));
  t.equal(ovs.networks.get('vmnet100'), attrs);
});

t.test('a network moving from Linux bridge to OVS: VDSM removes it, the hook builds it afterwards', async (t) => {
  const attrs = { nic: 'eth0', custom: { ovs: 'true' } };
  const req = parseSetupPayload({ request: { networks: { red: attrs } } });
  const { ovs, rest, toOvs } = splitRequest(req, running({ red: LEGACY_NET }));
  t.ok(isEmpty(ovs), 'nothing for OVS now');
  t.strictSame(rest.networks, { red: { remove: true } }, 'VDSM removes its Linux bridge');
  t.equal(toOvs.get('red'), attrs, 'the OVS definition waits for VDSM');
});

t.test('a network moving from OVS to Linux bridge: the hook removes its OVS side, VDSM builds the Linux one', async (t) => {
  const attrs = { bonding: 'bond0', vlan: 100 };
  const req = parseSetupPayload({ request: { networks: { vmnet100: attrs } } });
  const { ovs, rest, toOvs } = splitRequest(req, running({ vmnet100: OVS_NET100 }));
  t.strictSame([...ovs.networks], [['vmnet100', null]], 'the OVS side goes now');
  t.equal(rest.networks['vmnet100'], attrs, 'VDSM gets the very definition the Engine sent');
  t.equal(toOvs.size, 0);
});

t.test('a bond moving between Linux and OVS is refused', async (t) => {
  const bondToOvs = parseSetupPayload({ request: { bondings: { bond0: { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' } } } });
  assertInvalid(t, () => splitRequest(bondToOvs, running({}, { bond0: { nics: ['eth1', 'eth2'], options: 'mode=4' } })),
    "bond 'bond0'", 'ovs');

  const bondToLegacy = parseSetupPayload({ request: { bondings: { bond0: { nics: ['eth1', 'eth2'], options: 'mode=4' } } } });
  assertInvalid(t, () => splitRequest(bondToLegacy, running({}, { bond0: OVS_BOND0 })), "bond 'bond0'", 'ovs');
});

t.test('an unreadable custom.ovs stops the request instead of guessing', async (t) => {
  const req = parseSetupPayload({ request: { networks: { red: { nic: 'eth1', custom: { ovs: 'maybe' } } } } });
  assertInvalid(t, () => splitRequest(req, running()), "network 'red'", 'custom.ovs');
});

t.test('custom.ovs integer: an OVS network on a named bridge', async (t) => {
  const req = parseSetupPayload({ request: { networks: { red: { nic: 'eth1', custom: { ovs: '2' } } } } });
  t.ok(splitRequest(req, running()).ovs.networks.has('red'));
});
