import type { WorkspaceDb } from './workspace-db.ts';

// Revision history of saved project files (table `revision`, migration 1): one row per save that
// changed the file, holding the whole canonical text, so any two revisions can be compared.

export interface RevisionInfo {
  readonly revision: number;
  readonly savedAt: number;
  readonly author: string | null;
  readonly bytes: number;
}

export interface Revision extends RevisionInfo {
  readonly file: string;
  readonly content: string;
}

export class RevisionStore {
  private readonly db: WorkspaceDb;

  constructor(db: WorkspaceDb) {
    this.db = db;
  }

  add(file: string, content: string, author: string | null, savedAt = Date.now()): number {
    const info = this.db.prepare('INSERT INTO revision (file, saved_at, author, content) VALUES (?, ?, ?, ?)').run(file, savedAt, author, content);
    return Number(info.lastInsertRowid);
  }

  /** The newest revision of a file. */
  latest(file: string): Revision | undefined {
    const row = this.db.prepare('SELECT id, file, saved_at, author, content FROM revision WHERE file = ? ORDER BY id DESC LIMIT 1').get(file) as Row | undefined;
    return row && toRevision(row);
  }

  /** A file's revisions, newest first, without their content. */
  list(file: string, limit = 1000): RevisionInfo[] {
    const rows = this.db
      .prepare('SELECT id, saved_at, author, length(CAST(content AS BLOB)) AS bytes FROM revision WHERE file = ? ORDER BY id DESC LIMIT ?')
      .all(file, limit) as { id: number; saved_at: number; author: string | null; bytes: number }[];
    return rows.map((r) => ({ revision: r.id, savedAt: r.saved_at, author: r.author, bytes: r.bytes }));
  }

  get(revision: number): Revision | undefined {
    const row = this.db.prepare('SELECT id, file, saved_at, author, content FROM revision WHERE id = ?').get(revision) as Row | undefined;
    return row && toRevision(row);
  }
}

interface Row {
  id: number;
  file: string;
  saved_at: number;
  author: string | null;
  content: string;
}

const toRevision = (r: Row): Revision => ({
  revision: r.id,
  file: r.file,
  savedAt: r.saved_at,
  author: r.author,
  bytes: Buffer.byteLength(r.content),
  content: r.content,
});
