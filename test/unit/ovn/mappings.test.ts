import t from 'tap';
import { parseMappings, planMappings } from '../../../src/ovn/mappings.js';
import type { OvsState } from '../../../src/ovs/state.js';

/** An OVS DB holding the mappings value (undefined: no key), the hook's bridges and network ports. */
function seen(mappings: string | undefined, own: { bridges?: string[]; networks?: string[] } = {}): OvsState {
  const state: OvsState = { bridges: new Map(), ports: new Map(), interfaces: new Map(), qos: new Map(), queues: new Map(), systemIds: {} };
  if (mappings !== undefined) state.systemIds['ovn-bridge-mappings'] = mappings;
  for (const name of own.bridges ?? []) {
    state.bridges.set(name, {
      uuid: name, name, role: 'bridge', datapathType: 'system', stp: false, rstp: false, mcastSnooping: false, otherConfig: new Map(), hookOpts: [], ports: [],
    });
  }
  for (const name of own.networks ?? []) {
    state.ports.set(name, {
      uuid: name, name, role: 'network', tag: 0, fakeBridge: true, bondMode: null, lacp: null, bondUpdelay: 0, bondDowndelay: 0,
      interfaces: [name], otherConfig: new Map(), qos: null,
    });
  }
  return state;
}
const args = (wanted: Record<string, string>, state: OvsState) => planMappings(new Map(Object.entries(wanted)), state).map((c) => c.args);
const SET = (value: string) => [['set', 'Open_vSwitch', '.', `external_ids:ovn-bridge-mappings="${value}"`]];
const REMOVE = [['remove', 'Open_vSwitch', '.', 'external_ids', 'ovn-bridge-mappings']];

t.test('parseMappings: entries split at the first colon, blanks dropped', async (t) => {
  t.strictSame(parseMappings('physnet1:br-ex, red:ovsbr-eth1,'), [
    { physnet: 'physnet1', bridge: 'br-ex' }, { physnet: 'red', bridge: 'ovsbr-eth1' },
  ]);
  t.strictSame(parseMappings(''), []);
  t.strictSame(parseMappings(undefined), []);
});

t.test("the hook's networks are added after a foreign entry, which stays first", async (t) => {
  t.strictSame(args({ red: 'ovsbr-eth1', blue: 'ovsbr-eth1' }, seen('physnet1:br-ex')), SET('physnet1:br-ex,blue:ovsbr-eth1,red:ovsbr-eth1'));
  t.strictSame(args({ red: 'ovsbr-eth1' }, seen(undefined)), SET('red:ovsbr-eth1'), 'the key made when missing');
});

t.test('the same entries in another order: nothing to write (idempotent)', async (t) => {
  const state = seen('red:ovsbr-eth1,physnet1:br-ex,blue:ovsbr-eth1', { bridges: ['ovsbr-eth1'], networks: ['red', 'blue'] });
  t.strictSame(args({ red: 'ovsbr-eth1', blue: 'ovsbr-eth1' }, state), []);
});

t.test('removing networks: their entries go, foreign ones stay; the key goes with the last entry', async (t) => {
  const own = { bridges: ['ovsbr-eth1'], networks: ['red', 'blue'] };
  t.strictSame(args({ blue: 'ovsbr-eth1' }, seen('physnet1:br-ex,blue:ovsbr-eth1,red:ovsbr-eth1', own)), SET('physnet1:br-ex,blue:ovsbr-eth1'));
  t.strictSame(args({}, seen('physnet1:br-ex,blue:ovsbr-eth1,red:ovsbr-eth1', own)), SET('physnet1:br-ex'));
  t.strictSame(args({}, seen('blue:ovsbr-eth1,red:ovsbr-eth1', own)), REMOVE, 'never an empty or "" value');
});

t.test('a foreign key with nothing of the hook in it is never written', async (t) => {
  t.strictSame(args({}, seen(undefined)), []);
  t.strictSame(args({}, seen('')), [], 'an empty value someone wrote stays');
  t.strictSame(args({}, seen('physnet1:br-ex')), []);
});

t.test("an entry on a bridge of the hook is the hook's, even for a network it no longer knows", async (t) => {
  t.strictSame(args({ red: 'ovsbr-eth1' }, seen('old:ovsbr-eth1,red:ovsbr-eth1', { bridges: ['ovsbr-eth1'] })), SET('red:ovsbr-eth1'));
});

t.test('a network moving to another bridge: its entry follows', async (t) => {
  t.strictSame(args({ red: 'ovsbr-eth2' }, seen('red:ovsbr-eth1', { bridges: ['ovsbr-eth1'], networks: ['red'] })), SET('red:ovsbr-eth2'));
});

t.test("a foreign entry for the name of one of the hook's networks is replaced: one physnet, one bridge", async (t) => {
  t.strictSame(args({ red: 'ovsbr-eth1' }, seen('red:br-ex')), SET('red:ovsbr-eth1'));
});

t.test('a network name holding a comma is not offered: OVN would read it as two entries', async (t) => {
  t.strictSame(args({ 'a,b': 'ovsbr-eth1', red: 'ovsbr-eth1' }, seen(undefined)), SET('red:ovsbr-eth1'));
});
