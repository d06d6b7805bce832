import t from 'tap';
import { readFileSync } from 'node:fs';
import { BOND_SHOW_ARGS } from '../../src/ovs/bond-show.js';
import { QUERY_ARGS } from '../../src/ovs/state.js';
import { REPORT_TIMEOUT_S } from '../../src/flow/report.js';

// the drop-in the RPM installs; its syntax is checked by visudo in the RPM test
const sudoers = readFileSync(new URL('../../rpm/vdsm-hook-ovs.sudoers', import.meta.url), 'utf8');

/** The commands of the VDSM_HOOK_OVS_READ alias, as argument lists. */
function allowed(): string[][] {
  const joined = sudoers.replace(/\\\n/g, ' ');
  const alias = /^Cmnd_Alias VDSM_HOOK_OVS_READ = (.*)$/m.exec(joined)?.[1] ?? '';
  return alias.split(/(?<!\\),/).map((c) => c.trim().split(/\s+/).map((a) => a.replace(/\\(.)/g, '$1')));
}

t.test('sudoers allows exactly the reads the report hooks make, with their arguments', async (t) => {
  const timeout = `--timeout=${REPORT_TIMEOUT_S}`;
  t.strictSame(allowed(), [
    ['/usr/bin/ovsdb-client', timeout, ...QUERY_ARGS],
    ['/usr/bin/ovs-appctl', timeout, ...BOND_SHOW_ARGS],
  ]);
  t.match(sudoers, /^vdsm ALL = \(root\) NOPASSWD: VDSM_HOOK_OVS_READ$/m, 'for the vdsm user only');
  t.notMatch(sudoers.replace(/^#.*$/gm, ''), /\*/, 'no wildcard anywhere');
});
