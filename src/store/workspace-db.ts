import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

// .plantbench/workspace.db holds what is not configuration: revisions, recordings, the audit log,
// trust decisions, discovery caches. WAL mode; schema changes are numbered migrations, each applied
// once in a transaction. A damaged file is never deleted: it is reported, and repair() moves it
// aside (with its -wal/-shm) so a fresh database can start.

export type WorkspaceDb = Database.Database;

export interface Migration {
  /** 1, 2, 3, … in order; never renumbered once released. */
  readonly version: number;
  readonly name: string;
  readonly up: string;
}

/** Later features add their tables (audit log, recordings, trust, discovery cache) as new versions. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'revision history of saved project files',
    up: `
      CREATE TABLE revision (
        id INTEGER PRIMARY KEY,
        file TEXT NOT NULL,
        saved_at INTEGER NOT NULL,
        author TEXT,
        content TEXT NOT NULL
      );
      CREATE INDEX revision_file ON revision (file, id);
    `,
  },
  {
    version: 2,
    name: 'discovery cache: the last result per kind and target',
    up: `
      CREATE TABLE discovery_cache (
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        taken_at INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (kind, target)
      );
      CREATE INDEX discovery_cache_age ON discovery_cache (taken_at);
    `,
  },
  {
    version: 3,
    name: 'audit log: every device write and would-be write',
    up: `
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        mode TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        node TEXT NOT NULL,
        device TEXT NOT NULL,
        tag TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT NOT NULL,
        read_back TEXT,
        result TEXT NOT NULL,
        status TEXT NOT NULL,
        user TEXT NOT NULL,
        host TEXT NOT NULL
      );
      CREATE INDEX audit_at ON audit (at);
      CREATE INDEX audit_device ON audit (device, id);
    `,
  },
  {
    version: 4,
    name: 'recordings of live samples (src/store/recordings.ts)',
    up: `
      CREATE TABLE recording (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        updated_at INTEGER NOT NULL,
        mode TEXT NOT NULL,
        pipelines TEXT NOT NULL,
        project_hash TEXT,
        project_revision INTEGER,
        max_bytes INTEGER,
        max_duration_ms INTEGER,
        bytes INTEGER NOT NULL DEFAULT 0,
        samples INTEGER NOT NULL DEFAULT 0,
        first_ts REAL,
        last_ts REAL,
        stop_reason TEXT,
        message TEXT
      );
      CREATE TABLE recording_tag (
        recording_id INTEGER NOT NULL REFERENCES recording (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        path TEXT NOT NULL,
        device TEXT,
        tag TEXT,
        protocol TEXT,
        address TEXT,
        source TEXT,
        data_type TEXT,
        meta TEXT,
        samples INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (recording_id, idx)
      );
      CREATE TABLE recording_sample (
        recording_id INTEGER NOT NULL,
        tag INTEGER NOT NULL,
        ts REAL NOT NULL,
        server_ts REAL,
        value,
        kind INTEGER,
        quality INTEGER NOT NULL,
        status_code INTEGER,
        status_text TEXT
      );
      CREATE INDEX recording_sample_time ON recording_sample (recording_id, ts);
    `,
  },
];

export class WorkspaceDbError extends Error {
  readonly file: string;
  readonly damaged: boolean;

  constructor(file: string, message: string, damaged: boolean) {
    super(message);
    this.file = file;
    this.damaged = damaged;
  }
}

export function workspaceDbPath(projectRoot: string): string {
  return join(projectRoot, '.plantbench', 'workspace.db');
}

/** Opens (creating if needed) and migrates the workspace database. Throws WorkspaceDbError when damaged. */
export function openWorkspaceDb(file: string, migrations: readonly Migration[] = MIGRATIONS): WorkspaceDb {
  mkdirSync(dirname(file), { recursive: true });
  let db: WorkspaceDb;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 2000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      db.close();
      throw new WorkspaceDbError(file, `${file}: the workspace database is damaged (${String(check)}); nothing was changed. Repair moves it aside and starts a new one.`, true);
    }
  } catch (err) {
    if (err instanceof WorkspaceDbError) throw err;
    const code = (err as { code?: string }).code;
    const damaged = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
    throw new WorkspaceDbError(file, `${file}: cannot open the workspace database: ${(err as Error).message}${damaged ? '; nothing was changed. Repair moves it aside and starts a new one.' : ''}`, damaged);
  }
  migrate(db, migrations);
  return db;
}

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: WorkspaceDb, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migration').all() as { version: number }[]).map((r) => r.version));
  const newest = Math.max(0, ...done);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new WorkspaceDbError(db.name, `${db.name}: written by a newer Plantbench (schema ${newest}, this build knows ${known}); open it with that version`, false);
  }
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.prepare('INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
    applied.push(m.version);
  }
  return applied;
}

/** Moves a damaged database (and its WAL files) aside; returns where it went. Never deletes. */
export function moveDamagedDbAside(file: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const aside = `${file}.damaged-${stamp}`;
  renameSync(file, aside);
  for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  return aside;
}
