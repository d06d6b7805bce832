import t from 'tap';
import { HostError } from '../../../src/runtime/errors.js';
import { checkpoint } from '../../../src/runtime/fault.js';

t.test('a fail fault makes its step fail once; other steps run', async (t) => {
  t.teardown(() => { delete process.env['VDSM_HOOK_OVS_FAULT']; });
  t.doesNotThrow(() => checkpoint('links'), 'no fault set: nothing happens');
  process.env['VDSM_HOOK_OVS_FAULT'] = 'save:fail';
  t.doesNotThrow(() => checkpoint('links'), 'another step runs');
  t.throws(() => checkpoint('save'), new HostError('save', 'failed (injected by VDSM_HOOK_OVS_FAULT)'));
  t.doesNotThrow(() => checkpoint('save'), 'only the first time: the rollback that follows runs clean');
});
