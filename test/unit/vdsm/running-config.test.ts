import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { HostError } from '../../../src/runtime/errors.js';
import { hostPaths, type HostPaths } from '../../../src/host/paths.js';
import { applyFileChanges } from '../../../src/host/files.js';
import { entryWrites, readRunningConfig, runningEntries, type EntryChange } from '../../../src/vdsm/running-config.js';

/** As a change saves them: only the entries whose content changes are written. */
const save = (paths: HostPaths, changes: EntryChange[]): Promise<void> =>
  applyFileChanges(entryWrites(paths, readRunningConfig(paths), changes).files);

function tempRoot(t: Test): HostPaths {
  const root = mkdtempSync(join(tmpdir(), 'vho-running-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return hostPaths(root);
}

// What Python 2's json.dump(..., indent=4) writes: a space after every comma at a line end.
const PY_NET = [
  '{',
  '    "bonding": "bond0", ',
  '    "bridged": true, ',
  '    "custom": {',
  '        "ovs": "true"',
  '    }, ',
  '    "mtu": 1500, ',
  '    "nameservers": [], ',
  '    "vlan": 100',
  '}',
].join('\n');
const PY_BOND = '{\n    "nics": [\n        "eth1", \n        "eth2"\n    ], \n    "options": "custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active"\n}';

t.test('no running config directories: empty', async (t) => {
  const cfg = readRunningConfig(tempRoot(t));
  t.equal(cfg.networks.size, 0);
  t.equal(cfg.bonds.size, 0);
});

t.test('reads VDSM\'s files, Python indent=4 trailing spaces included', async (t) => {
  const paths = tempRoot(t);
  mkdirSync(paths.netsDir, { recursive: true });
  mkdirSync(paths.bondsDir, { recursive: true });
  writeFileSync(join(paths.netsDir, 'vmnet100'), PY_NET);
  writeFileSync(join(paths.netsDir, 'ovirtmgmt'), '{"nic": "eth0", "bridged": true}');
  writeFileSync(join(paths.bondsDir, 'bond0'), PY_BOND);
  writeFileSync(join(paths.netsDir, '.1234.tmp'), '{"half": ');
  const cfg = readRunningConfig(paths);
  t.strictSame(cfg.networks.get('vmnet100'), {
    bonding: 'bond0', bridged: true, custom: { ovs: 'true' }, mtu: 1500, nameservers: [], vlan: 100,
  });
  t.strictSame(cfg.networks.get('ovirtmgmt'), { nic: 'eth0', bridged: true });
  t.strictSame(cfg.bonds.get('bond0'), { nics: ['eth1', 'eth2'], options: 'custom=ovs:True,ovs_mode:balance-tcp,ovs_lacp:active' });
  t.strictSame([...cfg.networks.keys()].sort(), ['ovirtmgmt', 'vmnet100'], 'a leftover temporary file is no entry');
});

t.test('a broken entry is a host error naming the file', async (t) => {
  const paths = tempRoot(t);
  mkdirSync(paths.netsDir, { recursive: true });
  writeFileSync(join(paths.netsDir, 'red'), '{"nic": ');
  t.throws(() => readRunningConfig(paths), HostError);
  try {
    readRunningConfig(paths);
  } catch (err) {
    t.match((err as HostError).line, join(paths.netsDir, 'red'));
  }
  writeFileSync(join(paths.netsDir, 'red'), '["nic"]');
  t.throws(() => readRunningConfig(paths), HostError, 'a JSON array is not an entry');
});

t.test('entry writes writes entries that read back the same, creating the directories', async (t) => {
  const paths = tempRoot(t);
  const red = { nic: 'eth1', vlan: 100, custom: { ovs: 'true' } };
  const bond = { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' };
  await save(paths, [{ kind: 'nets', name: 'red', attrs: red }, { kind: 'bonds', name: 'bond0', attrs: bond }]);
  const cfg = readRunningConfig(paths);
  t.strictSame(cfg.networks.get('red'), red);
  t.strictSame(cfg.bonds.get('bond0'), bond);
  t.strictSame(readdirSync(paths.netsDir), ['red'], 'no temporary file left behind');
  t.strictSame(readdirSync(paths.bondsDir), ['bond0']);
});

t.test('entry writes replaces a changed entry and removes on null', async (t) => {
  const paths = tempRoot(t);
  await save(paths, [{ kind: 'nets', name: 'red', attrs: { nic: 'eth1', custom: { ovs: 'true' } } }]);
  await save(paths, [{ kind: 'nets', name: 'red', attrs: { nic: 'eth2', custom: { ovs: 'true' } } }]);
  t.equal(JSON.parse(readFileSync(join(paths.netsDir, 'red'), 'utf8')).nic, 'eth2');
  await save(paths, [{ kind: 'nets', name: 'red', attrs: null }]);
  t.notOk(existsSync(join(paths.netsDir, 'red')), 'removed');
  await t.resolves(save(paths, [{ kind: 'bonds', name: 'bond9', attrs: null }]), 'removing an absent entry is fine');
});

t.test('entry writes leaves other entries alone', async (t) => {
  const paths = tempRoot(t);
  mkdirSync(paths.netsDir, { recursive: true });
  writeFileSync(join(paths.netsDir, 'ovirtmgmt'), PY_NET);
  await save(paths, [{ kind: 'nets', name: 'red', attrs: { nic: 'eth1' } }]);
  t.equal(readFileSync(join(paths.netsDir, 'ovirtmgmt'), 'utf8'), PY_NET);
});

t.test('an unchanged entry is not rewritten; a changed one is replaced atomically', async (t) => {
  const paths = tempRoot(t);
  const attrs = { nic: 'eth1', mtu: 9000, custom: { ovs: 'true' } };
  await save(paths, [{ kind: 'nets', name: 'red', attrs }]);
  const file = join(paths.netsDir, 'red');
  const before = statSync(file);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await save(paths, [{ kind: 'nets', name: 'red', attrs: { ...attrs } }]);
  const after = statSync(file);
  t.equal(after.ino, before.ino, 'same inode');
  t.equal(after.mtimeMs, before.mtimeMs, 'same mtime');
  await save(paths, [{ kind: 'nets', name: 'red', attrs: { ...attrs, mtu: 1500 } }]);
  t.not(statSync(file).ino, before.ino, 'a new file renamed over the old one');
});

t.test('runningEntries reads each file only when the iteration reaches it, as readRunningConfig reads them', async (t) => {
  const paths = tempRoot(t);
  mkdirSync(paths.netsDir, { recursive: true });
  writeFileSync(join(paths.netsDir, 'a'), '{"nic": "eth1"}');
  writeFileSync(join(paths.netsDir, 'b'), '{"nic": "eth2"}');
  writeFileSync(join(paths.netsDir, '.c.1234.tmp'), '{"half": ');
  const eager = readRunningConfig(paths);
  const it = runningEntries(paths).networks[Symbol.iterator]();
  t.strictSame(it.next().value, ['a', { nic: 'eth1' }]);
  writeFileSync(join(paths.netsDir, 'b'), '{"nic": "eth3"}');
  t.strictSame(it.next().value, ['b', { nic: 'eth3' }], 'b is read after a was handed out');
  t.ok(it.next().done, 'temp files are skipped');
  t.strictSame([...eager.networks], [['a', { nic: 'eth1' }], ['b', { nic: 'eth2' }]]);
  t.strictSame([...runningEntries(paths).bonds], [], 'no bonds directory: no entries');
  writeFileSync(join(paths.netsDir, 'b'), '{"nic": ');
  t.throws(() => [...runningEntries(paths).networks], HostError, 'a file that is not JSON fails the read, as readRunningConfig does');
});
