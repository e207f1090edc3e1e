import { readdirSync, readFileSync } from 'node:fs';
import { join, matchesGlob, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GATEWAY_RUNTIME_DIR } from '../../../src/gateway/export.ts';

// Export in the packaged desktop app: src/gateway/export.ts (bundled into the host, out/main) finds
// the gateway runtime (out/gateway) and the deploy templates (build/gateway) at ../../ of its own
// module. In a package that module is <resources>/app.asar/out/main/<file>.js, so electron-builder
// must put both into the app at the same relative paths. What Electron itself does with them (its
// asar fs in the host's utilityProcess) cannot run here.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const builder = parse(readFileSync(join(REPO, 'electron-builder.yml'), 'utf8')) as { files: string[] };

/** electron-builder's `files`: patterns in order, a later "!" pattern takes out what an earlier one put in. */
function packaged(path: string): boolean {
  let included = false;
  for (const pattern of builder.files) {
    if (pattern.startsWith('!')) {
      if (matchesGlob(path, pattern.slice(1))) included = false;
    } else if (matchesGlob(path, pattern)) included = true;
  }
  return included;
}

describe('gateway export in the packaged app', () => {
  it('the host module resolves the runtime and templates to the app root, as in a checkout', async () => {
    const config = (await import('../../../electron.vite.config.ts')).default as { main: { build: { outDir: string; lib: { fileName: (f: string, n: string) => string } } } };
    // The host is built into out/main, two folders below the app root, like src/gateway/export.ts
    // below the checkout's root: ../../ is the root in both.
    expect(config.main.build.outDir).toBe('out/main');
    expect(config.main.build.lib.fileName('es', 'host')).toBe('host.js');
    const host = pathToFileURL('/opt/Plantbench/resources/app.asar/out/main/host.js');
    expect(fileURLToPath(new URL('../../', host))).toBe('/opt/Plantbench/resources/app.asar/');
    expect(relative(REPO, GATEWAY_RUNTIME_DIR)).toBe(join('out', 'gateway'));
  });

  it('electron-builder ships the gateway runtime, every template export reads, and not the build script', () => {
    for (const f of ['out/gateway/plantbench-gateway.js', 'out/gateway/package.json', 'out/gateway/chunks/opcua-Ab12Cd.js']) expect(packaged(f), f).toBe(true);
    const source = readFileSync(join(REPO, 'src/gateway/export.ts'), 'utf8');
    const read = [...source.matchAll(/fillTemplate\('([^']+)'/g)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(0);
    const templates = readdirSync(join(REPO, 'build/gateway'));
    for (const name of read) {
      expect(templates, name).toContain(name);
      expect(packaged(`build/gateway/${name}`), name).toBe(true);
    }
    expect(packaged('build/gateway/build.ts')).toBe(false);
    // The rest stays as it was: no CLI bundle, no source maps, no other build resources.
    for (const f of ['out/cli/main.js', 'out/gateway/plantbench-gateway.js.map', 'build/icon.png', 'src/gateway/export.ts']) expect(packaged(f), f).toBe(false);
    expect(packaged('out/main/host.js')).toBe(true);
  });
});
