// `plantbench record <project> [--tags device/tag,…] [--pipeline P…] [--duration 30s] [--max-size 50MB]
// [--name N] [--simulate]`: records what the chosen sources read into the workspace database. Only
// the sources run (no transform, no sink): a recording never writes to a device or a broker, so a
// live recording is read-only. Ctrl-C stops and keeps what was recorded.
import { relative, resolve } from 'node:path';
import type { LogEntry } from '../../engine/runtime.ts';
import { startProjectSession } from '../../host/project-session.ts';
import { Recorder, writeErrorText } from '../../host/recording/recorder.ts';
import { recordingPipelines, SelectionError, withPipelines, type RecordSelection } from '../../host/recording/sources.ts';
import { DEFAULT_MAX_BYTES, formatBytes, parseByteSize, type RecordingStatus } from '../../shared/recording.ts';
import { loadProject } from '../../store/project.ts';
import { RecordingStore } from '../../store/recordings.ts';
import { headlessSecretLookup, SecretsFileError } from '../../store/secrets.ts';
import { openWorkspaceDb, WorkspaceDbError, workspaceDbPath } from '../../store/workspace-db.ts';
import { paint, parseCommandArgs, printJson, printProblems, UsageError } from '../output.ts';
import { parseDuration } from '../progress.ts';
import { formatList } from './recordings.ts';

export const RECORD_HELP = `Usage: plantbench record <project> [options]

Records what the sources read (original timestamps, quality and status) into .plantbench/workspace.db.
Only the sources run: nothing is written to a device or a broker, so a live recording is read-only.
A progress line shows samples, rate and fill level; Ctrl-C stops and keeps what was recorded.

What to record (default: everything every pipeline reads):
  --tags LIST            device/tag paths, comma-separated (repeatable): read just these.
  --pipeline ID          Everything this pipeline's sources read (repeatable; --pipelines a,b also works).
                         With --tags, only those tags of it.
Caps (reaching one stops the recording cleanly):
  --duration TIME        30s, 5m, 500ms.
  --max-size SIZE        Space in the database: 50MB, 64kB, 1GiB (default ${formatBytes(DEFAULT_MAX_BYTES)}).
Run:
  --simulate             Record from the project's simulators instead of the real devices.
  --secrets FILE         Secrets file for live devices (YAML NAME: value, chmod 600).
  --name TEXT            The recording's name (default: the start time).
  --json                 One JSON status line per second, then the recording.
`;

