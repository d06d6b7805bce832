/**
 * The RPM: built here with Debian's rpmbuild, its files, modes, scripts and
 * requirements checked, installed into a scratch root, and its hook run from
 * the installed path against a real Open vSwitch.
 */
import t from 'tap';
import { execa } from 'execa';
import { builtinModules } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox } from '../lib/sandbox.js';
import { ovsNet, setup } from '../lib/requests.js';

const top = fileURLToPath(new URL('../..', import.meta.url));
const HOOK = '/usr/libexec/vdsm/hooks/before_network_setup/50_ovs';
const CONF = '/etc/vdsm/vdsm-hook-ovs.conf';
const CLI = '/usr/bin/vdsm-ovs';
const STATE = '/var/lib/vdsm-hook-ovs';
const POINTS = ['after_network_setup', 'after_network_setup_fail', 'before_device_create', 'before_network_setup', 'before_nic_hotplug'];
const rpmq = async (...args: string[]) => (await execa('rpm', args)).stdout;

t.test('the RPM', async (t) => {
  const built = await execa('bash', ['scripts/rpm.sh'], { cwd: top });
  const rpm = built.stdout.trim().split('\n').at(-1)!;
  t.match(rpm, /\/vdsm-hook-ovs-0\.1\.0-1\.noarch\.rpm$/, 'npm run rpm prints the noarch RPM it built');

  t.test('files, modes and config flags', async (t) => {
    const files = (await rpmq('-qp', '--qf', '[%{FILENAMES} %{FILEMODES:perms} %{FILEFLAGS:fflags}\n]', rpm))
      .split('\n').map((l) => l.trim().split(' '));
    const entry = (path: string) => files.find(([p]) => p === path);
    for (const point of POINTS) {
      t.same(entry(`/usr/libexec/vdsm/hooks/${point}/50_ovs`)?.slice(1, 2), ['-rwxr-xr-x'], `${point} installed executable, 0755`);
    }
    t.same(entry(CLI)?.slice(1, 2), ['-rwxr-xr-x'], 'vdsm-ovs in /usr/bin, 0755');
    t.same(entry(STATE)?.slice(1, 2), ['drwx------'], 'the snapshot directory is root-only');
    t.same(entry(CONF)?.slice(1), ['-rw-r--r--', 'cn'], 'config 0644, %config(noreplace)');
    t.ok(files.some(([p, , f]) => p?.endsWith('/LICENSE') && f === 'l'), '%license');
    t.ok(files.some(([p, , f]) => p?.endsWith('/README.md') && f === 'd'), '%doc README');
    t.notOk(entry('/usr/libexec/vdsm/hooks'), "VDSM's hooks directory is not claimed");
    const hookDirs = files.filter(([p]) => p?.startsWith('/usr/libexec/vdsm/hooks/')).map(([p]) => p);
    t.ok(hookDirs.every((p) => p!.endsWith('/50_ovs')), 'nothing but one 50_ovs per hook directory');
  });

  t.test('requirements and scripts', async (t) => {
    const requires = (await rpmq('-qp', '--requires', rpm)).split('\n').map((l) => l.trim());
    for (const r of ['/usr/bin/ovs-vsctl', '/usr/bin/ovs-appctl', 'vdsm', 'nodejs >= 1:20']) {
      t.ok(requires.includes(r), `Requires: ${r}`);
    }
    t.equal(await rpmq('-qp', '--qf', '%{ARCH}', rpm), 'noarch');
    const post = await rpmq('-qp', '--qf', '%{POSTIN}', rpm);
    const preun = await rpmq('-qp', '--qf', '%{PREUN}', rpm);
    t.match(post, /systemctl enable --now openvswitch\.service/, '%post enables and starts openvswitch');
    for (const [name, body] of [['%post', post], ['%preun', preun]] as const) {
      t.equal((await execa('sh', ['-n', '-c', body], { reject: false })).exitCode, 0, `${name} is valid sh`);
    }
    const erase = await execa('sh', ['-c', preun, 'preun', '0'], { reject: false });
    t.equal(erase.exitCode, 0, '%preun on erase succeeds');
    t.match(erase.stderr, /stay configured and running/, 'and says what it leaves running');
    const upgrade = await execa('sh', ['-c', preun, 'preun', '1'], { reject: false });
    t.equal(upgrade.stderr, '', '%preun on upgrade is silent');
  });

  t.test('installed into a scratch root, its hook works from the installed path', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'vho-rpmroot-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    await execa('rpm', ['--root', root, '--initdb']);
    // scriptlets would run chrooted into a root without a shell; they are checked above
    const install = await execa('rpm', ['-i', '--root', root, '--nodeps', '--noscripts', rpm], { reject: false });
    t.equal(install.exitCode, 0, 'rpm -i into the scratch root');
    const hook = join(root, HOOK);
    t.equal(statSync(hook).mode & 0o777, 0o755);
    t.match(readFileSync(join(root, CONF), 'utf8'), /^datapath_type = system$/m, 'default config installed');

    for (const bundle of [...POINTS.map((p) => `/usr/libexec/vdsm/hooks/${p}/50_ovs`), CLI]) {
      const required = [...readFileSync(join(root, bundle), 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
      const foreign = required.filter((m) => !builtinModules.includes(m.replace(/^node:/, '')));
      t.same(foreign, [], `${bundle} requires nothing but Node built-ins: no node_modules, no source tree`);
    }

    const sb = await createSandbox(t);
    await sb.peerEndpoint('pr', 33, '10.33.0.2/24');
    const r = await sb.runHook('before_network_setup',
      setup({ rpmnet: ovsNet({ nic: 'eth1', vlan: '33', ipaddr: '10.33.0.1', netmask: '255.255.255.0' }) }),
      { script: hook });
    t.equal(r.exitCode, 0, 'installed hook succeeded');
    t.ok(await sb.ping(sb.host, '10.33.0.2'), 'the network added by the installed hook carries traffic');
    const fail = await sb.runHook('after_network_setup_fail', r.output,
      { script: join(root, '/usr/libexec/vdsm/hooks/after_network_setup_fail/50_ovs') });
    t.equal(fail.exitCode, 0, 'installed after_network_setup_fail succeeded');
    t.equal(await sb.hostOvs.vsctl('list-br'), '', 'and rolled the network back');
    const show = await sb.exec(sb.host, join(root, CLI), ['show'], {
      env: { VDSM_HOOK_OVS_ROOT: sb.root, OVS_RUNDIR: sb.hostOvs.rundir, VDSM_HOOK_OVS_DATAPATH: 'netdev' },
    });
    t.match(show.stdout, /^no OVS bridges, bonds or networks of this hook\npending change: none\n/, 'installed vdsm-ovs runs');
  });
});
