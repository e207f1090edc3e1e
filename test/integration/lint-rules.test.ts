import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Proves that .dependency-cruiser.cjs (the `npm run lint` import rules, ARCHITECTURE.md §2)
// reports layering violations: a throw-away src/ tree is cruised with the real config and CLI.

const execFileAsync = promisify(execFile);
const projectRoot = path.resolve(import.meta.dirname, '../..');
const depcruisePackage = path.join(projectRoot, 'node_modules/dependency-cruiser');
const depcruiseBin = path.join(
  depcruisePackage,
  (JSON.parse(readFileSync(path.join(depcruisePackage, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['depcruise']!,
);
const configFile = path.join(projectRoot, '.dependency-cruiser.cjs');

/** The fixture tree: file → source. Files named ok-* must produce no violation. */
const FIXTURE: Record<string, string> = {
  // allowed
  'src/shared/sample.ts': `export type Sample = { path: string; value: number };\nexport const GOOD = 'good';\n`,
  'src/store/project.ts': `export function loadProject(): string { return 'p'; }\n`,
  'src/host/service.ts': `export const service = 1;\n`,
  'src/main/ok-main.ts': `import { app } from 'electron';\nimport { GOOD } from '../shared/sample.ts';\nexport const ready = [app, GOOD];\n`,
  'src/preload/ok-preload.ts': `import { contextBridge } from 'electron';\nexport const bridge = contextBridge;\n`,
  'src/renderer/ok-view.ts': `import type { Sample } from '../shared/sample.ts';\nexport const show = (s: Sample): string => s.path;\n`,
  'src/engine/ok-engine.ts': `import { GOOD } from '../shared/sample.ts';\nexport const quality = GOOD;\n`,
  // violations
  'src/renderer/reads-disk.ts': `import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n`,
  'src/renderer/uses-electron.ts': `import { ipcRenderer } from 'electron';\nexport const ipc = ipcRenderer;\n`,
  'src/renderer/calls-host.ts': `import { service } from '../host/service.ts';\nexport const s = service;\n`,
  'src/engine/loads-project.ts': `import { loadProject } from '../store/project.ts';\nexport const p = loadProject;\n`,
  'src/engine/project-type.ts': `import type { loadProject } from '../store/project.ts';\nexport type P = typeof loadProject;\n`,
  'src/engine/opens-window.ts': `import { app } from 'electron';\nexport const a = app;\n`,
  'src/shared/uses-engine.ts': `import { quality } from '../engine/ok-engine.ts';\nexport const q = quality;\n`,
  'src/shared/uses-path.ts': `import path from 'node:path';\nexport const join = path.join;\n`,
  'src/connectors/calls-host.ts': `import { service } from '../host/service.ts';\nexport const s = service;\n`,
  'src/simulators/opens-window.ts': `import { app } from 'electron';\nexport const a = app;\n`,
  'src/preload/reads-disk.ts': `import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n`,
  'src/cli/missing.ts': `import { nothing } from './does-not-exist.ts';\nexport const n = nothing;\n`,
  'src/cli/cycle-a.ts': `import { b } from './cycle-b.ts';\nexport const a = (): number => b() + 1;\n`,
  'src/cli/cycle-b.ts': `import { a } from './cycle-a.ts';\nexport const b = (): number => (a.length > 0 ? 1 : 0);\n`,
  'src/cli/type-cycle-a.ts': `import type { B } from './type-cycle-b.ts';\nexport type A = { b?: B };\n`,
  'src/cli/type-cycle-b.ts': `import type { A } from './type-cycle-a.ts';\nexport type B = { a?: A };\n`,
};

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

let workDir: string;
let violations: Violation[];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'plantbench-lint-'));
  for (const [file, source] of Object.entries(FIXTURE)) {
    const target = path.join(workDir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, source);
  }
  // Resolve npm packages ('electron') as in the real project.
  await symlink(path.join(projectRoot, 'node_modules'), path.join(workDir, 'node_modules'), 'dir');

  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(process.execPath, [depcruiseBin, 'src', '--config', configFile, '--output-type', 'json'], {
      cwd: workDir,
      maxBuffer: 32 * 1024 * 1024,
    }));
  } catch (error) {
    // depcruise exits non-zero when it finds errors; the JSON report is still on stdout.
    const failed = error as { stdout?: string; stderr?: string };
    if (!failed.stdout) throw new Error(`depcruise failed: ${failed.stderr ?? String(error)}`);
    stdout = failed.stdout;
  }
  const result = JSON.parse(stdout) as {
    summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
  };
  violations = result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function rulesFor(from: string): string[] {
  return [...new Set(violations.filter((v) => v.from === from).map((v) => v.rule))].sort();
}

describe('import rules (.dependency-cruiser.cjs)', () => {
  it('reports a renderer importing node:fs', () => {
    expect(rulesFor('src/renderer/reads-disk.ts')).toEqual(['renderer-no-node']);
  });

  it('reports the engine importing the store, value and type-only imports alike', () => {
    expect(violations).toContainEqual({ rule: 'engine-no-io-layers', from: 'src/engine/loads-project.ts', to: 'src/store/project.ts' });
    expect(rulesFor('src/engine/loads-project.ts')).toEqual(['engine-no-io-layers']);
    expect(rulesFor('src/engine/project-type.ts')).toEqual(['engine-no-io-layers']);
  });

  it('reports electron imported in the engine, the renderer and a simulator', () => {
    expect(rulesFor('src/engine/opens-window.ts')).toEqual(['electron-only-in-main-and-preload']);
    expect(rulesFor('src/simulators/opens-window.ts')).toEqual(['electron-only-in-main-and-preload']);
    expect(rulesFor('src/renderer/uses-electron.ts')).toContain('electron-only-in-main-and-preload');
    expect(rulesFor('src/renderer/uses-electron.ts')).toContain('renderer-no-node-only-packages');
  });

  it('keeps shared free of the rest of the project and of Node', () => {
    expect(rulesFor('src/shared/uses-engine.ts')).toEqual(['shared-imports-only-shared']);
    expect(rulesFor('src/shared/uses-path.ts')).toEqual(['shared-no-node']);
  });

  it('keeps the renderer, connectors and simulators away from the host', () => {
    expect(rulesFor('src/renderer/calls-host.ts')).toEqual(['renderer-imports-only-renderer-and-shared']);
    expect(rulesFor('src/connectors/calls-host.ts')).toEqual(['connectors-simulators-no-upper-layers']);
  });

  it('keeps the sandboxed preload off Node built-ins', () => {
    expect(rulesFor('src/preload/reads-disk.ts')).toEqual(['preload-sandboxed']);
  });

  it('reports missing modules and runtime cycles, but not type-only cycles', () => {
    expect(rulesFor('src/cli/missing.ts')).toEqual(['not-to-unresolvable']);
    expect(rulesFor('src/cli/cycle-a.ts')).toEqual(['no-circular']);
    expect(rulesFor('src/cli/type-cycle-a.ts')).toEqual([]);
  });

  it('allows the imports the architecture allows', () => {
    const clean = Object.keys(FIXTURE).filter((file) => /\/ok-[^/]+$/.test(file) || file === 'src/shared/sample.ts');
    for (const file of clean) expect(rulesFor(file), file).toEqual([]);
  });
});
