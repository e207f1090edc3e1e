import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import modbusSerial from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/engine/runtime.ts';
import { startProjectSession, type ProjectSession } from '../../src/host/project-session.ts';
import { compareRevisions } from '../../src/host/recording/compare.ts';
import { Recorder } from '../../src/host/recording/recorder.ts';
import { recordingToSimulator } from '../../src/host/recording/to-simulator.ts';
import { decodeRegisters } from '../../src/shared/codec/modbus.ts';
import type { SimulatorFile } from '../../src/shared/model/simulator.ts';
import type { RecordingStatus, RecordingSummary } from '../../src/shared/recording.ts';
import type { Sample } from '../../src/shared/sample.ts';
import { startSimulator } from '../../src/simulators/index.ts';
import { parseProjectFile } from '../../src/store/project.ts';
import { RecordingStore } from '../../src/store/recordings.ts';
import { RevisionStore } from '../../src/store/revisions.ts';
import { openWorkspaceDb, workspaceDbPath, type WorkspaceDb } from '../../src/store/workspace-db.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { copyExample } from '../helpers/project.ts';
import { waitFor } from '../helpers/wait.ts';

// Recording, replay and compare on a copy of the simulated bottling line, its simulators moved to
// 127.0.0.71-74 (port 0), with a real workspace database in the copy:
// - record what the pipelines read in a simulated run, replay it through the Modbus and OPC UA
//   simulator servers (simulators/<device>.yaml written by to-simulator), and the pipeline gives
//   the same outputs as in the live run;
// - the recording turned into a test passes `plantbench test`;
// - a recording whose tag is gone from the device replays the rest and names it;
// - compare shows the samples two revisions give differently;
// - a size cap stops `plantbench record` cleanly; a full disk stops the recording, not the run.

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const cleanups = cleanupAfterEach();

