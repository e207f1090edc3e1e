// MQTT topic discovery against our MQTT simulator (aedes): the captured tree, Sparkplug metrics,
// the snapshot round trip (capture → profile → new simulator → same tree), a 20k-topic burst
// with bounded memory, cancel, connection errors, and the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { captureTopics, MqttCaptureError, startTopicCapture, type TopicCapture } from '../../src/connectors/mqtt/discovery/capture.ts';
import { mqttSnapshot } from '../../src/connectors/mqtt/discovery/snapshot.ts';
import { DataType, encodeSparkplug } from '../../src/connectors/mqtt/sparkplug/codec.ts';
import { mqttCaptureResult, topicNodes, type MqttCaptureResult } from '../../src/shared/discovery/mqtt.ts';
import type { DiscoveryProgress } from '../../src/shared/discovery/progress.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import { startMqttSimulator } from '../../src/simulators/mqtt/index.ts';
import { writeSimulatorProfile } from '../../src/store/project-writes.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { startBroker, startProxy, testClient } from '../helpers/mqtt.ts';
import { freePort } from '../helpers/net.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;

const cleanups = cleanupAfterEach();
const broker = cleanups.track(startBroker, (b) => b.stop());
const client = cleanups.track(testClient, (c) => c.end());
const capture = cleanups.track(startTopicCapture, (c: TopicCapture) => c.stop());

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-discover-mqtt-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A plant line's broker: JSON signals (one retained), a text state, a retained fixed JSON, a binary blob. */
const LINE_TOPICS = [
  { topic: 'acme/dortmund/filler/level', intervalMs: 100, retain: true, fields: { level: { kind: 'sine', periodMs: 5000 } } },
  { topic: 'acme/dortmund/filler/state', intervalMs: 100, format: 'raw', fields: { value: { kind: 'sequence', values: ['Execute', 'Idle'], dwellMs: 300 } } },
  { topic: 'acme/dortmund/info', intervalMs: 200, retain: true, payload: '{"site":"Dortmund","lines":3}' },
  { topic: 'acme/dortmund/capper/raw', intervalMs: 150, payloadBase64: Buffer.from([0, 1, 2, 0xfe, 0xff]).toString('base64') },
];

/** Publishes an edge node's NBIRTH once and alias-only NDATA every 100 ms, like a Sparkplug device. */
async function sparkplugEdgeNode(url: string): Promise<void> {
  const peer = await client(url);
  const birth = encodeSparkplug({ timestamp: 1, seq: 0, metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: 0 }, { name: 'Speed', alias: 1, datatype: DataType.Double, value: 10 }] });
  await peer.publish('spBv1.0/line1/NBIRTH/edge1', Buffer.from(birth), { qos: 0, retain: true });
  let seq = 1;
  const timer = setInterval(() => {
    const data = encodeSparkplug({ timestamp: 2, seq: seq++ % 256, metrics: [{ alias: 1, datatype: DataType.Double, value: 12.5 }] });
    void peer.publish('spBv1.0/line1/NDATA/edge1', Buffer.from(data), { qos: 0 });
  }, 100);
  cleanups.push(() => clearInterval(timer));
}

/** What must survive a snapshot round trip, per topic. */
const essence = (r: MqttCaptureResult) =>
  Object.fromEntries(topicNodes(r.tree).map((n) => [n.path, { type: n.type, retained: n.retained, payload: n.last!.payload, encoding: n.last!.encoding }]));

