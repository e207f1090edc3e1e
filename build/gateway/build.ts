// npm run build:gateway: bundles the gateway runtime (src/gateway/entry.ts) with rolldown into
// out/gateway/: plantbench-gateway.js, chunks/ for lazily loaded stacks (OPC UA, Modbus, Sparkplug,
// simulators), and a package.json marking them ES modules. better-sqlite3 and serialport's binding
// stay external: they are native addons, and an export ships their packages with the linux-x64 and
// linux-arm64 prebuilds.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

export const GATEWAY_OUT = fileURLToPath(new URL('../../out/gateway/', import.meta.url));

export async function buildGateway(): Promise<void> {
  rmSync(GATEWAY_OUT, { recursive: true, force: true });
  await build({
    input: fileURLToPath(new URL('../../src/gateway/entry.ts', import.meta.url)),
    platform: 'node',
    external: ['better-sqlite3', '@serialport/bindings-cpp'],
    logLevel: 'warn',
    output: {
      dir: GATEWAY_OUT,
      format: 'esm',
      entryFileNames: 'plantbench-gateway.js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      minify: true,
      // Error stacks on a gateway still point at readable names.
      keepNames: true,
      // One non-ASCII character makes V8 hold a whole chunk's source as UTF-16: twice the memory.
      charset: 'ascii',
    },
  });
  writeFileSync(`${GATEWAY_OUT}package.json`, `${JSON.stringify({ name: 'plantbench-gateway', private: true, type: 'module' }, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  await buildGateway();
  console.log(`built out/gateway/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
