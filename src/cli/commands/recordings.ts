// `plantbench recordings <project> [list|show|export|trim|delete|to-simulator|to-test] [ID] [options]`:
// the recordings in the project's workspace database (made by `plantbench record` or the workbench).
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { recordingToSimulator } from '../../host/recording/to-simulator.ts';
import { recordingToTest, TEST_INPUT_LIMIT } from '../../host/recording/to-test.ts';
import { formatBytes, type RecordingSummary } from '../../shared/recording.ts';
import { ProjectWriteError } from '../../store/project-writes.ts';
import { RecordingError, RecordingStore } from '../../store/recordings.ts';
import { openWorkspaceDb, WorkspaceDbError, workspaceDbPath, type WorkspaceDb } from '../../store/workspace-db.ts';
import { paint, parseCommandArgs, printJson, UsageError } from '../output.ts';
import { parseDuration } from '../progress.ts';

export const RECORDINGS_HELP = `Usage: plantbench recordings <project> [action] [ID] [options]

Actions:
  list                      The recordings: tags, time range, rate, size, how they ended (default).
  show ID                   One recording with each tag's address and data type.
  export ID [--csv FILE]    The samples as CSV (time,ts,server_ts,path,value,quality,status_code,status_text),
                            to FILE or stdout. --from/--to limit the time range.
  trim ID --from T --to T   Keep only the samples from T to T.
  delete ID                 Delete the recording and its samples.
  to-simulator ID --device X [--id SIM] [--speed N] [--once]
                            Write simulators/<SIM>.yaml (default <device>-replay) standing in for device X:
                            the recorded values at X's addresses, at N× speed, looped (or once).
  to-test ID --pipeline P [--name CASE] [--from T] [--to T] [--limit N]
                            Add a case to pipelines/P.test.yaml: the recorded samples at P's sources as
                            inputs, what P outputs now as the expectation (at most ${TEST_INPUT_LIMIT} inputs unless --limit).

Times (T): +10s (from the recording's first sample), an ISO date-time, or epoch milliseconds.
Options: --json (machine-readable output), -h/--help.
`;

/** The project's workspace database with its recordings. */
export function openRecordings(target: string | undefined): { root: string; db: WorkspaceDb; store: RecordingStore } {
  if (!target) throw new UsageError('give the project folder');
  const root = resolve(target);
  if (!existsSync(join(root, 'plantbench.yaml'))) throw new UsageError(`${target} is not a Plantbench project folder (it has no plantbench.yaml)`);
  const db = openWorkspaceDb(workspaceDbPath(root));
  return { root, db, store: new RecordingStore(db) };
}

/** "+10s" from the recording's first sample, an ISO date-time, or epoch ms. */
export function parseTime(text: string, recording: RecordingSummary, option: string): number {
  if (text.startsWith('+')) {
    const ms = parseDuration(text.slice(1));
    if (ms === undefined) throw new UsageError(`--${option} ${text}: write +10s, +500ms or +2m`);
    return (recording.firstTs ?? recording.startedAt) + ms;
  }
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new UsageError(`--${option} ${text}: not a time (+10s, 2026-11-22T10:00:00Z or epoch ms)`);
  return parsed;
}

export function parseId(text: string | undefined, action: string): number {
  const id = Number(text);
  if (text === undefined || !Number.isInteger(id) || id <= 0) throw new UsageError(`${action} needs a recording id (a number from "plantbench recordings <project>")`);
  return id;
}

const time = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 23));
const seconds = (ms: number): string => (ms >= 120_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);

function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return `${rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')}\n`;
}

