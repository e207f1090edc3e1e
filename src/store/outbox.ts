import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

// Disk-backed outbox for store-and-forward: a sink appends what it must deliver, in order, and
// deletes an entry only after the broker confirmed it. Survives a crash of the process (SQLite
// WAL, synchronous=NORMAL: a committed append is in the file before append() returns, except for
// the last transactions on an OS crash or power loss). One process owns a file (exclusive lock):
// two runs draining one queue would each send it. See docs/store-and-forward.md.

export interface OutboxEntry {
  readonly id: number;
  /** Which sink (one queue each, order kept per sink). */
  readonly sink: string;
  readonly topic: string;
  /** As appended: text comes back as a string, bytes as a Buffer. */
  readonly payload: Buffer | string;
  /** When it was appended, epoch ms. */
  readonly at: number;
}

export interface OutboxLimits {
  /** Entries kept per sink at most. */
  readonly maxEntries: number;
  /** Entries older than this are dropped, counted. 0 = no age limit. */
  readonly maxAgeMs: number;
  /** When full: drop the oldest (counted) or refuse the append so the sources pause. */
  readonly whenFull: 'drop-oldest' | 'refuse';
}

export interface OutboxStats {
  readonly queued: number;
  readonly dropped: number;
  readonly oldestAt?: number;
}

export class OutboxFullError extends Error {}

/** The outbox file cannot be opened: in use by another process, not a database, unwritable. */
export class OutboxOpenError extends Error {}

/** What append() wrote: the id of the first message kept, and how many at the front were cut (a batch larger than the outbox). */
export interface Appended {
  readonly firstId: number;
  readonly skipped: number;
}

export class Outbox {
  private readonly db: Database.Database;
  private readonly limits: OutboxLimits;
  private readonly dropped = new Map<string, number>();
  /** Per sink: entries queued and the oldest entry's time, kept in memory so appends do not scan. */
  private readonly queued = new Map<string, { n: number; oldestAt?: number }>();
  private readonly insert: Database.Statement;
  private readonly countSink: Database.Statement;
  private readonly peekSink: Database.Statement;
  private readonly deleteThrough: Database.Statement;
  private readonly dropOldestN: Database.Statement;
  private readonly dropOlderThan: Database.Statement;
  private readonly oldest: Database.Statement;
  private readonly peekAfterSink: Database.Statement;
  private readonly newest: Database.Statement;
  private readonly appendTx: (sink: string, messages: readonly { topic: string; payload: Buffer | string }[], now: number, overCap: boolean) => Appended;

