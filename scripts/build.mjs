// Bundles each hooks/<hook_point>.ts into dist/hooks/<hook_point>/50_ovs: one
// executable file per hook directory, needing no node_modules (VDSM runs
// every executable in a hook directory, so nothing else may live there).
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(top, 'dist', 'hooks');
mkdirSync(out, { recursive: true });
// the repository's package.json says "module"; the bundles are CommonJS, as they are once installed
writeFileSync(join(top, 'dist', 'package.json'), '{ "type": "commonjs" }\n');

const hooks = readdirSync(join(top, 'hooks')).filter((f) => f.endsWith('.ts')).map((f) => basename(f, '.ts'));
for (const hook of hooks) {
  const result = await build({
    entryPoints: [join(top, 'hooks', `${hook}.ts`)],
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
  const file = join(out, hook, '50_ovs');
  mkdirSync(dirname(file), { recursive: true });
  // replaced by rename: a hook running meanwhile sees the old or the new bundle, never half of one
  const tmp = join(out, `.${hook}.tmp`);
  writeFileSync(tmp, `#!/usr/bin/env node\n${result.outputFiles[0].text}`);
  chmodSync(tmp, 0o755);
  renameSync(tmp, file);
  console.log(`built ${file}`);
}
for (const stale of readdirSync(out).filter((d) => !hooks.includes(d) && existsSync(join(out, d, '50_ovs')))) {
  rmSync(join(out, stale), { recursive: true, force: true });
}