/** One line per recording. */
export function formatList(list: readonly RecordingSummary[]): string {
  if (list.length === 0) return 'no recordings (plantbench record <project> --tags … makes one)\n';
  const rows = [['ID', 'NAME', 'STATE', 'FIRST SAMPLE', 'SPAN', 'SAMPLES', 'RATE', 'SIZE', 'TAGS']];
  for (const r of list) {
    const span = r.firstTs !== undefined && r.lastTs !== undefined ? seconds(r.lastTs - r.firstTs) : '-';
    const state = r.state === 'complete' ? (r.stopReason ?? 'complete') : r.state;
    const tags = r.tags.map((t) => t.path);
    rows.push([
      String(r.id),
      r.name,
      state,
      time(r.firstTs),
      span,
      r.samples.toLocaleString('en-US'),
      r.rate !== undefined ? `${r.rate}/s` : '-',
      `${formatBytes(r.bytes)}${r.maxBytes ? ` of ${formatBytes(r.maxBytes)}` : ''}`,
      tags.length > 3 ? `${tags.slice(0, 3).join(', ')} +${tags.length - 3}` : tags.join(', '),
    ]);
  }
  return columns(rows);
}

function formatOne(r: RecordingSummary): string {
  const lines = [
    `${paint('bold', `recording ${r.id}`)} ${r.name}`,
    `  state     ${r.state}${r.stopReason ? ` (${r.stopReason})` : ''}${r.message ? `: ${r.message}` : ''}`,
    `  mode      ${r.mode}; pipelines ${r.pipelines.join(', ') || '-'}`,
    `  samples   ${r.samples.toLocaleString('en-US')} from ${time(r.firstTs)} to ${time(r.lastTs)}${r.rate !== undefined ? `, ${r.rate}/s` : ''}`,
    `  size      ${formatBytes(r.bytes)}${r.maxBytes ? ` of ${formatBytes(r.maxBytes)}` : ''}${r.maxDurationMs ? `; duration cap ${seconds(r.maxDurationMs)}` : ''}`,
    `  project   ${r.projectHash?.slice(0, 12) ?? '-'}${r.projectRevision !== undefined ? ` (revision ${r.projectRevision})` : ''}`,
    '',
  ];
  const rows = [['TAG', 'ADDRESS', 'TYPE', 'UNIT', 'SAMPLES']];
  for (const t of r.tags) rows.push([t.path, t.address ?? '-', t.dataType ?? '-', t.unit ?? '', t.samples.toLocaleString('en-US')]);
  return `${lines.join('\n')}${columns(rows)}`;
}

