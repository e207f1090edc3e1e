import { contextBridge } from 'electron';

// Sandboxed preload (bundled as CommonJS: out/preload/index.cjs). It exposes a
// frozen, data-only object; the typed RPC client arrives with the host.
// The renderer-side type lives in src/renderer/env.d.ts until the contract in
// src/shared carries it.

declare const __PLANTBENCH_VERSION__: string;

const plantbench = Object.freeze({
  platform: 'electron' as const,
  version: __PLANTBENCH_VERSION__,
});

contextBridge.exposeInMainWorld('plantbench', plantbench);
