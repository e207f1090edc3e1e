// Export a project with `plantbench export`, copy only the bundle to a clean folder outside the
// checkout, run it with the plain Node 22 binary (no node_modules, no NODE_PATH) and receive its
// messages at Debian's mosquitto, which requires a password given as ${secret:…}.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import modbusSerial from 'modbus-serial';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSim } from '../helpers/modbus.ts';
import { passwordConfig, startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { writeProjectFiles } from '../helpers/project.ts';
import { startPymodbus } from '../helpers/pymodbus.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const NODE22 = new URL('../../node_modules/node/bin/node', import.meta.url).pathname;
const HOST = '127.0.0.170';
const USER = 'gateway';
// Values a scan of the bundle must never find.
const PASSWORD = 'pw-7f3c9e1a-never-in-a-bundle';
const API_KEY = 'key-52b8d04c-never-in-a-bundle';

let broker: Mosquitto;
let passwd: ReturnType<typeof passwordConfig>;
let work: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  passwd = passwordConfig(USER, PASSWORD);
  broker = await startMosquitto({ host: HOST, extraConfig: passwd.config });
  work = mkdtempSync(join(tmpdir(), 'plantbench-gateway-test-'));
});
afterAll(async () => {
  await broker?.stop();
  passwd?.dispose();
  rmSync(work, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
});

/** The test project, plus `extra` files (path → YAML). */
function writeProject(root: string, extra: Record<string, string> = {}): void {
  writeProjectFiles(root, 'gateway test', {
    'devices/broker.yaml': `apiVersion: plantbench/v1\nkind: Device\nid: broker\nprotocol: mqtt\nurl: ${broker.url}\nprotocolVersion: 5\nusername: ${USER}\npassword: \${secret:MQTT_PASSWORD}\n`,
    // A device the exported pipeline does not use: it must stay out of the bundle.
    'devices/other.yaml': `apiVersion: plantbench/v1\nkind: Device\nid: other\nprotocol: mqtt\nurl: mqtt://${HOST}:1\npassword: \${env:OTHER_KEY}\n`,
    'pipelines/line.yaml':
      'apiVersion: plantbench/v1\nkind: Pipeline\nid: line\nname: line\nnodes:\n  src:\n    type: signal\n    config: { path: tank/level, intervalMs: 50, shape: { kind: ramp } }\n  pub:\n    type: mqtt-sink\n    config: { device: broker, topic: "gw/{path}", qos: 1 }\nedges:\n  - { from: src, to: pub }\n',
    'pipelines/unused.yaml':
      'apiVersion: plantbench/v1\nkind: Pipeline\nid: unused\nname: unused\nnodes:\n  src:\n    type: signal\n    config: { path: x, intervalMs: 1000, shape: { kind: ramp } }\n  pub:\n    type: mqtt-sink\n    config: { device: other, topic: "x/{path}" }\nedges:\n  - { from: src, to: pub }\n',
    ...extra,
  });
}

function plantbench(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exports the project and copies only the bundle to a fresh folder; returns the copy. */
function exportAndCopy(name: string, extra: Record<string, string> = {}, pipeline = 'line'): string {
  const project = join(work, `${name}-project`);
  writeProject(project, extra);
  const out = join(work, `${name}-export`);
  // The secret values are in the environment of the export too: they must still not be written.
  const r = plantbench(['export', project, '--pipeline', pipeline, '--out', out], { PLANTBENCH_SECRET_MQTT_PASSWORD: PASSWORD, OTHER_KEY: API_KEY });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const clean = join(work, `${name}-gateway`);
  cpSync(out, join(clean, 'bundle'), { recursive: true });
  // The health server on this test's address, on a free port.
  const config = join(clean, 'bundle/gateway.yaml');
  const text = readFileSync(config, 'utf8');
  expect(text).toMatch(/host: 127\.0\.0\.1/);
  writeFileSync(config, text.replace('host: 127.0.0.1', `host: ${HOST}`).replace('port: 9464', 'port: 0'));
  return clean;
}

interface Gateway {
  child: ChildProcess;
  lines: () => Record<string, unknown>[];
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Plain Node 22, cwd outside the checkout, no NODE_PATH, only the secret in the environment. */
function startGateway(dir: string, env: NodeJS.ProcessEnv = { PLANTBENCH_SECRET_MQTT_PASSWORD: PASSWORD }): Gateway {
  const child = spawn(NODE22, [join(dir, 'bundle/plantbench-gateway.js'), 'run'], { cwd: dir, env: { PATH: '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    stdout: () => `${out}${err ? `\nstderr: ${err}` : ''}`,
    lines: () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function subscribe(topic: string): Promise<{ messages: { topic: string; payload: string }[]; end(): Promise<void> }> {
  const client = await mqtt.connectAsync(broker.url, { username: USER, password: PASSWORD });
  const messages: { topic: string; payload: string }[] = [];
  client.on('message', (t, p) => messages.push({ topic: t, payload: p.toString() }));
  await client.subscribeAsync(topic, { qos: 1 });
  return { messages, end: () => client.endAsync() };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('gateway export', () => {
  it('exports a bundle without secret values that runs under plain Node 22 and publishes to mosquitto; SIGTERM drains', async () => {
    const dir = exportAndCopy('run');
    const bundle = join(dir, 'bundle');
    const names = filesUnder(bundle).map((f) => f.slice(bundle.length + 1)).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'plantbench-gateway.js',
        'package.json',
        'gateway.yaml',
        'plantbench-gateway.service',
        'Dockerfile',
        'compose.yaml',
        '.dockerignore',
        'README.md',
        'SECRETS.md',
        'project/plantbench.yaml',
        'project/devices/broker.yaml',
        'project/pipelines/line.yaml',
        'node_modules/better-sqlite3/prebuilds/linux-x64.node',
        'node_modules/better-sqlite3/prebuilds/linux-arm64.node',
      ]),
    );
    // No serial line: the unit hides every device.
    expect(readFileSync(join(bundle, 'plantbench-gateway.service'), 'utf8')).toContain('PrivateDevices=yes');
    // Only what the selected pipeline uses; only the two Linux prebuilds.
    expect(names.filter((n) => n.startsWith('project/'))).toHaveLength(3);
    expect(readdirSync(join(bundle, 'node_modules/better-sqlite3/prebuilds')).sort()).toEqual(['linux-arm64.node', 'linux-x64.node']);
    for (const file of filesUnder(bundle)) {
      const bytes = readFileSync(file);
      expect(bytes.includes(PASSWORD), `${file} holds the MQTT password`).toBe(false);
      expect(bytes.includes(API_KEY), `${file} holds the API key`).toBe(false);
    }
    expect(readFileSync(join(bundle, 'SECRETS.md'), 'utf8')).toContain('${secret:MQTT_PASSWORD}');
    expect(readFileSync(join(bundle, 'gateway.yaml'), 'utf8')).toMatch(/required: \[ "\$\{secret:MQTT_PASSWORD\}" \]/);

    const sub = await subscribe('gw/#');
    const gw = startGateway(dir);
    try {
      await waitFor(() => `messages at mosquitto; gateway said:\n${gw.stdout()}`, () => sub.messages.length >= 5, 20_000);
      expect(sub.messages[0]!.topic).toBe('gw/tank/level');
      const started = gw.lines().find((l) => l.msg === 'started')!;
      expect(started).toMatchObject({ level: 'info', pipelines: ['line'], mode: 'live-read-only' });
      expect(String(started.health)).toMatch(new RegExp(`^http://${HOST.replaceAll('.', '\\.')}:\\d+$`));
      const health = await fetch(`${started.health as string}/metrics`);
      expect(health.status).toBe(200);
      // State (buffer, audit log) in ./state of the working directory, not in the bundle.
      expect(statSync(join(dir, 'state')).isDirectory()).toBe(true);
      expect(statSync(join(dir, 'state/buffer.db')).isFile()).toBe(true);
      // The audit log opens at the first device write: this gateway only reads.
      expect(existsSync(join(dir, 'state/audit.db'))).toBe(false);
      expect(readdirSync(bundle).includes('state')).toBe(false);

      gw.child.kill('SIGTERM');
      expect(await gw.exited).toBe(0);
    } finally {
      await sub.end();
    }
    const lines = gw.lines();
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(typeof l.time === 'string' && typeof l.level === 'string' && typeof l.msg === 'string').toBe(true);
    const stopped = lines.find((l) => l.msg === 'stopped') as { reason: string; stats: Record<string, Record<string, { in: number; out: number }>> };
    expect(stopped.reason).toBe('SIGTERM');
    // Drained: the sink took in everything the source emitted.
    expect(stopped.stats.line!.pub!.in).toBe(stopped.stats.line!.src!.out);
  });

  it('audits device writes as dry runs, opening the audit log at the first one', async () => {
    const sim = await startSim([{ name: 'setpoint', area: 'holding', address: 0, type: 'uint16', value: 7 }], { host: HOST });
    try {
      const dir = exportAndCopy(
        'writes',
        {
          'devices/plc.yaml': `apiVersion: plantbench/v1\nkind: Device\nid: plc\nprotocol: modbus\ntransport: { kind: tcp, host: ${HOST}, port: ${sim.port} }\ntags:\n  - { name: setpoint, area: holding, address: 0, type: uint16, writable: true }\n`,
          'pipelines/write.yaml':
            'apiVersion: plantbench/v1\nkind: Pipeline\nid: write\nname: write\nnodes:\n  src:\n    type: signal\n    config: { path: sp, intervalMs: 100, shape: { kind: counter, start: 100, everyMs: 100 } }\n  set:\n    type: modbus-sink\n    config: { device: plc, tag: setpoint }\nedges:\n  - { from: src, to: set }\n',
        },
        'write',
      );
      const audit = join(dir, 'state/audit.db');
      const gw = startGateway(dir);
      const dryRuns = (): number => {
        if (!existsSync(audit)) return 0;
        const db = new Database(audit, { readonly: true, fileMustExist: true });
        try {
          // The table appears once the gateway has created the file and run its migrations.
          if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'audit'").get()) return 0;
          return (db.prepare("SELECT COUNT(*) AS n FROM audit WHERE result = 'dry-run' AND device = 'plc' AND tag = 'setpoint'").get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      await waitFor(() => `3 dry-run entries in ${audit}; gateway said:\n${gw.stdout()}`, () => dryRuns() >= 3, 20_000);
      gw.child.kill('SIGTERM');
      expect(await gw.exited).toBe(0);
      const stopped = gw.lines().find((l) => l.msg === 'stopped') as { writes: Record<string, number> };
      expect(stopped.writes['dry-run']).toBeGreaterThanOrEqual(3);
      expect(stopped.writes.written).toBe(0);
      // Dry runs only: the PLC's register still holds its value.
      const client = new (modbusSerial as unknown as typeof import('modbus-serial/ModbusRTU.js').ModbusRTU)();
      await client.connectTCP(HOST, { port: sim.port });
      try {
        expect((await client.readHoldingRegisters(0, 1)).data).toEqual([7]);
      } finally {
        client.close(() => {});
      }
    } finally {
      await sim.stop();
    }
  });

  it('reads Modbus RTU over a serial line through the bundled serialport binding (pymodbus on a pseudo-terminal pair)', async () => {
    const server = await startPymodbus(['rtu', 'discovery']);
    try {
      const { pty } = JSON.parse(server.ready) as { pty: string };
      const dir = exportAndCopy(
        'rtu',
        {
          // Holding 40000-40001 hold 123.456 as float32 CDAB (pymodbus_server.py).
          'devices/rtu.yaml': `apiVersion: plantbench/v1\nkind: Device\nid: rtu\nprotocol: modbus\ntransport: { kind: rtu, path: ${pty}, baudRate: 9600, parity: none, dataBits: 8, stopBits: 1 }\nunitId: 1\ntags:\n  - { name: level, area: holding, address: 40000, type: float32, order: CDAB }\n`,
          'pipelines/rtu.yaml':
            'apiVersion: plantbench/v1\nkind: Pipeline\nid: rtu\nname: rtu\nnodes:\n  src:\n    type: modbus-source\n    config: { device: rtu }\n  pub:\n    type: mqtt-sink\n    config: { device: broker, topic: "rtu/{path}", qos: 1, payload: { format: value } }\nedges:\n  - { from: src, to: pub }\n',
        },
        'rtu',
      );
      const natives = filesUnder(join(dir, 'bundle/node_modules/@serialport/bindings-cpp/prebuilds')).map((f) => f.split('/prebuilds/')[1]);
      expect(natives.every((f) => f!.startsWith('linux-x64/') || f!.startsWith('linux-arm64/'))).toBe(true);
      // The unit allows exactly this serial line; compose maps it.
      const unit = readFileSync(join(dir, 'bundle/plantbench-gateway.service'), 'utf8');
      expect(unit).toContain(`DeviceAllow=${pty} rw`);
      expect(unit).toContain('SupplementaryGroups=dialout');
      expect(unit).not.toContain('PrivateDevices=yes');
      expect(readFileSync(join(dir, 'bundle/compose.yaml'), 'utf8')).toContain(`      - ${pty}:${pty}`);
      const sub = await subscribe('rtu/#');
      const gw = startGateway(dir);
      try {
        await waitFor(() => `a value from the serial line at mosquitto; gateway said:\n${gw.stdout()}`, () => sub.messages.length >= 1, 20_000);
        // Topic: rtu/ + the sample's path (device/tag).
        expect(sub.messages[0]!.topic).toBe('rtu/rtu/level');
        expect(Number(sub.messages[0]!.payload), `${JSON.stringify(sub.messages.slice(0, 3))}\n${gw.stdout()}`).toBeCloseTo(123.456, 3);
        gw.child.kill('SIGTERM');
        expect(await gw.exited).toBe(0);
      } finally {
        await sub.end();
      }
    } finally {
      await server.stop();
    }
  });

  it('writes a .tar.gz that tar extracts to the same bundle', () => {
    const project = join(work, 'tar-project');
    writeProject(project);
    const out = join(work, 'gw.tar.gz');
    const r = plantbench(['export', project, '--pipeline', 'line', '--out', out]);
    expect(r.code).toBe(0);
    const into = join(work, 'tar-x');
    mkdirSync(into);
    const x = spawnSync('tar', ['-xzf', out, '-C', into], { encoding: 'utf8' });
    expect(x.stderr).toBe('');
    expect(x.status).toBe(0);
    const names = filesUnder(join(into, 'gw')).map((f) => f.slice(join(into, 'gw').length + 1));
    expect(names).toEqual(expect.arrayContaining(['plantbench-gateway.js', 'gateway.yaml', 'project/pipelines/line.yaml', 'node_modules/better-sqlite3/prebuilds/linux-arm64.node']));
    expect(statSync(join(into, 'gw/node_modules/better-sqlite3/prebuilds/linux-x64.node')).size).toBe(
      statSync(new URL('../../node_modules/better-sqlite3/prebuilds/linux-x64.node', import.meta.url)).size,
    );
    const check = spawnSync(NODE22, [join(into, 'gw/plantbench-gateway.js'), 'validate'], { encoding: 'utf8', cwd: into, env: { PATH: '/usr/bin:/bin', PLANTBENCH_SECRET_MQTT_PASSWORD: PASSWORD } });
    expect(check.stdout).toContain('"msg":"bundle valid"');
    expect(check.status).toBe(0);
  });

  it('refuses an invalid bundle or a missing secret with file:line:col and exit code 2', async () => {
    const dir = exportAndCopy('invalid');
    const noSecret = startGateway(dir, {});
    expect(await noSecret.exited).toBe(2);
    const missing = noSecret.lines().find((l) => l.msg === 'invalid bundle')!;
    expect(missing.where).toMatch(/^project\/devices\/broker\.yaml:\d+:\d+ password: unresolved \$\{secret:MQTT_PASSWORD\}/);

    const pipeline = join(dir, 'bundle/project/pipelines/line.yaml');
    writeFileSync(pipeline, readFileSync(pipeline, 'utf8').replace('intervalMs: 50', 'intervalMs: "fast"'));
    const bad = startGateway(dir);
    expect(await bad.exited).toBe(2);
    const problem = bad.lines().find((l) => l.msg === 'invalid bundle')!;
    expect(problem.where).toMatch(/^project\/pipelines\/line\.yaml:\d+:\d+ nodes\.src\.config\.intervalMs: /);
    expect(bad.lines().at(-1)).toMatchObject({ msg: 'not started', exitCode: 2 });
  });

  it('hot-reloads a good change and rejects a bad one while the running version keeps publishing', async () => {
    const dir = exportAndCopy('reload');
    const pipeline = join(dir, 'bundle/project/pipelines/line.yaml');
    const sub = await subscribe('#');
    const gw = startGateway(dir);
    try {
      await waitFor(() => `first messages; gateway said:\n${gw.stdout()}`, () => sub.messages.some((m) => m.topic === 'gw/tank/level'), 20_000);
      writeFileSync(pipeline, readFileSync(pipeline, 'utf8').replace('gw/{path}', 'gw2/{path}'));
      await waitFor(() => `messages on gw2/ after the reload; gateway said:\n${gw.stdout()}`, () => sub.messages.some((m) => m.topic === 'gw2/tank/level'), 20_000);
      expect(gw.lines().find((l) => l.msg === 'reloaded')).toBeDefined();

      writeFileSync(pipeline, readFileSync(pipeline, 'utf8').replace('to: pub', 'to: nowhere'));
      await waitFor(() => `a rejected reload; gateway said:\n${gw.stdout()}`, () => gw.lines().some((l) => l.msg === 'reload rejected: still running the previous version'), 20_000);
      const rejected = gw.lines().find((l) => l.msg === 'reload rejected')!;
      expect(rejected.where).toMatch(/^project\/pipelines\/line\.yaml:\d+:\d+ /);
      const before = sub.messages.filter((m) => m.topic === 'gw2/tank/level').length;
      await waitFor(() => `gw2/ messages still flowing; gateway said:\n${gw.stdout()}`, () => sub.messages.filter((m) => m.topic === 'gw2/tank/level').length >= before + 5, 10_000);
      expect(gw.child.exitCode).toBe(null);

      // A new bundle's project/ swapped in by renames (how an operator drops a new export in).
      const project = join(dir, 'bundle/project');
      cpSync(project, `${project}.next`, { recursive: true });
      writeFileSync(`${project}.next/pipelines/line.yaml`, readFileSync(pipeline, 'utf8').replace('to: nowhere', 'to: pub').replace('gw2/{path}', 'gw3/{path}'));
      renameSync(project, `${project}.old`);
      renameSync(`${project}.next`, project);
      await waitFor(() => `messages on gw3/ after the swap; gateway said:\n${gw.stdout()}`, () => sub.messages.some((m) => m.topic === 'gw3/tank/level'), 20_000);
      gw.child.kill('SIGTERM');
      expect(await gw.exited).toBe(0);
    } finally {
      await sub.end();
    }
  });
});