describe('MQTT discovery against the simulator', () => {
  it('captures the topic tree: counts, rates, payload types, retained flags, schemas, Sparkplug metrics, progress', async () => {
    const sim = await broker(0, LINE_TOPICS);
    await sparkplugEdgeNode(sim.endpoint);
    await sleep(250); // the retained topics are in the broker's store before we subscribe
    const progress: DiscoveryProgress[] = [];
    const result = await captureTopics({ url: sim.endpoint, durationMs: 1200 }, { onProgress: (p) => progress.push(p) });

    expect(mqttCaptureResult.parse(result)).toEqual(result);
    expect(result).toMatchObject({ url: sim.endpoint, protocolVersion: 4, topicFilters: ['#'], cancelled: false });
    expect(result.warnings).toEqual(['the broker refused MQTT 5; captured with MQTT 3.1.1 (retain flags only on messages from the retained store)']);
    const nodes = Object.fromEntries(topicNodes(result.tree).map((n) => [n.path, n]));
    expect(Object.keys(nodes).sort()).toEqual([
      'acme/dortmund/capper/raw',
      'acme/dortmund/filler/level',
      'acme/dortmund/filler/state',
      'acme/dortmund/info',
      'spBv1.0/line1/NBIRTH/edge1',
      'spBv1.0/line1/NDATA/edge1',
    ]);
    expect(nodes['acme/dortmund/filler/level']).toMatchObject({
      type: 'json',
      retained: true,
      schema: { type: 'object', properties: { level: { type: 'number' }, ts: { type: 'integer' } } },
      last: { retained: false, encoding: 'utf8' },
      previous: { type: 'json' },
    });
    expect(nodes['acme/dortmund/filler/level']!.count).toBeGreaterThan(5);
    expect(nodes['acme/dortmund/filler/level']!.rate).toBeGreaterThan(0);
    expect(nodes['acme/dortmund/filler/state']).toMatchObject({ type: 'text', retained: false });
    expect(['Execute', 'Idle']).toContain(nodes['acme/dortmund/filler/state']!.last!.payload);
    expect(nodes['acme/dortmund/info']).toMatchObject({ type: 'json', retained: true, last: { payload: '{"site":"Dortmund","lines":3}' } });
    expect(nodes['acme/dortmund/capper/raw']).toMatchObject({ type: 'binary', retained: false, last: { preview: '000102feff', payload: 'AAEC/v8=', encoding: 'base64' } });
    expect(nodes['spBv1.0/line1/NBIRTH/edge1']).toMatchObject({ type: 'sparkplug', retained: true, sparkplug: { messageType: 'NBIRTH', metrics: [{ name: 'bdSeq' }, { name: 'Speed', value: 10 }] } });
    expect(nodes['spBv1.0/line1/NDATA/edge1']!.sparkplug!.metrics).toEqual([{ name: 'Speed', alias: 1, datatype: 'Double', value: 12.5 }]);

    // Branch counts add up; totals match the tree.
    const dortmund = result.tree.children!.find((c) => c.name === 'acme')!.children![0]!;
    const sum = topicNodes(dortmund).reduce((n, t) => n + t.count, 0);
    expect(dortmund.branchCount).toBe(sum);
    expect(result.totals).toMatchObject({ topics: 6, droppedTopics: 0, droppedMessages: 0, messages: result.tree.branchCount });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({ done: result.totals.messages, message: '6 topics' });
  });

  it('round-trips a snapshot: capture, write the profile, start it, capture again: the same tree', async () => {
    const sim = await broker(0, LINE_TOPICS);
    await sparkplugEdgeNode(sim.endpoint);
    await sleep(250);
    const first = await captureTopics({ url: sim.endpoint, durationMs: 1000 });

    const file = join(tempDir(), 'simulators', 'line1-snapshot.yaml');
    const { profile, skipped } = mqttSnapshot(first, { id: 'line1-snapshot' });
    expect(skipped).toEqual([]);
    writeSimulatorProfile(file, profile);
    const loaded = simulatorFile.parse(parseYaml(readFileSync(file, 'utf8')));
    if (loaded.protocol !== 'mqtt') throw new Error('unreachable');
    const replay = await startMqttSimulator(loaded, { baseDir: process.cwd(), log: () => {} });
    cleanups.push(() => replay.stop());

    const second = await captureTopics({ url: replay.endpoint, durationMs: 1000 });
    expect(essence(second)).toEqual(essence(first));
  });

  it('holds its bounds in a 20k-topic publish burst: topics capped, the rest counted as dropped', async () => {
    const sim = await broker();
    const live = await capture({ url: sim.endpoint, limits: { maxTopics: 5000, historyCount: 3, maxPayloadBytes: 32 } });
    const peer = await client(sim.endpoint);
    const payload = Buffer.from(JSON.stringify({ value: 1, note: 'x'.repeat(100) }));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20_000; i++) peer.client.publish(`burst/cell${i % 100}/tag${i}`, payload, { qos: 0 });
    }
    await waitFor(() => `40000 messages (have ${live.stats().messages})`, () => live.stats().messages === 40_000, 20_000);
    expect(live.stats()).toMatchObject({ messages: 40_000, topics: 5000, droppedTopics: 15_000, droppedMessages: 30_000, bytes: 40_000 * payload.length, connected: true });
    const tree = live.snapshot()!;
    expect(tree.topics).toBe(5000);
    expect(topicNodes(tree)).toHaveLength(5000);
    const one = live.tree.history('burst/cell0/tag0');
    expect(one).toHaveLength(2);
    expect(one.every((m) => m.payload.length === 32 && m.truncated && m.size === payload.length)).toBe(true);
    // Live queries work on the same tree: one branch, filtered.
    expect(topicNodes(live.snapshot({ under: 'burst/cell7', search: 'tag10' })!).map((n) => n.path)).toEqual(['burst/cell7/tag1007', 'burst/cell7/tag107']);
  });

  it('ends early when cancelled, with what it saw marked cancelled', async () => {
    const sim = await broker(0, LINE_TOPICS.slice(0, 1));
    const abort = new AbortController();
    const started = Date.now();
    const pending = captureTopics({ url: sim.endpoint, durationMs: 60_000 }, { signal: abort.signal, onProgress: (p) => p.done >= 3 && abort.abort() });
    const result = await pending;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.cancelled).toBe(true);
    expect(result.totals.messages).toBeGreaterThanOrEqual(3);
    expect(topicNodes(result.tree).map((n) => n.path)).toEqual(['acme/dortmund/filler/level']);
  });

  it('keeps capturing across a lost connection, with a warning', async () => {
    const sim = await broker(0, LINE_TOPICS.slice(0, 1));
    const proxy = await startProxy(sim.host, sim.port);
    cleanups.push(() => proxy.close());
    const live = await capture({ url: proxy.url });
    await waitFor('messages', () => live.stats().messages >= 2);
    proxy.cut();
    await waitFor('the warning', () => live.stats().warnings.some((w) => w.startsWith('connection lost after')));
    const before = live.stats().messages;
    await waitFor('messages after the reconnect', () => live.stats().connected && live.stats().messages >= before + 3);
    expect(topicNodes(live.snapshot()!).map((n) => n.path)).toEqual(['acme/dortmund/filler/level']);
  });

  it('names the broker when it cannot connect, and refuses bad requests', async () => {
    const port = await freePort('127.0.0.1');
    await expect(captureTopics({ url: `mqtt://127.0.0.1:${port}`, durationMs: 500 })).rejects.toThrow(
      new MqttCaptureError(`mqtt://127.0.0.1:${port}: connection refused: is the broker running and listening on this port? (connect ECONNREFUSED 127.0.0.1:${port})`),
    );
    // A reserved name that never resolves (the reason depends on whether DNS is reachable).
    await expect(captureTopics({ url: 'mqtt://broker.invalid:1883', durationMs: 500 })).rejects.toThrow(
      /^mqtt:\/\/broker\.invalid:1883: (host not found: check the url|the host name could not be resolved now: is DNS reachable\?) \(getaddrinfo (ENOTFOUND|EAI_AGAIN) broker\.invalid\)$/,
    );
    await expect(captureTopics({ url: `mqtts://127.0.0.1:${port}`, tls: { ca: '/nonexistent/ca.pem' } })).rejects.toThrow(`mqtts://127.0.0.1:${port}: cannot read tls.ca "/nonexistent/ca.pem": no such file`);
    await expect(captureTopics({ url: 'http://127.0.0.1:1883' })).rejects.toThrow('url: url must be mqtt://, mqtts://, ws:// or wss://');
    await expect(captureTopics({ url: 'mqtt://127.0.0.1:1883', topics: ['a/#/b'] })).rejects.toThrow('topic filter "a/#/b": "#" must be a whole level and the last one');
  });
});

