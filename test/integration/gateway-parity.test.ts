import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { writeExport } from '../../src/gateway/export.ts';
import { createWorkbench } from '../../src/host/workbench.ts';
import type { SimulatorFile } from '../../src/shared/model/simulator.ts';
import { startSimulator } from '../../src/simulators/index.ts';
import { parseProjectFile } from '../../src/store/project.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/net.ts';
import { metricValue, parsePrometheusText } from '../helpers/prometheus.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

// Issue 7: "For the same recording and pipeline, the app's run, `plantbench test` and the exported
// bundle give the same outputs." One recording, made here from a simulated run of the project
// (`plantbench record --simulate`), and one pipeline: Modbus source → change-detect → scale →
// uns-topic → MQTT sink. The outputs of
//   (a) the app's run: the host's run service (createWorkbench → startRun, Simulated mode) with the
//       recording's replay standing in for the filler (`recordings to-simulator`), publishing to
//       Debian's mosquitto;
//   (b) `plantbench test` on the case `recordings to-test` made from the recording: what the sink
//       receives on the virtual clock (the case's expectations, and `plantbench test` passes);
//   (c) the bundle written by writeExport, run by the plain Node 22 binary from a temp folder
//       (no node_modules), against the replay served at the device's own address, publishing to
//       mosquitto;
// are the same sequence of (topic, value, quality). Timestamps differ by nature between (a)/(c)
// (the time of each poll) and (b) (the recorded source time), so they are compared only in (b).
// Addresses: replay 127.0.0.186, mosquitto 127.0.0.187, gateway health 127.0.0.188.

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const NODE22 = new URL('../../node_modules/node/bin/node', import.meta.url).pathname;
const REPLAY_HOST = '127.0.0.186';
const cleanups = cleanupAfterEach();

interface Out {
  topic: string;
  value: unknown;
  quality: string;
}

