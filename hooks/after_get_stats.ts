import { runJsonHook } from '../src/vdsm/hook-io.js';
import { afterGetStats } from '../src/flow/report.js';

void runJsonHook('after_get_stats', afterGetStats);
