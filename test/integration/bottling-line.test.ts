import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createRpcClient } from '../../src/shared/rpc/client.ts';
import type { Events, Methods } from '../../src/shared/rpc/contract.ts';
import type { PayloadOf } from '../../src/shared/rpc/define.ts';
import { RPC_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, websocketPort, type WebSocketLike } from '../../src/shared/rpc/websocket-port.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { copyExample } from '../helpers/project.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

// The whole simulated bottling line: `plantbench run --simulate` starts the filler (Modbus),
// capper (OPC UA) and palletizer (MQTT) simulators, runs the three pipelines against them, and
// publishes into the UNS broker, here Debian's mosquitto, read with mosquitto_sub.

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;
const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

let broker: Mosquitto | undefined;
let project: ReturnType<typeof copyExample> | undefined;
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
    }
  }
  await broker?.stop();
  project?.dispose();
});

function collectLines(child: ChildProcessWithoutNullStreams): string[] {
  const lines: string[] = [];
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return lines;
}

describe('plantbench run flows/bottling-line --simulate', () => {
  it('delivers the line to mosquitto_sub as JSON UNS topics and as Sparkplug B', async () => {
    expect(existsSync(MOSQUITTO_SUB), 'install the Debian package mosquitto-clients').toBe(true);
    broker = await startMosquitto();
    project = copyExample();
    // The UNS broker is the real mosquitto; every machine is simulated.
    rmSync(join(project.root, 'simulators/uns-broker.yaml'));
    project.edit('devices/uns-broker.yaml', (t) => t.replace('mqtt://127.0.0.1:11883', broker!.url));

    const sub = spawn(MOSQUITTO_SUB, ['-h', broker.host, '-p', String(broker.port), '-t', 'acme/#', '-t', 'spBv1.0/#', '-v']);
    children.push(sub);
    const received = collectLines(sub);
    await sleep(200);

    const run = spawn(process.execPath, [BIN, 'run', project.root, '--simulate', '--json'], { env: { ...process.env, NO_COLOR: '1' } });
    children.push(run);
    const log = collectLines(run);
    let stderr = '';
    run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));

    const topics = () => new Set(received.map((l) => l.split(' ')[0]));
    const want = [
      'acme/dortmund/packaging/line-1/filler/level',
      'acme/dortmund/packaging/line-1/filler/bottles',
      'acme/dortmund/packaging/line-1/filler/running',
      'acme/dortmund/packaging/line-1/capper/state',
      'spBv1.0/dortmund-packaging/NBIRTH/line-1',
      'spBv1.0/dortmund-packaging/DBIRTH/line-1/palletizer',
      'spBv1.0/dortmund-packaging/DDATA/line-1/palletizer',
    ];
    await waitFor(`topics ${want.join(', ')} (got ${[...topics()].join(', ')}; stderr: ${stderr})`, () => want.every((t) => topics().has(t)), 30_000);

    const started = log.map((l) => JSON.parse(l) as { message: string; fields: { mode: string; simulators: Record<string, string> } }).find((l) => l.message === 'started')!;
    expect(started.fields.mode).toBe('simulated');
    expect(Object.keys(started.fields.simulators).sort()).toEqual(['capper', 'filler', 'palletizer']);

    const level = received.find((l) => l.startsWith('acme/dortmund/packaging/line-1/filler/level '))!;
    const payload = JSON.parse(level.slice(level.indexOf(' ') + 1)) as { value: number; quality: string; ts: number; unit: string };
    expect(payload.quality).toBe('good');
    expect(payload.unit).toBe('%');
    // The simulated level is 250 ± 40 mm of a 500 mm tank.
    expect(payload.value).toBeGreaterThanOrEqual(42);
    expect(payload.value).toBeLessThanOrEqual(58);
    const state = received.find((l) => l.startsWith('acme/dortmund/packaging/line-1/capper/state '))!;
    expect(JSON.parse(state.slice(state.indexOf(' ') + 1)).value).toMatch(/^(Clearing|Stopped|Starting|Idle|Suspended|Execute|Stopping|Aborting|Aborted|Unknown)$/);

    run.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => run.once('exit', (c) => done(c)));
    expect(code).toBe(0);
    expect(JSON.parse(log.at(-1)!).message).toBe('stopped');
  });
});

