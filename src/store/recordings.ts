import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { csvField } from '../shared/csv.ts';
import type { RecordingStopReason, RecordingSummary, RecordingTag } from '../shared/recording.ts';
import type { Quality, Sample, SampleMeta, Value } from '../shared/sample.ts';
import { workspaceDbPath, type WorkspaceDb } from './workspace-db.ts';

// Recordings of live samples (tables recording, recording_tag, recording_sample; migration 4).
//
// - A sample row is small: the tag's index in its recording, the source and server timestamps as
//   REAL (ms with fractions), the value in one untyped column (numbers and text as they are; a
//   boolean as 0/1 and JSON values as text, told apart by `kind`), quality as 0/1/2, and a status
//   only when there is one. One index (recording_id, ts) serves replay, export, trim and delete.
// - Samples are appended in batches, one transaction each, so a recorder keeps up with thousands of
//   samples per second (bench/recording).
// - `bytes` is what the samples take in the database: each row and its index entry counted as
//   SQLite stores them (record header, values by their serial type, cell pointers), so a size cap
//   means space in the database file. Pages are not always full, so the file grows a little more
//   (bench/RESULTS.md has the ratio). A trim subtracts what it deleted.
// - A recording still marked as recording whose writer has not been heard of for STALE_MS (it
//   writes at least once a second) was interrupted (a crash, a kill -9); what it wrote is kept.

export const STALE_MS = 15_000;

/** Where a recorded tag came from: enough to serve the same address again (replay) and to show it. */
export interface TagDefinition {
  readonly path: string;
  readonly device?: string;
  readonly tag?: string;
  readonly protocol?: 'modbus' | 'opcua' | 'mqtt';
  readonly address?: string;
  /** The device's tag definition as it was (plus device-level fields such as unitId), as JSON. */
  readonly source?: unknown;
  readonly dataType?: string;
  /** The first sample's meta (unit, data type, range): given again to every sample read back. */
  readonly meta?: SampleMeta;
}

export interface StoredTag extends TagDefinition {
  readonly index: number;
  readonly samples: number;
}

export interface NewRecording {
  readonly name: string;
  readonly mode: string;
  readonly pipelines: readonly string[];
  readonly projectHash?: string;
  readonly projectRevision?: number;
  readonly maxBytes?: number;
  readonly maxDurationMs?: number;
  readonly startedAt?: number;
}

export interface RecordedSample {
  /** The tag's index in its recording. */
  readonly tag: number;
  readonly sample: Sample;
}

export interface SampleQuery {
  /** Only these tag indexes. */
  readonly tags?: readonly number[];
  /** Source timestamps from (inclusive) and to (inclusive), epoch ms. */
  readonly from?: number;
  readonly to?: number;
}

/** A request about recordings that cannot be done (no such recording, an empty range); the message says why. */
export class RecordingError extends Error {}
export class RecordingNotFoundError extends RecordingError {}

const QUALITY: readonly Quality[] = ['good', 'uncertain', 'bad'];
const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
const KIND_BOOLEAN = 1;
const KIND_JSON = 2;

interface RecordingRow {
  id: number;
  name: string;
  started_at: number;
  ended_at: number | null;
  updated_at: number;
  mode: string;
  pipelines: string;
  project_hash: string | null;
  project_revision: number | null;
  max_bytes: number | null;
  max_duration_ms: number | null;
  bytes: number;
  samples: number;
  first_ts: number | null;
  last_ts: number | null;
  stop_reason: RecordingStopReason | null;
  message: string | null;
}

interface TagRow {
  recording_id: number;
  idx: number;
  path: string;
  device: string | null;
  tag: string | null;
  protocol: TagDefinition['protocol'] | null;
  address: string | null;
  source: string | null;
  data_type: string | null;
  meta: string | null;
  samples: number;
}

interface SampleRow {
  tag: number;
  ts: number;
  server_ts: number | null;
  value: number | string | null;
  kind: number | null;
  quality: number;
  status_code: number | null;
  status_text: string | null;
}

