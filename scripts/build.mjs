// Bundles each hooks/<hook_point>.ts into dist/hooks/<hook_point>/50_ovs: one
// executable file per hook directory, needing no node_modules (VDSM runs
// every executable in a hook directory, so nothing else may live there).
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(top, 'dist', 'hooks');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// the repository's package.json says "module"; the bundles are CommonJS, as they are once installed
writeFileSync(join(top, 'dist', 'package.json'), '{ "type": "commonjs" }\n');

const entries = readdirSync(join(top, 'hooks')).filter((f) => f.endsWith('.ts'));
for (const entry of entries) {
  const hook = basename(entry, '.ts');
  const result = await build({
    entryPoints: [join(top, 'hooks', entry)],
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
  writeFileSync(file, `#!/usr/bin/env node\n${result.outputFiles[0].text}`);
  chmodSync(file, 0o755);
  console.log(`built ${file}`);
}
