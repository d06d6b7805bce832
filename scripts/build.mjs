// Bundles each hooks/<hook_point>.ts into dist/hooks/<hook_point>/50_ovs (one
// executable file per hook directory: VDSM runs every executable there) and
// bin/vdsm-ovs.ts into dist/bin/vdsm-ovs. Each bundle needs no node_modules.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(top, 'dist');
mkdirSync(dist, { recursive: true });
// the repository's package.json says "module"; the bundles are CommonJS, as they are once installed
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');

const options = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // CommonJS: an extension-less file outside any package is CommonJS to every Node 20
  format: 'cjs',
  // VHO_READABLE=1: unminified, for CPU profiles with function names
  minify: process.env.VHO_READABLE !== '1',
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
};

// Packages the hooks load only when a run needs them (src/runtime/log.ts: winston, on the first line
// logged; src/runtime/exec.ts: execa, on the first command), ~270 KB of the ~290 KB of a bundle. Not
// running them is not enough: V8 still pre-parses every function of the script it compiles,
// ~15 ms of the start-up of a report hook that logs nothing and runs nothing. So each is
// bundled on its own and embedded as a string, compiled when first required, with the V8 code
// cache of an earlier run when there is one (src/runtime/code-cache.ts). The cache's name carries a
// hash of the source, so that a cache never meets another version of the library.
const COMPILED_ON_REQUIRE = ['winston', 'execa'];
const CODE_CACHE = JSON.stringify(join(top, 'src', 'runtime', 'code-cache.ts'));
const embedded = new Map();

async function embeddedSource(name) {
  if (!embedded.has(name)) {
    const result = await build({ ...options, stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: top } });
    const fn = `(function (exports, require, module, __filename, __dirname) {${result.outputFiles[0].text}\n})`;
    const id = `${name}-${createHash('sha256').update(fn).digest('hex').slice(0, 16)}`;
    embedded.set(
      name,
      `require(${CODE_CACHE}).runCached(${JSON.stringify(name)}, ${JSON.stringify(id)}, ${JSON.stringify(fn)}, __filename)(exports, require, module, __filename, __dirname);\n`,
    );
  }
  return embedded.get(name);
}

const compileOnRequire = {
  name: 'compile-on-require',
  setup(b) {
    const filter = new RegExp(`^(${COMPILED_ON_REQUIRE.join('|')})$`);
    b.onResolve({ filter }, ({ path }) => ({ path, namespace: 'compile-on-require' }));
    b.onLoad({ filter: /.*/, namespace: 'compile-on-require' }, async ({ path }) => ({ contents: await embeddedSource(path), loader: 'js', resolveDir: top }));
  },
};

async function bundle(entry, file) {
  const result = await build({ ...options, entryPoints: [entry], plugins: [compileOnRequire] });
  mkdirSync(dirname(file), { recursive: true });
  // replaced by rename: a hook running meanwhile sees the old or the new bundle, never half of one
  const tmp = join(dirname(file), `.${basename(file)}.tmp`);
  writeFileSync(tmp, `#!/usr/bin/env node\n${result.outputFiles[0].text}`);
  chmodSync(tmp, 0o755);
  renameSync(tmp, file);
  console.log(`built ${file}`);
}

const entries = (dir) => readdirSync(join(top, dir)).filter((f) => f.endsWith('.ts')).map((f) => basename(f, '.ts'));
const hooks = entries('hooks');
for (const hook of hooks) await bundle(join(top, 'hooks', `${hook}.ts`), join(dist, 'hooks', hook, '50_ovs'));
for (const bin of entries('bin')) await bundle(join(top, 'bin', `${bin}.ts`), join(dist, 'bin', bin));

const hooksOut = join(dist, 'hooks');
for (const stale of readdirSync(hooksOut).filter((d) => !hooks.includes(d) && existsSync(join(hooksOut, d, '50_ovs')))) {
  rmSync(join(hooksOut, stale), { recursive: true, force: true });
}