function encodeValue(value: Value): [number | string | null, number | null] {
  if (typeof value === 'boolean') return [value ? 1 : 0, KIND_BOOLEAN];
  if (value === null || typeof value === 'number' || typeof value === 'string') return [value, null];
  return [JSON.stringify(value), KIND_JSON];
}

function decodeValue(value: number | string | null, kind: number | null): Value {
  if (kind === KIND_BOOLEAN) return value === 1;
  if (kind === KIND_JSON) return JSON.parse(value as string) as Value;
  return value;
}

function toSample(row: SampleRow, tag: StoredTag): Sample {
  return {
    path: tag.path,
    value: decodeValue(row.value, row.kind),
    quality: QUALITY[row.quality] ?? 'bad',
    ...(row.status_code !== null ? { status: { code: row.status_code, text: row.status_text ?? '' } } : {}),
    ts: row.ts,
    ...(row.server_ts !== null ? { serverTs: row.server_ts } : {}),
    ...(tag.meta ? { meta: tag.meta } : {}),
  };
}

function toTag(row: TagRow): StoredTag {
  return {
    index: row.idx,
    path: row.path,
    ...(row.device !== null ? { device: row.device } : {}),
    ...(row.tag !== null ? { tag: row.tag } : {}),
    ...(row.protocol !== null ? { protocol: row.protocol } : {}),
    ...(row.address !== null ? { address: row.address } : {}),
    ...(row.source !== null ? { source: JSON.parse(row.source) as unknown } : {}),
    ...(row.data_type !== null ? { dataType: row.data_type } : {}),
    ...(row.meta !== null ? { meta: JSON.parse(row.meta) as SampleMeta } : {}),
    samples: row.samples,
  };
}

/** The columns of a sample row, in table order. */
type SampleColumns = readonly [number, number, number, number | null, number | string | null, number | null, number, number | null, string | null];

const varintBytes = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
const utf8Bytes = (text: string): number => (/^[\x00-\x7f]*$/.test(text) ? text.length : new TextEncoder().encode(text).length);

/** Bytes of one value in a record and its serial-type size in the header (SQLite file format §2.1). */
function valueBytes(v: number | string | null, realAffinity: boolean): [number, number] {
  if (v === null) return [0, 1];
  if (typeof v === 'string') {
    const n = utf8Bytes(v);
    return [n, varintBytes(n * 2 + 13)];
  }
  // Integral values are stored as integers in REAL columns (and bound as REAL elsewhere by better-sqlite3).
  if (!realAffinity || !Number.isInteger(v) || Math.abs(v) > 2 ** 47) return [8, 1];
  const a = Math.abs(v);
  return [v === 0 || v === 1 ? 0 : a < 2 ** 7 ? 1 : a < 2 ** 15 ? 2 : a < 2 ** 23 ? 3 : a < 2 ** 31 ? 4 : 6, 1];
}

/** Row bytes: the record, its cell (size, rowid, pointer), and the (recording_id, ts) index entry. */
function rowBytes(row: SampleColumns): number {
  let body = 0;
  let header = 0;
  row.forEach((v, i) => {
    // recording_id, tag, quality and status_code are integers; ts and server_ts are REAL columns.
    const [b, h] = valueBytes(v, i !== 4);
    body += b;
    header += h;
  });
  const record = varintBytes(header + 1) + header + body;
  // Table cell: payload size, rowid (about 4 bytes for millions of rows), 2-byte cell pointer.
  const cell = varintBytes(record) + 4 + record + 2;
  // Index cell: payload size, the record (header of 4, recording_id, ts, rowid), 2-byte cell pointer.
  const indexRecord = 4 + valueBytes(row[0], true)[0] + valueBytes(row[2], true)[0] + 4;
  return cell + 1 + indexRecord + 2;
}

export const CSV_HEADER = 'time,ts,server_ts,path,value,quality,status_code,status_text';

