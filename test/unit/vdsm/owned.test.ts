import t from 'tap';
import type { Owned } from '../../../src/vdsm/caps.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { ownedEntries, scanOwned } from '../../../src/vdsm/owned.js';

t.test('OVS entries parsed, VDSM entries skipped, a broken entry named and left out', async (t) => {
  const { owned, problems } = ownedEntries({
    networks: new Map<string, Record<string, unknown>>([
      ['ovirtmgmt', { nic: 'eth0', bridged: true, bootproto: 'dhcp' }],
      ['blue', { bonding: 'bond0', vlan: 10, custom: { ovs: 'true' } }],
      ['broken', { nic: 'eth3', vlan: 'ten', custom: { ovs: true } }],
    ]),
    bonds: new Map<string, Record<string, unknown>>([
      ['bond0', { nics: ['eth1', 'eth2'], options: 'mode=1 custom=ovs:True,ovs_mode:active-backup' }],
      ['bond9', { nics: ['eth8', 'eth9'], options: 'mode=4 miimon=100' }],
      ['bondx', { nics: 'eth5', options: 'custom=ovs:True' }],
    ]),
  });
  t.strictSame(owned.networks.map((n) => [n.name, n.vlan, n.uplink.name]), [['blue', 10, 'bond0']]);
  t.strictSame(owned.bonds.map((b) => [b.def.name, b.opts]), [['bond0', { mode: '1', custom: 'ovs:True,ovs_mode:active-backup' }]],
    'bond options as VDSM reports them: custom kept as one string');
  t.strictSame(problems, [
    'running config network \'broken\' left out: network \'broken\': vlan: "ten" is not an integer in 0-4094',
    'running config bond \'bondx\' left out: bond \'bondx\': nics: "eth5" is not a list',
  ]);
});

t.test('each OVS entry is yielded as it is read, before the next entry is read', async (t) => {
  const read: string[] = [];
  const reading = (entries: [string, Attrs][]): Iterable<[string, Attrs]> => ({
    *[Symbol.iterator]() {
      for (const entry of entries) {
        read.push(entry[0]);
        yield entry;
      }
    },
  });
  const owned: Owned = { networks: [], bonds: [] };
  const problems: string[] = [];
  const seen: [string, string[]][] = [];
  const running = {
    networks: reading([
      ['ovirtmgmt', { nic: 'eth0', bridged: true }],
      ['blue', { nic: 'eth1', vlan: 10, custom: { ovs: 'true' } }],
      ['red', { nic: 'eth1', vlan: 'x', custom: { ovs: 'true' } }],
    ]),
    bonds: reading([['bond0', { nics: ['eth2', 'eth3'], options: 'custom=ovs:True' }], ['bond1', { nics: ['eth4', 'eth5'] }]]),
  };
  for (const kind of scanOwned(running, owned, problems)) seen.push([kind, [...read]]);
  t.strictSame(seen, [['network', ['ovirtmgmt', 'blue']], ['bond', ['ovirtmgmt', 'blue', 'red', 'bond0']]],
    'blue before red is read, bond0 before bond1');
  t.strictSame([owned.networks.map((n) => n.name), owned.bonds.map((b) => b.def.name)], [['blue'], ['bond0']]);
  t.match(problems, [/^running config network 'red' left out: network 'red': vlan: "x"/], 'a broken entry is not yielded');
});
