import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { ENGINE_KINDS, kindRegistry } from '../../engine/nodes/index.ts';
import { runTestCase, type CaseResult } from '../../engine/testing/runner.ts';
import { findProjectRoot, loadProject } from '../../store/project.ts';
import { paint, printJson, printProblems, UsageError } from '../output.ts';

export interface TestOptions {
  json: boolean;
  /** Run only cases whose name contains this. */
  filter?: string;
}

interface FileResult {
  file: string;
  pipeline: string;
  cases: (Omit<CaseResult, 'outputs'> & { ms: number })[];
}

/** Runs every *.test.yaml of a project (or the given test files). Ends with "N passed, N failed". */
export async function test(targets: string[], options: TestOptions): Promise<number> {
  if (targets.length === 0) throw new UsageError('test needs a project folder or *.test.yaml files');
  const results: FileResult[] = [];
  let invalid = false;
  for (const target of targets) {
    const path = resolve(target);
    const root = existsSync(path) ? findProjectRoot(path) : undefined;
    if (!root) {
      process.stderr.write(`${target}: not inside a Plantbench project (no plantbench.yaml found)\n`);
      invalid = true;
      continue;
    }
    const loaded = loadProject(root);
    if (loaded.problems.length) {
      printProblems(root, loaded.problems, process.stderr);
      process.stderr.write(paint('red', `${relative(process.cwd(), root) || '.'}: the project has problems; tests not run\n`, process.stderr));
      invalid = true;
      continue;
    }
    const only = statSync(path).isDirectory() ? undefined : relative(root, path);
    const project = loaded.project!.model!;
    const ctx = {
      kinds: kindRegistry(ENGINE_KINDS),
      project: { uns: project.uns, topicTemplate: project.defaults?.topicTemplate, queue: project.defaults?.queue },
      devices: (id: string) => loaded.devices.get(id)?.model,
    };
    for (const entry of loaded.tests) {
      if (only && entry.file !== only) continue;
      const file = relative(process.cwd(), `${root}/${entry.file}`);
      const testFile = entry.model!;
      const pipeline = loaded.pipelines.get(testFile.pipeline)!.model!;
      const fileResult: FileResult = { file, pipeline: testFile.pipeline, cases: [] };
      results.push(fileResult);
      if (!options.json) process.stdout.write(`${paint('bold', file)} ${paint('dim', `(pipeline ${testFile.pipeline})`)}\n`);
      for (const tc of testFile.cases) {
        if (options.filter && !tc.name.includes(options.filter)) continue;
        const started = performance.now();
        const { outputs: _outputs, ...result } = await runTestCase(pipeline, tc, ctx, testFile.tolerance);
        const ms = Math.round(performance.now() - started);
        fileResult.cases.push({ ...result, ms });
        if (!options.json) printCase(result, ms);
      }
    }
  }
  const passed = results.reduce((n, f) => n + f.cases.filter((c) => c.passed).length, 0);
  const failed = results.reduce((n, f) => n + f.cases.filter((c) => !c.passed).length, 0);
  if (options.json) printJson({ passed, failed, invalid, files: results });
  else process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 || invalid ? 1 : 0;
}

function printCase(result: Omit<CaseResult, 'outputs'>, ms: number): void {
  if (result.passed) {
    process.stdout.write(`  ${paint('green', '✓')} ${result.name} ${paint('dim', `(${ms} ms)`)}\n`);
    return;
  }
  process.stdout.write(`  ${paint('red', '✗')} ${result.name}\n`);
  if (result.error) process.stdout.write(`      ${paint('red', result.error)}\n`);
  for (const m of result.mismatches) {
    process.stdout.write(`      ${paint('bold', m.ref)}: ${m.diff[0]}\n`);
    for (const line of m.diff.slice(1)) {
      const style = line.startsWith('-') ? 'red' : line.startsWith('+') ? 'green' : 'dim';
      process.stdout.write(`        ${paint(style, line)}\n`);
    }
  }
}
