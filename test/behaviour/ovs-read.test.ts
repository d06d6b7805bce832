/**
 * Root reads Open vSwitch through its sockets; the vdsm user through sudo and
 * the tools (ovsdb-client query, ovs-appctl). All must see the same: on a
 * real OVS holding the hook's bridges, bond, networks (tagged, untagged,
 * with MTU) and a foreign bridge, the socket read and the query the vdsm
 * user runs are compared with what ovs-vsctl list prints, and the bonds
 * with ovs-appctl's own output.
 */
import t from 'tap';
import { readActiveSlaves } from '../../src/ovs/bond-show.js';
import { OVS_TABLES, parseOvsState, QUERY_ARGS, readOvsState } from '../../src/ovs/state.js';
import { rowsOfSelect, Vsctl } from '../../src/ovs/vsctl.js';
import { LIST_ARGS, rowsOfList } from '../lib/ovs-list.js';
import { applyOk, ovsBond, ovsNet, setup } from '../lib/requests.js';
import { createSandbox } from '../lib/sandbox.js';

t.test('the sockets give the state and the bonds that ovs-vsctl and ovs-appctl give', async (t) => {
  const sb = await createSandbox(t, { nics: ['eth1', 'eth2', 'eth3', 'eth4'] });
  await sb.hostOvs.vsctl('add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev',
    'external_ids:owner=ovn', '--', 'add-port', 'br-int', 'eth4', 'tag=7');
  await applyOk(t, sb, setup({
    red: ovsNet({ bonding: 'bond0', vlan: '10', mtu: '1400' }),
    blue: ovsNet({ nic: 'eth3' }),
  }, { bond0: ovsBond(['eth1', 'eth2'], 'ovs:True,ovs_mode:balance-slb') }));
  const rundir = process.env['OVS_RUNDIR'];
  process.env['OVS_RUNDIR'] = sb.hostOvs.rundir;
  t.teardown(() => {
    if (rundir === undefined) delete process.env['OVS_RUNDIR'];
    else process.env['OVS_RUNDIR'] = rundir;
  });
  const direct = new Vsctl(10);

  const state = await readOvsState(direct);
  const byTool = parseOvsState(rowsOfList(await sb.hostOvs.vsctl(...LIST_ARGS), OVS_TABLES.length));
  t.strictSame(state, byTool, 'the same state, row for row');
  const query = await sb.exec(sb.host, 'ovsdb-client', ['--timeout=10', ...QUERY_ARGS], { env: { OVS_RUNDIR: sb.hostOvs.rundir } });
  t.strictSame(parseOvsState(rowsOfSelect(JSON.parse(query.stdout), OVS_TABLES.length)), byTool,
    'the query the vdsm user runs through sudo: the same state');
  t.strictSame([...state.bridges.keys()].sort(), ['br-int', 'ovsbr-bond0', 'ovsbr-eth3'], 'every bridge, the foreign one included');
  t.strictSame(['red', 'blue'].map((n) => state.ports.get(n)?.fakeBridge), [true, true], 'the networks are fake bridges');
  t.equal(state.ports.get('red')?.tag, 10);
  t.equal(state.ports.get('eth4')?.tag, 7);
  t.equal(state.ports.get('bond0')?.bondMode, 'balance-slb');
  t.equal(state.interfaces.get('red')?.mtuRequest, 1400);
  t.equal(state.bridges.get('br-int')?.role, undefined, 'the foreign bridge is not the hook\'s');

  const slaves = await readActiveSlaves(direct);
  t.match(slaves.get('bond0'), /^eth[12]$/, 'bond0 has an active slave');
  const shown = await sb.hostOvs.appctl('bond/show');
  t.match(shown, new RegExp(`active (member|slave) mac: \\S+\\(${slaves.get('bond0')}\\)`), 'the one ovs-appctl names');
});
