// `plantbench compare <project> --recording ID --pipeline P [--revision-a N] [--revision-b M]`: runs two
// revisions of a pipeline on a recording (virtual clock, as `plantbench test` does) and lists, per
// output, the samples that differ. Exit code 0 when the outputs are the same, 1 when they differ
// (or it could not compare), 2 on bad usage.
import { compareRevisions } from '../../host/recording/compare.ts';
import type { CompareResult } from '../../shared/recording.ts';
import { RecordingError } from '../../store/recordings.ts';
import { RevisionStore } from '../../store/revisions.ts';
import { WorkspaceDbError } from '../../store/workspace-db.ts';
import { paint, parseCommandArgs, printJson, UsageError } from '../output.ts';
import { openRecordings, parseId, parseTime } from './recordings.ts';

export const COMPARE_HELP = `Usage: plantbench compare <project> --recording ID --pipeline P [options]

Runs two revisions of pipeline P on a recording, on the virtual clock as plantbench test does, and
shows per output which samples differ (time, path, value in A and in B), with counts.

  --revision-a N        Revision A from the workspace database (default: the newest saved revision
                        that differs from B). Revisions are kept for every save in the workbench.
  --revision-b M        Revision B (default: pipelines/P.yaml as it is now).
  --from T, --to T      Only the recorded samples in this range (+10s, ISO date-time or epoch ms).
  --max N               Differences listed per output (default 20; all are counted).
  --json                The whole comparison as JSON.

Exit code: 0 same outputs, 1 differences (or nothing to compare), 2 bad usage.
`;

const show = (v: unknown): string => (v === undefined ? '–' : JSON.stringify(v));

export function formatComparison(result: CompareResult): string {
  const lines = [`${paint('bold', `pipeline ${result.pipeline}`)} on recording ${result.recording} (${result.inputs.toLocaleString('en-US')} input samples): A = ${result.a}, B = ${result.b}`];
  for (const note of result.notes) lines.push(paint('yellow', `  ${note}`));
  for (const o of result.outputs) {
    const head = `  ${paint('bold', o.output)}: ${o.countA} samples in A, ${o.countB} in B, ${o.same} the same`;
    if (o.differing === 0) {
      lines.push(`${head} ${paint('green', '✓')}`);
      continue;
    }
    lines.push(`${head}, ${paint('red', `${o.differing} differ`)}`);
    for (const d of o.differences) {
      const at = new Date(d.ts).toISOString().slice(11, 23);
      const index = `#${d.indexA ?? '–'}/#${d.indexB ?? '–'}`;
      const what =
        d.kind === 'only-a' ? `only in A: ${show(d.valueA)}`
        : d.kind === 'only-b' ? `only in B: ${show(d.valueB)}`
        : d.kind === 'quality' ? `quality ${d.qualityA} → ${d.qualityB} (value ${show(d.valueA)})`
        : `${show(d.valueA)} → ${show(d.valueB)}`;
      lines.push(`    ${paint('dim', index.padEnd(10))} ${at}  ${d.path}  ${what}`);
    }
    if (o.truncated) lines.push(paint('dim', `    … ${o.differing - o.differences.length} more (--max, --json)`));
  }
  return `${lines.join('\n')}\n`;
}

export async function compare(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      recording: { type: 'string' },
      pipeline: { type: 'string' },
      'revision-a': { type: 'string' },
      'revision-b': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      max: { type: 'string' },
    },
    COMPARE_HELP,
  );
  if (!args) return 0;
  const { values, positionals } = args;
  const recording = parseId(values.recording, 'compare --recording');
  if (!values.pipeline) throw new UsageError('compare needs --pipeline');
  const revision = (name: 'revision-a' | 'revision-b'): number | undefined => {
    const text = values[name];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} ${text}: a revision number`);
    return n;
  };
  const max = values.max === undefined ? 20 : Number(values.max);
  if (!Number.isInteger(max) || max < 0) throw new UsageError(`--max ${values.max}: a whole number`);
  let opened;
  try {
    opened = openRecordings(positionals[0]);
  } catch (err) {
    if (!(err instanceof WorkspaceDbError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const { root, db, store } = opened;
  try {
    const r = store.require(recording);
    const revisionA = revision('revision-a');
    const revisionB = revision('revision-b');
    const result = await compareRevisions(root, store, new RevisionStore(db), {
      recording,
      pipeline: values.pipeline,
      ...(revisionA !== undefined ? { revisionA } : {}),
      ...(revisionB !== undefined ? { revisionB } : {}),
      ...(values.from ? { from: parseTime(values.from, r, 'from') } : {}),
      ...(values.to ? { to: parseTime(values.to, r, 'to') } : {}),
      maxDifferences: values.json ? 10_000 : max,
    });
    if (values.json) printJson(result);
    else process.stdout.write(formatComparison(result));
    return result.outputs.some((o) => o.differing > 0) ? 1 : 0;
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err;
    if (values.json) printJson({ error: err.message });
    else process.stderr.write(`plantbench compare: ${err.message}\n`);
    return 1;
  } finally {
    db.close();
  }
}
