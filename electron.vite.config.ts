import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './src/main/csp.ts';

const root = import.meta.dirname;
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };

/** The packaged renderer is a file:// page with no response headers: carry the CSP as a meta tag. */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'plantbench:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Two ESM entries: main itself, and the host that main starts in a utilityProcess (host.js).
      lib: {
        entry: { index: resolve(root, 'src/main/index.ts'), host: resolve(root, 'src/host/utility-entry.ts') },
        formats: ['es'],
        fileName: (_format, name) => `${name}.js`,
      },
    },
  },
  preload: {
    define: { __PLANTBENCH_VERSION__: JSON.stringify(pkg.version) },
    build: {
      outDir: 'out/preload',
      // Sandboxed preloads cannot be ES modules: one self-contained CommonJS file.
      lib: { entry: resolve(root, 'src/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
      externalizeDeps: false,
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [react(), contentSecurityPolicyMeta()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: resolve(root, 'src/renderer/index.html') },
    },
  },
});
