/**
 * The RPM: built here with Debian's rpmbuild, its files, modes, scripts,
 * requirements and systemd unit checked, installed into a scratch root, and its hook run from
 * the installed path against a real Open vSwitch.
 */
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { builtinModules } from 'node:module';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox } from '../lib/sandbox.js';
import { ovsNet, setup } from '../lib/requests.js';
import { vdsmUser } from '../lib/vdsm-user.js';
import { fixturePath } from '../lib/fixtures.js';

const top = fileURLToPath(new URL('../..', import.meta.url));
const HOOK = '/usr/libexec/vdsm/hooks/before_network_setup/50_ovs';
const CONF = '/etc/vdsm/vdsm-hook-ovs.conf';
const CLI = '/usr/bin/vdsm-ovs';
const STATE = '/var/lib/vdsm-hook-ovs';
const CACHE = '/var/cache/vdsm-hook-ovs';
const SUDOERS = '/etc/sudoers.d/50_vdsm_hook_ovs';
const LOG = '/var/log/vdsm/ovs-hook.log';
const UNIT = '/usr/lib/systemd/system/vdsm-hook-ovs-restore.service';
const POINTS = [
  'after_get_caps', 'after_get_stats', 'after_network_setup', 'after_network_setup_fail',
  'before_device_create', 'before_network_setup', 'before_nic_hotplug',
  'after_vm_start', 'after_vm_migrate_destination', 'after_vm_destroy', 'after_nic_hotplug', 'before_nic_hotunplug',
];
const MIRROR_POINTS = POINTS.slice(-5);
const rpmq = async (...args: string[]) => (await execa('rpm', args)).stdout;