function plantbench(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The line's copy: simulators on our own loopback addresses; signals and polls paced for a 1× replay. */
function line() {
  const project = copyExample();
  cleanups.push(() => project.dispose());
  project.edit('simulators/filler.yaml', (t) =>
    t
      .replace('host: 127.0.0.11, port: 5020', 'host: 127.0.0.71, port: 0')
      // The status word changes every 200 ms, polled every 50 ms: every value is seen live and in the replay.
      .replace('dwellMs: 5000', 'dwellMs: 200')
      .replace(/updateMs: 500\n(\s+- name: level_setpoint)/, 'updateMs: 100\n$1'),
  );
  project.edit('devices/filler.yaml', (t) => t.replace('{ id: fast, intervalMs: 100 }', '{ id: fast, intervalMs: 50 }'));
  // Speed changes every 400 ms and is published within 100 ms.
  project.edit('simulators/capper.yaml', (t) => t.replace('host: 127.0.0.12, port: 4840', 'host: 127.0.0.72, port: 0').replace(/updateMs: 250/g, 'updateMs: 400'));
  project.edit('devices/capper.yaml', (t) => t.replace('publishingIntervalMs: 250', 'publishingIntervalMs: 100'));
  project.edit('simulators/palletizer.yaml', (t) => t.replace('host: 127.0.0.13, port: 1883', 'host: 127.0.0.73, port: 0'));
  project.edit('simulators/uns-broker.yaml', (t) => t.replace('host: 127.0.0.1, port: 11883', 'host: 127.0.0.74, port: 0'));
  project.write(
    'pipelines/replay-check.yaml',
    `apiVersion: plantbench/v1
kind: Pipeline
id: replay-check
name: Changes of the filler status and the capper speed
nodes:
  status: { type: modbus-source, config: { device: filler, tags: [ running, fault ] } }
  speed: { type: opcua-source, config: { device: capper, tags: [ speed ] } }
  changes: { type: change-detect, config: { mode: change } }
  out: { type: log, config: { label: change } }
edges:
  - { from: status, to: changes }
  - { from: speed, to: changes }
  - { from: changes, to: out }
`,
  );
  return project;
}

const quiet = (): void => {};

/** Starts a simulated session of some pipelines, collecting what reaches `changes.out` of replay-check. */
async function simulated(root: string, pipelines: string[], then?: Parameters<typeof startProjectSession>[1]['beforeStart']) {
  const outputs: Sample[] = [];
  const logs: LogEntry[] = [];
  const { session, problems } = await startProjectSession(root, {
    pipelines,
    simulate: true,
    secrets: () => undefined,
    log: (e) => logs.push(e),
    beforeStart: (runner, loaded) => {
      runner.runs.find((r) => r.id === 'replay-check')?.tap('changes', 'out', (batch) => outputs.push(...batch));
      then?.(runner, loaded);
    },
  });
  expect(problems).toEqual([]);
  cleanups.push(() => session!.stop());
  return { session: session!, outputs, logs };
}

/** Values per path, in order. */
function byPath(samples: readonly Sample[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const s of samples) out.set(s.path, [...(out.get(s.path) ?? []), s.value]);
  return out;
}

/** True when `part` appears in `whole` as a contiguous run. */
function contains(whole: readonly unknown[], part: readonly unknown[]): boolean {
  for (let i = 0; i + part.length <= whole.length; i++) if (part.every((v, j) => whole[i + j] === v)) return true;
  return false;
}

function openStore(root: string): { db: WorkspaceDb; store: RecordingStore } {
  const db = openWorkspaceDb(workspaceDbPath(root));
  cleanups.push(() => db.open && db.close());
  return { db, store: new RecordingStore(db) };
}

describe('record and replay the simulated bottling line', () => {
  it('records a simulated run; its replay through the Modbus and OPC UA servers gives the pipeline the same outputs; it becomes a passing test', async () => {
    const project = line();
    const root = project.root;
    const { store } = openStore(root);

    // 1. Live (simulated) run of replay-check and filler-uns, recording what their sources read.
    let recorder: Recorder | undefined;
    const live = await simulated(root, ['replay-check', 'filler-uns'], (runner, loaded) => {
      recorder = Recorder.start(runner, { store, loaded, mode: 'simulated', name: 'line' });
    });
    const enough = () => {
      const paths = byPath(live.outputs);
      return (paths.get('filler/running')?.length ?? 0) >= 2 && (paths.get('capper/speed')?.length ?? 0) >= 3;
    };
    await waitFor(() => `live changes (got ${JSON.stringify([...byPath(live.outputs)])})`, enough, 20_000);
    const status = recorder!.stop();
    const liveOutputs = byPath(live.outputs.filter((s) => s.ts <= (store.get(recorder!.id)!.lastTs ?? Infinity)));
    await live.session.stop();
    expect(status).toMatchObject({ state: 'stopped', stopReason: 'stopped' });
    const recording = store.get(recorder!.id)!;
    expect(recording).toMatchObject({ state: 'complete', mode: 'simulated', pipelines: ['replay-check', 'filler-uns'] });
    expect(recording.tags.map((t) => t.path).sort()).toEqual(['capper/speed', 'filler/bottles', 'filler/fault', 'filler/level', 'filler/running']);
    expect(recording.tags.find((t) => t.path === 'filler/level')).toMatchObject({ protocol: 'modbus', dataType: 'float32', unit: 'mm', address: 'unit 1 holding registers 0-1 (400001-400002) float32 CDAB' });
    expect(recording.tags.find((t) => t.path === 'capper/speed')).toMatchObject({ protocol: 'opcua', address: 'ns=1;s=Capper.Speed', dataType: 'number' });

    // 2. The recording stands in for the filler (Modbus) and the capper (OPC UA) at their addresses.
    const filler = recordingToSimulator(root, store, { recording: recording.id, device: 'filler', simulatorId: 'filler' });
    expect(filler).toMatchObject({ file: 'simulators/filler.yaml', replaced: true, replayed: ['level', 'bottles', 'running', 'fault'], gone: [], unrecorded: ['level_setpoint'] });
    const capper = recordingToSimulator(root, store, { recording: recording.id, device: 'capper', simulatorId: 'capper' });
    expect(capper).toMatchObject({ replayed: ['speed'], unrecorded: ['state', 'torque'] });
    const written = parseProjectFile('simulator', 'simulators/filler.yaml', readFileSync(join(root, 'simulators/filler.yaml'), 'utf8')).entry.model as SimulatorFile;
    expect(written).toMatchObject({ device: 'filler', bind: { host: '127.0.0.71', port: 0 }, replay: { recording: recording.id, speed: 1, loop: true } });

    // 3. The same pipeline, unchanged, against the replay: per tag, the live changes come again in order
    //    (the replay loops, so they are found within one loop, wherever the run joined it).
    const replay = await simulated(root, ['replay-check']);
    const same = () => {
      const got = byPath(replay.outputs);
      return [...liveOutputs].every(([path, values]) => contains(got.get(path) ?? [], values));
    };
    await waitFor(() => `the live changes ${JSON.stringify([...liveOutputs])} in the replay's ${JSON.stringify([...byPath(replay.outputs)])}`, same, 30_000);
    expect(replay.logs.some((l) => /replaying recording/.test(l.message))).toBe(true);
    await replay.session.stop();

    // 4. The recording as a regression test of filler-uns: it passes `plantbench test`.
    const toTest = plantbench(['recordings', root, 'to-test', String(recording.id), '--pipeline', 'filler-uns', '--json']);
    expect(toTest.stderr).toBe('');
    const made = JSON.parse(toTest.stdout) as { file: string; caseName: string; inputs: number; expected: Record<string, number>; passes: boolean };
    expect(made).toMatchObject({ file: 'pipelines/filler-uns.test.yaml', caseName: `recording ${recording.id}: line`, passes: true });
    expect(made.inputs).toBe(recording.tags.filter((t) => t.device === 'filler').reduce((n, t) => n + t.samples, 0));
    expect(made.expected.uns).toBeGreaterThan(0);
    const tested = plantbench(['test', root]);
    expect(tested.stdout).toContain(`✓ recording ${recording.id}: line`);
    expect(tested.stdout).toMatch(/\d+ passed, 0 failed/);
    expect(tested.code).toBe(0);

    // 5. compare: the file now against a saved revision with a finer deadband.
    const revisions = new RevisionStore(openStore(root).db);
    const file = 'pipelines/filler-uns.yaml';
    const before = readFileSync(join(root, file), 'utf8');
    const saved = revisions.add(file, before, 'tester');
    writeFileSync(join(root, file), before.replace('{ mode: absolute, value: 0.5, maxSilenceMs: 60000 }', '{ mode: absolute, value: 0.05, maxSilenceMs: 60000 }'));
    const result = await compareRevisions(root, store, revisions, { recording: recording.id, pipeline: 'filler-uns' });
    expect(result).toMatchObject({ recording: recording.id, pipeline: 'filler-uns', a: `revision ${saved}`, b: `${file} (now)`, notes: [] });
    const uns = result.outputs.find((o) => o.output === 'uns')!;
    // A finer deadband lets more level samples through; nothing else changes.
    expect(uns.countB).toBeGreaterThan(uns.countA);
    expect(uns.differing).toBe(uns.countB - uns.countA);
    expect(uns.same).toBe(uns.countA);
    expect(uns.differences.every((d) => d.kind === 'only-b' && d.path.endsWith('/filler/level') && typeof d.valueB === 'number')).toBe(true);
    const text = plantbench(['compare', root, '--recording', String(recording.id), '--pipeline', 'filler-uns']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`uns: ${uns.countA} samples in A, ${uns.countB} in B, ${uns.same} the same, ${uns.differing} differ`);
    expect(text.stdout).toMatch(/only in B: \d/);
    const sameRevision = await compareRevisions(root, store, revisions, { recording: recording.id, pipeline: 'filler-uns', revisionA: saved, revisionB: saved });
    expect(sameRevision.outputs.every((o) => o.differing === 0 && o.same === o.countA)).toBe(true);

    // 6. The filler lost its fault tag since: the replay serves the rest and names what is gone.
    project.edit('devices/filler.yaml', (t) => t.replace(/  - name: fault\n(    .*\n)+?(?=  - name: level_setpoint)/, ''));
    const older = recordingToSimulator(root, store, { recording: recording.id, device: 'filler', simulatorId: 'filler' });
    expect(older).toMatchObject({ replayed: ['level', 'bottles', 'running'], gone: ['fault'] });
    expect(older.notes).toContain('Recorded tag no longer on device filler, not replayed: fault.');
    const profile = parseProjectFile('simulator', 'simulators/filler.yaml', readFileSync(join(root, 'simulators/filler.yaml'), 'utf8')).entry.model as SimulatorFile;
    const sim = await startSimulator(profile, { baseDir: root, log: quiet });
    cleanups.push(() => sim.stop());
    const ModbusRTU = modbusSerial as unknown as typeof import('modbus-serial/ModbusRTU.js').ModbusRTU;
    const client = new ModbusRTU();
    cleanups.push(() => new Promise<void>((done) => (client.isOpen ? client.close(() => done()) : done())));
    await client.connectTCP(sim.host, { port: sim.port });
    client.setID(1);
    const registers = (await client.readHoldingRegisters(0, 5)).data;
    const firstLevel = [...store.samples(recording.id, { tags: [recording.tags.find((t) => t.path === 'filler/level')!.index] })][0]!.sample.value;
    expect(decodeRegisters(registers, { type: 'float32', order: 'CDAB' })).toBeCloseTo(firstLevel as number, 3);
  }, 90_000);
});

describe('recording caps and faults', () => {
  it('plantbench record stops cleanly at its size cap and keeps what fits', () => {
    const project = copyExample();
    cleanups.push(() => project.dispose());
    const signals = Array.from({ length: 5 }, (_, i) => `  s${i}: { type: signal, config: { path: burst/s${i}, intervalMs: 10, shape: { kind: ramp } } }`).join('\n');
    project.write('pipelines/burst.yaml', `apiVersion: plantbench/v1\nkind: Pipeline\nid: burst\nname: Burst\nnodes:\n${signals}\n`);
    const run = plantbench(['record', project.root, '--pipeline', 'burst', '--max-size', '16kB', '--name', 'capped', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: 'started', mode: 'live-read-only', pipelines: ['burst'], maxBytes: 16_000 });
    const end = JSON.parse(lines.slice(lines.findIndex((l) => l.startsWith('{\n') || l === '{')).join('\n')) as RecordingSummary & { event: string };
    expect(end).toMatchObject({ event: 'stopped', name: 'capped', state: 'complete', stopReason: 'size', maxBytes: 16_000 });
    expect(end.message).toBe('the size cap of 16.0 kB was reached');
    expect(end.samples).toBeGreaterThan(0);
    expect(end.bytes).toBeLessThanOrEqual(16_000);
    expect(end.bytes).toBeGreaterThan(16_000 * 0.9);
    expect(end.tags.map((t) => t.path).sort()).toEqual(['burst/s0', 'burst/s1', 'burst/s2', 'burst/s3', 'burst/s4']);

    expect(openStore(project.root).store.list()).toMatchObject([{ id: end.id, samples: end.samples, bytes: end.bytes, stopReason: 'size' }]);
    const human = plantbench(['recordings', project.root]);
    expect(human.stdout).toMatch(new RegExp(`^${end.id}\\s+capped\\s+size\\s`, 'm'));
  });

  it('Ctrl-C stops plantbench record and keeps what was recorded', async () => {
    const project = copyExample();
    cleanups.push(() => project.dispose());
    project.write('pipelines/burst.yaml', 'apiVersion: plantbench/v1\nkind: Pipeline\nid: burst\nname: Burst\nnodes:\n  s: { type: signal, config: { path: burst/s, intervalMs: 20, shape: { kind: ramp } } }\n');
    const child = spawn(process.execPath, [BIN, 'record', project.root, '--tags', 'burst/s', '--pipeline', 'burst', '--json'], { env: { ...process.env, NO_COLOR: '1' } });
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => `a status line with samples (got ${out}; stderr: ${err})`, () => /"event":"status".*"samples":[1-9]/.test(out), 20_000);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
    expect(code).toBe(0);
    const end = JSON.parse(out.slice(out.indexOf('{\n'))) as RecordingSummary;
    expect(end).toMatchObject({ state: 'complete', stopReason: 'stopped', tags: [{ path: 'burst/s' }] });
    expect(end.samples).toBeGreaterThan(0);
  });

  it('a full disk stops the recording with a message while the run goes on', async () => {
    const project = copyExample();
    cleanups.push(() => project.dispose());
    project.write('pipelines/burst.yaml', 'apiVersion: plantbench/v1\nkind: Pipeline\nid: burst\nname: Burst\nnodes:\n  s: { type: signal, config: { path: burst/s, intervalMs: 5, shape: { kind: ramp } } }\n  out: { type: log, config: { label: s } }\nedges:\n  - { from: s, to: out }\n');
    const { db, store } = openStore(project.root);
    let delivered = 0;
    let stopped: RecordingStatus | undefined;
    let recorder: Recorder | undefined;
    const { session } = await startProjectSession(project.root, {
      pipelines: ['burst'],
      secrets: () => undefined,
      log: quiet,
      beforeStart: (runner, loaded) => {
        runner.runs[0]!.tap('s', 'out', (batch) => (delivered += batch.length));
        recorder = Recorder.start(runner, { store, loaded, mode: 'simulated', flushMs: 20, onStop: (s) => (stopped = s) });
      },
    });
    cleanups.push(() => session!.stop());
    // The database may not grow any more: what a full disk is to SQLite.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    await waitFor('the recording to stop', () => stopped !== undefined, 20_000);
    expect(stopped).toMatchObject({ state: 'stopped', stopReason: 'error' });
    expect(stopped!.message).toMatch(new RegExp(`^recording ${recorder!.id} stopped: the disk is full \\(or the database reached its size limit\\); the run goes on\\. [\\d,]+ samples were kept\\.$`));
    const atStop = delivered;
    await waitFor('the run to go on', () => delivered > atStop + 20);
    expect(session!.runner.runs[0]!.running).toBe(true);
    expect(store.get(recorder!.id)).toMatchObject({ state: 'complete', stopReason: 'error', message: stopped!.message, samples: stopped!.samples });
  });
});
