// Live safety end to end, against our Modbus and OPC UA simulators standing in for real devices
// (on 127.0.0.61 and .62), with the audit log in a real workspace DB:
// - live read-only never writes: the simulators' values, read with a plain Modbus client and a plain
//   OPC UA client, are the same before and after, and the Modbus server saw no write request;
// - live armed writes pass or are refused by arming and interlock, and the audit rows match;
// - writes to an input register, an unmapped register, a variable without CurrentWrite and a node
//   the server does not know are refused with the device's status;
// - the arming expires by itself and run.disarm acts at once, through the workbench RPC;
// - the CLI: run read-only by default, --arm without a terminal refuses, --arm --yes-i-know writes,
//   `plantbench audit --json/--csv`, and validate rejects bad interlock bounds with file:line.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import modbusSerial from 'modbus-serial';
import { AttributeIds, OPCUACertificateManager, OPCUAClient } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showValue } from '../../src/engine/device-writes.ts';
import { startProjectSession, type ProjectSession } from '../../src/host/project-session.ts';
import { SafetyGate, whoAmI } from '../../src/host/safety/gate.ts';
import { writableTags } from '../../src/host/safety/targets.ts';
import { createWorkbench } from '../../src/host/workbench.ts';
import { AUDIT_CSV_COLUMNS, type AuditEntry } from '../../src/shared/audit.ts';
import { createRpcClient } from '../../src/shared/rpc/client.ts';
import type { Events, Methods } from '../../src/shared/rpc/contract.ts';
import type { RunMode, RunStatus } from '../../src/shared/rpc/methods/run.ts';
import type { Sample, Value } from '../../src/shared/sample.ts';
import { simulatorFile, type SimulatorFile } from '../../src/shared/model/simulator.ts';
import { startMqttSimulator } from '../../src/simulators/mqtt/index.ts';
import type { RunningSimulator } from '../../src/simulators/simulator.ts';
import { formatProblem } from '../../src/shared/problem.ts';
import { startModbusSimulator, type ModbusProfile, type RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { loadProject } from '../../src/store/project.ts';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { AuditStore } from '../../src/store/audit.ts';
import { openWorkspaceDb, workspaceDbPath, type WorkspaceDb } from '../../src/store/workspace-db.ts';
import { memoryPortPair } from '../../src/shared/rpc/wire.ts';
import { cleanupTempDirs, startSim as startOpcuaSim, tempDir } from '../helpers/opcua.ts';
import { testClient } from '../helpers/mqtt.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const MODBUS_HOST = '127.0.0.61';
const OPCUA_HOST = '127.0.0.62';
const MQTT_HOST = '127.0.0.63';
/** Modbus function codes that write: 5, 6, 15, 16. */
const WRITE_FCS = [5, 6, 15, 16];

let plc: RunningModbusSimulator;
let ua: RunningOpcuaSimulator;
let broker: RunningSimulator;
let pki: OPCUACertificateManager;
let root: string;

const PROJECT = `apiVersion: plantbench/v1
kind: Project
name: Commissioning
uns: { enterprise: acme, site: test, area: lab }
`;

function devices(): Record<string, string> {
  return {
    'devices/plc.yaml': `apiVersion: plantbench/v1
kind: Device
id: plc
protocol: modbus
transport: { kind: tcp, host: ${MODBUS_HOST}, port: ${plc.port} }
timeoutMs: 2000
retries: 0
tags:
  - name: speed
    area: holding
    address: 0
    writable: true
    interlock: { min: 0, max: 1000, maxRatePerSecond: 5000, readBack: true }
  - { name: temp, area: input, address: 0, writable: true }
  - { name: ghost, area: holding, address: 50, writable: true }
`,
    'devices/ua.yaml': `apiVersion: plantbench/v1
kind: Device
id: ua
protocol: opcua
endpoint: ${ua.endpoint}
tags:
  - { name: speed, nodeId: ns=1;s=Set.Speed, writable: true, interlock: { min: 0, max: 100 } }
  - { name: temp, nodeId: ns=1;s=Status.Temp, writable: true }
  - { name: ghost, nodeId: ns=1;s=Set.Ghost, writable: true }
`,
    // Sinks fed by hand (the signal never fires during a test).
    'pipelines/write.yaml': `apiVersion: plantbench/v1
kind: Pipeline
id: write
name: Writes fed by the test
nodes:
  src: { type: signal, config: { path: x, intervalMs: 3600000, shape: { kind: sine } } }
  plc-speed: { type: modbus-sink, config: { device: plc, tag: speed } }
  plc-temp: { type: modbus-sink, config: { device: plc, tag: temp } }
  plc-ghost: { type: modbus-sink, config: { device: plc, tag: ghost } }
  ua-speed: { type: opcua-sink, config: { device: ua, tag: speed } }
  ua-temp: { type: opcua-sink, config: { device: ua, tag: temp } }
  ua-ghost: { type: opcua-sink, config: { device: ua, tag: ghost } }
edges:
  - { from: src, to: plc-speed }
  - { from: src, to: plc-temp }
  - { from: src, to: plc-ghost }
  - { from: src, to: ua-speed }
  - { from: src, to: ua-temp }
  - { from: src, to: ua-ghost }
`,
    'devices/broker.yaml': `apiVersion: plantbench/v1
kind: Device
id: broker
protocol: mqtt
url: ${broker.endpoint}
`,
    'pipelines/publish.yaml': `apiVersion: plantbench/v1
kind: Pipeline
id: publish
name: Publishes fed by the test
nodes:
  src: { type: signal, config: { path: x, intervalMs: 3600000, shape: { kind: sine } } }
  uns: { type: mqtt-sink, config: { device: broker, payload: { format: value } } }
edges:
  - { from: src, to: uns }
`,
    // A setpoint stepping between 200 and 300, every 100 ms.
    'pipelines/drive.yaml': `apiVersion: plantbench/v1
kind: Pipeline
id: drive
name: Setpoint steps
nodes:
  steps: { type: signal, config: { path: speed, intervalMs: 100, shape: { kind: sequence, values: [200, 300], dwellMs: 300 } } }
  put: { type: modbus-sink, config: { device: plc, tag: speed } }
edges:
  - { from: steps, to: put }
`,
  };
}

beforeAll(async () => {
  plc = await startModbusSimAt(MODBUS_HOST);
  broker = await startMqttSimulator(mqttProfile(), { baseDir: tmpdir(), log: () => {} });
  ua = await startOpcuaSim({
    bind: { host: OPCUA_HOST, port: 0 },
    variables: [
      { path: 'Set/Speed', dataType: 'Double', writable: true, value: 10 },
      { path: 'Status/Temp', dataType: 'Double', value: 20 },
    ],
  });
  pki = new OPCUACertificateManager({ rootFolder: join(tempDir(), 'client-pki'), disableFileWatchers: true });
  await pki.initialize();
  root = mkdtempSync(join(tmpdir(), 'plantbench-safety-'));
  mkdirSync(join(root, 'devices'));
  mkdirSync(join(root, 'pipelines'));
  writeFileSync(join(root, 'plantbench.yaml'), PROJECT);
  for (const [file, text] of Object.entries(devices())) writeFileSync(join(root, file), text);
}, 30_000);

afterAll(async () => {
  await plc?.stop();
  await ua?.stop();
  await broker?.stop();
  await pki?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
  cleanupTempDirs();
});

/** The Modbus simulator on this file's own address, so it stays apart from other tests' servers. */
async function startModbusSimAt(host: string): Promise<RunningModbusSimulator> {
  const profile = simulatorFile.parse({
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: 'plc',
    protocol: 'modbus',
    bind: { host, port: 0 },
    points: [
      { name: 'speed', area: 'holding', address: 0, value: 100 },
      { name: 'temp', area: 'input', address: 0, value: 20 },
    ],
  });
  return startModbusSimulator(profile as ModbusProfile, { baseDir: tmpdir(), log: () => {} });
}

function mqttProfile(): Extract<SimulatorFile, { protocol: 'mqtt' }> {
  const profile = simulatorFile.parse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'broker', protocol: 'mqtt', bind: { host: MQTT_HOST, port: 0 } });
  if (profile.protocol !== 'mqtt') throw new Error('unreachable');
  return profile;
}

