// Bundles each hooks/<hook_point>.ts into dist/hooks/<hook_point>/50_ovs (one
// executable file per hook directory: VDSM runs every executable there) and
// bin/vdsm-ovs.ts into dist/bin/vdsm-ovs. Each bundle needs no node_modules.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(top, 'dist');
mkdirSync(dist, { recursive: true });
// the repository's package.json says "module"; the bundles are CommonJS, as they are once installed
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');

async function bundle(entry, file) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    // CommonJS: an extension-less file outside any package is CommonJS to every Node 20
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
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