describe('plantbench simulate', () => {
  it('starts the project simulators on their 127.x plant hosts and prints their endpoints', async () => {
    const run = spawn(process.execPath, [BIN, 'simulate', new URL('../../flows/bottling-line', import.meta.url).pathname, '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    children.push(run);
    const lines = collectLines(run);
    await waitFor('the simulators line', () => lines.some((l) => l.includes('"simulators"')), 30_000);
    const { simulators } = JSON.parse(lines.find((l) => l.includes('"simulators"'))!) as { simulators: { id: string; protocol: string; endpoint: string }[] };
    expect(simulators.map((s) => [s.id, s.protocol, s.endpoint]).sort()).toEqual([
      ['capper', 'opcua', 'opc.tcp://127.0.0.12:4840/plantbench'],
      ['filler', 'modbus', expect.stringMatching(/^modbus:\/\/127\.0\.0\.11:5020/)],
      ['palletizer', 'mqtt', 'mqtt://127.0.0.13:1883'],
      ['uns-broker', 'mqtt', 'mqtt://127.0.0.1:11883'],
    ]);
  });
});

describe('npm start: plantbench serve flows/bottling-line --simulate', () => {
  it('serves the workbench with live values from the simulated line over the RPC WebSocket', async () => {
    const serve = spawn(process.execPath, [BIN, 'serve', new URL('../../flows/bottling-line', import.meta.url).pathname, '--simulate', '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    children.push(serve);
    const lines = collectLines(serve);
    await waitFor('the URL line', () => lines.some((l) => l.includes('"url"')), 30_000);
    const { url } = JSON.parse(lines.find((l) => l.includes('"url"'))!) as { url: string };
    const page = new URL(url);
    const token = page.searchParams.get('token')!;
    const ws = new WebSocket(`ws://${page.host}/rpc`, [RPC_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`]);
    await new Promise((ok, fail) => (ws.once('open', ok), ws.once('error', fail)));
    const client = createRpcClient<Methods, Events>(websocketPort(ws as unknown as WebSocketLike));
    try {
      let stats: PayloadOf<Events, 'run.stats'> | undefined;
      client.on('run.stats', (s) => (stats = s));
      await waitFor('live values from the filler and the capper', () => {
        const p = stats?.pipelines;
        return Boolean(p?.['filler-uns']?.nodes['level-pct']?.last && p['capper-uns']?.nodes.process?.last);
      }, 30_000);
      expect((await client.call('run.status', {})).mode).toBe('simulated');
      expect(stats!.pipelines['filler-uns']!.nodes['level-pct']!.last!.path).toBe('filler/level');
    } finally {
      client.close();
      ws.close();
    }
  });
});

describe('simulated run when a plant host address is taken', () => {
  it('moves that simulator to a free loopback port, says so, and the line still runs', async () => {
    const squatter = createServer();
    await new Promise<void>((ok) => squatter.listen(5020, '127.0.0.11', () => ok()));
    try {
      const run = spawn(process.execPath, [BIN, 'run', new URL('../../flows/bottling-line', import.meta.url).pathname, '--simulate', '--json', '--duration', '4000'], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      children.push(run);
      const lines = collectLines(run);
      const code = await new Promise<number | null>((done) => run.once('exit', (c) => done(c)));
      expect(code).toBe(0);
      const log = lines.map((l) => JSON.parse(l) as { level: string; message: string; fields?: { stats?: Record<string, Record<string, { out: number }>> } });
      expect(log.find((l) => l.level === 'warn' && l.message.includes('simulator "filler"'))?.message).toMatch(
        /127\.0\.0\.11:5020 is not available \(.*EADDRINUSE.*\); serving on 127\.0\.0\.1:\d+ instead/,
      );
      expect(log.at(-1)!.fields!.stats!['filler-uns']!.level!.out).toBeGreaterThan(0);
    } finally {
      await new Promise((done) => squatter.close(done));
    }
  });

  it('refuses to start a standalone simulator on a taken address, naming it', async () => {
    const squatter = createServer();
    await new Promise<void>((ok) => squatter.listen(5020, '127.0.0.11', () => ok()));
    try {
      const run = spawn(process.execPath, [BIN, 'simulate', new URL('../../flows/bottling-line', import.meta.url).pathname], { env: { ...process.env, NO_COLOR: '1' } });
      children.push(run);
      let stderr = '';
      run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((done) => run.once('exit', (c) => done(c)));
      expect(code).toBe(1);
      expect(stderr).toMatch(/simulator "filler" \(modbus on 127\.0\.0\.11:5020\) did not start: .*EADDRINUSE/);
    } finally {
      await new Promise((done) => squatter.close(done));
    }
  });
});
