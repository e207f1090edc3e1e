// Helpers for MQTT integration tests: a pipeline run with the MQTT connector on the real clock, an
// MQTT.js client that records what it receives, and a TCP proxy that can cut or hold a connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { RealClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun, type LogEntry, type NodeStats } from '../../src/engine/runtime.ts';
import { createMqttConnector } from '../../src/connectors/mqtt/index.ts';
import { deviceFile, type DeviceFile } from '../../src/shared/model/device.ts';
import type { Batch, Sample } from '../../src/shared/sample.ts';
import { pipeline, TEST_PROJECT } from './pipeline.ts';

export async function waitFor(what: string | (() => string), ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A device file from plain data (defaults applied, like a devices/<id>.yaml). */
export function mqttDevice(id: string, fields: Record<string, unknown>): DeviceFile {
  return deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id, protocol: 'mqtt', ...fields });
}

export interface LiveRun {
  readonly run: PipelineRun;
  /** What each tapped "node.port" emitted. */
  readonly out: Record<string, Sample[]>;
  /** Run log and connector log. */
  readonly logs: { level: string; message: string }[];
  stats(node: string): NodeStats;
  send(node: string, batch: Batch): void;
  stop(): Promise<void>;
}

/** Starts a pipeline with the engine kinds and the MQTT connector; taps "node.port" for each entry. */
export async function startLiveRun(
  nodes: Record<string, unknown>,
  edges: { from: string; to: string }[],
  devices: DeviceFile[],
  taps: string[],
): Promise<LiveRun> {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-mqtt-'));
  const logs: { level: string; message: string }[] = [];
  const connector = createMqttConnector({ dataDir: join(dir, '.plantbench'), log: (level, message) => logs.push({ level, message }) });
  const byId = new Map(devices.map((d) => [d.id, d]));
  const run = new PipelineRun({
    pipeline: pipeline(nodes, edges),
    kinds: kindRegistry(ENGINE_KINDS, connector.kinds),
    clock: new RealClock(),
    project: TEST_PROJECT,
    devices: (id) => byId.get(id),
    log: (e: LogEntry) => logs.push({ level: e.level, message: `${e.node ?? ''}: ${e.message}` }),
  });
  const out: Record<string, Sample[]> = {};
  for (const tap of taps) {
    const [node, port] = tap.split('.') as [string, string];
    const list: Sample[] = [];
    out[tap] = list;
    run.tap(node, port, (batch) => list.push(...batch));
  }
  await run.start();
  let stopped = false;
  return {
    run,
    out,
    logs,
    stats: (node) => run.stats().nodes[node]!,
    send: (node, batch) => run.inject(node, 'in', batch),
    async stop() {
      if (stopped) return;
      stopped = true;
      await run.stop();
      await connector.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: IPublishPacket;
}

export interface TestClient {
  readonly client: MqttClient;
  readonly received: Received[];
  texts(topic?: string): string[];
  publish(topic: string, payload: string | Buffer, opts?: mqtt.IClientPublishOptions): Promise<void>;
  end(): Promise<void>;
}

/** An MQTT.js client of the test's own (the peer a plant engineer's other tools would be). */
export async function testClient(url: string, subscribe: string[] = [], options: IClientOptions = {}): Promise<TestClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload, packet }));
  if (subscribe.length) await client.subscribeAsync(subscribe, { qos: 1 });
  return {
    client,
    received,
    texts: (topic) => received.filter((r) => topic === undefined || r.topic === topic).map((r) => r.payload.toString()),
    publish: async (topic, payload, opts = {}) => {
      await client.publishAsync(topic, payload, { qos: 1, ...opts });
    },
    end: () => client.endAsync(true),
  };
}

/** A TCP proxy to a broker: cut() drops every connection (the broker sees the peer vanish); hold() stops broker→client traffic. */
export interface Proxy {
  readonly port: number;
  readonly url: string;
  /** Connections currently proxied. */
  readonly connections: number;
  cut(): void;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(targetHost: string, targetPort: number): Promise<Proxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let holding = false;
  const held: { client: Socket; data: Buffer }[] = [];
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: targetHost, port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (holding) held.push({ client, data: d });
      else client.write(d);
    });
    const close = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const cut = (): void => {
    for (const p of pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get connections() {
      return pairs.size;
    },
    cut,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const h of held.splice(0)) if (!h.client.destroyed) h.client.write(h.data);
    },
    async close() {
      cut();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
