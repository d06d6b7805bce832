import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaseScript } from '../../../src/host/dhcp.js';
import { HostError } from '../../../src/runtime/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'vho-dhcp-'));
t.teardown(() => execFileSync('rm', ['-rf', dir]));

t.test('the lease script: valid sh, the table and protocol as numbers, the device from the client', async (t) => {
  for (const system of ['/usr/sbin/dhclient-script', undefined]) {
    const script = leaseScript(67961214, system);
    const file = join(dir, 'script');
    writeFileSync(file, script);
    t.doesNotThrow(() => execFileSync('sh', ['-n', file]), `sh -n accepts it (${system ?? 'dhcpcd'})`);
    t.match(script, /ip route replace default via "\$router" dev "\$interface" table 67961214 proto 211/);
    t.match(script, /ip rule add from "\$subnet" priority 3200 table 67961214 protocol 211/);
    t.match(script, /ip rule add to "\$subnet" priority 3200 table 67961214 protocol 211/);
    t.match(script, /unset new_routers old_routers/, 'the routers are kept from the main table');
    t.equal(script.includes('/usr/sbin/dhclient-script\n'), system !== undefined, 'dhclient\'s own script runs for dhclient only');
  }
  t.throws(() => leaseScript(1, '/sbin/dhclient-script; rm -rf /'), HostError, 'a path that is not plain is refused');
});
