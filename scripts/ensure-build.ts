// Builds the app bundles (`electron-vite build` → out/main, out/preload, out/renderer) when they are
// missing or older than their sources, so `npm start` works on a fresh checkout and stays fast once
// built. Run before starting: `node scripts/ensure-build.ts` (exit 1 when the build fails).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const OUTPUTS = ['out/renderer/index.html', 'out/main/index.js', 'out/main/host.js', 'out/preload/index.cjs'];
const INPUTS = ['src', 'electron.vite.config.ts', 'package.json'];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function why(): string | undefined {
  const missing = OUTPUTS.filter((f) => !existsSync(join(root, f)));
  if (missing.length) return `${missing.join(', ')} missing`;
  const built = Math.min(...OUTPUTS.map((f) => statSync(join(root, f)).mtimeMs));
  const changed = INPUTS.filter((f) => existsSync(join(root, f)) && newest(join(root, f)) > built);
  return changed.length ? `${changed.join(', ')} changed since the last build` : undefined;
}

const reason = why();
if (reason) {
  process.stderr.write(`Building the workbench (${reason}) …\n`);
  const bin = join(root, 'node_modules/.bin/electron-vite');
  const result = spawnSync(bin, ['build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`The build failed (${result.error?.message ?? `exit ${result.status}`}); run \`npm run build\` to see why.\n`);
    process.exit(1);
  }
}