/** One sample as a CSV row (long format: one row per sample, strings as they are, JSON values as JSON). */
export function csvRow(s: Sample): string {
  const value = s.value === null ? '' : typeof s.value === 'string' ? s.value : JSON.stringify(s.value);
  const time = Number.isFinite(s.ts) ? new Date(s.ts).toISOString() : '';
  return [time, String(s.ts), s.serverTs === undefined ? '' : String(s.serverTs), s.path, value, s.quality, s.status ? String(s.status.code) : '', s.status?.text ?? '']
    .map(csvField)
    .join(',');
}

export class RecordingStore {
  private readonly db: WorkspaceDb;
  private readonly insertSample: Database.Statement;

  constructor(db: WorkspaceDb) {
    this.db = db;
    this.insertSample = db.prepare(
      'INSERT INTO recording_sample (recording_id, tag, ts, server_ts, value, kind, quality, status_code, status_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  create(r: NewRecording): number {
    const now = r.startedAt ?? Date.now();
    const info = this.db
      .prepare(
        // The newest saved revision, unless given: which state of the project the samples go with.
        'INSERT INTO recording (name, started_at, updated_at, mode, pipelines, project_hash, project_revision, max_bytes, max_duration_ms) VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT MAX(id) FROM revision)), ?, ?)',
      )
      .run(r.name, now, now, r.mode, JSON.stringify(r.pipelines), r.projectHash ?? null, r.projectRevision ?? null, r.maxBytes ?? null, r.maxDurationMs ?? null);
    return Number(info.lastInsertRowid);
  }

  /** Adds a tag to a recording; returns its index. */
  addTag(id: number, def: TagDefinition): number {
    const next = (this.db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) FROM recording_tag WHERE recording_id = ?').pluck().get(id) as number) ?? 0;
    this.db
      .prepare('INSERT INTO recording_tag (recording_id, idx, path, device, tag, protocol, address, source, data_type, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        id,
        next,
        def.path,
        def.device ?? null,
        def.tag ?? null,
        def.protocol ?? null,
        def.address ?? null,
        def.source === undefined ? null : JSON.stringify(def.source),
        def.dataType ?? null,
        def.meta ? JSON.stringify(def.meta) : null,
      );
    return next;
  }

  /**
   * Appends samples in one transaction and counts them; returns how many went in and the bytes they
   * take. With a budget, it stops before the first sample that would not fit in it. A write error
   * (SQLITE_FULL, SQLITE_IOERR, …) throws, and nothing of the batch is kept.
   */
  append(id: number, rows: readonly RecordedSample[], budget = Infinity, now = Date.now()): { count: number; bytes: number } {
    if (rows.length === 0) return { count: 0, bytes: 0 };
    return this.db.transaction(() => {
      let bytes = 0;
      let count = 0;
      let first = Infinity;
      let last = -Infinity;
      const perTag = new Map<number, number>();
      for (const { tag, sample: s } of rows) {
        const [value, kind] = encodeValue(s.value);
        const row = [id, tag, s.ts, s.serverTs ?? null, value, kind, QUALITY_CODE[s.quality], s.status?.code ?? null, s.status?.text ?? null] as const;
        const size = rowBytes(row);
        if (bytes + size > budget) break;
        this.insertSample.run(...row);
        bytes += size;
        count++;
        if (s.ts < first) first = s.ts;
        if (s.ts > last) last = s.ts;
        perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
      }
      if (count === 0) return { count, bytes };
      const countTag = this.db.prepare('UPDATE recording_tag SET samples = samples + ? WHERE recording_id = ? AND idx = ?');
      for (const [tag, n] of perTag) countTag.run(n, id, tag);
      this.db
        .prepare(
          'UPDATE recording SET samples = samples + ?, bytes = bytes + ?, first_ts = MIN(COALESCE(first_ts, ?), ?), last_ts = MAX(COALESCE(last_ts, ?), ?), updated_at = ? WHERE id = ?',
        )
        .run(count, bytes, first, first, last, last, now, id);
      return { count, bytes };
    })();
  }

  /** Tells readers the writer is still there (a recording without news for STALE_MS was interrupted). */
  heartbeat(id: number, now = Date.now()): void {
    this.db.prepare('UPDATE recording SET updated_at = ? WHERE id = ?').run(now, id);
  }

  finish(id: number, end: { stopReason: RecordingStopReason; message?: string; endedAt?: number }): void {
    const at = end.endedAt ?? Date.now();
    this.db.prepare('UPDATE recording SET ended_at = ?, updated_at = ?, stop_reason = ?, message = ? WHERE id = ?').run(at, at, end.stopReason, end.message ?? null, id);
  }

  list(now = Date.now()): RecordingSummary[] {
    const rows = this.db.prepare('SELECT * FROM recording ORDER BY id DESC').all() as RecordingRow[];
    const tags = this.db.prepare('SELECT * FROM recording_tag ORDER BY recording_id, idx').all() as TagRow[];
    const byRecording = new Map<number, TagRow[]>();
    for (const t of tags) byRecording.set(t.recording_id, [...(byRecording.get(t.recording_id) ?? []), t]);
    return rows.map((r) => this.summary(r, byRecording.get(r.id) ?? [], now));
  }

  get(id: number, now = Date.now()): RecordingSummary | undefined {
    const row = this.db.prepare('SELECT * FROM recording WHERE id = ?').get(id) as RecordingRow | undefined;
    if (!row) return undefined;
    return this.summary(row, this.db.prepare('SELECT * FROM recording_tag WHERE recording_id = ? ORDER BY idx').all(id) as TagRow[], now);
  }

  /** A recording that must exist (a clear error naming it otherwise). */
  require(id: number): RecordingSummary {
    const found = this.get(id);
    if (!found) throw new RecordingNotFoundError(`there is no recording ${id} in the workspace database (plantbench recordings <project> lists them)`);
    return found;
  }

  /** The tags with their full definitions (for replay, tests and comparisons). */
  tags(id: number): StoredTag[] {
    return (this.db.prepare('SELECT * FROM recording_tag WHERE recording_id = ? ORDER BY idx').all(id) as TagRow[]).map(toTag);
  }

  /** Samples in source-time order (arrival order within the same time). */
  *samples(id: number, query: SampleQuery = {}): IterableIterator<RecordedSample> {
    const tags = new Map(this.tags(id).map((t) => [t.index, t]));
    const wanted = query.tags ? new Set(query.tags) : undefined;
    const rows = this.db
      .prepare('SELECT tag, ts, server_ts, value, kind, quality, status_code, status_text FROM recording_sample WHERE recording_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, rowid')
      .iterate(id, query.from ?? -Infinity, query.to ?? Infinity) as IterableIterator<SampleRow>;
    for (const row of rows) {
      if (wanted && !wanted.has(row.tag)) continue;
      const tag = tags.get(row.tag);
      if (tag) yield { tag: row.tag, sample: toSample(row, tag) };
    }
  }

  /** Writes the recording as CSV (RFC 4180: CRLF, header first), record by record; returns the number of samples. */
  exportCsv(id: number, write: (line: string) => void, query: SampleQuery = {}): number {
    this.require(id);
    write(`${CSV_HEADER}\r\n`);
    let n = 0;
    for (const { sample } of this.samples(id, query)) {
      write(`${csvRow(sample)}\r\n`);
      n++;
    }
    return n;
  }

  /** Keeps only the samples with from <= ts <= to; returns the recording as it is afterwards. */
  trim(id: number, from: number, to: number): RecordingSummary {
    const before = this.require(id);
    if (before.state === 'recording') throw new RecordingError(`recording ${id} is still being written; stop it before trimming`);
    if (!(from <= to)) throw new RecordingError(`trim range is empty: from ${from} is after to ${to}`);
    this.db.transaction(() => {
      let freed = 0;
      const doomed = this.db.prepare('SELECT recording_id, tag, ts, server_ts, value, kind, quality, status_code, status_text FROM recording_sample WHERE recording_id = ? AND (ts < ? OR ts > ?)').raw();
      for (const row of doomed.iterate(id, from, to) as IterableIterator<SampleColumns>) freed += rowBytes(row);
      this.db.prepare('DELETE FROM recording_sample WHERE recording_id = ? AND (ts < ? OR ts > ?)').run(id, from, to);
      const counts = this.db.prepare('SELECT tag, count(*) AS n, MIN(ts) AS first, MAX(ts) AS last FROM recording_sample WHERE recording_id = ? GROUP BY tag').all(id) as {
        tag: number;
        n: number;
        first: number;
        last: number;
      }[];
      this.db.prepare('UPDATE recording_tag SET samples = 0 WHERE recording_id = ?').run(id);
      const setCount = this.db.prepare('UPDATE recording_tag SET samples = ? WHERE recording_id = ? AND idx = ?');
      for (const c of counts) setCount.run(c.n, id, c.tag);
      const kept = counts.reduce((n, c) => n + c.n, 0);
      const first = counts.length ? Math.min(...counts.map((c) => c.first)) : null;
      const last = counts.length ? Math.max(...counts.map((c) => c.last)) : null;
      const bytes = Math.max(0, before.bytes - freed);
      this.db.prepare('UPDATE recording SET samples = ?, bytes = ?, first_ts = ?, last_ts = ? WHERE id = ?').run(kept, bytes, first, last, id);
    })();
    return this.require(id);
  }

  /** Deletes a recording and its samples; false when there was none. Freed pages are reused by later recordings. */
  delete(id: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM recording_sample WHERE recording_id = ?').run(id);
      this.db.prepare('DELETE FROM recording_tag WHERE recording_id = ?').run(id);
      return this.db.prepare('DELETE FROM recording WHERE id = ?').run(id).changes > 0;
    })();
  }

  private summary(r: RecordingRow, tags: readonly TagRow[], now: number): RecordingSummary {
    const state = r.ended_at !== null ? 'complete' : now - r.updated_at > STALE_MS ? 'interrupted' : 'recording';
    const span = r.first_ts !== null && r.last_ts !== null ? r.last_ts - r.first_ts : 0;
    return {
      id: r.id,
      name: r.name,
      state,
      startedAt: r.started_at,
      ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
      mode: r.mode,
      pipelines: JSON.parse(r.pipelines) as string[],
      ...(r.project_hash !== null ? { projectHash: r.project_hash } : {}),
      ...(r.project_revision !== null ? { projectRevision: r.project_revision } : {}),
      ...(r.max_bytes !== null ? { maxBytes: r.max_bytes } : {}),
      ...(r.max_duration_ms !== null ? { maxDurationMs: r.max_duration_ms } : {}),
      bytes: r.bytes,
      samples: r.samples,
      ...(r.first_ts !== null ? { firstTs: r.first_ts } : {}),
      ...(r.last_ts !== null ? { lastTs: r.last_ts } : {}),
      ...(span > 0 ? { rate: Math.round((r.samples / (span / 1000)) * 100) / 100 } : {}),
      ...(r.stop_reason !== null ? { stopReason: r.stop_reason } : {}),
      ...(r.message !== null ? { message: r.message } : {}),
      tags: tags.map((t): RecordingTag => {
        const { source: _source, meta, index, ...tag } = toTag(t);
        return { ...tag, index, ...(meta?.unit !== undefined ? { unit: meta.unit } : {}) };
      }),
    };
  }
}

/**
 * Opens a project's workspace database read-only to read one recording (a simulator replaying it).
 * Throws a clear error when there is no database or no such recording.
 */
export function readRecording<T>(projectRoot: string, id: number, read: (store: RecordingStore, recording: RecordingSummary) => T): T {
  const file = workspaceDbPath(projectRoot);
  if (!existsSync(file)) throw new RecordingNotFoundError(`recording ${id}: there is no workspace database (${file}); record first (plantbench record)`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const store = new RecordingStore(db);
    const recording = store.get(id);
    if (!recording) throw new RecordingNotFoundError(`there is no recording ${id} in ${file}`);
    return read(store, recording);
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_ERROR' && /no such table/.test((err as Error).message)) {
      throw new RecordingNotFoundError(`recording ${id}: ${file} holds no recordings yet`);
    }
    throw err;
  } finally {
    db.close();
  }
}
