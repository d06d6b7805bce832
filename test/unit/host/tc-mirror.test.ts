import t from 'tap';
import { parseMirredFilters, parseRootHandle, stripCommands } from '../../../src/host/tc-mirror.js';

// `tc -j filter show dev blue parent ffff:` of iproute2 6.1 after VDSM mirrored blue to vnet7 and vnet8
const SHOWN = JSON.stringify([
  { protocol: 'all', pref: 49152, kind: 'u32', chain: 0 },
  { protocol: 'all', pref: 49152, kind: 'u32', chain: 0, options: { fh: '800:', ht_divisor: 1 } },
  {
    protocol: 'all', pref: 49152, kind: 'u32', chain: 0,
    options: {
      fh: '800::800', order: 2048, key_ht: '800', bkt: '0', match: { value: '0', mask: '0', offmask: '', off: 0 },
      actions: [
        { order: 1, kind: 'mirred', mirred_action: 'mirror', direction: 'egress', to_dev: 'vnet7', control_action: { type: 'pipe' } },
        { order: 2, kind: 'mirred', mirred_action: 'mirror', direction: 'egress', to_dev: 'vnet8', control_action: { type: 'pipe' } },
      ],
    },
  },
]);

t.test("VDSM's filters as tc shows them", async (t) => {
  t.same(parseMirredFilters(SHOWN), [{ pref: 49152, handle: '800::800', targets: ['vnet7', 'vnet8'] }]);
  t.same(parseMirredFilters('[]'), []);
  t.same(parseMirredFilters(''), [], 'a device without the qdisc: nothing');
});

t.test('the root qdisc: its handle, unless it is the default one', async (t) => {
  t.equal(parseRootHandle('[{"kind":"prio","handle":"8001:","root":true,"refcnt":2}]'), '8001:');
  t.equal(parseRootHandle('[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}}]'), undefined);
});

t.test('one tap taken out: the filter kept with the other targets, or deleted when none is left', async (t) => {
  const filters = parseMirredFilters(SHOWN);
  t.same(stripCommands('blue', 'ffff:', filters, 'vnet7'), [[
    'filter', 'replace', 'dev', 'blue', 'parent', 'ffff:', 'pref', '49152', 'handle', '800::800', 'protocol', 'all',
    'u32', 'match', 'u8', '0', '0', 'action', 'mirred', 'egress', 'mirror', 'dev', 'vnet8',
  ]]);
  t.same(stripCommands('blue', '8001:', [{ pref: 49151, handle: '801::800', targets: ['vnet7'] }], 'vnet7'),
    [['filter', 'del', 'dev', 'blue', 'parent', '8001:', 'pref', '49151']]);
  t.same(stripCommands('blue', 'ffff:', filters, 'vnet5'), [], 'a tap VDSM does not mirror to: nothing');
});
