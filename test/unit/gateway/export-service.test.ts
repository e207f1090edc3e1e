import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createExportHandlers } from '../../../src/host/services/export.ts';
import { exportMethods, exportPlan } from '../../../src/shared/rpc/methods/export.ts';
import { writeProjectFiles } from '../../helpers/project.ts';

// export.plan / export.write as the Export dialog calls them: the archive goes into
// .plantbench/exports/ under a name the host picks; problems come back located, nothing written.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'plantbench-export-svc-')), 'Line 1');
  dirs.push(join(root, '..'));
  writeProjectFiles(root, 'Export', {
    'devices/broker.yaml': 'apiVersion: plantbench/v1\nkind: Device\nid: broker\nprotocol: mqtt\nurl: mqtt://127.0.0.189:1883\npassword: ${secret:BROKER_PW}\n',
    'pipelines/p.yaml':
      'apiVersion: plantbench/v1\nkind: Pipeline\nid: p\nname: p\nnodes:\n  src: { type: signal, config: { path: x, shape: { kind: ramp } } }\n  pub: { type: mqtt-sink, config: { device: broker } }\nedges:\n  - { from: src, to: pub }\n',
  });
  return root;
}

const signal = new AbortController().signal;
const ctx = { signal, progress: () => {} };

describe('export service', () => {
  it('plans and writes into .plantbench/exports/, a new name each time', { timeout: 60_000 }, async () => {
    const root = project();
    const handlers = createExportHandlers(root, { now: () => new Date('2026-11-22T09:40:12.345Z') });
    const plan = exportPlan.parse(await handlers['export.plan']({ pipelines: ['p'] }, ctx));
    expect(plan.problems).toEqual([]);
    expect(plan.secrets).toEqual([{ ref: '${secret:BROKER_PW}', kind: 'secret', usedBy: ['project/devices/broker.yaml'] }]);
    expect(new Set(plan.files.map((f) => f.role))).toEqual(new Set(['runtime', 'native', 'project', 'config', 'deploy', 'docs']));

    const first = await handlers['export.write']({ pipelines: ['p'] }, ctx);
    expect(first.file).toBe('.plantbench/exports/line-1-20261122-094012.tar.gz');
    expect(first.path).toBe(join(root, '.plantbench', 'exports', 'line-1-20261122-094012.tar.gz'));
    expect(first.bytes).toBe(statSync(first.path!).size);
    const second = await handlers['export.write']({ pipelines: [] }, ctx);
    expect(second.file).toBe('.plantbench/exports/line-1-20261122-094012-2.tar.gz');
    expect(readdirSync(join(root, '.plantbench', 'exports')).sort()).toEqual(['line-1-20261122-094012-2.tar.gz', 'line-1-20261122-094012.tar.gz']);
  });

  it('returns the located problem and writes nothing for an unknown pipeline', async () => {
    const root = project();
    const result = await createExportHandlers(root)['export.write']({ pipelines: ['nope'] }, ctx);
    expect(result.path).toBeUndefined();
    expect(result.plan.problems).toMatchObject([{ file: 'pipelines/nope.yaml', message: expect.stringContaining('no pipeline "nope"') }]);
    expect(existsSync(join(root, '.plantbench', 'exports'))).toBe(false);
  });

  it('takes pipeline ids only: no path reaches the host', () => {
    const request = exportMethods['export.write'].request;
    expect(request.safeParse({ pipelines: ['../../etc'] }).success).toBe(false);
    expect(request.safeParse({ pipelines: ['p'], out: '/tmp/x.tar.gz' }).success).toBe(false);
    expect(request.parse({})).toEqual({ pipelines: [] });
  });
});