function plantbench(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The level holds 20 for 3 s (any run connects well within that), then steps every 300 ms; the state
// word holds 0 for 2.8 s, then steps every 400 ms. Polled every 50 ms: every step is seen live and
// in the replay. Values are exact in float32.
function writeProject(root: string, fillerPort: number, brokerUrl: string): void {
  for (const d of ['devices', 'pipelines', 'simulators']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(
    join(root, 'plantbench.yaml'),
    'apiVersion: plantbench/v1\nkind: Project\nname: Parity\nuns: { enterprise: acme, site: s1 }\ndefaults: { topicTemplate: "{enterprise}/{site}/{machine}/{tag}" }\n',
  );
  writeFileSync(
    join(root, 'devices', 'filler.yaml'),
    `apiVersion: plantbench/v1
kind: Device
id: filler
name: Filler
protocol: modbus
transport: { kind: tcp, host: ${REPLAY_HOST}, port: ${fillerPort} }
unitId: 1
timeoutMs: 500
pollGroups:
  - { id: fast, intervalMs: 50 }
tags:
  - { name: level, area: holding, address: 0, type: float32, order: CDAB, pollGroup: fast }
  - { name: state, area: holding, address: 2, type: uint16, pollGroup: fast }
`,
  );
  writeFileSync(join(root, 'devices', 'uns.yaml'), `apiVersion: plantbench/v1\nkind: Device\nid: uns\nname: UNS broker\nprotocol: mqtt\nurl: ${brokerUrl}\nprotocolVersion: 5\n`);
  writeFileSync(
    join(root, 'simulators', 'filler.yaml'),
    `apiVersion: plantbench/v1
kind: Simulator
id: filler
device: filler
bind: { host: ${REPLAY_HOST}, port: 0 }
protocol: modbus
unitId: 1
points:
  - name: level
    area: holding
    address: 0
    type: float32
    order: CDAB
    signal: { kind: sequence, values: [ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 40.5, 60, 60.25, 100, 150.5, 90, 30 ], dwellMs: 300, loop: false }
    updateMs: 50
  - name: state
    area: holding
    address: 2
    type: uint16
    signal: { kind: sequence, values: [ 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 3, 0 ], dwellMs: 400, loop: false }
    updateMs: 50
`,
  );
  writeFileSync(
    join(root, 'pipelines', 'line.yaml'),
    `apiVersion: plantbench/v1
kind: Pipeline
id: line
name: Filler to UNS
nodes:
  src: { type: modbus-source, config: { device: filler, tags: [ level, state ] } }
  changes: { type: change-detect, config: { mode: change, emitFirst: true } }
  half: { type: scale, config: { rawLow: 0, rawHigh: 200, engLow: 0, engHigh: 100 } }
  topic: { type: uns-topic, config: { vars: { machine: filler } } }
  out: { type: mqtt-sink, config: { device: uns, qos: 1, payload: { format: json } } }
edges:
  - { from: src, to: changes }
  - { from: changes, to: half }
  - { from: half, to: topic }
  - { from: topic, to: out }
`,
  );
}

/** An MQTT client collecting (topic, value, quality) of everything under acme/. */
async function collector(url: string): Promise<Out[]> {
  const got: Out[] = [];
  const client = mqtt.connect(url, { protocolVersion: 5 });
  cleanups.push(() => client.endAsync());
  client.on('message', (topic, payload) => {
    const { value, quality } = JSON.parse(payload.toString()) as { value: unknown; quality: string };
    got.push({ topic, value, quality });
  });
  await client.subscribeAsync('acme/#', { qos: 1 });
  return got;
}

/** Waits for `n` messages, then a little longer so that any extra one would be seen too. */
async function settle(got: Out[], n: number, what: string): Promise<void> {
  await waitFor(() => `${what}: ${n} messages, got ${got.length}: ${JSON.stringify(got)}`, () => got.length >= n, 20_000);
  await sleep(1500);
}

describe('parity of the app run, plantbench test and the exported bundle', () => {
  it('gives the same outputs for the same recording and pipeline', { timeout: 180_000 }, async () => {
    const broker = await startMosquitto({ host: '127.0.0.187' });
    cleanups.push(() => broker.stop());
    const work = mkdtempSync(join(tmpdir(), 'plantbench-parity-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const root = join(work, 'project');
    const fillerPort = await freePort(REPLAY_HOST);
    writeProject(root, fillerPort, broker.url);

    // The recording: a simulated run of the pipeline's sources.
    const recorded = plantbench(['record', root, '--pipeline', 'line', '--simulate', '--duration', '6s', '--name', 'parity', '--json']);
    expect(recorded.code, recorded.stderr).toBe(0);
    const summary = JSON.parse(recorded.stdout.slice(recorded.stdout.indexOf('{\n'))) as { id: number; samples: number; tags: { path: string }[] };
    expect(summary.tags.map((t) => t.path).sort()).toEqual(['filler/level', 'filler/state']);
    const id = String(summary.id);

    // Its replay stands in for the filler; it plays once and then holds the last values.
    const toSim = plantbench(['recordings', root, 'to-simulator', id, '--device', 'filler', '--id', 'filler', '--once']);
    expect(toSim.code, toSim.stderr).toBe(0);
    const replayProfile = parseProjectFile('simulator', 'simulators/filler.yaml', readFileSync(join(root, 'simulators', 'filler.yaml'), 'utf8')).entry.model as SimulatorFile;
    expect(replayProfile).toMatchObject({ device: 'filler', replay: { recording: summary.id, loop: false } });

    // (b) plantbench test on the case made from the recording.
    const toTest = plantbench(['recordings', root, 'to-test', id, '--pipeline', 'line', '--json']);
    expect(toTest.code, toTest.stderr).toBe(0);
    expect(JSON.parse(toTest.stdout)).toMatchObject({ file: 'pipelines/line.test.yaml', passes: true });
    const tested = plantbench(['test', root]);
    expect(tested.stdout).toMatch(/1 passed, 0 failed/);
    expect(tested.code).toBe(0);
    const testFile = parseYaml(readFileSync(join(root, 'pipelines', 'line.test.yaml'), 'utf8')) as { cases: { expect: Record<string, { path: string; value: unknown; quality?: string; ts?: number }[]> }[] };
    const expected = testFile.cases[0]!.expect.out!;
    const b: Out[] = expected.map((s) => ({ topic: s.path, value: s.value, quality: s.quality ?? 'good' }));
    // Every level step and every state change, once each, in recorded time order.
    const byTopic = (outs: Out[], topic: string) => outs.filter((o) => o.topic === topic).map((o) => o.value);
    expect(byTopic(b, 'acme/s1/filler/level')).toEqual([10, 20.25, 30, 30.125, 50, 75.25, 45, 15]);
    expect(byTopic(b, 'acme/s1/filler/state')).toEqual([0, 0.5, 1, 0.5, 1.5, 0]);
    expect(expected.every((s, i) => i === 0 || s.ts! >= expected[i - 1]!.ts!)).toBe(true);

    // (a) The app's run: the host's run service in Simulated mode (the replay serves the filler).
    const a = await collector(broker.url);
    const workbench = createWorkbench({ projectRoot: root, secrets: () => undefined });
    cleanups.push(() => workbench.close());
    const status = await workbench.startRun({ pipelines: ['line'], mode: 'simulated' });
    expect(status).toMatchObject({ state: 'running', problems: [] });
    await settle(a, b.length, 'the app run');
    await workbench.close();
    const appOutputs = [...a];

    // (c) The exported bundle, alone in a temp folder, under the plain Node 22 binary.
    const bundle = join(work, 'gateway');
    const plan = await writeExport(root, { pipelines: ['line'] }, bundle);
    expect(plan.problems).toEqual([]);
    const config = parseYaml(readFileSync(join(bundle, 'gateway.yaml'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(bundle, 'gateway.yaml'), stringifyYaml({ ...config, health: { host: '127.0.0.188', port: 0 } }));
    const c = await collector(broker.url);
    // The replay at the device's own address, as the real filler would be.
    const replay = await startSimulator({ ...replayProfile, bind: { host: REPLAY_HOST, port: fillerPort } }, { baseDir: root, log: () => {} });
    cleanups.push(() => replay.stop());
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_PATH' && k !== 'NODE_OPTIONS'));
    const gateway: ChildProcess = spawn(NODE22, [join(bundle, 'plantbench-gateway.js'), 'run', bundle, '--state', join(work, 'state'), '--no-watch'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    gateway.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    gateway.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    cleanups.push(() => gateway.exitCode === null && gateway.signalCode === null && gateway.kill('SIGKILL'));
    await settle(c, b.length, `the bundle (log: ${logs})`);
    // The bundle's health server (docs/health-and-metrics.md) says the same as the broker.
    const started = logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; message?: string; health?: string }).find((l) => l.health);
    expect(started?.health, logs).toMatch(/^http:\/\/127\.0\.0\.188:\d+$/);
    expect((await fetch(`${started!.health}/readyz`)).status).toBe(200);
    const metrics = parsePrometheusText(await (await fetch(`${started!.health}/metrics`)).text());
    expect(metricValue(metrics, 'plantbench_node_samples_in_total', { pipeline: 'line', node: 'out', type: 'mqtt-sink' })).toBe(b.length);
    expect(metricValue(metrics, 'plantbench_connection_up', { pipeline: 'line', node: 'src', type: 'modbus-source' })).toBe(1);
    gateway.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => (gateway.exitCode !== null ? done(gateway.exitCode) : gateway.once('exit', (x) => done(x))));
    expect(code, logs).toBe(0);

    expect(appOutputs).toEqual(b);
    expect(c).toEqual(b);
  });
});
