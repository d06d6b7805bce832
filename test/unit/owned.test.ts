import t from 'tap';
import { ownedEntries } from '../../src/owned.js';

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
