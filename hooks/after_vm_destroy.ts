import { runMirrorHook } from '../src/flow/mirror.js';

void runMirrorHook('after_vm_destroy');
