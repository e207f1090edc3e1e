import { valuesMatch } from '../../engine/testing/runner.ts';
import type { PipelineFile } from '../../shared/model/pipeline.ts';
import { formatProblem } from '../../shared/problem.ts';
import type { CompareDifference, CompareOutput, CompareResult } from '../../shared/recording.ts';
import type { Sample } from '../../shared/sample.ts';
import { loadProject, parseProjectFile, type LoadedProject } from '../../store/project.ts';
import { RecordingError, type RecordingStore } from '../../store/recordings.ts';
import type { RevisionStore } from '../../store/revisions.ts';
import { outputRefs, recordedInputs, runOnInputs, testContext, type InputOptions } from './offline.ts';

// Two revisions of a pipeline on one recording: each runs on the recorded samples on the virtual
// clock, and their outputs are matched sample by sample. Samples are paired by path, time and
// occurrence (the n-th sample of a path at a time), so one extra sample early on shows as one
// difference, not as every later sample shifted by one.

export interface CompareRequest extends InputOptions {
  readonly recording: number;
  readonly pipeline: string;
  /** A revision number of the workspace DB; default: the newest revision that differs from B. */
  readonly revisionA?: number;
  /** A revision number; default: the file as it is now. */
  readonly revisionB?: number;
  /** Differences listed per output at most (all are counted). */
  readonly maxDifferences?: number;
  readonly tolerance?: number;
}

export class CompareError extends RecordingError {}

interface Side {
  readonly label: string;
  readonly text: string;
  readonly pipeline: PipelineFile;
}

function fromRevision(revisions: RevisionStore, n: number, file: string, id: string): Side {
  const rev = revisions.get(n);
  if (!rev) throw new CompareError(`there is no revision ${n} in the workspace database (plantbench compare lists none; the workbench records one per save)`);
  if (rev.file !== file && rev.file !== file.replace(/\.yaml$/, '.yml')) throw new CompareError(`revision ${n} is of ${rev.file}, not of ${file}`);
  const { entry, problems } = parseProjectFile('pipeline', rev.file, rev.content);
  if (!entry.model) throw new CompareError(`revision ${n} of ${rev.file} is not a valid pipeline: ${formatProblem(problems[0]!)}`);
  if (entry.model.id !== id) throw new CompareError(`revision ${n} of ${rev.file} is pipeline "${entry.model.id}", not "${id}"`);
  return { label: `revision ${n}`, text: rev.content, pipeline: entry.model as PipelineFile };
}

/** Pairs the samples of two outputs and lists what differs. */
export function diffSamples(output: string, a: readonly Sample[], b: readonly Sample[], tolerance = 1e-9, limit = 100): CompareOutput {
  const keyed = (list: readonly Sample[]) => {
    const seen = new Map<string, number>();
    return list.map((s, index) => {
      const base = `${s.path}\0${s.ts}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      return { key: `${base}\0${n}`, index, s };
    });
  };
  const inB = new Map(keyed(b).map((e) => [e.key, e]));
  const differences: CompareDifference[] = [];
  let same = 0;
  for (const { key, index, s } of keyed(a)) {
    const other = inB.get(key);
    if (!other) {
      differences.push({ indexA: index, ts: s.ts, path: s.path, kind: 'only-a', valueA: s.value, qualityA: s.quality });
      continue;
    }
    inB.delete(key);
    const t = other.s;
    if (!valuesMatch(s.value, t.value, tolerance)) differences.push({ indexA: index, indexB: other.index, ts: s.ts, path: s.path, kind: 'value', valueA: s.value, valueB: t.value, qualityA: s.quality, qualityB: t.quality });
    else if (s.quality !== t.quality) differences.push({ indexA: index, indexB: other.index, ts: s.ts, path: s.path, kind: 'quality', valueA: s.value, valueB: t.value, qualityA: s.quality, qualityB: t.quality });
    else same++;
  }
  for (const { index, s } of inB.values()) differences.push({ indexB: index, ts: s.ts, path: s.path, kind: 'only-b', valueB: s.value, qualityB: s.quality });
  differences.sort((x, y) => x.ts - y.ts || x.path.localeCompare(y.path) || (x.indexA ?? x.indexB ?? 0) - (y.indexA ?? y.indexB ?? 0));
  return { output, countA: a.length, countB: b.length, same, differing: differences.length, differences: differences.slice(0, limit), truncated: differences.length > limit };
}

export async function compareRevisions(projectRoot: string, store: RecordingStore, revisions: RevisionStore, request: CompareRequest): Promise<CompareResult> {
  const recording = store.require(request.recording);
  const loaded: LoadedProject = loadProject(projectRoot);
  if (!loaded.project?.model) throw new CompareError(`the project has problems; fix them first: ${loaded.problems[0] ? formatProblem(loaded.problems[0]) : 'no plantbench.yaml'}`);
  const id = request.pipeline;
  const entry = loaded.pipelines.get(id);
  const file = entry?.file ?? `pipelines/${id}.yaml`;
  let b: Side;
  if (request.revisionB !== undefined) b = fromRevision(revisions, request.revisionB, file, id);
  else if (entry?.model) b = { label: `${file} (now)`, text: entry.source.text, pipeline: entry.model };
  else if (entry) throw new CompareError(`${file} has problems; fix them, or compare two revisions (--revision-b)`);
  else throw new CompareError(`there is no pipeline "${id}" (pipelines: ${[...loaded.pipelines.keys()].join(', ') || 'none'})`);
  let a: Side;
  if (request.revisionA !== undefined) a = fromRevision(revisions, request.revisionA, file, id);
  else {
    const older = revisions.list(file).find((r) => revisions.get(r.revision)?.content !== b.text);
    if (!older) throw new CompareError(`the workspace database has no other revision of ${file} to compare with; save the pipeline from the workbench, or name one (--revision-a)`);
    a = fromRevision(revisions, older.revision, file, id);
  }

  const ctx = testContext(loaded);
  const notes: string[] = [];
  const run = async (side: Side) => {
    const { inputs, count, missing, leftOut } = recordedInputs(store, recording.id, side.pipeline, loaded, request);
    if (missing.length) notes.push(`${side.label}: the recording has no samples of ${missing.join(', ')}.`);
    if (leftOut) notes.push(`${side.label}: the first ${count.toLocaleString('en-US')} samples were used; ${leftOut.toLocaleString('en-US')} more were left out.`);
    const refs = outputRefs(side.pipeline);
    const { outputs, result } = await runOnInputs(side.pipeline, inputs, refs, ctx, side.label);
    if (result.error) notes.push(`${side.label} did not run: ${result.error}`);
    return { outputs, count };
  };
  const ra = await run(a);
  const rb = await run(b);
  const names = [...new Set([...Object.keys(ra.outputs), ...Object.keys(rb.outputs)])].sort();
  return {
    recording: recording.id,
    pipeline: id,
    a: a.label,
    b: b.label,
    inputs: Math.max(ra.count, rb.count),
    outputs: names.map((name) => diffSamples(name, ra.outputs[name] ?? [], rb.outputs[name] ?? [], request.tolerance, request.maxDifferences)),
    notes,
  };
}
