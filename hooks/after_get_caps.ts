import { runJsonHook } from '../src/hook-io.js';
import { afterGetCaps } from '../src/report.js';

void runJsonHook('after_get_caps', afterGetCaps);
