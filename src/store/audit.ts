import type { AuditEntry, AuditFilter } from '../shared/audit.ts';
import type { WorkspaceDb } from './workspace-db.ts';

// The audit log of device writes (table `audit`, migration 3): every write and would-be write, with
// old and new value, result and status, and who wrote from where. Values are stored as JSON text.
//
// Retention (docs/live-safety.md): the newest AUDIT_MAX_ROWS entries are kept, and none older than
// AUDIT_MAX_AGE_DAYS. Pruning runs when the store opens and every PRUNE_EVERY entries added, so a
// pipeline writing a value every few milliseconds cannot fill the disk. Export what must be kept
// longer (plantbench audit --csv).

export const AUDIT_MAX_ROWS = 100_000;
export const AUDIT_MAX_AGE_DAYS = 365;
const PRUNE_EVERY = 1000;
const DAY_MS = 86_400_000;

export interface AuditRetention {
  readonly maxRows: number;
  readonly maxAgeDays: number;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditPage {
  /** Newest first. */
  readonly entries: AuditEntry[];
  /** Entries matching the filter, all pages together. */
  readonly total: number;
  /** Pass as `before` for the next (older) page; absent on the last page. */
  readonly nextBefore?: number;
}

interface Row {
  id: number;
  at: number;
  mode: AuditEntry['mode'];
  pipeline: string;
  node: string;
  device: string;
  tag: string;
  old_value: string | null;
  new_value: string;
  read_back: string | null;
  result: AuditEntry['result'];
  status: string;
  user: string;
  host: string;
}

const INSERTED = 'at, mode, pipeline, node, device, tag, old_value, new_value, read_back, result, status, user, host';
const COLUMNS = `id, ${INSERTED}`;

export class AuditStore {
  private readonly db: WorkspaceDb;
  private readonly retention: AuditRetention;
  private sincePrune = 0;

  constructor(db: WorkspaceDb, retention: AuditRetention = { maxRows: AUDIT_MAX_ROWS, maxAgeDays: AUDIT_MAX_AGE_DAYS }) {
    this.db = db;
    this.retention = retention;
    this.prune();
  }

  add(entry: NewAuditEntry): number {
    const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
    const info = this.db
      .prepare(`INSERT INTO audit (${INSERTED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(entry.at, entry.mode, entry.pipeline, entry.node, entry.device, entry.tag, json(entry.oldValue), json(entry.newValue) ?? 'null', json(entry.readBack), entry.result, entry.status, entry.user, entry.host);
    if (++this.sincePrune >= PRUNE_EVERY) this.prune();
    return Number(info.lastInsertRowid);
  }

  /**
   * One page of entries matching the filter, newest first; `before` is the id the last page ended
   * at. `limit` is 200 unless given; Infinity takes every entry.
   */
  list(filter: AuditFilter = {}, page: { limit?: number; before?: number } = {}): AuditPage {
    const { where, params } = whereOf(filter);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM audit${sql(where)}`).get(...params) as { n: number }).n;
    const limit = Math.max(1, page.limit ?? 200);
    const paged = page.before !== undefined ? [...where, 'id < ?'] : where;
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM audit${sql(paged)} ORDER BY id DESC LIMIT ?`)
      .all(...params, ...(page.before !== undefined ? [page.before] : []), Number.isFinite(limit) ? limit + 1 : -1) as Row[];
    const more = rows.length > limit;
    const entries = rows.slice(0, limit).map(toEntry);
    return { entries, total, ...(more ? { nextBefore: entries[entries.length - 1]!.id } : {}) };
  }

  /** Every entry matching the filter, oldest first (for an export), read as it goes. */
  *all(filter: AuditFilter = {}): IterableIterator<AuditEntry> {
    const { where, params } = whereOf(filter);
    for (const row of this.db.prepare(`SELECT ${COLUMNS} FROM audit${sql(where)} ORDER BY id ASC`).iterate(...params) as IterableIterator<Row>) {
      yield toEntry(row);
    }
  }

  /** Applies the retention policy; returns how many entries went. */
  prune(now = Date.now()): number {
    this.sincePrune = 0;
    const { maxRows, maxAgeDays } = this.retention;
    return this.db.transaction(() => {
      const old = this.db.prepare('DELETE FROM audit WHERE at < ?').run(now - maxAgeDays * DAY_MS).changes;
      const excess = this.db.prepare('DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?)').run(maxRows).changes;
      return old + excess;
    })();
  }
}

function whereOf(filter: AuditFilter): { where: string[]; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    where.push(clause);
    params.push(value);
  };
  add('at >= ?', filter.since);
  add('at < ?', filter.until);
  add('device = ?', filter.device);
  add('tag = ?', filter.tag);
  add('result = ?', filter.result);
  add('mode = ?', filter.mode);
  return { where, params };
}

const sql = (where: readonly string[]): string => (where.length ? ` WHERE ${where.join(' AND ')}` : '');

function toEntry(r: Row): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    mode: r.mode,
    pipeline: r.pipeline,
    node: r.node,
    device: r.device,
    tag: r.tag,
    ...(r.old_value !== null ? { oldValue: JSON.parse(r.old_value) as unknown } : {}),
    newValue: JSON.parse(r.new_value) as unknown,
    ...(r.read_back !== null ? { readBack: JSON.parse(r.read_back) as unknown } : {}),
    result: r.result,
    status: r.status,
    user: r.user,
    host: r.host,
  };
}
