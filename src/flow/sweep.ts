/**
 * The temp files of writes killed half-way (files.ts writes each file to
 * `.<name>.<pid>.tmp` beside it, then renames it over the file): swept by
 * the next run that takes the hooks' lock. Only temp names of files the hook
 * writes in that directory, and only of writers that no longer run: the
 * directories are shared with VDSM, the administrator and the system (/etc),
 * whose files are never touched.
 */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tempTarget } from '../host/files.js';
import type { HostPaths } from '../host/paths.js';
import { ifaceNameProblem } from '../model/names.js';
import type { Log } from '../runtime/log.js';
import { alive } from '../runtime/processes.js';

/** A directory the hook writes files in, and which file names there are the hook's. */
interface Written {
  dir: string;
  writes: (name: string) => boolean;
}

function writtenDirs(paths: HostPaths): Written[] {
  const isName = (name: string): boolean => ifaceNameProblem(name) === undefined;
  return [
    { dir: paths.ifcfgDir, writes: (name) => name.startsWith('ifcfg-') && isName(name.slice('ifcfg-'.length)) },
    // VDSM's running config: one file per network or bond, named after it
    { dir: paths.netsDir, writes: isName },
    { dir: paths.bondsDir, writes: isName },
    { dir: dirname(paths.snapshot), writes: (name) => name === basename(paths.snapshot) },
    // the DHCP client records and dhclient configs (dhcp.ts)
    { dir: paths.dhcpDir, writes: (name) => /^.+-[46]\.(json|conf)$/.test(name) },
    { dir: dirname(paths.resolvConf), writes: (name) => name === basename(paths.resolvConf) },
    { dir: paths.codeCacheDir, writes: (name) => name.endsWith('.v8') },
  ];
}

/** Removes the temp files killed writers left, logging each; never throws. A directory that does not exist has none. */
export function sweepTemps(paths: HostPaths, log: Log): void {
  for (const { dir, writes } of writtenDirs(paths)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const temp = tempTarget(name);
      // a live writer (a report hook saving the code cache, which takes no lock) is still at it
      if (!temp || !writes(temp.target) || alive(temp.pid)) continue;
      const path = join(dir, name);
      try {
        rmSync(path, { force: true });
        log.warn(`removed ${path}: the temp file of a write of ${temp.target} that pid ${temp.pid} never finished`);
      } catch (err) {
        // housekeeping: the run goes on, and the next one tries again
        log.warn(`cannot remove ${path}, the temp file of an unfinished write: ${(err as Error).message}`);
      }
    }
  }
}
