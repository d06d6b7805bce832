import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { sweepTemps } from '../../../src/flow/sweep.js';
import { hostPaths } from '../../../src/host/paths.js';
import { createLog } from '../../../src/runtime/log.js';

const root = mkdtempSync(join(tmpdir(), 'vho-sweep-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has ended. */
const dead = spawnSync('true').pid;

function plant(rel: string): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'half');
  return path;
}

t.test("the temp files of the hook's killed writes go, every other file stays", async (t) => {
  // files.ts writes <dir>/.<name>.<pid>.tmp, then renames it to <dir>/<name>
  const swept = [
    `etc/sysconfig/network-scripts/.ifcfg-blue.${dead}.tmp`,
    `var/run/vdsm/netconf/nets/.blue.${dead}.tmp`,
    `var/run/vdsm/netconf/bonds/.bond0.${dead}.tmp`,
    `var/lib/vdsm-hook-ovs/.pending.json.${dead}.tmp`,
    `var/lib/vdsm-hook-ovs/dhcp/.blue-4.json.${dead}.tmp`,
    `etc/.resolv.conf.${dead}.tmp`,
    `var/cache/vdsm-hook-ovs/.execa-0123456789abcdef.v8.${dead}.tmp`,
  ].map(plant);
  const kept = [
    `etc/sysconfig/network-scripts/.ifcfg-blue.${process.pid}.tmp`, // its writer still runs
    'etc/sysconfig/network-scripts/.ifcfg-blue.tmp', // no pid: not the hook's
    `etc/sysconfig/network-scripts/.route-blue.${dead}.tmp`, // the hook writes no route file
    `etc/sysconfig/network-scripts/ifcfg-blue.${dead}.tmp`, // not hidden
    `etc/sysconfig/network-scripts/.ifcfg-blue.${dead}.tmp~`,
    'etc/sysconfig/network-scripts/ifcfg-blue',
    `etc/.hosts.${dead}.tmp`, // in /etc the hook writes resolv.conf only
    `var/run/vdsm/netconf/nets/.has space.${dead}.tmp`, // no network is named so
    'var/run/vdsm/netconf/nets/blue',
    `var/lib/vdsm-hook-ovs/.report.${dead}.tmp`,
    `var/log/vdsm/.ovs-hook.log.${dead}.tmp`, // a directory the hook does not write through temps
  ].map(plant);
  const log = createLog(null, 'test');
  sweepTemps(hostPaths(root), log);
  t.strictSame(swept.filter(existsSync), [], 'the temps are gone');
  t.strictSame(kept.filter((p) => !existsSync(p)), [], 'everything else stays');
  const lines = log.stderrText().split('\n').filter(Boolean);
  t.equal(lines.length, swept.length, 'one line per removed file');
  t.ok(lines.includes(`warn: removed ${swept[0]}: the temp file of a write of ifcfg-blue that pid ${dead} never finished`),
    'naming the file, what it stood for and its writer');
});

t.test('directories that do not exist hold nothing to sweep', async (t) => {
  const log = createLog(null, 'test');
  t.doesNotThrow(() => sweepTemps(hostPaths(join(root, 'nothing-here')), log));
  t.equal(log.stderrText(), '');
});