  constructor(file: string, limits: OutboxLimits) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new Database(file, { timeout: 1000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // Held until close(): a second process gets "database is locked" here, not a shared queue.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (err) {
      const e = err as Error & { code?: string };
      const why = e.code === 'SQLITE_BUSY' ? 'it is in use by another Plantbench process (one run per outbox file)' : e.message;
      throw new OutboxOpenError(`cannot open the store-and-forward outbox ${file}: ${why}`);
    }
    this.db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      sink TEXT NOT NULL,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outbox_sink ON outbox (sink, id);`);
    this.limits = limits;
    this.insert = this.db.prepare('INSERT INTO outbox (sink, topic, payload, at) VALUES (?, ?, ?, ?)');
    this.countSink = this.db.prepare('SELECT count(*) AS n FROM outbox WHERE sink = ?').pluck();
    this.peekSink = this.db.prepare('SELECT id, sink, topic, payload, at FROM outbox WHERE sink = ? ORDER BY id LIMIT ?');
    this.deleteThrough = this.db.prepare('DELETE FROM outbox WHERE sink = ? AND id <= ?');
    this.dropOldestN = this.db.prepare('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sink = ? ORDER BY id LIMIT ?)');
    this.dropOlderThan = this.db.prepare('DELETE FROM outbox WHERE sink = ? AND at < ?');
    this.oldest = this.db.prepare('SELECT at FROM outbox WHERE sink = ? ORDER BY id LIMIT 1').pluck();
    this.peekAfterSink = this.db.prepare('SELECT id, sink, topic, payload, at FROM outbox WHERE sink = ? AND id > ? ORDER BY id LIMIT ?');
    this.newest = this.db.prepare('SELECT max(id) FROM outbox WHERE sink = ?').pluck();
    this.appendTx = this.db.transaction((sink, messages, now, overCap) => this.appendIn(sink, messages, now, overCap));
  }

  /**
   * Appends messages for one sink in one transaction. With `refuse`, a batch that does not fit is
   * refused whole (OutboxFullError) and nothing is written; `overCap` writes it anyway (a sink that
   * is stopping keeps what it was given rather than lose it).
   */
  append(sink: string, messages: readonly { topic: string; payload: Buffer | string }[], now = Date.now(), overCap = false): Appended {
    return this.appendTx(sink, messages, now, overCap);
  }

  private appendIn(sink: string, messages: readonly { topic: string; payload: Buffer | string }[], now: number, overCap: boolean): Appended {
    const q = this.queue(sink);
    if (this.limits.maxAgeMs > 0 && q.oldestAt !== undefined && q.oldestAt < now - this.limits.maxAgeMs) {
      this.dropped_(sink, this.dropOlderThan.run(sink, now - this.limits.maxAgeMs).changes);
    }
    let skipped = 0;
    const excess = q.n + messages.length - this.limits.maxEntries;
    if (excess > 0 && !overCap) {
      if (this.limits.whenFull === 'refuse') {
        throw new OutboxFullError(`outbox for ${sink} is full (${q.n} of ${this.limits.maxEntries} entries): sources pause until it drains`);
      }
      this.dropped_(sink, this.dropOldestN.run(sink, excess).changes);
      // A batch larger than the whole outbox keeps only its newest messages.
      skipped = Math.max(0, messages.length - this.limits.maxEntries);
      this.count(sink, skipped);
    }
    let firstId = 0;
    for (let i = skipped; i < messages.length; i++) {
      const m = messages[i]!;
      const id = Number(this.insert.run(sink, m.topic, m.payload, now).lastInsertRowid);
      if (i === skipped) firstId = id;
    }
    q.n += messages.length - skipped;
    if (q.oldestAt === undefined && messages.length > skipped) q.oldestAt = now;
    return { firstId, skipped };
  }

  /** The oldest entries of a sink, in order, without removing them. */
  peek(sink: string, limit: number): OutboxEntry[] {
    return this.peekSink.all(sink, limit) as OutboxEntry[];
  }

  /** Entries of a sink after `afterId`, in order: the next ones to send after those already sent. */
  peekAfter(sink: string, afterId: number, limit: number): OutboxEntry[] {
    return this.peekAfterSink.all(sink, afterId, limit) as OutboxEntry[];
  }

  /** The id of a sink's newest entry; 0 when it has none. */
  newestId(sink: string): number {
    return (this.newest.get(sink) as number | null) ?? 0;
  }

  /** Removes a sink's entries up to and including `id`, once the broker has confirmed them. */
  ack(sink: string, id: number): void {
    const q = this.queue(sink);
    q.n -= this.deleteThrough.run(sink, id).changes;
    this.refreshOldest(sink, q);
  }

  stats(sink: string): OutboxStats {
    const q = this.queue(sink);
    return { queued: q.n, dropped: this.dropped.get(sink) ?? 0, ...(q.oldestAt !== undefined ? { oldestAt: q.oldestAt } : {}) };
  }

  close(): void {
    this.db.close();
  }

  private count(sink: string, n: number): void {
    if (n > 0) this.dropped.set(sink, (this.dropped.get(sink) ?? 0) + n);
  }

  /** Counts rows deleted from the table as dropped and keeps the in-memory queue in step. */
  private dropped_(sink: string, n: number): void {
    const q = this.queue(sink);
    q.n -= n;
    this.count(sink, n);
    this.refreshOldest(sink, q);
  }

  private queue(sink: string): { n: number; oldestAt?: number } {
    let q = this.queued.get(sink);
    if (!q) {
      q = { n: this.countSink.get(sink) as number };
      this.refreshOldest(sink, q);
      this.queued.set(sink, q);
    }
    return q;
  }

  private refreshOldest(sink: string, q: { n: number; oldestAt?: number }): void {
    const at = q.n > 0 ? (this.oldest.get(sink) as number | undefined) : undefined;
    if (at === undefined) delete q.oldestAt;
    else q.oldestAt = at;
  }
}