/** Holding register 0 and input register 0, read by a plain Modbus client (not our connector). */
async function readPlc(): Promise<{ speed: number; temp: number }> {
  // The package's default export is the client class (its typings say otherwise).
  const ModbusRTU = modbusSerial as unknown as typeof import('modbus-serial/ModbusRTU.js').ModbusRTU;
  const client = new ModbusRTU();
  await client.connectTCP(MODBUS_HOST, { port: plc.port });
  client.setID(1);
  try {
    const speed = (await client.readHoldingRegisters(0, 1)).data[0]!;
    const temp = (await client.readInputRegisters(0, 1)).data[0]!;
    return { speed, temp };
  } finally {
    await new Promise<void>((done) => client.close(() => done()));
  }
}

/** Set/Speed and Status/Temp, read by a plain node-opcua client. */
async function readUa(): Promise<{ speed: unknown; temp: unknown }> {
  const client = OPCUAClient.create({ endpointMustExist: false, clientCertificateManager: pki, connectionStrategy: { maxRetry: 0 } });
  await client.connect(ua.endpoint);
  const session = await client.createSession();
  try {
    const [speed, temp] = await session.read([
      { nodeId: 'ns=1;s=Set.Speed', attributeId: AttributeIds.Value },
      { nodeId: 'ns=1;s=Status.Temp', attributeId: AttributeIds.Value },
    ]);
    return { speed: speed!.value.value, temp: temp!.value.value };
  } finally {
    await session.close();
    await client.disconnect();
  }
}

