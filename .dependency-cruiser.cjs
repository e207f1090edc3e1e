// Import rules of ARCHITECTURE.md §2, checked by `npm run lint` (depcruise src --config .dependency-cruiser.cjs).
// Paths in rules are relative to the working directory, i.e. the project root.
const path = require('node:path');

/** npm packages that only run under Node (native addons, sockets, servers); never in shared or renderer. */
const NODE_ONLY_PACKAGES = [
  'better-sqlite3',
  'node-opcua[^/]*',
  '@node-opcua/[^/]+',
  'modbus-serial',
  'jsmodbus',
  'mqtt',
  'aedes[^/]*',
  'ws',
  'sparkplug-client',
  'serialport',
  '@serialport/[^/]+',
  'electron',
  'electron-vite',
];
const nodeOnlyPackage = `(^|/)node_modules/(${NODE_ONLY_PACKAGES.join('|')})/`;

/** Node built-ins the sandboxed preload may still require (Electron polyfills them). */
const SANDBOX_BUILTINS = '^(node:)?(events|timers|url)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ── shared: pure TypeScript, no Node, no DOM ───────────────────────────────
    {
      name: 'shared-imports-only-shared',
      comment: 'src/shared imports nothing else of the project (ARCHITECTURE.md §2).',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'shared-no-node',
      comment: 'src/shared runs in the renderer and in Node alike: no Node built-ins, no Node-only packages.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-no-node-only-packages',
      comment: 'src/shared runs in the renderer and in Node alike: no Node-only npm packages.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: nodeOnlyPackage },
    },
    // ── renderer: sandboxed React app, talks to the host only through the contract ─
    {
      name: 'renderer-imports-only-renderer-and-shared',
      comment: 'src/renderer imports only src/renderer and src/shared (ARCHITECTURE.md §2).',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: '^src/', pathNot: '^src/(renderer|shared)/' },
    },
    {
      name: 'renderer-no-node',
      comment: 'The renderer is sandboxed web code: no Node built-ins.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-no-node-only-packages',
      comment: 'The renderer is sandboxed web code: no Node-only npm packages (electron included).',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: nodeOnlyPackage },
    },
    // ── electron: main and preload only ──────────────────────────────────────────
    {
      name: 'electron-only-in-main-and-preload',
      comment: "'electron' is imported only in src/main and src/preload; the host, engine and CLI run without it.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|preload)/' },
      to: { path: ['(^|/)node_modules/electron/', '^electron(/|$)'] },
    },
    {
      name: 'preload-sandboxed',
      comment: 'The preload runs sandboxed: only electron and the polyfilled events/timers/url built-ins.',
      severity: 'error',
      from: { path: '^src/preload/' },
      to: { dependencyTypes: ['core'], pathNot: SANDBOX_BUILTINS },
    },
    // ── engine: one engine, no I/O layers ────────────────────────────────────────
    {
      name: 'engine-no-io-layers',
      comment: 'src/engine never imports src/connectors, src/simulators, src/store or src/host (ARCHITECTURE.md §2).',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(connectors|simulators|store|host)/' },
    },
    // ── connectors and simulators: below the host ────────────────────────────────
    {
      name: 'connectors-simulators-no-upper-layers',
      comment: 'src/connectors and src/simulators never import src/host, src/cli, src/main or src/renderer.',
      severity: 'error',
      from: { path: '^src/(connectors|simulators)/' },
      to: { path: '^src/(host|cli|main|renderer)/' },
    },
    // ── gateway: the headless runtime and export, used only by the CLI ──────────
    {
      name: 'gateway-below-cli',
      comment: 'src/gateway may import shared/engine/connectors/simulators/store/host, never renderer/main/preload/cli (docs/gateway.md).',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^src/(renderer|main|preload|cli)/' },
    },
    {
      name: 'only-cli-imports-gateway',
      comment: 'Nothing but src/cli (and src/gateway itself) imports src/gateway; the host only its export planner.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|gateway|host)/' },
      to: { path: '^src/gateway/' },
    },
    {
      name: 'host-imports-only-gateway-export',
      comment: 'The host (the Export dialog\'s service) uses planExport/writeExport, never the gateway runtime.',
      severity: 'error',
      from: { path: '^src/host/' },
      to: { path: '^src/gateway/', pathNot: '^src/gateway/(export|bundle)\\.ts$' },
    },
    // ── hygiene ──────────────────────────────────────────────────────────────────
    {
      name: 'no-circular',
      comment: 'Circular dependency. Type-only cycles are allowed (erased at runtime).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'This module imports something that does not exist on disk (or a package missing from node_modules).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-test',
      comment: 'Production code never imports from test/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // See `import type` too: a type-only import still couples two layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: path.join(__dirname, 'tsconfig.node.json') },
    moduleSystems: ['es6', 'cjs'],
    // The project imports with explicit .ts extensions (allowImportingTsExtensions).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
