/**
 * Temp files of writes killed half-way, against a real Open vSwitch: a hook
 * killed between writing a file's temp and renaming it leaves the temp, and
 * the next run that takes the lock (a hook, vdsm-ovs restore) sweeps the
 * hook's own temps of dead writers, never another file.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { baseHost, change, hostState, oldTrafficWorks, pendingPhase } from '../lib/host-state.js';
import { setup } from '../lib/requests.js';

const STATE_DIR = 'var/lib/vdsm-hook-ovs';

t.test('a hook killed before a rename leaves the temp file; the next hook run removes it', async (t) => {
  const sb = await baseHost(t);
  const before = await hostState(sb);
  // the first file a change writes is its snapshot
  const r = await sb.runHook('before_network_setup', change, { env: { VDSM_HOOK_OVS_FAULT: 'rename:kill' } });
  t.match(r.stderr, /SIGKILL/, 'the hook was killed');
  const temps = readdirSync(join(sb.root, STATE_DIR)).filter((f) => /^\.pending\.json\.\d+\.tmp$/.test(f));
  t.equal(temps.length, 1, 'the snapshot, complete in its temp file, was never renamed');
  t.equal(pendingPhase(sb), undefined, 'so there is no snapshot');
  const temp = join(sb.root, STATE_DIR, temps[0]!);

  const next = await sb.runHook('before_network_setup', setup());
  t.equal(next.exitCode, 0, next.stderr);
  t.notOk(existsSync(temp), 'the temp file is gone');
  t.match(next.stderr, `warn: removed ${temp}: the temp file of a write of pending.json that pid `, 'and the log says so');
  t.same(await hostState(sb), before, 'the killed run changed nothing else');
  await oldTrafficWorks(t, sb);
});

t.test("the hook's temps of dead writers are swept by a hook and by vdsm-ovs restore, other files stay", async (t) => {
  const sb = await baseHost(t);
  const dead = spawnSync('true').pid;
  // written by hand from files.ts's naming: <dir>/.<file>.<pid>.tmp
  const ours = [
    `etc/sysconfig/network-scripts/.ifcfg-blue.${dead}.tmp`,
    `var/run/vdsm/netconf/nets/.blue.${dead}.tmp`,
    `var/run/vdsm/netconf/bonds/.bond0.${dead}.tmp`,
    `etc/.resolv.conf.${dead}.tmp`,
  ];
  const foreign = [
    `etc/sysconfig/network-scripts/.ifcfg-blue.${process.pid}.tmp`, // a writer that still runs
    'etc/sysconfig/network-scripts/.ifcfg-eth9.tmp',
    `etc/sysconfig/network-scripts/.route-blue.${dead}.tmp`,
    `etc/.hosts.${dead}.tmp`,
    'var/run/vdsm/netconf/nets/.blue.tmp',
  ];
  const plant = (): void => {
    for (const rel of [...ours, ...foreign]) {
      mkdirSync(dirname(join(sb.root, rel)), { recursive: true });
      writeFileSync(join(sb.root, rel), 'half-written\n');
    }
  };
  const left = (rels: string[]): string[] => rels.filter((rel) => existsSync(join(sb.root, rel)));

  for (const [what, run] of [
    ['vdsm-ovs restore', () => sb.runCli(['restore'])],
    ['before_network_setup', () => sb.runHook('before_network_setup', setup())],
  ] as const) {
    plant();
    const r = await run();
    t.equal(r.exitCode, 0, r.stderr);
    t.strictSame(left(ours), [], `${what} removed the hook's temps`);
    t.strictSame(left(foreign), foreign, 'and nothing else');
    for (const rel of ours) t.match(r.stderr, `warn: removed ${join(sb.root, rel)}: `, `${what} logged ${rel}`);
  }
});
