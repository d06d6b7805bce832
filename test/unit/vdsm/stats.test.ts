import t from 'tap';
import type { Owned } from '../../../src/vdsm/caps.js';
import { parseBond, parseNetwork } from '../../../src/model/definitions.js';
import { statsAdditions, type LinkStats } from '../../../src/vdsm/stats.js';
import { fixtureJson } from '../../lib/fixtures.js';

const stats = fixtureJson('stats.json');
const network = stats.network as Record<string, LinkStats>;
const net = (name: string, attrs: Record<string, unknown>) => parseNetwork(name, { custom: { ovs: 'true' }, ...attrs });
const bond = (name: string, nics: string[], options: string) =>
  ({ def: parseBond(name, { nics, options }), opts: {} });

t.test('a tagged network: <uplink>.<vlan> counts what its device carries, under its own name', async (t) => {
  const owned: Owned = { networks: [net('vmnet100', { bonding: 'bond0', vlan: 100 }), net('flat', { nic: 'eth1' })], bonds: [] };
  const before = structuredClone(network);
  const add = statsAdditions(owned, network);
  t.strictSame(Object.keys(add), ['bond0.100'], 'an untagged network has its own device entry already');
  t.strictSame(add['bond0.100'], { ...network['vmnet100'], name: 'bond0.100' });
  t.strictSame(network, before, 'the sampled entries are not changed (the old hook renamed the original)');
});

t.test('an OVS bond: the sums of its slaves', async (t) => {
  const eth = (name: string, rx: string, state: string, speed: string): LinkStats =>
    ({ name, rx, tx: '10', rxDropped: '1', txDropped: '0', rxErrors: '0', txErrors: '2', speed, state, sampleTime: name === 'eth1' ? 5.5 : 5.25 });
  // beyond 2^53: 64-bit counters must not lose precision
  const links = { eth1: eth('eth1', '18446744073709551000', 'up', '10000'), eth2: eth('eth2', '515', 'down', '1000') };
  const lb = statsAdditions({ networks: [], bonds: [bond('bond1', ['eth1', 'eth2'], 'custom=ovs:True,ovs_mode:balance-slb')] }, links);
  t.strictSame(lb['bond1'], {
    name: 'bond1', rx: '18446744073709551515', tx: '20', rxDropped: '2', txDropped: '0', rxErrors: '0', txErrors: '4',
    speed: '10000', state: 'up', sampleTime: 5.5,
  }, 'only slaves that are up add speed');
  links.eth2.state = 'up';
  const sum = statsAdditions({ networks: [], bonds: [bond('bond1', ['eth1', 'eth2'], 'custom=ovs:True,ovs_mode:balance-slb')] }, links);
  t.equal(sum['bond1']!['speed'], '11000', 'load balancing: the sum');
  const ab = statsAdditions({ networks: [], bonds: [bond('bond1', ['eth1', 'eth2'], 'custom=ovs:True')] }, links);
  t.equal(ab['bond1']!['speed'], '10000', 'active-backup: one slave at a time');
  links.eth1.state = 'down';
  links.eth2.state = 'down';
  t.equal(statsAdditions({ networks: [], bonds: [bond('bond1', ['eth1', 'eth2'], 'custom=ovs:True')] }, links)['bond1']!['state'], 'down');
});

t.test('names VDSM sampled itself, and devices it did not sample, are left alone', async (t) => {
  const owned: Owned = {
    networks: [net('gone', { nic: 'eth1', vlan: 5 })],
    bonds: [bond('bond0', ['eth1', 'eth2'], 'custom=ovs:True'), bond('bond9', ['eth8', 'eth9'], 'custom=ovs:True')],
  };
  t.strictSame(statsAdditions(owned, network), {}, 'bond0 is a link of its own here; eth8/eth9 and gone were not sampled');
});