describe('plantbench discover mqtt', () => {
  // Asynchronous: the simulator broker runs in this process and must keep answering.
  const plantbench = (args: string[], cwd?: string, started?: (child: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'discover', 'mqtt', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
      started?.(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('prints the result as JSON, filtered, and writes a simulator profile', async () => {
    const sim = await broker(0, LINE_TOPICS);
    await sleep(250);
    const dir = tempDir();
    const { code, stdout, stderr } = await plantbench([sim.endpoint, '--duration', '800ms', '--json', '--search', 'dortmund/filler', '--to-simulator', 'simulators/filler.yaml'], dir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as MqttCaptureResult & { simulator: { file: string; topics: number; skipped: unknown[] } };
    const { simulator, ...result } = out;
    expect(mqttCaptureResult.parse(result)).toEqual(result);
    expect(topicNodes(result.tree).map((n) => n.path)).toEqual(['acme/dortmund/filler/level', 'acme/dortmund/filler/state']);
    expect(result.totals.topics).toBe(4);
    expect(simulator).toEqual({ file: 'simulators/filler.yaml', topics: 2, skipped: [] });
    const written = simulatorFile.parse(parseYaml(readFileSync(join(dir, 'simulators/filler.yaml'), 'utf8')));
    expect(written).toMatchObject({ id: 'filler', protocol: 'mqtt', topics: [{ topic: 'acme/dortmund/filler/level', retain: true }, { topic: 'acme/dortmund/filler/state', retain: false }] });
  });

  it('ends the capture on Ctrl-C and prints what it saw', async () => {
    const sim = await broker(0, LINE_TOPICS.slice(0, 1));
    // Through a proxy, to see when the CLI has connected (its Ctrl-C handler is in place by then).
    const proxy = await startProxy(sim.host, sim.port);
    cleanups.push(() => proxy.close());
    const started = Date.now();
    let child: ChildProcess | undefined;
    const running = plantbench([proxy.url, '--duration', '60s'], undefined, (c) => (child = c));
    await waitFor('the CLI to connect', () => proxy.connections > 0, 20_000);
    await sleep(500);
    child!.kill('SIGINT');
    const { code, stdout, stderr } = await running;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(code).toBe(0);
    expect(stderr).toMatch(/cancelling…/);
    expect(stdout).toMatch(/ s \(ended early\), MQTT 3\.1\.1, \d+ messages/);
    expect(stdout).toMatch(/level {2}json/);
  });

  it('prints a tree for people, and fails clearly on a refused broker or bad usage', async () => {
    const sim = await broker(0, LINE_TOPICS);
    await sleep(250);
    const human = await plantbench([sim.endpoint, '--duration', '600ms', '--type', 'json']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^${sim.endpoint} {2}0\\.6 s, MQTT 3\\.1\\.1, \\d+ messages \\(.* msg/s, .*\\), 4 topics\\n2 topics match the filters\\n`));
    expect(human.stdout).toMatch(/└─ info {2}json R {2}\d+ · [\d.]+\/s {2}\{"site":"Dortmund","lines":3\}/);
    expect(human.stdout).not.toMatch(/capper/);
    expect(human.stderr).toMatch(/warning: the broker refused MQTT 5/);

    const port = await freePort('127.0.0.1');
    const refused = await plantbench([`mqtt://127.0.0.1:${port}`, '--duration', '1s']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`plantbench discover mqtt: mqtt://127.0.0.1:${port}: connection refused: is the broker running and listening on this port? (connect ECONNREFUSED 127.0.0.1:${port})\n`);

    const usage = await plantbench([sim.endpoint, '--type', 'xml']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--type is one of json, sparkplug, text, binary, empty, got "xml"/);
  });
});
