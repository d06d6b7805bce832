import { attachVnic } from '../src/flow/device.js';
import { runXmlHook } from '../src/vdsm/hook-io.js';

void runXmlHook('before_nic_hotplug', attachVnic);