const writesSeen = (): number => WRITE_FCS.reduce((n, fc) => n + (plc.stats().byFunction[fc] ?? 0), 0);

/** The `write` pipeline with a gate of the given mode, auditing into `db`. */
async function startWrites(mode: RunMode, db: WorkspaceDb): Promise<{ session: ProjectSession; gate: SafetyGate; send(node: string, value: Value): Promise<Sample[]> }> {
  let gate: SafetyGate | undefined;
  const { session, problems } = await startProjectSession(root, {
    pipelines: ['write'],
    secrets: () => undefined,
    log: () => {},
    writes: (loaded) => (gate = new SafetyGate({ mode, writable: writableTags(loaded, ['write']), audit: new AuditStore(db) })),
  });
  expect(problems).toEqual([]);
  const run = session!.runner.runs[0]!;
  const errors = new Map<string, Sample[]>();
  for (const node of ['plc-speed', 'plc-temp', 'plc-ghost', 'ua-speed', 'ua-temp', 'ua-ghost']) {
    errors.set(node, []);
    run.tap(node, 'error', (batch) => errors.get(node)!.push(...batch));
  }
  return {
    session: session!,
    gate: gate!,
    /** Sends one value to a sink, waits until it is handled, and returns what went to its error port. */
    async send(node, value) {
      const before = run.stats().nodes[node]!.in;
      const list = errors.get(node)!;
      const seen = list.length;
      run.inject(node, 'in', [{ path: 'x', value, quality: 'good', ts: Date.now() }]);
      await waitFor(`${node} to take ${showValue(value)}`, () => run.stats().nodes[node]!.in > before && !run.stats().nodes[node]!.queued);
      await run.settle();
      return list.slice(seen);
    },
  };
}

const rows = (db: WorkspaceDb): Omit<AuditEntry, 'id' | 'at'>[] => [...new AuditStore(db).all()].map(({ id: _id, at: _at, ...rest }) => rest);
const me = whoAmI();

