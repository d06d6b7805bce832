import { runMirrorHook } from '../src/flow/mirror.js';

void runMirrorHook('before_nic_hotunplug');