const list = (values: readonly string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

function progressLine(s: RecordingStatus, mode: string): string {
  const clock = new Date(s.elapsedMs).toISOString().slice(11, 19);
  const fill = s.fill !== undefined ? `  fill ${Math.round(s.fill * 100)}%` : '';
  const size = `${formatBytes(s.bytes)}${s.maxBytes ? ` of ${formatBytes(s.maxBytes)}` : ''}`;
  return `● recording ${s.id} (${mode})  ${clock}  ${s.samples.toLocaleString('en-US')} samples  ${s.rate}/s  ${size}${fill}  ${s.tags} tags`;
}

export async function record(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      tags: { type: 'string', multiple: true },
      pipeline: { type: 'string', multiple: true },
      pipelines: { type: 'string', multiple: true },
      duration: { type: 'string' },
      'max-size': { type: 'string' },
      name: { type: 'string' },
      simulate: { type: 'boolean', default: false },
      secrets: { type: 'string' },
    },
    RECORD_HELP,
  );
  if (!args) return 0;
  const { values, positionals } = args;
  const target = positionals[0];
  if (!target) throw new UsageError('record needs a project folder');
  const maxBytes = values['max-size'] === undefined ? DEFAULT_MAX_BYTES : parseByteSize(values['max-size']);
  if (maxBytes === undefined) throw new UsageError(`--max-size ${values['max-size']}: write a size such as 50MB, 64kB or 1GiB`);
  const maxDurationMs = values.duration === undefined ? undefined : parseDuration(values.duration);
  if (maxDurationMs === undefined && values.duration !== undefined) throw new UsageError(`--duration ${values.duration}: write 30s, 5m or 500ms`);
  const selection: RecordSelection = { tags: list(values.tags), pipelines: [...list(values.pipeline), ...list(values.pipelines)] };

  const root = resolve(target);
  const loaded = loadProject(root);
  if (loaded.problems.length) {
    printProblems(root, loaded.problems, process.stderr);
    process.stderr.write(paint('red', `not started: ${loaded.problems.length} problem(s)\n`, process.stderr));
    return 1;
  }
  let pipelineIds: string[];
  try {
    pipelineIds = recordingPipelines(loaded, selection).map((p) => p.id);
  } catch (err) {
    if (!(err instanceof SelectionError)) throw err;
    throw new UsageError(err.message);
  }
  let secrets;
  let db;
  try {
    secrets = headlessSecretLookup(process.env, values.secrets);
    db = openWorkspaceDb(workspaceDbPath(root));
  } catch (err) {
    if (!(err instanceof SecretsFileError) && !(err instanceof WorkspaceDbError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const store = new RecordingStore(db);
  const mode = values.simulate ? 'simulated' : 'live-read-only';
  const log = (entry: LogEntry): void => {
    if (entry.level === 'warn' || entry.level === 'error') process.stderr.write(`${paint('yellow', entry.level, process.stderr)} ${entry.pipeline}${entry.node ? `/${entry.node}` : ''} ${entry.message}\n`);
  };

  const tty = process.stderr.isTTY && !values.json;
  let lastLine = 0;
  const show = (s: RecordingStatus): void => {
    const now = Date.now();
    if (values.json) {
      if (now - lastLine >= 1000) process.stdout.write(`${JSON.stringify({ event: 'status', ...s })}\n`);
    } else if (tty) process.stderr.write(`\r\x1b[2K${progressLine(s, mode)}`);
    else if (now - lastLine >= 5000) process.stderr.write(`${progressLine(s, mode)}\n`);
    else return;
    lastLine = now;
  };

  let recorder: Recorder | undefined;
  let failedToStart: unknown;
  let ended: (s: RecordingStatus) => void = () => {};
  const stopped = new Promise<RecordingStatus>((done) => (ended = done));
  const what = selection.tags?.length ? selection.tags.join(', ') : `what ${pipelineIds.join(', ')} read${pipelineIds.length === 1 ? 's' : ''}`;
  const caps = [`${formatBytes(maxBytes)}`, ...(maxDurationMs !== undefined ? [`${maxDurationMs / 1000} s`] : [])].join(', ');
  const where = relative(process.cwd(), workspaceDbPath(root)) || workspaceDbPath(root);

  // The first Ctrl-C stops cleanly (what was recorded is kept), also while starting; a second one quits at once.
  let signals = 0;
  const onSignal = (): void => {
    if (++signals > 1) process.exit(130);
    recorder?.stop('stopped');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let final: RecordingStatus;
  try {
    const { session, problems } = await startProjectSession(root, {
      pipelines: pipelineIds,
      simulate: values.simulate,
      secrets,
      log,
      adjust: (found) => withPipelines(found, recordingPipelines(found, selection)),
      beforeStart: (runner, session) => {
        try {
          recorder = Recorder.start(runner, {
            store,
            loaded: session,
            mode,
            ...(values.name ? { name: values.name } : {}),
            ...(selection.tags?.length ? { tags: selection.tags } : {}),
            maxBytes,
            ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
            onStatus: show,
            onStop: (s) => ended(s),
          });
        } catch (err) {
          failedToStart = err;
          return;
        }
        if (values.json) process.stdout.write(`${JSON.stringify({ event: 'started', recording: recorder.id, mode, pipelines: pipelineIds, maxBytes, ...(maxDurationMs !== undefined ? { maxDurationMs } : {}) })}\n`);
        else process.stderr.write(`recording ${recorder.id} (${mode}): ${what} → ${where}; caps ${caps}. Ctrl-C stops and keeps what was recorded.\n`);
      },
    });
    if (!session || failedToStart !== undefined) {
      await session?.stop();
      db.close();
      if (failedToStart !== undefined) process.stderr.write(`${paint('red', `the recording did not start: ${writeErrorText(failedToStart)}`, process.stderr)}\n`);
      else {
        printProblems(root, problems, process.stderr);
        process.stderr.write(paint('red', `not started: ${problems.length} problem(s)\n`, process.stderr));
      }
      return 1;
    }
    if (signals > 0) recorder!.stop('stopped');
    final = await stopped;
    if (tty) process.stderr.write('\r\x1b[2K');
    await session.stop();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const summary = store.get(recorder!.id);
  db.close();
  if (values.json) printJson({ event: 'stopped', ...summary });
  else {
    const why = final.stopReason === 'stopped' ? 'stopped' : final.message ?? final.stopReason;
    process.stderr.write(`${final.stopReason === 'error' ? paint('red', why ?? '', process.stderr) : `recording ${recorder!.id} ended: ${why}`}\n`);
    if (summary) process.stdout.write(formatList([summary]));
  }
  return final.stopReason === 'error' ? 1 : 0;
}