describe('live read-only', () => {
  it('never writes: the values on both devices stay, and every would-be write is audited', async () => {
    const before = { plc: await readPlc(), ua: await readUa() };
    const writes = writesSeen();
    const db = openWorkspaceDb(':memory:');
    const w = await startWrites('live-read-only', db);
    try {
      expect(await w.send('plc-speed', 250)).toEqual([]);
      expect((await w.send('plc-temp', 7)).map((s) => s.error!.message)).toEqual(['plc/temp: input register 0 (300001) is read-only; only coils and holding registers can be written']);
      expect(await w.send('ua-speed', 55)).toEqual([]);
      expect((await w.send('ua-speed', 500)).map((s) => s.error!.message)).toEqual(['ua/speed: interlock: 500 is above max 100']);
      expect((await w.send('ua-temp', 30)).map((s) => s.error!.message)).toEqual(['ua/temp: BadNotWritable (the AccessLevel has no CurrentWrite)']);
      const status = w.session.runner.stats().write!;
      expect(status['plc-speed']!.status).toMatchObject({ writes: 0, dryRuns: 1, wouldWrite: 'would write 250 to plc/speed (it holds 100)' });
      expect(status['ua-speed']!.status).toMatchObject({ written: 0, dryRuns: 1, wouldWrite: 'would write 55 to ua/speed (it holds 10)' });
    } finally {
      w.gate.dispose();
      await w.session.stop();
    }
    expect({ plc: await readPlc(), ua: await readUa() }).toEqual(before);
    expect(before).toEqual({ plc: { speed: 100, temp: 20 }, ua: { speed: 10, temp: 20 } });
    expect(writesSeen()).toBe(writes);
    const base = { mode: 'live-read-only', pipeline: 'write', user: me.user, host: me.host } as const;
    expect(rows(db)).toEqual([
      { ...base, node: 'plc-speed', device: 'plc', tag: 'speed', oldValue: 100, newValue: 250, result: 'dry-run', status: 'would write 250 to plc/speed (it holds 100)' },
      { ...base, node: 'plc-temp', device: 'plc', tag: 'temp', newValue: 7, result: 'refused', status: 'input register 0 (300001) is read-only; only coils and holding registers can be written' },
      { ...base, node: 'ua-speed', device: 'ua', tag: 'speed', oldValue: 10, newValue: 55, result: 'dry-run', status: 'would write 55 to ua/speed (it holds 10)' },
      { ...base, node: 'ua-speed', device: 'ua', tag: 'speed', newValue: 500, result: 'refused', status: 'interlock: 500 is above max 100' },
      { ...base, node: 'ua-temp', device: 'ua', tag: 'temp', newValue: 30, result: 'refused', status: 'BadNotWritable (the AccessLevel has no CurrentWrite)' },
    ]);
    db.close();
  });
});

