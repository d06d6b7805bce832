import { runJsonHook } from '../src/vdsm/hook-io.js';
import { beforeNetworkSetup } from '../src/flow/setup.js';

void runJsonHook('before_network_setup', beforeNetworkSetup);
