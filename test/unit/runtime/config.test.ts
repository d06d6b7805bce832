import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../../../src/runtime/config.js';
import { HookError } from '../../../src/runtime/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'vho-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function rejected(t: Test, fn: () => unknown, attr: string): void {
  try {
    fn();
    t.fail(`${attr}: accepted`);
  } catch (err) {
    t.ok(err instanceof HookError, `${attr}: a HookError`);
    t.match((err as HookError).line, attr);
  }
}

const AUTO = { client: 'auto', timeout: 30 };

t.test('no config file, no environment: system datapath, 10 s timeout', async (t) => {
  t.strictSame(loadConfig(join(dir, 'absent.conf'), {}), { datapathType: 'system', timeout: 10, dhcp: AUTO });
});

t.test('an empty file, or one without [ovs], gives the defaults', async (t) => {
  t.strictSame(loadConfig(conf('empty.conf', ''), {}), { datapathType: 'system', timeout: 10, dhcp: AUTO });
  t.strictSame(loadConfig(conf('other.conf', '[log]\nlevel = debug\n'), {}), { datapathType: 'system', timeout: 10, dhcp: AUTO });
});

t.test('values from the ini file', async (t) => {
  const file = conf('set.conf', '# the hook\n[ovs]\ndatapath_type = netdev\ntimeout = 30\n');
  t.strictSame(loadConfig(file, {}), { datapathType: 'netdev', timeout: 30, dhcp: AUTO });
});

t.test('the DHCP client and its lease timeout', async (t) => {
  const file = conf('dhcp.conf', '[ovs]\ndhcp_client = dhcpcd\ndhcp_timeout = 5\n');
  t.strictSame(loadConfig(file, {}).dhcp, { client: 'dhcpcd', timeout: 5 });
});

t.test('the environment overrides the file', async (t) => {
  const file = conf('set2.conf', '[ovs]\ndatapath_type = netdev\ntimeout = 30\n');
  t.strictSame(loadConfig(file, { VDSM_HOOK_OVS_DATAPATH: 'system' }), { datapathType: 'system', timeout: 30, dhcp: AUTO });
  t.strictSame(loadConfig(file, { VDSM_HOOK_OVS_TIMEOUT: '5' }), { datapathType: 'netdev', timeout: 5, dhcp: AUTO });
  t.strictSame(loadConfig(join(dir, 'absent.conf'), { VDSM_HOOK_OVS_DATAPATH: 'netdev', VDSM_HOOK_OVS_TIMEOUT: '60' }),
    { datapathType: 'netdev', timeout: 60, dhcp: AUTO });
});

t.test('only the environment object passed in is read', async (t) => {
  const saved = process.env['VDSM_HOOK_OVS_DATAPATH'];
  process.env['VDSM_HOOK_OVS_DATAPATH'] = 'netdev';
  t.teardown(() => {
    if (saved === undefined) delete process.env['VDSM_HOOK_OVS_DATAPATH'];
    else process.env['VDSM_HOOK_OVS_DATAPATH'] = saved;
  });
  t.equal(loadConfig(join(dir, 'absent.conf'), {}).datapathType, 'system');
});

t.test('invalid values are rejected, naming the setting', async (t) => {
  rejected(t, () => loadConfig(conf('bad-dp.conf', '[ovs]\ndatapath_type = net dev\n'), {}), 'datapath_type');
  rejected(t, () => loadConfig(join(dir, 'absent.conf'), { VDSM_HOOK_OVS_DATAPATH: 'netdev;reboot' }), 'datapath_type');
  rejected(t, () => loadConfig(join(dir, 'absent.conf'), { VDSM_HOOK_OVS_DATAPATH: '--netdev' }), 'datapath_type');
  for (const timeout of ['0', '-1', 'abc', '2.5', '100000']) {
    rejected(t, () => loadConfig(join(dir, 'absent.conf'), { VDSM_HOOK_OVS_TIMEOUT: timeout }), 'timeout');
  }
  rejected(t, () => loadConfig(conf('bad-to.conf', '[ovs]\ntimeout = soon\n'), {}), 'timeout');
  rejected(t, () => loadConfig(conf('bad-dhcp.conf', '[ovs]\ndhcp_client = udhcpc\n'), {}), 'dhcp_client');
  rejected(t, () => loadConfig(conf('bad-dhcp-to.conf', '[ovs]\ndhcp_timeout = 0\n'), {}), 'dhcp_timeout');
});
