import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AUDIT_RESULTS, auditCsv, type AuditEntry, type AuditFilter, type AuditResult } from '../../shared/audit.ts';
import { AuditStore } from '../../store/audit.ts';
import { openWorkspaceDb, WorkspaceDbError, workspaceDbPath } from '../../store/workspace-db.ts';
import { paint, printJson, UsageError, type Style } from '../output.ts';
import { parseDuration } from '../progress.ts';

export interface AuditOptions {
  json: boolean;
  csv: boolean;
  since?: string;
  device?: string;
  result?: string;
  limit?: number;
}

/** Human output shows this many entries unless --limit says otherwise; --json and --csv show all. */
const DEFAULT_LIMIT = 100;

/** "30m", "1h", "2d" ago (also "45s", "500ms"), or an ISO 8601 date and time; epoch ms. */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const long = /^(\d+(?:\.\d+)?)(h|d)$/.exec(text.trim());
  if (long) return now - Number(long[1]) * (long[2] === 'h' ? 3_600_000 : 86_400_000);
  const short = parseDuration(text);
  if (short !== undefined) return now - short;
  const at = /^\d{4}-\d\d-\d\d/.test(text.trim()) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : at;
}

const RESULT_STYLE: Record<AuditResult, Style> = { written: 'green', 'dry-run': 'cyan', refused: 'yellow', failed: 'red' };

function show(v: unknown): string {
  return v === undefined ? '' : JSON.stringify(v);
}

function printEntries(entries: readonly AuditEntry[], total: number): void {
  if (entries.length === 0) {
    process.stdout.write('no audit entries match\n');
    return;
  }
  for (const e of entries) {
    const time = new Date(e.at).toISOString().replace('T', ' ').slice(0, 23);
    const change = e.oldValue !== undefined ? `${show(e.oldValue)} → ${show(e.newValue)}` : `→ ${show(e.newValue)}`;
    const result = paint(RESULT_STYLE[e.result], e.result.padEnd(8));
    process.stdout.write(`${paint('dim', time)}  ${e.mode.padEnd(14)} ${result} ${e.device}/${e.tag}  ${change}  ${e.status}  ${paint('dim', `${e.pipeline}/${e.node} ${e.user}@${e.host}`)}\n`);
  }
  if (total > entries.length) process.stdout.write(paint('dim', `${entries.length} of ${total} entries (newest first; --limit for more)\n`));
}

/** `plantbench audit <project>`: the device writes and would-be writes of every run, newest first. */
export async function audit(target: string | undefined, options: AuditOptions): Promise<number> {
  if (!target) throw new UsageError('audit needs a project folder');
  if (options.json && options.csv) throw new UsageError('--json and --csv do not go together');
  const root = resolve(target);
  const filter: AuditFilter = {};
  if (options.since !== undefined) {
    const since = parseSince(options.since);
    if (since === undefined) throw new UsageError(`--since takes a duration (30m, 1h, 2d) or a date and time (2024-05-01T08:00), got "${options.since}"`);
    filter.since = since;
  }
  if (options.device !== undefined) filter.device = options.device;
  if (options.result !== undefined) {
    if (!(AUDIT_RESULTS as readonly string[]).includes(options.result)) throw new UsageError(`--result is one of ${AUDIT_RESULTS.join(', ')}`);
    filter.result = options.result as AuditResult;
  }
  if (!existsSync(join(root, 'plantbench.yaml'))) {
    process.stderr.write(`${root} is not a Plantbench project folder (it has no plantbench.yaml)\n`);
    return 1;
  }
  const file = workspaceDbPath(root);
  // Nothing was ever audited here: say so without creating a database.
  let entries: AuditEntry[] = [];
  let total = 0;
  if (existsSync(file)) {
    let db;
    try {
      db = openWorkspaceDb(file);
    } catch (err) {
      if (!(err instanceof WorkspaceDbError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    try {
      const limit = options.limit ?? (options.json || options.csv ? Infinity : DEFAULT_LIMIT);
      ({ entries, total } = new AuditStore(db).list(filter, { limit }));
    } finally {
      db.close();
    }
  }
  if (options.csv) process.stdout.write(auditCsv([...entries].reverse()));
  else if (options.json) printJson({ total, entries });
  else printEntries(entries, total);
  return 0;
}
