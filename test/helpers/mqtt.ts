// Helpers for MQTT integration tests: our simulator broker, a pipeline run with the MQTT connector on
// the real clock, an MQTT.js client that records what it receives, and a TCP proxy that can cut or
// hold a connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { createMqttConnector } from '../../src/connectors/mqtt/index.ts';
import { deviceFile, type DeviceFile } from '../../src/shared/model/device.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import { startMqttSimulator } from '../../src/simulators/mqtt/index.ts';
import type { RunningSimulator } from '../../src/simulators/simulator.ts';
import { startLiveRun, type LiveRun } from './live-run.ts';

/** A device file from plain data (defaults applied, like a devices/<id>.yaml). */
export function mqttDevice(id: string, fields: Record<string, unknown>): DeviceFile {
  return deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id, protocol: 'mqtt', ...fields });
}

/** Our MQTT simulator (an aedes broker) on 127.0.0.1, port 0 unless given, publishing `topics`. */
export async function startBroker(port = 0, topics: unknown[] = []): Promise<RunningSimulator> {
  const profile = simulatorFile.parse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'broker', protocol: 'mqtt', bind: { host: '127.0.0.1', port }, topics });
  if (profile.protocol !== 'mqtt') throw new Error('unreachable');
  return startMqttSimulator(profile, { baseDir: process.cwd(), log: () => {} });
}

/** Starts a pipeline with the engine kinds and the MQTT connector (data in a temp folder); taps "node.port" for each entry. */
export async function startMqttRun(
  nodes: Record<string, unknown>,
  edges: { from: string; to: string }[],
  devices: DeviceFile[],
  taps: string[],
): Promise<LiveRun> {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-mqtt-'));
  return startLiveRun((log) => createMqttConnector({ dataDir: join(dir, '.plantbench'), log }), nodes, edges, devices, {
    taps,
    onStop: () => rmSync(dir, { recursive: true, force: true }),
  });
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
