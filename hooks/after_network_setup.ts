import { afterNetworkSetup } from '../src/flow/after-setup.js';
import { runJsonHook } from '../src/vdsm/hook-io.js';

void runJsonHook('after_network_setup', afterNetworkSetup);
