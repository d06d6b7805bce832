import { runJsonHook } from '../src/hook-io.js';
import { afterGetStats } from '../src/report.js';

void runJsonHook('after_get_stats', afterGetStats);