export async function recordings(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      csv: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      device: { type: 'string' },
      id: { type: 'string' },
      speed: { type: 'string' },
      once: { type: 'boolean', default: false },
      pipeline: { type: 'string' },
      name: { type: 'string' },
      limit: { type: 'string' },
    },
    RECORDINGS_HELP,
  );
  if (!args) return 0;
  const { values, positionals } = args;
  const [target, action = 'list', idText] = positionals;
  let opened;
  try {
    opened = openRecordings(target);
  } catch (err) {
    if (!(err instanceof WorkspaceDbError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const { root, db, store } = opened;
  const fail = (message: string): number => {
    if (values.json) printJson({ error: message });
    else process.stderr.write(`plantbench recordings: ${message}\n`);
    return 1;
  };
  try {
    switch (action) {
      case 'list': {
        const list = store.list();
        if (values.json) printJson({ recordings: list });
        else process.stdout.write(formatList(list));
        return 0;
      }
      case 'show': {
        const r = store.require(parseId(idText, action));
        if (values.json) printJson(r);
        else process.stdout.write(formatOne(r));
        return 0;
      }
      case 'export': {
        const r = store.require(parseId(idText, action));
        const range = { ...(values.from ? { from: parseTime(values.from, r, 'from') } : {}), ...(values.to ? { to: parseTime(values.to, r, 'to') } : {}) };
        // Written synchronously: the samples are read while they are written, one line at a time.
        const fd = values.csv ? openSync(values.csv, 'w') : 1;
        let n: number;
        try {
          n = store.exportCsv(r.id, (line) => void writeSync(fd, line), range);
        } finally {
          if (values.csv) closeSync(fd);
        }
        if (values.csv) {
          if (values.json) printJson({ recording: r.id, file: values.csv, samples: n });
          else process.stdout.write(`${n.toLocaleString('en-US')} samples of recording ${r.id} written to ${values.csv}\n`);
        }
        return 0;
      }
      case 'trim': {
        const r = store.require(parseId(idText, action));
        if (!values.from || !values.to) throw new UsageError('trim needs --from and --to');
        const after = store.trim(r.id, parseTime(values.from, r, 'from'), parseTime(values.to, r, 'to'));
        if (values.json) printJson(after);
        else process.stdout.write(`recording ${r.id}: kept ${after.samples.toLocaleString('en-US')} of ${r.samples.toLocaleString('en-US')} samples (${time(after.firstTs)} to ${time(after.lastTs)})\n`);
        return 0;
      }
      case 'delete': {
        const id = parseId(idText, action);
        store.require(id);
        store.delete(id);
        if (values.json) printJson({ deleted: id });
        else process.stdout.write(`recording ${id} deleted\n`);
        return 0;
      }
      case 'to-simulator': {
        const id = parseId(idText, action);
        if (!values.device) throw new UsageError('to-simulator needs --device (the device the simulator stands in for)');
        const speed = values.speed === undefined ? undefined : Number(values.speed);
        if (speed !== undefined && !(speed > 0 && speed <= 1000)) throw new UsageError(`--speed ${values.speed}: a factor from 0.001 to 1000 (1 = recorded timing)`);
        const result = recordingToSimulator(root, store, { recording: id, device: values.device, ...(values.id ? { simulatorId: values.id } : {}), ...(speed ? { speed } : {}), loop: !values.once });
        if (values.json) printJson(result);
        else {
          process.stdout.write(`${result.replaced ? 'replaced' : 'wrote'} ${result.file}: replays ${result.replayed.join(', ') || 'nothing'} from recording ${id} for device ${values.device}\n`);
          for (const note of result.notes) process.stdout.write(`${paint(note.startsWith('Recorded') ? 'yellow' : 'dim', `  ${note}`)}\n`);
          process.stdout.write(paint('dim', `  plantbench run ${relative(process.cwd(), root) || '.'} --simulate runs your pipelines against it\n`));
        }
        return 0;
      }
      case 'to-test': {
        const id = parseId(idText, action);
        if (!values.pipeline) throw new UsageError('to-test needs --pipeline');
        const r = store.require(id);
        const limit = values.limit === undefined ? undefined : Number(values.limit);
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit ${values.limit}: a whole number of samples`);
        const result = await recordingToTest(root, store, {
          recording: id,
          pipeline: values.pipeline,
          ...(values.name ? { caseName: values.name } : {}),
          ...(values.from ? { from: parseTime(values.from, r, 'from') } : {}),
          ...(values.to ? { to: parseTime(values.to, r, 'to') } : {}),
          ...(limit ? { limit } : {}),
        });
        if (values.json) printJson(result);
        else {
          const expected = Object.entries(result.expected).map(([ref, n]) => `${ref} ${n}`).join(', ');
          process.stdout.write(`${result.created ? 'wrote' : result.replaced ? 'replaced case in' : 'added case to'} ${result.file}: "${result.caseName}", ${result.inputs} inputs, expected ${expected || 'nothing'}\n`);
          for (const note of result.notes) process.stdout.write(`${paint('dim', `  ${note}`)}\n`);
        }
        if (!result.passes) return fail(`the written case does not pass when run again: the pipeline does not give the same outputs twice on the same inputs`);
        return 0;
      }
      default:
        throw new UsageError(`unknown action "${action}" (list, show, export, trim, delete, to-simulator, to-test)`);
    }
  } catch (err) {
    if (err instanceof RecordingError || err instanceof ProjectWriteError) return fail(err.message);
    throw err;
  } finally {
    db.close();
  }
}
