import t from 'tap';
import { parseActiveSlaves } from '../../../src/ovs/bond-show.js';

// OVS 3.1, two bonds in one `ovs-appctl bond/show`
const OVS31 = `---- bond1 ----
bond_mode: balance-slb
bond may use recirculation: no, Recirc-ID : -1
all members active: false
lacp_status: off
active-backup primary: <none>
active member mac: 8e:e9:d7:0e:c8:93(eth3)

member eth3: enabled
  active member
  may_enable: true

member eth4: enabled
  may_enable: true

---- bond0 ----
bond_mode: active-backup
lacp_status: off
active-backup primary: <none>
active member mac: b6:9c:6b:3b:9b:fe(eth1)

member eth1: enabled
  active member
  may_enable: true

member eth2: disabled
  may_enable: false
`;

// OVS 2.x wording, and a bond with every slave down
const OVS2 = `---- bond0 ----
bond_mode: active-backup
lacp_status: off
active slave mac: 52:54:00:aa:bb:cc(eth2)

slave eth1: disabled
\tmay_enable: false

slave eth2: enabled
\tactive slave
\tmay_enable: true

---- bond1 ----
bond_mode: active-backup
lacp_status: off
active slave mac: 00:00:00:00:00:00(none)

slave eth3: disabled
`;

t.test('the active slave of each bond, OVS 3 "member" wording', async (t) => {
  t.strictSame([...parseActiveSlaves(OVS31)], [['bond1', 'eth3'], ['bond0', 'eth1']]);
});

t.test('OVS 2 "slave" wording; "(none)" is kept for the caller to check against the slaves', async (t) => {
  t.strictSame([...parseActiveSlaves(OVS2)], [['bond0', 'eth2'], ['bond1', 'none']]);
});

t.test('no bonds, and a bond without an active line', async (t) => {
  t.strictSame([...parseActiveSlaves('')], []);
  t.strictSame([...parseActiveSlaves('---- b9 ----\nbond_mode: balance-tcp\n')], [['b9', '']]);
});
