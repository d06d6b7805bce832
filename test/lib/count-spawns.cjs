// Preloaded into a built hook by tests (NODE_OPTIONS=--require): appends the
// name of every program the hook starts to the file named by VHO_SPAWN_LOG,
// so that a test can count subprocesses without replacing any of them.
const childProcess = require('node:child_process');
const { appendFileSync } = require('node:fs');
const { basename } = require('node:path');

const spawn = childProcess.spawn;
childProcess.spawn = function countedSpawn(file, ...rest) {
  appendFileSync(process.env.VHO_SPAWN_LOG, `${basename(String(file))}\n`);
  return spawn.call(this, file, ...rest);
};