t.test('the RPM', async (t) => {
  const built = await execa('bash', ['scripts/rpm.sh'], { cwd: top });
  const rpm = built.stdout.trim().split('\n').at(-1)!;
  t.match(rpm, /\/vdsm-hook-ovs-0\.1\.0-1\.noarch\.rpm$/, 'npm run rpm prints the noarch RPM it built');

  t.test('files, modes and config flags', async (t) => {
    const files = (await rpmq('-qp', '--qf', '[%{FILENAMES} %{FILEMODES:perms} %{FILEFLAGS:fflags} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]', rpm))
      .split('\n').map((l) => l.trim().split(' '));
    const entry = (path: string) => files.find(([p]) => p === path);
    for (const point of POINTS) {
      t.same(entry(`/usr/libexec/vdsm/hooks/${point}/50_ovs`)?.slice(1, 2), ['-rwxr-xr-x'], `${point} installed executable, 0755`);
    }
    t.same(entry(CLI)?.slice(1, 2), ['-rwxr-xr-x'], 'vdsm-ovs in /usr/bin, 0755');
    t.same(entry(UNIT)?.slice(1), ['-rw-r--r--', '', 'root:root'], 'the restore unit in systemd\'s unit directory, 0644');
    t.same(entry(STATE)?.slice(1), ['drwx--x--x', '', 'root:root'], 'the state directory: root\'s, not listable');
    t.same(entry(`${STATE}/report`)?.slice(1), ['drwxr-xr-x', '', 'vdsm:kvm'], 'its report directory: for the hooks running as vdsm');
    t.same(entry(CACHE)?.slice(1), ['drwxr-xr-x', '', 'root:root'], 'the code cache directory: root\'s, readable by all');
    t.same(entry(LOG)?.slice(1), ['-rw-r--r--', 'g', 'vdsm:kvm'], 'the log: vdsm\'s, so every hook can write it (%ghost, made by %post)');
    t.same(entry(CONF)?.slice(1), ['-rw-r--r--', 'cn', 'root:root'], 'config 0644, %config(noreplace)');
    t.same(entry(SUDOERS)?.slice(1), ['-r--r-----', 'cn', 'root:root'], 'sudoers drop-in 0440, %config(noreplace)');
    t.ok(files.some(([p, , f]) => p?.endsWith('/LICENSE') && f === 'l'), '%license');
    t.ok(files.some(([p, , f]) => p?.endsWith('/README.md') && f === 'd'), '%doc README');
    t.notOk(entry('/usr/libexec/vdsm/hooks'), "VDSM's hooks directory is not claimed");
    const hookDirs = files.filter(([p]) => p?.startsWith('/usr/libexec/vdsm/hooks/')).map(([p]) => p);
    t.ok(hookDirs.every((p) => p!.endsWith('/50_ovs')), 'nothing but one 50_ovs per hook directory');
  });

  t.test('requirements and scripts', async (t) => {
    const requires = (await rpmq('-qp', '--requires', rpm)).split('\n').map((l) => l.trim());
    for (const r of ['/usr/bin/ovs-vsctl', '/usr/bin/ovs-appctl', '/usr/bin/ovsdb-client', 'vdsm', 'sudo', 'nodejs >= 1:20']) {
      t.ok(requires.includes(r), `Requires: ${r}`);
    }
    t.equal(await rpmq('-qp', '--qf', '%{ARCH}', rpm), 'noarch');
    t.equal(await rpmq('-qp', '--recommends', rpm), '/usr/bin/ovn-controller', "Recommends: OVN's chassis daemon, whatever its package's name");
    t.equal(await rpmq('-qp', '--conflicts', rpm), 'ovirt-provider-ovn-driver', 'Conflicts: the host driver this package replaces');
    const post = await rpmq('-qp', '--qf', '%{POSTIN}', rpm);
    const preun = await rpmq('-qp', '--qf', '%{PREUN}', rpm);
    t.match(post, /systemctl enable --now openvswitch\.service/, '%post enables and starts openvswitch');
    t.match(post, /chown vdsm:kvm "\$log"/, '%post gives the log to vdsm');
    t.match(post, /^\s*systemctl enable vdsm-hook-ovs-restore\.service .*\|\| \\\n\s*echo "vdsm-hook-ovs: could not enable vdsm-hook-ovs-restore\.service; /m,
      '%post enables the restore unit, without starting it, and says so if it cannot');
    for (const [name, body] of [['%post', post], ['%preun', preun]] as const) {
      t.equal((await execa('sh', ['-n', '-c', body], { reject: false })).exitCode, 0, `${name} is valid sh`);
    }
    const erase = await execa('sh', ['-c', preun, 'preun', '0'], { reject: false });
    t.equal(erase.exitCode, 0, '%preun on erase succeeds');
    t.match(preun, /^\s*rm -f \/var\/cache\/vdsm-hook-ovs\/\*\.v8$/m, '%preun on erase removes the code caches the hooks wrote');
    t.match(erase.stderr, /stay configured and running/, 'and says what it leaves running');
    const upgrade = await execa('sh', ['-c', preun, 'preun', '1'], { reject: false });
    t.equal(upgrade.stderr, '', '%preun on upgrade is silent');

    // systemctl stands in by a stub that records its calls and fails, as it does without systemd
    const stub = mkdtempSync(join(tmpdir(), 'vho-systemctl-'));
    t.teardown(() => rmSync(stub, { recursive: true, force: true }));
    writeFileSync(join(stub, 'systemctl'), '#!/bin/sh\necho "$*" >>"$SYSTEMCTL_CALLS"\nexit 1\n', { mode: 0o755 });
    const calls = join(stub, 'calls');
    const preunWithStub = (arg: string) => execa('sh', ['-c', preun, 'preun', arg], {
      reject: false, env: { PATH: `${stub}:${process.env['PATH']}`, SYSTEMCTL_CALLS: calls },
    });
    t.equal((await preunWithStub('0')).exitCode, 0, '%preun on erase succeeds when systemctl fails');
    t.equal(readFileSync(calls, 'utf8'), 'disable vdsm-hook-ovs-restore.service\n', 'and disables the restore unit');
    rmSync(calls);
    await preunWithStub('1');
    t.notOk(existsSync(calls), '%preun on upgrade leaves the unit enabled');
  });

  t.test('installed into a scratch root, its hooks work from the installed path, as root and as vdsm', async (t) => {
    const vdsm = await vdsmUser(t);
    const root = mkdtempSync(join(tmpdir(), 'vho-rpmroot-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    chmodSync(root, 0o755);
    // rpm looks owners up in the root it installs into
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\nvdsm:x:${vdsm.uid}:${vdsm.gid}::/:/sbin/nologin\n`);
    writeFileSync(join(root, 'etc/group'), `root:x:0:\nkvm:x:${vdsm.gid}:\n`);
    await execa('rpm', ['--root', root, '--initdb']);
    // scriptlets would run chrooted into a root without a shell; they are checked above
    const install = await execa('rpm', ['-i', '--root', root, '--nodeps', '--noscripts', rpm], { reject: false });
    t.equal(install.exitCode, 0, 'rpm -i into the scratch root');
    const hook = join(root, HOOK);
    t.equal(statSync(hook).mode & 0o777, 0o755);
    t.match(readFileSync(join(root, CONF), 'utf8'), /^datapath_type = system$/m, 'default config installed');
    t.equal(statSync(join(root, STATE, 'report')).uid, vdsm.uid, 'the report directory belongs to vdsm');
    const visudo = await execa('visudo', ['-cf', join(root, SUDOERS)], { reject: false });
    t.equal(visudo.exitCode, 0, `visudo accepts the sudoers drop-in: ${visudo.stdout} ${visudo.stderr}`);
    const sudoers = readFileSync(join(root, SUDOERS), 'utf8');
    for (const point of MIRROR_POINTS) {
      t.match(sudoers, new RegExp(`^\\s*/usr/libexec/vdsm/hooks/${point}/50_ovs ""(, \\\\)?$`, 'm'),
        `vdsm may run the installed ${point} hook as root, without arguments`);
    }
    await checkUnit(t, root);

    for (const bundle of [...POINTS.map((p) => `/usr/libexec/vdsm/hooks/${p}/50_ovs`), CLI]) {
      const required = [...readFileSync(join(root, bundle), 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
      const foreign = required.filter((m) => !builtinModules.includes(m.replace(/^node:/, '')));
      t.same(foreign, [], `${bundle} requires nothing but Node built-ins: no node_modules, no source tree`);
    }

    const sb = await createSandbox(t);
    // the host paths of the installed package, as the hooks find them on a real host
    const env = { VDSM_HOOK_OVS_ROOT: root };
    // as %post does, in /var/log/vdsm that the vdsm package makes
    mkdirSync(join(root, '/var/log/vdsm'), { recursive: true });
    writeFileSync(join(root, LOG), '');
    chownSync(join(root, LOG), vdsm.uid, vdsm.gid);
    await sb.peerEndpoint('pr', 33, '10.33.0.2/24');
    const r = await sb.runHook('before_network_setup',
      setup({ rpmnet: ovsNet({ nic: 'eth1', vlan: '33', ipaddr: '10.33.0.1', netmask: '255.255.255.0' }) }),
      { script: hook, env });
    t.equal(r.exitCode, 0, 'installed hook succeeded');
    t.ok(await sb.ping(sb.host, '10.33.0.2'), 'the network added by the installed hook carries traffic');
    // the caches of what that run loaded: execa (commands) and winston (its log)
    const caches = () => readdirSync(join(root, CACHE)).sort().map((name) => {
      const st = statSync(join(root, CACHE, name));
      return { name, ino: st.ino, uid: st.uid, mode: st.mode & 0o777 };
    });
    const written = caches();
    t.match(written.map((c) => c.name).join(' '), /^execa-[0-9a-f]{16}\.v8 winston-[0-9a-f]{16}\.v8$/, 'the root hook wrote the code caches');
    t.ok(written.every((c) => c.uid === 0 && c.mode === 0o644), 'root\'s, 0644');

    // after_get_caps as VDSM runs it: as the vdsm user, reading OVS through sudo
    const capsAsVdsm = async () => {
      const file = join(root, 'caps.json');
      writeFileSync(file, readFileSync(fixturePath('caps-before.json')));
      chownSync(file, vdsm.uid, vdsm.gid);
      const run = await sb.exec(sb.host, 'setpriv', ['--reuid=vdsm', '--regid=kvm', '--init-groups', '--',
        join(root, '/usr/libexec/vdsm/hooks/after_get_caps/50_ovs')], {
        env: { ...env, OVS_RUNDIR: sb.hostOvs.rundir, _hook_json: file }, reject: false,
      });
      return { ...run, caps: JSON.parse(readFileSync(file, 'utf8')) };
    };
    rmSync(SUDOERS, { force: true });
    const denied = await capsAsVdsm();
    t.equal(denied.exitCode, 0, 'without the drop-in: still exit 0');
    t.match(denied.stderr, /^warn: ovsdb-client: reading the OVS database failed: sudo: .*reporting from the running config and the kernel only/m,
      'and says that sudo refused');
    t.strictSame(denied.caps.networks.rpmnet.ports, ['eth1.33'], 'the network as the kernel shows it');
    copyFileSync(join(root, SUDOERS), SUDOERS);
    t.teardown(() => rmSync(SUDOERS, { force: true }));
    const caps = await capsAsVdsm();
    t.equal(caps.exitCode, 0, caps.stderr);
    t.match(caps.stderr, /^info: resolved: ovsdb-client: reading the OVS database failed: sudo: /, 'with the drop-in, OVS answers');
    t.notMatch(caps.stderr, /warn/);
    t.strictSame([caps.caps.networks.rpmnet.vlanid, caps.caps.vlans['eth1.33'].iface], [33, 'eth1'], 'rpmnet is reported');
    t.match(readFileSync(join(root, LOG), 'utf8'), / after_get_caps\[\d+\] info: resolved: /, 'vdsm wrote the shared log');

    // a mirror hook as VDSM runs it, as vdsm: it runs itself again through sudo, which the drop-in
    // allows for the hook's path on a real host only, not for this scratch root's
    const domxml = join(root, 'domain.xml');
    writeFileSync(domxml, '<domain><uuid>6f1c0e1a-0000-4000-8000-0000000000ee</uuid><devices/></domain>');
    chownSync(domxml, vdsm.uid, vdsm.gid);
    const start = await sb.exec(sb.host, 'setpriv', ['--reuid=vdsm', '--regid=kvm', '--init-groups', '--',
      join(root, '/usr/libexec/vdsm/hooks/after_vm_start/50_ovs')], {
      env: { ...env, OVS_RUNDIR: sb.hostOvs.rundir, _hook_domxml: domxml, vmId: '6f1c0e1a-0000-4000-8000-0000000000ee' }, reject: false,
    });
    t.equal(start.exitCode, 0, 'a mirror hook that sudo refuses still exits 0');
    t.match(start.stderr, /^warn: sudo \S+after_vm_start\/50_ovs: sudo: .*; carrying on without it$/m, 'and says so in one line');

    const fail = await sb.runHook('after_network_setup_fail', r.output,
      { script: join(root, '/usr/libexec/vdsm/hooks/after_network_setup_fail/50_ovs'), env });
    t.equal(fail.exitCode, 0, 'installed after_network_setup_fail succeeded');
    t.equal(await sb.hostOvs.vsctl('list-br'), '', 'and rolled the network back');
    t.strictSame(caches(), written, 'the later runs, as vdsm and as root, used the code caches: none rewritten');
    const show = await sb.exec(sb.host, join(root, CLI), ['show'], {
      env: { ...env, OVS_RUNDIR: sb.hostOvs.rundir, VDSM_HOOK_OVS_DATAPATH: 'netdev' },
    });
    t.match(show.stdout, /^no OVS bridges, bonds or networks of this hook\npending change: none\n/, 'installed vdsm-ovs runs');
  });
});

/**
 * The installed restore unit: its keys as systemd reads them (sections,
 * repeated and space-separated list values), and systemd-analyze verify's
 * judgement where the tool exists.
 */
async function checkUnit(t: Test, root: string): Promise<void> {
  const unit = parseUnit(readFileSync(join(root, UNIT), 'utf8'));
  const list = (section: string, key: string) => (unit.get(`${section}.${key}`) ?? []).flatMap((v) => v.split(/\s+/));
  t.same(unit.get('Service.Type'), ['oneshot'], 'the unit runs once');
  t.same(unit.get('Service.RemainAfterExit'), ['yes'], 'and stays active after');
  t.same(unit.get('Service.ExecStart'), [`${CLI} restore`], 'running vdsm-ovs restore from the installed path');
  for (const after of ['openvswitch.service', 'ovsdb-server.service', 'ovs-vswitchd.service']) {
    t.ok(list('Unit', 'After').includes(after), `after ${after}`);
  }
  t.ok(list('Unit', 'Wants').includes('openvswitch.service'), 'pulling Open vSwitch in');
  t.ok(list('Unit', 'Before').includes('vdsm-network.service'), "before VDSM's own network restore");
  t.same(list('Install', 'WantedBy'), ['multi-user.target'], 'enabled into the normal boot');
  t.ok(existsSync(join(root, CLI)), 'the command it runs is in the package');

  const analyze = await execa('systemd-analyze', ['--version'], { reject: false });
  if (analyze.exitCode !== 0) {
    t.comment('systemd-analyze is not installed: the unit is checked by its keys only');
    return;
  }
  // verify --root finds the unit, the command and what the unit requires by
  // default (sysinit.target) in that root: a scratch one holding just these
  const vroot = mkdtempSync(join(tmpdir(), 'vho-unitroot-'));
  t.teardown(() => rmSync(vroot, { recursive: true, force: true }));
  for (const [from, to] of [[join(root, UNIT), UNIT], [join(root, CLI), CLI], ['/usr/lib/systemd/system/sysinit.target', '/usr/lib/systemd/system/sysinit.target']] as const) {
    mkdirSync(join(vroot, dirname(to)), { recursive: true });
    copyFileSync(from, join(vroot, to));
  }
  chmodSync(join(vroot, CLI), 0o755);
  const verify = await execa('systemd-analyze', ['verify', `--root=${vroot}`, basename(UNIT)], { reject: false });
  t.equal(verify.exitCode, 0, 'systemd-analyze verify accepts the unit');
  t.equal(`${verify.stdout}${verify.stderr}`, '', 'without a warning (an unknown key or value is only a warning)');
}

/** A systemd unit file: "Section.Key" -> its values, in order (comments and blank lines left out). */
function parseUnit(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = `${section}.${line.slice(0, eq).trim()}`;
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return keys;
}
