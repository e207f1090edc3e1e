import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_CSV_COLUMNS, auditCsv } from '../../../src/shared/audit.ts';
import { AuditStore, type NewAuditEntry } from '../../../src/store/audit.ts';
import { openWorkspaceDb, type WorkspaceDb } from '../../../src/store/workspace-db.ts';

// The audit log on a real SQLite file: entries as written, filters, paging, retention, CSV.

const DAY = 86_400_000;

function entry(fields: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return { at: 1_700_000_000_000, mode: 'live-armed', pipeline: 'p', node: 'n', device: 'plc', tag: 'speed', newValue: 1, result: 'written', status: 'Good', user: 'ann', host: 'gw1', ...fields };
}

describe('audit store', () => {
  let dir: string;
  let db: WorkspaceDb;
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (): WorkspaceDb => {
    dir = mkdtempSync(join(tmpdir(), 'pb-audit-'));
    db = openWorkspaceDb(join(dir, 'workspace.db'));
    return db;
  };

  it('keeps every field, values as JSON (a text "12" stays text), and survives reopening', () => {
    const store = new AuditStore(open(), { maxRows: 1000, maxAgeDays: 100_000 });
    const id = store.add(entry({ oldValue: 'idle', newValue: '12', readBack: '12', result: 'written', status: 'Good, read back "12"' }));
    store.add(entry({ newValue: { a: [1, true, null] }, result: 'refused', status: 'interlock: x' }));
    db.close();
    db = openWorkspaceDb(join(dir, 'workspace.db'));
    const { entries, total } = new AuditStore(db, { maxRows: 1000, maxAgeDays: 100_000 }).list();
    expect(total).toBe(2);
    expect(entries[1]).toEqual({ id, ...entry({ oldValue: 'idle', newValue: '12', readBack: '12', status: 'Good, read back "12"' }) });
    expect(entries[0]).toMatchObject({ newValue: { a: [1, true, null] }, result: 'refused' });
    expect(entries[0]).not.toHaveProperty('oldValue');
  });

  it('filters by time, device, tag, result and mode, and pages newest first', () => {
    const store = new AuditStore(open(), { maxRows: 1000, maxAgeDays: 100_000 });
    for (let i = 0; i < 10; i++) {
      store.add(entry({ at: 1000 + i, device: i % 2 ? 'plc' : 'ua', result: i < 5 ? 'dry-run' : 'written', mode: i < 5 ? 'live-read-only' : 'live-armed', newValue: i }));
    }
    expect(store.list({ since: 1005 }).entries.map((e) => e.newValue)).toEqual([9, 8, 7, 6, 5]);
    expect(store.list({ until: 1002 }).entries.map((e) => e.newValue)).toEqual([1, 0]);
    expect(store.list({ device: 'plc', result: 'written' }).entries.map((e) => e.newValue)).toEqual([9, 7, 5]);
    expect(store.list({ mode: 'live-read-only', tag: 'speed' }).total).toBe(5);
    const first = store.list({}, { limit: 4 });
    expect(first.entries.map((e) => e.newValue)).toEqual([9, 8, 7, 6]);
    const second = store.list({}, { limit: 4, before: first.nextBefore });
    expect(second.entries.map((e) => e.newValue)).toEqual([5, 4, 3, 2]);
    const last = store.list({}, { limit: 4, before: second.nextBefore });
    expect(last.entries.map((e) => e.newValue)).toEqual([1, 0]);
    expect(last.nextBefore).toBeUndefined();
    expect([...store.all({ device: 'ua' })].map((e) => e.newValue)).toEqual([0, 2, 4, 6, 8]);
    expect(store.list({}, { limit: Infinity }).entries).toHaveLength(10);
  });

  it('keeps at most maxRows entries and none older than maxAgeDays', () => {
    const now = 1_700_000_000_000;
    const store = new AuditStore(open(), { maxRows: 5, maxAgeDays: 30 });
    store.add(entry({ at: now - 31 * DAY, newValue: 'old' }));
    for (let i = 0; i < 7; i++) store.add(entry({ at: now - i, newValue: i }));
    expect(store.prune(now)).toBe(3);
    expect(store.list().entries.map((e) => e.newValue)).toEqual([6, 5, 4, 3, 2]);
  });

  it('prunes as it goes, so a flood of writes stays bounded', () => {
    const store = new AuditStore(open(), { maxRows: 100, maxAgeDays: 100_000 });
    for (let i = 0; i < 2500; i++) store.add(entry({ newValue: i }));
    // Pruned every 1000 entries: never more than maxRows + 1000 in the table.
    expect(store.list().total).toBeLessThanOrEqual(1100);
    expect(store.list({}, { limit: 1 }).entries[0]!.newValue).toBe(2499);
  });

  it('exports RFC 4180 CSV: CRLF records, quoted commas, quotes and line breaks', () => {
    const store = new AuditStore(open(), { maxRows: 1000, maxAgeDays: 100_000 });
    store.add(entry({ at: Date.UTC(2024, 4, 1, 8, 0, 0, 250), oldValue: 'a,b', newValue: 'say "hi"', status: 'line one\nline two', result: 'failed' }));
    const csv = auditCsv(store.all());
    const [header, row, end] = csv.split('\r\n');
    expect(header).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(row).toBe('1,2024-05-01T08:00:00.250Z,live-armed,p,n,plc,speed,"""a,b""","""say \\""hi\\""""",,failed,"line one\nline two",ann,gw1');
    expect(end).toBe('');
  });
});
