import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryCache } from '../../../src/store/discovery-cache.ts';
import { openWorkspaceDb, type WorkspaceDb } from '../../../src/store/workspace-db.ts';

describe('discovery cache', () => {
  let dir: string;
  let db: WorkspaceDb;
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    dir = mkdtempSync(join(tmpdir(), 'pb-cache-'));
    db = openWorkspaceDb(join(dir, 'workspace.db'));
    return db;
  };

  it('keeps the last result per kind and target, and survives reopening', () => {
    const cache = new DiscoveryCache(open());
    cache.put('opcua.browse', 'opc.tcp://127.0.0.12:4840 i=85', { refs: [1] }, 1000);
    cache.put('opcua.browse', 'opc.tcp://127.0.0.12:4840 i=85', { refs: [1, 2] }, 2000);
    cache.put('scan', '127.0.0.0/29', { hosts: [] }, 1500);
    expect(cache.get('opcua.browse', 'opc.tcp://127.0.0.12:4840 i=85')).toEqual({ kind: 'opcua.browse', target: 'opc.tcp://127.0.0.12:4840 i=85', takenAt: 2000, result: { refs: [1, 2] } });
    expect(cache.list().map((e) => e.kind)).toEqual(['opcua.browse', 'scan']);
    db.close();
    db = openWorkspaceDb(join(dir, 'workspace.db'));
    expect(new DiscoveryCache(db).get('scan', '127.0.0.0/29')?.result).toEqual({ hosts: [] });
  });

  it('evicts the oldest entries beyond its byte budget', () => {
    const cache = new DiscoveryCache(open(), 1000);
    for (let i = 0; i < 10; i++) cache.put('mqtt.capture', `t${i}`, { pad: 'x'.repeat(300) }, i);
    const left = cache.list();
    expect(left.reduce((n, e) => n + e.bytes, 0)).toBeLessThanOrEqual(1000);
    expect(left.map((e) => e.target)).toEqual(['t9', 't8', 't7']);
  });
});
