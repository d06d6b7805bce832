import { afterNetworkSetup } from '../src/after-setup.js';
import { runJsonHook } from '../src/hook-io.js';

void runJsonHook('after_network_setup', afterNetworkSetup);
