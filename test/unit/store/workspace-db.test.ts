import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, moveDamagedDbAside, openWorkspaceDb, WorkspaceDbError, type Migration } from '../../../src/store/workspace-db.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = (): string => {
  dir = mkdtempSync(join(tmpdir(), 'plantbench-db-'));
  return join(dir, '.plantbench', 'workspace.db');
};

describe('workspace database', () => {
  it('creates a WAL database with every migration applied once', () => {
    const file = fresh();
    const db = openWorkspaceDb(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = db.prepare('SELECT version FROM schema_migration ORDER BY version').all();
    expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(['audit', 'discovery_cache', 'recording', 'recording_sample', 'recording_tag', 'revision', 'schema_migration']);
    db.close();
    const again = openWorkspaceDb(file);
    expect(migrate(again)).toEqual([]);
    again.close();
  });

  it('applies a new migration to an existing database and keeps its data', () => {
    const file = fresh();
    const db = openWorkspaceDb(file);
    db.prepare('INSERT INTO revision (file, saved_at, content) VALUES (?, ?, ?)').run('pipelines/a.yaml', 1, 'x: 1\n');
    db.close();
    const next: Migration = { version: MIGRATIONS.length + 1, name: 'revision message', up: 'ALTER TABLE revision ADD COLUMN message TEXT' };
    const upgraded = openWorkspaceDb(file, [...MIGRATIONS, next]);
    expect(upgraded.prepare('SELECT file, content, message FROM revision').all()).toEqual([{ file: 'pipelines/a.yaml', content: 'x: 1\n', message: null }]);
    upgraded.close();
  });

  it('rolls back a failing migration as a whole', () => {
    const file = fresh();
    openWorkspaceDb(file).close();
    const broken: Migration = { version: MIGRATIONS.length + 1, name: 'broken', up: 'CREATE TABLE half (x); INSERT INTO nope VALUES (1);' };
    expect(() => openWorkspaceDb(file, [...MIGRATIONS, broken])).toThrow(/no such table: nope/);
    const db = openWorkspaceDb(file);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a database from a newer Plantbench instead of guessing', () => {
    const file = fresh();
    const future: Migration = { version: 99, name: 'future', up: 'CREATE TABLE future (x)' };
    openWorkspaceDb(file, [...MIGRATIONS, future]).close();
    expect(() => openWorkspaceDb(file)).toThrow(/written by a newer Plantbench \(schema 99/);
  });

  it('reports a damaged file without touching it, and repair moves it aside', () => {
    const file = fresh();
    openWorkspaceDb(file).close();
    writeFileSync(file, 'this is not a database '.repeat(200));
    const before = readFileSync(file);
    let error: unknown;
    try {
      openWorkspaceDb(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WorkspaceDbError);
    expect((error as WorkspaceDbError).damaged).toBe(true);
    expect((error as Error).message).toMatch(/workspace\.db: cannot open the workspace database: file is not a database; nothing was changed/);
    expect(readFileSync(file)).toEqual(before);

    const aside = moveDamagedDbAside(file, new Date('2026-11-22T10:00:00Z'));
    expect(aside).toMatch(/workspace\.db\.damaged-2026-11-22T10-00-00-000Z$/);
    expect(readFileSync(aside)).toEqual(before);
    expect(existsSync(file)).toBe(false);
    const db = openWorkspaceDb(file);
    db.close();
    expect(readdirSync(join(dir, '.plantbench')).filter((n) => n.includes('damaged'))).toHaveLength(1);
  });
});
