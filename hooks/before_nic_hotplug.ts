import { attachVnic } from '../src/device.js';
import { runXmlHook } from '../src/hook-io.js';

void runXmlHook('before_nic_hotplug', attachVnic);