describe('live armed', () => {
  it('writes only while armed and within the interlocks; device refusals carry the device status; the audit rows match', async () => {
    const db = openWorkspaceDb(':memory:');
    const w = await startWrites('live-armed', db);
    try {
      expect((await w.send('plc-speed', 150)).map((s) => s.error!.message)).toEqual(['plc/speed: not written: not armed (not armed yet)']);
      expect(w.gate.arm(writableTags(loadProject(root), ['write']), 1)).toMatchObject({ armed: true });
      expect(await w.send('plc-speed', 150)).toEqual([]);
      expect((await readPlc()).speed).toBe(150);
      expect((await w.send('plc-speed', 1001)).map((s) => s.error!.message)).toEqual(['plc/speed: interlock: 1001 is above max 1000']);
      expect((await w.send('plc-temp', 7)).map((s) => s.error!.message)).toEqual(['plc/temp: input register 0 (300001) is read-only; only coils and holding registers can be written']);
      expect((await w.send('plc-ghost', 1)).map((s) => s.error!.message)).toEqual([`plc/ghost: Illegal data address (exception 2) (writing holding register 50 (400051) of unit 1 at ${MODBUS_HOST}:${plc.port})`]);
      expect(await w.send('ua-speed', 42.5)).toEqual([]);
      expect((await readUa()).speed).toBe(42.5);
      expect((await w.send('ua-speed', 101)).map((s) => s.error!.message)).toEqual(['ua/speed: interlock: 101 is above max 100']);
      expect((await w.send('ua-temp', 30)).map((s) => s.error!.message)).toEqual(['ua/temp: BadNotWritable (the AccessLevel has no CurrentWrite)']);
      expect((await w.send('ua-ghost', 1)).map((s) => s.error!.message)).toEqual(['ua/ghost: BadNodeIdUnknown']);
      w.gate.disarm('kill switch');
      expect((await w.send('plc-speed', 160)).map((s) => s.error!.message)).toEqual(['plc/speed: not written: not armed (kill switch)']);
      const status = w.session.runner.stats().write!;
      expect(status['plc-speed']!.status).toMatchObject({ writes: 1, writeErrors: 3 });
      expect(status['ua-speed']!.status).toMatchObject({ written: 1 });
    } finally {
      w.gate.dispose();
      await w.session.stop();
    }
    expect(await readPlc()).toEqual({ speed: 150, temp: 20 });
    expect(await readUa()).toEqual({ speed: 42.5, temp: 20 });
    const base = { mode: 'live-armed', pipeline: 'write', user: me.user, host: me.host } as const;
    expect(rows(db)).toEqual([
      { ...base, node: 'plc-speed', device: 'plc', tag: 'speed', newValue: 150, result: 'refused', status: 'not written: not armed (not armed yet)' },
      { ...base, node: 'plc-speed', device: 'plc', tag: 'speed', oldValue: 100, newValue: 150, readBack: 150, result: 'written', status: 'ok, read back 150' },
      { ...base, node: 'plc-speed', device: 'plc', tag: 'speed', newValue: 1001, result: 'refused', status: 'interlock: 1001 is above max 1000' },
      { ...base, node: 'plc-temp', device: 'plc', tag: 'temp', newValue: 7, result: 'refused', status: 'input register 0 (300001) is read-only; only coils and holding registers can be written' },
      {
        ...base,
        node: 'plc-ghost',
        device: 'plc',
        tag: 'ghost',
        newValue: 1,
        result: 'failed',
        status: `Illegal data address (exception 2) (writing holding register 50 (400051) of unit 1 at ${MODBUS_HOST}:${plc.port})`,
      },
      { ...base, node: 'ua-speed', device: 'ua', tag: 'speed', oldValue: 10, newValue: 42.5, result: 'written', status: 'Good' },
      { ...base, node: 'ua-speed', device: 'ua', tag: 'speed', newValue: 101, result: 'refused', status: 'interlock: 101 is above max 100' },
      { ...base, node: 'ua-temp', device: 'ua', tag: 'temp', newValue: 30, result: 'refused', status: 'BadNotWritable (the AccessLevel has no CurrentWrite)' },
      { ...base, node: 'ua-ghost', device: 'ua', tag: 'ghost', newValue: 1, result: 'refused', status: 'BadNodeIdUnknown' },
      { ...base, node: 'plc-speed', device: 'plc', tag: 'speed', newValue: 160, result: 'refused', status: 'not written: not armed (kill switch)' },
    ]);
    db.close();
  });
});

describe('MQTT sandbox', () => {
  it('publishes under the sandbox prefix instead of the real UNS', async () => {
    const peer = await testClient(broker.endpoint, ['#']);
    const { session } = await startProjectSession(root, { pipelines: ['publish'], secrets: () => undefined, log: () => {}, mqttSandbox: 'sandbox/ann' });
    try {
      session!.runner.runs[0]!.inject('uns', 'in', [{ path: 'acme/test/lab/speed', value: 12, quality: 'good', ts: Date.now() }]);
      await waitFor('the sandboxed message', () => peer.received.length > 0);
      expect(peer.received.map((m) => [m.topic, m.payload.toString()])).toEqual([['sandbox/ann/acme/test/lab/speed', '12']]);
      expect(session!.runner.stats().publish!.uns!.status).toMatchObject({ sandbox: 'sandbox/ann/…' });
    } finally {
      await session!.stop();
      await peer.end();
    }
  });
});

