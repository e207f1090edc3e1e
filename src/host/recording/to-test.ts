import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTestCase } from '../../engine/testing/runner.ts';
import { pipelineTestFile, type ExpectedSample } from '../../shared/model/pipeline-test.ts';
import { formatProblem } from '../../shared/problem.ts';
import type { Sample } from '../../shared/sample.ts';
import { toCanonicalYaml } from '../../store/canonical.ts';
import { loadProject, parseProjectFile } from '../../store/project.ts';
import { writeAtomic } from '../../store/project-writes.ts';
import { RecordingError, type RecordingStore } from '../../store/recordings.ts';
import { outputRefs, recordedInputs, runOnInputs, testContext, type InputOptions } from './offline.ts';

// A recording → a regression test: one case in pipelines/<pipeline>.test.yaml whose inputs are the
// recorded samples at the pipeline's sources and whose expectations are what the pipeline outputs
// now on the virtual clock. The case is added to the test file (a case of the same name is
// replaced), then read back and run once more, so what was written is known to pass.

/** Input samples a generated case holds at most unless told otherwise (a test file stays readable). */
export const TEST_INPUT_LIMIT = 5000;

export interface ToTestRequest extends InputOptions {
  readonly recording: number;
  readonly pipeline: string;
  /** The case name; "recording <id>: <name>" by default. */
  readonly caseName?: string;
}

export interface ToTestResult {
  /** Project-relative test file. */
  readonly file: string;
  readonly caseName: string;
  readonly created: boolean;
  readonly replaced: boolean;
  readonly inputs: number;
  /** Expected samples per output. */
  readonly expected: Record<string, number>;
  /** Read back and run again: true when the written case passes. */
  readonly passes: boolean;
  readonly notes: string[];
}

export class ToTestError extends RecordingError {}

/** Only the fields a test input needs, in schema order. */
function inputSample(s: Sample): Record<string, unknown> {
  return {
    path: s.path,
    value: s.value,
    ...(s.quality !== 'good' ? { quality: s.quality } : {}),
    ...(s.status ? { status: s.status } : {}),
    ts: s.ts,
    ...(s.serverTs !== undefined ? { serverTs: s.serverTs } : {}),
    ...(s.meta ? { meta: s.meta } : {}),
  };
}

function expectedSample(s: Sample): ExpectedSample {
  return { path: s.path, value: s.value as ExpectedSample['value'], quality: s.quality, ts: s.ts };
}

export async function recordingToTest(projectRoot: string, store: RecordingStore, request: ToTestRequest): Promise<ToTestResult> {
  const recording = store.require(request.recording);
  const loaded = loadProject(projectRoot);
  const entry = loaded.pipelines.get(request.pipeline);
  if (!entry) throw new ToTestError(`there is no pipeline "${request.pipeline}" (pipelines: ${[...loaded.pipelines.keys()].join(', ') || 'none'})`);
  if (!entry.model || !loaded.project?.model) {
    const first = loaded.problems[0];
    throw new ToTestError(`the project has problems; fix them first${first ? `: ${formatProblem(first)}` : ''}`);
  }
  const pipeline = entry.model;
  const { inputs, count, missing, leftOut } = recordedInputs(store, recording.id, pipeline, loaded, { ...request, limit: request.limit ?? TEST_INPUT_LIMIT });
  if (count === 0) {
    throw new ToTestError(`recording ${recording.id} has no samples of what pipeline "${pipeline.id}" reads (${missing.join(', ') || 'its sources read nothing'})`);
  }
  const notes: string[] = [];
  if (missing.length) notes.push(`The recording has no samples of ${missing.join(', ')}: the case has no input for them.`);
  if (leftOut) notes.push(`The case holds the first ${count.toLocaleString('en-US')} samples; ${leftOut.toLocaleString('en-US')} more were left out (trim the recording, or give a time range).`);

  const ctx = testContext(loaded);
  const refs = outputRefs(pipeline);
  const caseName = request.caseName ?? `recording ${recording.id}: ${recording.name}`;
  const { outputs, result } = await runOnInputs(pipeline, inputs, refs, ctx, caseName);
  if (result.error) throw new ToTestError(`pipeline "${pipeline.id}" did not run on recording ${recording.id}: ${result.error}`);

  const tc = {
    name: caseName,
    inputs: Object.fromEntries(Object.entries(inputs).map(([node, samples]) => [node, samples.map(inputSample)])),
    expect: Object.fromEntries(refs.map((ref) => [ref, outputs[ref]!.map(expectedSample)])),
  };
  const rel = `pipelines/${pipeline.id}.test.yaml`;
  const path = join(projectRoot, rel);
  const created = !existsSync(path);
  let data: { cases: unknown[] } & Record<string, unknown>;
  if (created) {
    data = { apiVersion: 'plantbench/v1', kind: 'PipelineTest', pipeline: pipeline.id, cases: [] };
  } else {
    const { entry: existing, problems } = parseProjectFile('pipeline-test', rel, readFileSync(path, 'utf8'));
    if (problems.length || !existing.raw) throw new ToTestError(`${rel} has problems; fix them before adding a case:\n${problems.slice(0, 5).map(formatProblem).join('\n')}`);
    data = structuredClone(existing.raw) as typeof data;
  }
  const at = data.cases.findIndex((c) => (c as { name?: unknown }).name === caseName);
  if (at >= 0) data.cases[at] = tc;
  else data.cases.push(tc);
  const parsed = pipelineTestFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ToTestError(`${rel}: the generated case does not validate: ${issue.path.join('.')}: ${issue.message}`);
  }
  writeAtomic(path, toCanonicalYaml(data, pipelineTestFile));

  // Read back as `plantbench test` will, and run the written case.
  const written = loadProject(projectRoot);
  const own = written.problems.filter((p) => p.file === rel);
  if (own.length) throw new ToTestError(`${rel} was written but has problems:\n${own.slice(0, 5).map(formatProblem).join('\n')}`);
  const test = written.tests.find((t) => t.file === rel)!.model!;
  const again = await runTestCase(written.pipelines.get(pipeline.id)!.model!, test.cases.find((c) => c.name === caseName)!, testContext(written), test.tolerance);
  return {
    file: rel,
    caseName,
    created,
    replaced: at >= 0,
    inputs: count,
    expected: Object.fromEntries(refs.map((ref) => [ref, outputs[ref]!.length])),
    passes: again.passed,
    notes,
  };
}
