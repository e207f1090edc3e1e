import type { WorkspaceDb } from './workspace-db.ts';

// The last result of each discovery (a scan, a crawl, a browse level, a probe, a topic capture),
// per kind and target, so device trees reopen offline and show when they were taken. Bounded:
// the oldest entries go first when the cache outgrows its byte budget.

export const DISCOVERY_CACHE_MAX_BYTES = 256 * 2 ** 20;

export interface CachedDiscovery<T = unknown> {
  readonly kind: string;
  readonly target: string;
  readonly takenAt: number;
  readonly result: T;
}

export class DiscoveryCache {
  private readonly db: WorkspaceDb;
  private readonly maxBytes: number;

  constructor(db: WorkspaceDb, maxBytes = DISCOVERY_CACHE_MAX_BYTES) {
    this.db = db;
    this.maxBytes = maxBytes;
  }

  put(kind: string, target: string, result: unknown, takenAt = Date.now()): void {
    const json = JSON.stringify(result);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO discovery_cache (kind, target, taken_at, bytes, result) VALUES (?, ?, ?, ?, ?)')
        .run(kind, target, takenAt, Buffer.byteLength(json), json);
      this.evict();
    })();
  }

  get<T = unknown>(kind: string, target: string): CachedDiscovery<T> | undefined {
    const row = this.db.prepare('SELECT taken_at, result FROM discovery_cache WHERE kind = ? AND target = ?').get(kind, target) as
      | { taken_at: number; result: string }
      | undefined;
    return row ? { kind, target, takenAt: row.taken_at, result: JSON.parse(row.result) as T } : undefined;
  }

  /** What is cached, newest first, without the results. */
  list(kind?: string): { kind: string; target: string; takenAt: number; bytes: number }[] {
    const rows = (kind
      ? this.db.prepare('SELECT kind, target, taken_at, bytes FROM discovery_cache WHERE kind = ? ORDER BY taken_at DESC').all(kind)
      : this.db.prepare('SELECT kind, target, taken_at, bytes FROM discovery_cache ORDER BY taken_at DESC').all()) as { kind: string; target: string; taken_at: number; bytes: number }[];
    return rows.map((r) => ({ kind: r.kind, target: r.target, takenAt: r.taken_at, bytes: r.bytes }));
  }

  private evict(): void {
    let total = (this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS total FROM discovery_cache').get() as { total: number }).total;
    if (total <= this.maxBytes) return;
    const oldest = this.db.prepare('SELECT kind, target, bytes FROM discovery_cache ORDER BY taken_at ASC').iterate() as IterableIterator<{ kind: string; target: string; bytes: number }>;
    const doomed: { kind: string; target: string }[] = [];
    for (const row of oldest) {
      if (total <= this.maxBytes) break;
      doomed.push(row);
      total -= row.bytes;
    }
    const del = this.db.prepare('DELETE FROM discovery_cache WHERE kind = ? AND target = ?');
    for (const d of doomed) del.run(d.kind, d.target);
  }
}
