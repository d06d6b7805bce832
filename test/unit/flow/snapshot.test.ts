import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { HostError } from '../../../src/runtime/errors.js';
import type { Attrs } from '../../../src/model/definitions.js';
import { hostPaths, type HostPaths } from '../../../src/host/paths.js';
import type { RunningConfig } from '../../../src/vdsm/running-config.js';
import {
  dropSnapshot, readSnapshot, snapshotRequest, takeSnapshot, writeSnapshot, type Snapshot,
} from '../../../src/flow/snapshot.js';

function tempRoot(t: Test): HostPaths {
  const root = mkdtempSync(join(tmpdir(), 'vho-snapshot-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return hostPaths(root);
}

const blue = { nic: 'eth1', vlan: '10', custom: { ovs: 'true' } };
const bond0 = { nics: ['eth1', 'eth2'], options: 'custom=ovs:True' };
const running: RunningConfig = {
  networks: new Map<string, Attrs>([['blue', blue], ['vdsmnet', { nic: 'eth0' }]]),
  bonds: new Map<string, Attrs>([['bond0', bond0]]),
};

t.test('a snapshot holds the earlier content of exactly the entries the change touches', async (t) => {
  const snap = takeSnapshot(running, {
    changes: [
      { kind: 'nets', name: 'blue', attrs: { ...blue, vlan: '20' } },
      { kind: 'nets', name: 'green', attrs: { nic: 'eth2' } },
      { kind: 'bonds', name: 'bond0', attrs: null },
    ],
    flushed: new Map([['eth2', ['192.0.2.5/24']]]),
    broughtUp: ['eth2'],
    hostFiles: [],
    deferred: [],
  }, 'networks [blue, green], bonds [bond0]');
  t.equal(snap.phase, 'applying');
  t.equal(snap.pid, process.pid);
  t.strictSame(snap.entries, [
    { kind: 'nets', name: 'blue', attrs: blue },
    { kind: 'nets', name: 'green', attrs: null },
    { kind: 'bonds', name: 'bond0', attrs: bond0 },
  ], 'edited: as it was; added: null (to remove); removed: as it was');
  const request = snapshotRequest(snap);
  t.strictSame([...request.networks], [['blue', blue], ['green', null]], 'as a request it gives back the earlier state');
  t.strictSame([...request.bonds], [['bond0', bond0]]);
  t.strictSame(snap.nicAddresses, { eth2: ['192.0.2.5/24'] }, 'addresses the change flushes from NICs');
  t.strictSame(snap.downNics, ['eth2'], 'NICs the change brings up');
});

t.test('written root-only, read back the same, dropped', async (t) => {
  const paths = tempRoot(t);
  t.equal(readSnapshot(paths), undefined, 'none pending');
  const input = {
    changes: [{ kind: 'nets' as const, name: 'blue', attrs: null }],
    flushed: new Map([['eth1', ['10.0.0.1/8', '2001:db8::1/64']]]),
    broughtUp: ['eth1'],
    hostFiles: [{ path: paths.resolvConf, content: 'nameserver 192.0.2.53\n' }],
    deferred: [{ kind: 'nets' as const, name: 'mgmt', attrs: { nic: 'eth0', custom: { ovs: 'true' } } }],
  };
  const snap: Snapshot = { ...takeSnapshot(running, input, 'x'), phase: 'applied' };
  await writeSnapshot(paths, snap);
  t.equal(statSync(paths.snapshot).mode & 0o777, 0o600);
  t.strictSame(readSnapshot(paths), snap);
  await dropSnapshot(paths);
  t.equal(readSnapshot(paths), undefined);
  await t.resolves(dropSnapshot(paths), 'dropping twice is fine');
});

t.test('a damaged snapshot is refused, naming the file and the fault', async (t) => {
  const paths = tempRoot(t);
  mkdirSync(paths.stateDir, { recursive: true });
  const good = { phase: 'applied', pid: 1, time: 't', change: 'c', entries: [] };
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{', /pending snapshot is not valid JSON/],
    ['an array', '[]', /pending snapshot is not a JSON object/],
    ['unknown phase', JSON.stringify({ ...good, phase: 'done' }), /phase "done" is unknown/],
    ['no entries', JSON.stringify({ ...good, entries: undefined }), /lacks pid, time, change or entries/],
    ['bad kind', JSON.stringify({ ...good, entries: [{ kind: 'x', name: 'a', attrs: null }] }), /is not \{kind, name, attrs\}/],
    ['path in a name', JSON.stringify({ ...good, entries: [{ kind: 'nets', name: '../../etc/passwd', attrs: null }] }),
      /entry name "..\/..\/etc\/passwd" is longer than 15 characters/],
    ['slash in a name', JSON.stringify({ ...good, entries: [{ kind: 'nets', name: 'a/b', attrs: null }] }),
      /entry name "a\/b" contains "\/"/],
    ['bad NIC addresses', JSON.stringify({ ...good, nicAddresses: { eth1: '10.0.0.1/8' } }), /nicAddresses is not/],
    ['a host file the hook never writes', JSON.stringify({ ...good, hostFiles: [{ path: '/etc/shadow', content: '' }] }),
      /host file .*\/etc\/shadow.* is not one the hook writes/],

  ];
  writeFileSync(paths.snapshot, JSON.stringify(good));
  t.strictSame(readSnapshot(paths), { ...good, nicAddresses: {}, downNics: [], hostFiles: [], deferred: [] }, 'a snapshot of the previous version still reads');
  for (const [what, text, why] of cases) {
    writeFileSync(paths.snapshot, text);
    const err = t.throws(() => readSnapshot(paths), HostError, what) as unknown as HostError;
    t.equal(err.subject, paths.snapshot, `${what}: names the file`);
    t.match(err.message, why, `${what}: says what is wrong`);
    t.match(err.message, /vdsm-ovs rollback/, `${what}: says what to do`);
  }
});
