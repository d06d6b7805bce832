/**
 * The JSON-RPC exchange itself, against a local socket that answers as the
 * test needs (chunks cut anywhere, errors, silence). That OVS's own sockets
 * give what its tools give is tested on real OVS (behaviour/ovs-read.test.ts).
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rpc } from '../../../src/ovs/socket.js';

/** A socket that hands each request to `answer`, which writes whatever it likes. */
async function server(t: Test, answer: (conn: Socket, request: { id: unknown; method: string; params: unknown[] }) => unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'vho-rpc-'));
  const path = join(dir, 'db.sock');
  const srv = createServer((conn) => conn.once('data', (d) => answer(conn, JSON.parse(String(d)))));
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  t.teardown(() => {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return path;
}

// '}' at the end of a chunk, inside a string, and a non-ASCII name cut in the middle of its bytes
const RESULT = [{ rows: [{ name: 'brück', external_ids: ['map', [['k', 'a}']]] }] }];

t.test('an answer cut anywhere, even inside a character or after a "}" in a string, is read whole', async (t) => {
  const path = await server(t, async (conn, req) => {
    const bytes = Buffer.from(JSON.stringify({ id: req.id, result: RESULT, error: null }));
    const cuts = [0, bytes.indexOf('ü') + 1, bytes.indexOf('}') + 1, bytes.length - 1, bytes.length];
    for (let i = 1; i < cuts.length; i++) {
      conn.write(bytes.subarray(cuts[i - 1], cuts[i]));
      await new Promise((resolve) => setTimeout(resolve, 20)); // one chunk each
    }
  });
  t.strictSame(await rpc(path, 'transact', ['Open_vSwitch'], 2), { result: RESULT });
});

t.test('the request is JSON-RPC with the method and params', async (t) => {
  let seen: unknown;
  const path = await server(t, (conn, req) => {
    seen = req;
    conn.write(JSON.stringify({ id: req.id, result: 'ovs-vswitchd (Open vSwitch) 3.1.0\n', error: null }));
  });
  t.strictSame(await rpc(path, 'version', [], 2), { result: 'ovs-vswitchd (Open vSwitch) 3.1.0\n' });
  t.match(seen, { method: 'version', params: [] });
});

t.test('errors: the answer\'s error, another id, a closed connection, silence, no socket', async (t) => {
  const answers: Record<string, (conn: Socket, id: unknown) => void> = {
    unixctl: (conn, id) => conn.write(JSON.stringify({ id, result: null, error: '"bond/shw" is not a valid command\n' })),
    ovsdb: (conn, id) => conn.write(JSON.stringify({ id, result: null, error: { error: 'unknown database', details: 'get_schema: unknown database' } })),
    other: (conn) => conn.write(JSON.stringify({ id: 7, result: [], error: null })),
    closed: (conn) => conn.end(),
    silent: () => undefined,
  };
  const failures: Record<string, unknown> = {};
  for (const [name, answer] of Object.entries(answers)) {
    failures[name] = await rpc(await server(t, (conn, req) => answer(conn, req.id)), 'm', [], 0.3);
  }
  t.strictSame(failures['unixctl'], { failure: '"bond/shw" is not a valid command', timedOut: false });
  t.strictSame(failures['ovsdb'], { failure: 'unknown database: get_schema: unknown database', timedOut: false });
  t.match(failures['other'], { failure: /answered another request \(id 7\)$/, timedOut: false });
  t.match(failures['closed'], { failure: /closed the connection without an answer$/, timedOut: false });
  t.strictSame(failures['silent'], { failure: 'no answer within the 0.3 s timeout', timedOut: true });
  const missing = join(tmpdir(), 'vho-rpc-no-such-dir', 'db.sock');
  t.strictSame(await rpc(missing, 'm', [], 2), { failure: `cannot connect to ${missing} (ENOENT): not running?`, timedOut: false });
});