describe('arming over the workbench RPC', () => {
  it('arms with the confirmed list, disarms on the kill switch and by itself at the time limit; audit.list and audit.export', async () => {
    const workbench = createWorkbench({ projectRoot: root, secrets: () => undefined });
    const [hostPort, clientPort] = memoryPortPair();
    workbench.rpc.connect(hostPort);
    const client = createRpcClient<Methods, Events>(clientPort);
    const states: RunStatus[] = [];
    client.on('run.state', (s) => states.push(s));
    try {
      const started = await client.call('run.start', { mode: 'live-armed', pipelines: ['drive'] });
      expect(started).toMatchObject({ state: 'running', mode: 'live-armed', arming: { armed: false, writable: [{ device: 'plc', tag: 'speed', nodes: ['drive/put'], limits: '0..1000, at most 5000/s, read-back' }] } });
      await expect(client.call('run.arm', { minutes: 1, confirm: [{ device: 'plc', tag: 'temp' }] })).rejects.toThrow(/not confirmed: plc\/speed; not writable in this run: plc\/temp/);
      const confirm = started.arming!.writable.map(({ device, tag }) => ({ device, tag }));
      expect(await client.call('run.arm', { minutes: 1, confirm })).toMatchObject({ armed: true });
      const written = async (): Promise<number> => (await client.call('audit.list', { mode: 'live-armed', result: 'written', limit: 1 })).total;
      let count = 0;
      await waitFor('writes while armed', () => count >= 2, 10_000, async () => void (count = await written()));
      const refusedNow = async (): Promise<number> => (await client.call('audit.list', { result: 'refused', limit: 1 })).total;
      const refusedAtKill = await refusedNow();
      await client.call('run.disarm', {});
      expect(states.at(-1)).toMatchObject({ arming: { armed: false, reason: expect.stringMatching(/^disarmed by /) } });
      let refused = 0;
      // The sink writes one sample at a time: once a refusal follows the kill switch, no write is in flight.
      await waitFor('a write refused after the kill switch', () => refused > refusedAtKill, 10_000, async () => void (refused = await refusedNow()));
      const afterKill = await written();
      await waitFor('more writes refused', () => refused > refusedAtKill + 2, 10_000, async () => void (refused = await refusedNow()));
      expect(await written()).toBe(afterKill);

      // Armed for about a second: it disarms by itself and says so.
      await client.call('run.arm', { minutes: 0.02, confirm });
      await waitFor('the arming to expire', () => states.at(-1)?.arming?.armed === false && /expired/.test(states.at(-1)?.arming?.reason ?? ''));
      const page = await client.call('audit.list', { device: 'plc', limit: 5 });
      expect(page.entries).toHaveLength(5);
      expect(page.nextBefore).toBe(page.entries[4]!.id);
      expect(page.entries.every((e) => e.device === 'plc' && e.tag === 'speed' && e.pipeline === 'drive' && e.node === 'put')).toBe(true);
      const exported = await client.call('audit.export', { result: 'written' });
      const lines = exported.csv.split('\r\n');
      expect(lines[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
      expect(lines).toHaveLength(exported.rows + 2);
      expect(exported.rows).toBeGreaterThanOrEqual(afterKill);
      await client.call('run.stop', {});
    } finally {
      client.close();
      await workbench.close();
    }
    // The register holds the last value written.
    const db = openWorkspaceDb(workspaceDbPath(root));
    const last = new AuditStore(db).list({ result: 'written' }, { limit: 1 }).entries[0]!;
    db.close();
    expect((await readPlc()).speed).toBe(last.newValue);
  });
});

describe('plantbench run and audit', () => {
  /** The command in a child process; not spawnSync, which would stall the simulators in this process. */
  async function plantbench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    return { code, stdout, stderr };
  }
  const audit = async (args: string[] = []): Promise<{ total: number; entries: AuditEntry[] }> =>
    JSON.parse((await plantbench(['audit', root, '--json', ...args])).stdout) as { total: number; entries: AuditEntry[] };

  it('runs live read-only by default: would-be writes are audited, the register stays', async () => {
    const held = (await readPlc()).speed;
    const writes = writesSeen();
    const since = new Date().toISOString();
    const { code, stdout } = await plantbench(['run', root, '--pipeline', 'drive', '--duration', '1000', '--json']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string; fields?: Record<string, unknown> });
    expect(lines[0]).toMatchObject({ message: 'started', fields: { mode: 'live-read-only', dryRun: ['plc/speed'] } });
    const stopped = lines.at(-1)!;
    expect(stopped).toMatchObject({ message: 'stopped', fields: { mode: 'live-read-only', writes: { written: 0, failed: 0 } } });
    expect(lines.some((l) => /^would write (200|300) to plc\/speed \(it holds \d+\)$/.test(l.message))).toBe(true);
    expect((await readPlc()).speed).toBe(held);
    expect(writesSeen()).toBe(writes);
    const { entries } = await audit(['--since', since]);
    const dryRuns = entries.filter((e) => e.result === 'dry-run');
    expect(dryRuns).toHaveLength((stopped.fields!.writes as Record<string, number>)['dry-run']!);
    expect(entries.every((e) => e.mode === 'live-read-only' && e.device === 'plc' && e.tag === 'speed')).toBe(true);
    expect(dryRuns.every((e) => e.oldValue === held && e.status === `would write ${e.newValue} to plc/speed (it holds ${held})`)).toBe(true);
  });

  it('refuses --arm without a terminal and without --yes-i-know, and writes nothing', async () => {
    const writes = writesSeen();
    const { code, stdout, stderr } = await plantbench(['run', root, '--pipeline', 'drive', '--arm', '--duration', '1000']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Arming lets this run write to 1 device tag\(s\) for 15 minute\(s\):\n {2}plc\/speed {2}0\.\.1000, at most 5000\/s, read-back {2}\(drive\/put\)\n/);
    expect(stderr).toMatch(/refusing to arm: nobody can confirm \(no terminal\)\. Run it on a terminal and type "arm", or pass --yes-i-know for a scripted gateway\./);
    expect(writesSeen()).toBe(writes);
  });

  it('--arm --yes-i-know writes while armed; audit --json and --csv show the same rows', async () => {
    const since = new Date().toISOString();
    const { code, stdout } = await plantbench(['run', root, '--pipeline', 'drive', '--arm', '--yes-i-know', '--arm-minutes', '1', '--duration', '1000', '--json']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string; fields?: Record<string, unknown> });
    const started = lines.find((l) => l.message === 'started')!;
    expect(started.fields).toMatchObject({ mode: 'live-armed', armed: true });
    const stopped = lines.at(-1)!;
    expect(stopped).toMatchObject({ message: 'stopped', fields: { mode: 'live-armed' } });
    const counts = stopped.fields!.writes as Record<string, number>;
    expect(counts.written).toBeGreaterThan(0);

    const armed = (await audit(['--since', since, '--device', 'plc'])).entries.filter((e) => e.mode === 'live-armed' && e.pipeline === 'drive');
    const written = armed.filter((e) => e.result === 'written');
    expect(written).toHaveLength(counts.written!);
    for (const e of written) expect(e).toMatchObject({ readBack: e.newValue, status: `ok, read back ${e.newValue}`, user: me.user, host: me.host });
    expect((await readPlc()).speed).toBe(written[0]!.newValue);

    const csv = (await plantbench(['audit', root, '--csv', '--result', 'written', '--since', since])).stdout;
    const records = csv.split('\r\n');
    expect(records[0]).toBe('id,time,mode,pipeline,node,device,tag,old_value,new_value,read_back,result,status,user,host');
    const armedRecords = records.slice(1, -1);
    expect(armedRecords).toHaveLength(written.length);
    // Oldest first in the CSV, newest first in the JSON.
    const last = written[0]!;
    expect(armedRecords.at(-1)).toBe(
      `${last.id},${new Date(last.at).toISOString()},live-armed,drive,put,plc,speed,${JSON.stringify(last.oldValue)},${last.newValue},${last.readBack},written,"ok, read back ${last.newValue}",${me.user},${me.host}`,
    );
    const human = (await plantbench(['audit', root, '--limit', '2'])).stdout.trim().split('\n');
    expect(human).toHaveLength(3);
    expect(human[2]).toMatch(/^2 of \d+ entries/);
  });

});

describe('validation', () => {
  it('rejects interlocks with bad bounds, naming file:line and the field (as plantbench validate prints them)', () => {
    const bad = join(root, 'devices/bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: plantbench/v1\nkind: Device\nid: bad\nprotocol: modbus\ntransport: { kind: tcp, host: 127.0.0.1 }\ntags:\n  - name: a\n    area: holding\n    address: 0\n    interlock: { min: 10, max: 5, maxRatePerSecond: -1, allowed: [] }\n',
    );
    try {
      expect(loadProject(root).problems.map(formatProblem)).toEqual([
        'devices/bad.yaml:10:32 tags[0].interlock.max: max (5) is below min (10)',
        'devices/bad.yaml:10:53 tags[0].interlock.maxRatePerSecond: maxRatePerSecond must be above 0 (got -1)',
        'devices/bad.yaml:10:66 tags[0].interlock.allowed: allowed needs at least one value (leave it out to allow any value)',
      ]);
    } finally {
      rmSync(bad);
    }
  });
});
