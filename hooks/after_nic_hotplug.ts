import { runMirrorHook } from '../src/flow/mirror.js';

void runMirrorHook('after_nic_hotplug');
