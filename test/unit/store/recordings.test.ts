import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/shared/sample.ts';
import { CSV_HEADER, readRecording, RecordingError, RecordingStore, STALE_MS } from '../../../src/store/recordings.ts';
import { openWorkspaceDb, workspaceDbPath, type WorkspaceDb } from '../../../src/store/workspace-db.ts';

// The recordings store on a real SQLite file (WAL) in a temp folder.

let dir: string;
let db: WorkspaceDb | undefined;
afterEach(() => {
  if (db?.open) db.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function open(): { store: RecordingStore; root: string } {
  dir = mkdtempSync(join(tmpdir(), 'plantbench-rec-'));
  db = openWorkspaceDb(workspaceDbPath(dir));
  return { store: new RecordingStore(db), root: dir };
}

const T0 = 1_763_800_000_000.25;
const s = (path: string, value: Sample['value'], dt: number, extra: Partial<Sample> = {}): Sample => ({ path, value, quality: 'good', ts: T0 + dt, ...extra });

describe('recording store', () => {
  it('keeps every kind of value with its timestamps, quality and status, and the tag meta', () => {
    const { store } = open();
    const id = store.create({ name: 'morning shift', mode: 'simulated', pipelines: ['filler-uns'], maxBytes: 1e6 });
    const level = store.addTag(id, { path: 'filler/level', device: 'filler', tag: 'level', protocol: 'modbus', address: 'unit 1 holding registers 0-1 (400001-400002) float32 CDAB', dataType: 'float32', meta: { unit: 'mm', range: { low: 0, high: 500 } } });
    const other = store.addTag(id, { path: 'misc/x', dataType: 'json' });
    const samples = [
      { tag: level, sample: s('filler/level', 250.5, 0, { serverTs: T0 + 1.5, meta: { unit: 'mm', range: { low: 0, high: 500 } } }) },
      { tag: other, sample: s('misc/x', 'a, "quoted" text', 1) },
      { tag: other, sample: s('misc/x', true, 2) },
      { tag: other, sample: s('misc/x', { a: [1, 2], b: null }, 3) },
      { tag: level, sample: s('filler/level', null, 4, { quality: 'bad', status: { code: 2, text: 'Illegal data address (exception 2)' }, meta: { unit: 'mm', range: { low: 0, high: 500 } } }) },
      { tag: other, sample: s('misc/x', 7, 4, { quality: 'uncertain' }) },
    ];
    const { count, bytes } = store.append(id, samples);
    expect(count).toBe(6);
    expect(bytes).toBeGreaterThan(0);
    const back = [...store.samples(id)].map((r) => r.sample);
    expect(back).toEqual(samples.map((r) => (r.tag === other ? { ...r.sample } : r.sample)));

    const [summary] = store.list();
    expect(summary).toMatchObject({ id, name: 'morning shift', state: 'recording', mode: 'simulated', pipelines: ['filler-uns'], samples: 6, bytes, maxBytes: 1e6, firstTs: T0, lastTs: T0 + 4 });
    expect(summary!.rate).toBe(1500);
    expect(summary!.tags).toEqual([
      { index: 0, path: 'filler/level', device: 'filler', tag: 'level', protocol: 'modbus', address: 'unit 1 holding registers 0-1 (400001-400002) float32 CDAB', dataType: 'float32', unit: 'mm', samples: 2 },
      { index: 1, path: 'misc/x', dataType: 'json', samples: 4 },
    ]);
    store.finish(id, { stopReason: 'size', message: 'the size cap was reached' });
    expect(store.get(id)).toMatchObject({ state: 'complete', stopReason: 'size', message: 'the size cap was reached' });
  });

  it('exports CSV with one row per sample, quoting what needs it', () => {
    const { store } = open();
    const id = store.create({ name: 'r', mode: 'simulated', pipelines: [] });
    const tag = store.addTag(id, { path: 'd/t' });
    store.append(id, [
      { tag, sample: s('d/t', 'a, "b"', 0) },
      { tag, sample: s('d/t', null, 10, { quality: 'bad', status: { code: 256, text: 'timeout' } }) },
      { tag, sample: s('d/t', { x: 1 }, 20) },
    ]);
    const lines: string[] = [];
    expect(store.exportCsv(id, (l) => lines.push(l), { from: T0 + 5 })).toBe(2);
    expect(lines.join('')).toBe(
      `${CSV_HEADER}\r\n${new Date(T0 + 10).toISOString()},${T0 + 10},,d/t,,bad,256,timeout\r\n${new Date(T0 + 20).toISOString()},${T0 + 20},,d/t,"{""x"":1}",good,,\r\n`,
    );
    const all: string[] = [];
    store.exportCsv(id, (l) => all.push(l));
    expect(all[1]).toContain(',d/t,"a, ""b""",good,,');
  });

  it('trims to a time range and deletes, with counts and bytes that follow', () => {
    const { store } = open();
    const id = store.create({ name: 'r', mode: 'simulated', pipelines: [] });
    const a = store.addTag(id, { path: 'd/a' });
    const b = store.addTag(id, { path: 'd/b' });
    const rows = Array.from({ length: 100 }, (_, i) => ({ tag: i % 2 ? b : a, sample: s(i % 2 ? 'd/b' : 'd/a', i, i * 10) }));
    store.append(id, rows);
    expect(() => store.trim(id, T0, T0 + 100)).toThrow(/still being written/);
    store.finish(id, { stopReason: 'stopped' });
    const before = store.get(id)!;
    const after = store.trim(id, T0 + 200, T0 + 399);
    expect(after).toMatchObject({ samples: 20, firstTs: T0 + 200, lastTs: T0 + 390 });
    expect(after.tags.map((t) => t.samples)).toEqual([10, 10]);
    expect(after.bytes).toBeGreaterThan(0);
    expect(after.bytes).toBeLessThan(before.bytes);
    expect([...store.samples(id)].map((r) => r.sample.value)).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i));
    expect(() => store.trim(id, T0 + 5, T0)).toThrow(RecordingError);

    expect(store.delete(id)).toBe(true);
    expect(store.get(id)).toBeUndefined();
    expect(store.delete(id)).toBe(false);
    expect(db!.prepare('SELECT count(*) FROM recording_sample').pluck().get()).toBe(0);
    expect(() => store.require(id)).toThrow(`there is no recording ${id}`);
  });

  it('counts bytes close to what the file grows by', () => {
    const { store } = open();
    const used = () => ((db!.pragma('page_count', { simple: true }) as number) - (db!.pragma('freelist_count', { simple: true }) as number)) * (db!.pragma('page_size', { simple: true }) as number);
    const before = used();
    const id = store.create({ name: 'r', mode: 'simulated', pipelines: [] });
    const tags = Array.from({ length: 10 }, (_, i) => store.addTag(id, { path: `d/t${i}` }));
    let bytes = 0;
    for (let batch = 0; batch < 20; batch++) {
      bytes += store.append(id, Array.from({ length: 1000 }, (_, i) => ({ tag: tags[i % 10]!, sample: s(`d/t${i % 10}`, Math.sin(i) * 100, batch * 1000 + i) }))).bytes;
    }
    const grown = used() - before;
    // Pages are not always full: the file grows by somewhat more than the rows themselves.
    expect(bytes / grown).toBeGreaterThan(0.6);
    expect(bytes / grown).toBeLessThanOrEqual(1.05);
  });

  it('takes a batch only as far as a byte budget goes', () => {
    const { store } = open();
    const id = store.create({ name: 'r', mode: 'simulated', pipelines: [] });
    const tag = store.addTag(id, { path: 'd/t' });
    const rows = Array.from({ length: 100 }, (_, i) => ({ tag, sample: s('d/t', i + 0.5, i) }));
    const one = store.append(id, rows.slice(0, 1)).bytes;
    const { count, bytes } = store.append(id, rows.slice(1), one * 10.5);
    expect(count).toBe(10);
    expect(bytes).toBeLessThanOrEqual(one * 10.5);
    expect(store.get(id)).toMatchObject({ samples: 11, bytes: one + bytes, lastTs: T0 + 10 });
  });

  it('shows a recording whose writer went away as interrupted', () => {
    const { store } = open();
    const id = store.create({ name: 'r', mode: 'simulated', pipelines: [], startedAt: 1000 });
    expect(store.get(id, 1000 + STALE_MS - 1)!.state).toBe('recording');
    expect(store.get(id, 1000 + STALE_MS + 1)!.state).toBe('interrupted');
    store.heartbeat(id, 1000 + STALE_MS);
    expect(store.get(id, 1000 + STALE_MS + 1)!.state).toBe('recording');
  });

  it('fails a batch as a whole when the disk is full, keeping what was written before', () => {
    const { store } = open();
    const id = store.create({ name: 'r', mode: 'simulated', pipelines: [] });
    const tag = store.addTag(id, { path: 'd/t' });
    store.append(id, [{ tag, sample: s('d/t', 1, 0) }]);
    // A database that may not grow: what a full disk looks like to SQLite.
    db!.pragma(`max_page_count = ${db!.pragma('page_count', { simple: true }) as number}`);
    const big = Array.from({ length: 5000 }, (_, i) => ({ tag, sample: s('d/t', `value ${i} `.repeat(20), i + 1) }));
    let error: unknown;
    try {
      store.append(id, big);
    } catch (err) {
      error = err;
    }
    expect((error as { code?: string }).code).toBe('SQLITE_FULL');
    expect(store.get(id)).toMatchObject({ samples: 1 });
    expect([...store.samples(id)]).toHaveLength(1);
  });

  it('reads a recording read-only for a replay, and says clearly when there is none', () => {
    const { store, root } = open();
    const id = store.create({ name: 'r', mode: 'simulated', pipelines: [] });
    const tag = store.addTag(id, { path: 'd/t' });
    store.append(id, [{ tag, sample: s('d/t', 42, 0) }]);
    expect(readRecording(root, id, (st, r) => [r.samples, [...st.samples(id)].map((x) => x.sample.value)])).toEqual([1, [42]]);
    expect(() => readRecording(root, 99, () => 0)).toThrow(`there is no recording 99 in ${workspaceDbPath(root)}`);
    expect(() => readRecording(join(root, 'nowhere'), 1, () => 0)).toThrow(/there is no workspace database/);
  });
});
