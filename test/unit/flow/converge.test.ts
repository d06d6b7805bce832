import t from 'tap';
import { hostFacts } from '../../../src/flow/converge.js';
import { parseKernelState } from '../../../src/host/kernel.js';
import type { OvsInterface, OvsState } from '../../../src/ovs/state.js';

const iface = (name: string, role?: OvsInterface['role']): [string, OvsInterface] =>
  [name, { uuid: `u-${name}`, name, type: 'internal', mtuRequest: null, mac: null, options: {}, ...(role ? { role } : {}) }];

t.test('stray taps: persistent taps that no OVS interface names, what the userspace datapath leaves of its internal ports', async (t) => {
  const link = (ifname: string, linkinfo?: unknown) => ({ ifname, flags: [], mtu: 1500, addr_info: [], ...(linkinfo ? { linkinfo } : {}) });
  const tap = (persist: boolean) => ({ info_kind: 'tun', info_data: { type: 'tap', pi: false, vnet_hdr: false, multi_queue: false, persist } });
  const kernel = parseKernelState(`${JSON.stringify([
    link('eth1'),
    link('blue', tap(true)), // OVS lost its row: a leftover
    link('red', tap(true)), // OVS holds it: its port
    link('br-int', tap(true)), // another's OVS port
    link('vnet0', tap(false)), // a process holds it open (a VM's)
    link('tun0', { info_kind: 'tun', info_data: { type: 'tun', pi: true, vnet_hdr: false, multi_queue: false, persist: true } }),
    link('v1', { info_kind: 'veth' }),
  ])}\n[]\n`);
  const ovs: OvsState = {
    bridges: new Map(), ports: new Map(), interfaces: new Map([iface('red', 'network'), iface('br-int')]), qos: new Map(), queues: new Map(), systemIds: {},
  };
  const facts = hostFacts({ ovs, kernel });
  t.strictSame([...facts.strayTaps], ['blue']);
  t.strictSame([...facts.linkKinds], [['blue', 'tap'], ['red', 'tap'], ['br-int', 'tap'], ['vnet0', 'tap'], ['tun0', 'tun'], ['v1', 'veth']]);
  t.strictSame([...facts.ownDevices], ['red']);
  t.strictSame([...facts.foreignOvs], ['br-int']);
});
