import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkbench, type Workbench } from '../../../src/host/workbench.ts';
import { createRpcClient } from '../../../src/shared/rpc/client.ts';
import type { Events, Methods, WorkbenchClient } from '../../../src/shared/rpc/contract.ts';
import type { RecordingStatus } from '../../../src/shared/recording.ts';
import { memoryPortPair, RpcError } from '../../../src/shared/rpc/wire.ts';
import { waitFor } from '../../helpers/wait.ts';

// The recording methods through the real contract (requests validated at the host), on a copy of
// the signal-line fixture (signal → scale → uns-topic → log: no sockets) with a real workspace DB.

const SIGNAL_LINE = new URL('../../fixtures/signal-line/', import.meta.url).pathname;

let open: { dir: string; workbench: Workbench; client: WorkbenchClient } | undefined;
afterEach(async () => {
  open?.client.close();
  await open?.workbench.close();
  if (open) rmSync(open.dir, { recursive: true, force: true });
  open = undefined;
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-rec-rpc-'));
  cpSync(SIGNAL_LINE, dir, { recursive: true });
  const workbench = createWorkbench({ projectRoot: dir, secrets: () => undefined, author: 'tester' });
  const [hostPort, clientPort] = memoryPortPair();
  workbench.rpc.connect(hostPort);
  const client = createRpcClient<Methods, Events>(clientPort);
  const statuses: RecordingStatus[] = [];
  client.on('recording.status', (s) => statuses.push(s));
  open = { dir, workbench, client };
  return { dir, client, statuses };
}

const failure = async (call: Promise<unknown>): Promise<RpcError> => (await call.then(() => undefined, (e: unknown) => e)) as RpcError;

describe('recording service', () => {
  it('records a running pipeline up to its duration cap, with status events, and lists, exports, trims and deletes it', async () => {
    const { client, statuses } = setup();
    expect((await failure(client.call('recording.start', {}))).message).toMatch(/^no run is running/);
    await client.call('run.start', { mode: 'simulated' });
    expect((await failure(client.call('recording.start', { tags: ['tank/volume'] }))).message).toBe(
      'not read by the running pipelines: tank/volume (they read tank/level). Add them to a pipeline, or record them with plantbench record --tags',
    );
    expect((await failure(client.call('recording.start', { tags: ['no path'] }))).code).toBe('invalid-request');

    const started = await client.call('recording.start', { name: 'tank', tags: ['tank/level'], maxDurationMs: 600 });
    expect(started).toMatchObject({ state: 'recording', name: 'tank', maxDurationMs: 600 });
    expect((await failure(client.call('recording.start', {}))).message).toBe(`recording ${started.id} is running; stop it first`);
    await waitFor('the duration cap', () => statuses.some((s) => s.state === 'stopped'));
    const last = statuses.at(-1)!;
    expect(last).toMatchObject({ state: 'stopped', id: started.id, stopReason: 'duration', fill: 1 });
    expect(last.samples).toBeGreaterThan(5);
    const recording = statuses.filter((s) => s.state === 'recording');
    expect(recording.length).toBeGreaterThan(0);
    expect(recording.every((s) => s.fill! >= 0 && s.fill! <= 1)).toBe(true);
    expect(await client.call('recording.status', {})).toMatchObject({ state: 'stopped', stopReason: 'duration' });

    const { recordings } = await client.call('recording.list', {});
    expect(recordings).toHaveLength(1);
    const rec = recordings[0]!;
    expect(rec).toMatchObject({ id: started.id, name: 'tank', state: 'complete', mode: 'simulated', pipelines: ['tank'], samples: last.samples, stopReason: 'duration' });
    expect(rec.tags).toEqual([{ index: 0, path: 'tank/level', dataType: 'number', samples: last.samples }]);

    const all = await client.call('recording.export', { id: rec.id });
    expect(all.samples).toBe(rec.samples);
    const lines = all.csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('time,ts,server_ts,path,value,quality,status_code,status_text');
    expect(lines).toHaveLength(rec.samples + 1);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,[\d.]+,,tank\/level,[\d.]+,good,,$/);

    const from = rec.firstTs!;
    const trimmed = await client.call('recording.trim', { id: rec.id, from, to: from + 200 });
    expect(trimmed.samples).toBeLessThan(rec.samples);
    expect(trimmed.lastTs! - trimmed.firstTs!).toBeLessThanOrEqual(200);
    expect((await client.call('recording.export', { id: rec.id })).samples).toBe(trimmed.samples);

    expect((await failure(client.call('recording.toSimulator', { id: rec.id, device: 'tank' }))).message).toBe('there is no device "tank" (devices: none)');
    expect(await client.call('recording.delete', { id: rec.id })).toEqual({ deleted: true });
    expect((await failure(client.call('recording.get', { id: rec.id }))).message).toBe(`there is no recording ${rec.id} in the workspace database (plantbench recordings <project> lists them)`);
    await client.call('run.stop', {});
  });

  it('ends a recording with its run', async () => {
    const { client, statuses } = setup();
    await client.call('run.start', { mode: 'simulated' });
    await client.call('recording.start', {});
    await waitFor('samples', () => (statuses.at(-1)?.samples ?? 0) > 0);
    await client.call('run.stop', {});
    expect(await client.call('recording.status', {})).toMatchObject({ state: 'stopped', stopReason: 'run-stopped', message: 'the run stopped' });
    const [rec] = (await client.call('recording.list', {})).recordings;
    expect(rec).toMatchObject({ state: 'complete', stopReason: 'run-stopped', pipelines: ['tank'] });
  });

  it('turns a recording into a passing test, and compares two revisions on it', async () => {
    const { dir, client, statuses } = setup();
    await client.call('run.start', { mode: 'simulated' });
    await client.call('recording.start', { name: 'ramp' });
    await waitFor('a few samples', () => (statuses.at(-1)?.samples ?? 0) >= 10);
    const { id } = await client.call('recording.stop', {});
    await client.call('run.stop', {});

    const made = await client.call('recording.toTest', { id: id!, pipeline: 'tank' });
    expect(made).toMatchObject({ file: 'pipelines/tank.test.yaml', caseName: 'recording 1: ramp', created: true, replaced: false, passes: true, notes: [] });
    expect(made.expected.out).toBe(made.inputs);
    expect(existsSync(join(dir, 'pipelines/tank.test.yaml'))).toBe(true);
    expect(await client.call('recording.toTest', { id: id!, pipeline: 'tank' })).toMatchObject({ created: false, replaced: true, passes: true });

    expect((await failure(client.call('recording.compare', { id: id!, pipeline: 'tank' }))).message).toMatch(/^the workspace database has no other revision of pipelines\/tank\.yaml/);
    // Saved through the workbench: the text on disk is kept as a revision, then the new one.
    const file = await client.call('file.get', { kind: 'pipeline', id: 'tank' });
    const data = structuredClone(file.data) as { nodes: { pct: { config: { engHigh: number } } } };
    data.nodes.pct.config.engHigh = 50;
    expect(await client.call('file.save', { kind: 'pipeline', id: 'tank', data, baseHash: file.hash })).toMatchObject({ saved: true });
    const compared = await client.call('recording.compare', { id: id!, pipeline: 'tank' });
    expect(compared).toMatchObject({ recording: id, pipeline: 'tank', b: 'pipelines/tank.yaml (now)', notes: [] });
    expect(compared.a).toMatch(/^revision \d+$/);
    const [out] = compared.outputs;
    expect(out).toMatchObject({ output: 'out', same: 0, truncated: false });
    expect(out!.countA).toBe(out!.countB);
    // Half the scale: every non-zero level differs, at the same time and path.
    const changed = out!.differences.filter((d) => d.kind === 'value');
    expect(changed.length).toBeGreaterThan(0);
    for (const d of changed) expect(d.valueB as number).toBeCloseTo((d.valueA as number) / 2, 9);
  });
});
