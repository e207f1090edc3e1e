import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunService, MAX_LOG_PER_BATCH, MAX_SAMPLES_PER_BATCH, type RunService, type RunServiceContext } from '../../../src/host/services/run.ts';
import type { CallContext } from '../../../src/host/rpc/server.ts';
import { AuditStore } from '../../../src/store/audit.ts';
import { openWorkspaceDb } from '../../../src/store/workspace-db.ts';
import type { PayloadOf } from '../../../src/shared/rpc/define.ts';
import type { runEvents } from '../../../src/shared/rpc/methods/run.ts';
import { waitFor } from '../../helpers/wait.ts';

// The run service on the signal-line fixture (signal → scale → uns-topic → log: no sockets), with
// its events collected as the RPC host would send them.

const SIGNAL_LINE = new URL('../../fixtures/signal-line/', import.meta.url).pathname;
const CALL: CallContext = { signal: new AbortController().signal, progress: () => {} };
type RunEvents = typeof runEvents;
type Collected = { [K in keyof RunEvents]: PayloadOf<RunEvents, K>[] };

let dir: string | undefined;
let service: RunService | undefined;
afterEach(async () => {
  await service?.dispose();
  service = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A copy of the signal line whose source emits every `intervalMs`. */
function project(intervalMs: number): string {
  dir = mkdtempSync(join(tmpdir(), 'plantbench-run-'));
  cpSync(SIGNAL_LINE, dir, { recursive: true });
  const file = join(dir, 'pipelines/tank.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('intervalMs: 20', `intervalMs: ${intervalMs}`));
  return dir;
}

function start(root: string, timing: { samplesMs?: number; statsMs?: number } = {}, audit?: RunServiceContext['audit']) {
  const events: Collected = { 'run.state': [], 'run.stats': [], 'run.samples': [], 'run.log': [] };
  service = createRunService({
    projectRoot: root,
    secrets: async () => () => undefined,
    emit: (event, payload) => void (events[event] as unknown[]).push(payload),
    log: () => {},
    ...(audit ? { audit } : {}),
    ...timing,
  });
  return { service, events };
}

describe('run service', () => {
  it('runs, pushes stats, samples and logs in batches, and stops clean', async () => {
    const { service, events } = start(project(20));
    const status = await service.start({ mode: 'simulated', pipelines: [] });
    expect(status).toMatchObject({ state: 'running', mode: 'simulated', pipelines: ['tank'], problems: [] });
    await waitFor('stats with rates on every edge', () => {
      const tank = events['run.stats'].at(-1)?.pipelines.tank;
      return !!tank && tank.edges.every((e) => (e.rate ?? 0) > 0) && (tank.nodes.level?.rate ?? 0) > 0;
    });
    await waitFor('samples at the source and the sink', () => {
      const nodes = new Set(events['run.samples'].flatMap((b) => b.samples.map((s) => s.node)));
      return nodes.has('level') && nodes.has('out');
    });
    const stats = events['run.stats'].at(-1)!.pipelines.tank!;
    expect(stats.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['level.out>pct.in', 'pct.out>topic.in', 'topic.out>out.in']);
    expect(stats.nodes.pct?.last).toMatchObject({ path: 'tank/level', quality: 'good', meta: { unit: '%' } });

    const stopped = await service.stop();
    expect(stopped).toMatchObject({ state: 'stopped', pipelines: [], problems: [] });
    expect(events['run.state'].map((s) => s.state)).toEqual(['starting', 'running', 'stopping', 'stopped']);
    // Every sample the taps saw was either sent or counted as omitted, up to the last one.
    const final = events['run.stats'].at(-1)!.pipelines.tank!.nodes;
    const sent = events['run.samples'].reduce((n, b) => n + b.samples.length + b.omitted, 0);
    expect(sent).toBe(final.level!.out + final.topic!.out);
    const logged = events['run.log'].reduce((n, b) => n + b.entries.length + b.omitted, 0);
    expect(logged).toBeGreaterThanOrEqual(final.out!.in);
    expect(events['run.log'].flatMap((b) => b.entries).some((e) => e.pipeline === 'tank' && e.node === 'out' && String(e.fields?.path).endsWith('/tank/level'))).toBe(true);

    // Nothing arrives after the stop: a stats timer left behind would push a batch every 100 ms.
    const counts = Object.values(events).map((list) => list.length);
    await new Promise((r) => setTimeout(r, 150));
    expect(Object.values(events).map((list) => list.length)).toEqual(counts);
  });

  it('bounds each batch and counts what it leaves out', async () => {
    // One batch per second of a source emitting every millisecond: far more than a batch holds.
    const { service, events } = start(project(1), { samplesMs: 1000 });
    await service.start({ mode: 'simulated', pipelines: [] });
    await waitFor('a batch with samples left out', () => events['run.samples'].some((b) => b.omitted > 0), 10_000);
    await service.stop();
    for (const batch of events['run.samples']) expect(batch.samples.length).toBeLessThanOrEqual(MAX_SAMPLES_PER_BATCH);
    for (const batch of events['run.log']) expect(batch.entries.length).toBeLessThanOrEqual(MAX_LOG_PER_BATCH);
    const full = events['run.samples'].find((b) => b.omitted > 0)!;
    expect(full.samples).toHaveLength(MAX_SAMPLES_PER_BATCH);
    // The newest samples are kept, oldest first.
    const ts = full.samples.filter((s) => s.node === 'level').map((s) => s.sample.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    const final = events['run.stats'].at(-1)!.pipelines.tank!.nodes;
    expect(events['run.samples'].reduce((n, b) => n + b.samples.length + b.omitted, 0)).toBe(final.level!.out + final.topic!.out);
  });

  it('runs device writes dry in live read-only, and refuses a second start', async () => {
    const root = writingProject();
    const { service, events } = start(root);
    const readOnly = await service.start({ mode: 'live-read-only', pipelines: [] });
    expect(readOnly).toMatchObject({ state: 'running', mode: 'live-read-only', pipelines: ['tank', 'write'], problems: [] });
    expect(readOnly).not.toHaveProperty('arming');
    await expect(service.start({ mode: 'simulated', pipelines: [] })).rejects.toThrow('a run is already running: stop it first');
    await expect(service.handlers['run.arm']({ minutes: 5, confirm: [] }, CALL)).rejects.toThrow(/no live-armed run is running/);
    await service.stop();
    expect(events['run.state'].map((s) => s.state)).toEqual(['starting', 'running', 'stopping', 'stopped']);
  });

  it('runs live armed disarmed until run.arm confirms the writable tags, and run.disarm is the kill switch', async () => {
    const root = writingProject();
    const { service: noAudit } = start(root);
    await expect(noAudit.start({ mode: 'live-armed', pipelines: [] })).rejects.toThrow('Live armed needs an audit log that is kept, and this host keeps no audit log.');
    await noAudit.dispose();

    const db = openWorkspaceDb(':memory:');
    const { service, events } = start(root, {}, () => ({ sink: new AuditStore(db) }));
    const started = await service.start({ mode: 'live-armed', pipelines: ['write'] });
    expect(started).toMatchObject({ state: 'running', mode: 'live-armed', arming: { armed: false, reason: 'not armed yet', writable: [{ device: 'plc', tag: 'level', nodes: ['write/put'], limits: '0..100' }] } });
    await expect(service.handlers['run.arm']({ minutes: 5, confirm: [] }, CALL)).rejects.toThrow(/the confirmation does not match what this run can write; not confirmed: plc\/level/);
    const armed = await service.handlers['run.arm']({ minutes: 5, confirm: [{ device: 'plc', tag: 'level' }] }, CALL);
    expect(armed).toMatchObject({ armed: true, by: expect.stringContaining('@') });
    expect(armed.until! - armed.armedAt!).toBe(5 * 60_000);
    expect(events['run.state'].at(-1)).toMatchObject({ state: 'running', arming: { armed: true } });
    expect(await service.handlers['run.disarm']({}, CALL)).toMatchObject({ armed: false, reason: expect.stringMatching(/^disarmed by /) });
    expect(events['run.state'].at(-1)).toMatchObject({ state: 'running', arming: { armed: false } });
    await service.stop();
    expect(await service.handlers['run.disarm']({}, CALL)).toEqual({ armed: false, reason: 'no run is running', writable: [] });
    db.close();
  });
});

/** The signal line plus a pipeline writing to a Modbus device that is not there (port 1). */
function writingProject(): string {
  const root = project(20);
  mkdirSync(join(root, 'devices'));
  writeFileSync(
    join(root, 'devices/plc.yaml'),
    'apiVersion: plantbench/v1\nkind: Device\nid: plc\nprotocol: modbus\ntransport: { kind: tcp, host: 127.0.0.1, port: 1 }\ntags:\n  - { name: level, area: holding, address: 0, type: float32, writable: true, interlock: { min: 0, max: 100 } }\n',
  );
  writeFileSync(
    join(root, 'pipelines/write.yaml'),
    'apiVersion: plantbench/v1\nkind: Pipeline\nid: write\nname: Write back\nnodes:\n  gen:\n    type: signal\n    config: { path: x, shape: { kind: ramp, from: 0, to: 1, periodMs: 1000 } }\n  put:\n    type: modbus-sink\n    config: { device: plc, tag: level }\nedges:\n  - { from: gen, to: put }\n',
  );
  return root;
}
