import t from 'tap';
import { InvalidRequest } from '../../../src/runtime/errors.js';
import { isRecord, isUnset, toBool, toInt, toStr } from '../../../src/model/values.js';
import { assertInvalid } from '../fixtures/invalid.js';

t.test('toBool: raw Engine words in any case and canonical booleans', async (t) => {
  for (const v of ['true', 'TRUE', 'True', 'yes', 'Yes', 'on', 'ON', '1', ' true ', true, 1]) {
    t.equal(toBool('network \'red\'', 'bridged', v), true, `${JSON.stringify(v)} is true`);
  }
  for (const v of ['false', 'FALSE', 'no', 'NO', 'off', '0', '', false, 0]) {
    t.equal(toBool('network \'red\'', 'bridged', v), false, `${JSON.stringify(v)} is false`);
  }
});

t.test('toBool: anything else is refused, naming object and attribute', async (t) => {
  for (const v of ['maybe', '2', 2, -1, null, {}, ['true']]) {
    assertInvalid(t, () => toBool('network \'red\'', 'bridged', v), "network 'red'", 'bridged');
  }
});

t.test('toInt: numeric strings and integers within bounds', async (t) => {
  t.equal(toInt('network \'red\'', 'vlan', '100', 0, 4094), 100);
  t.equal(toInt('network \'red\'', 'vlan', 100, 0, 4094), 100);
  t.equal(toInt('network \'red\'', 'vlan', ' 7 ', 0, 4094), 7);
  t.equal(toInt('network \'red\'', 'vlan', 0, 0, 4094), 0, 'lower bound included');
  t.equal(toInt('network \'red\'', 'vlan', '4094', 0, 4094), 4094, 'upper bound included');
});

t.test('toInt: out of range, negative, fractional and non-numeric values are refused', async (t) => {
  for (const v of [4095, '4095', -1, '-1', 'abc', '1e2', '0x10', 1.5, '1.5', '', true, null]) {
    assertInvalid(t, () => toInt('network \'red\'', 'vlan', v, 0, 4094), "network 'red'", 'vlan');
  }
});

t.test('toStr: strings pass, other types are refused', async (t) => {
  t.equal(toStr("bond 'bond0'", 'options', 'mode=4'), 'mode=4');
  t.equal(toStr("bond 'bond0'", 'options', ''), '');
  t.throws(() => toStr("bond 'bond0'", 'options', 4), InvalidRequest);
  assertInvalid(t, () => toStr("bond 'bond0'", 'options', ['mode=4']), "bond 'bond0'", 'options');
});

t.test('isUnset: missing, null and the empty string mean "not given"', async (t) => {
  t.ok(isUnset(undefined));
  t.ok(isUnset(null));
  t.ok(isUnset(''));
  t.notOk(isUnset(0), '0 is a value (vlan 0)');
  t.notOk(isUnset(false), 'false is a value');
  t.notOk(isUnset('0'));
  t.notOk(isUnset(' '));
});

t.test('isRecord: plain objects only', async (t) => {
  t.ok(isRecord({}));
  t.ok(isRecord({ ovs: 'true' }));
  t.notOk(isRecord(null));
  t.notOk(isRecord([]));
  t.notOk(isRecord('{}'));
  t.notOk(isRecord(undefined));
});
