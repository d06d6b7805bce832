import { runJsonHook } from '../src/hook-io.js';
import { beforeNetworkSetup } from '../src/setup.js';

void runJsonHook('before_network_setup', beforeNetworkSetup);
