import t from 'tap';
import { describe, HookError, InvalidRequest, OvsError, withNote } from '../../../src/runtime/errors.js';

t.test('the line VDSM shows: subject, message, then what happened afterwards', async (t) => {
  const err = new OvsError('ovs-vsctl', 'transaction failed: no answer within the 10 s timeout');
  t.equal(withNote(err, 'rolled back to the state before this request'), err, 'the same error, now with the note');
  t.equal(describe(err), 'ovs-vsctl: transaction failed: no answer within the 10 s timeout; rolled back to the state before this request');
  t.equal(new InvalidRequest("network 'x'", 'vlan: bad').line, "network 'x': vlan: bad", 'no notes, no separator');
});

t.test('anything else thrown becomes an internal error that keeps its cause', async (t) => {
  const cause = new TypeError('x is undefined');
  const err = withNote(cause, 'nothing was changed');
  t.ok(err instanceof HookError);
  t.equal(err.line, 'internal error: x is undefined; nothing was changed');
  t.equal(err.cause, cause);
  t.equal(withNote('a string', 'n').line, 'internal error: a string; n');
});
