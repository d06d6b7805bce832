import { runJsonHook } from '../src/vdsm/hook-io.js';
import { afterGetCaps } from '../src/flow/report.js';

void runJsonHook('after_get_caps', afterGetCaps);
