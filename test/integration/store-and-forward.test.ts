// Store-and-forward reliability against Debian's mosquitto (issue 7, deliverable 3), on 127.0.0.160-161:
// - broker outage: mosquitto stopped for 30 s while 2k samples/s flow into an mqtt-sink, then
//   restarted: every sample arrives, in order per topic; duplicates (at-least-once) are reported;
// - gateway crash: `plantbench run` SIGKILLed while the broker is away, restarted: nothing queued is
//   lost, and the backlog drains no faster than drainPerSecond;
// - Sparkplug: what was queued during an outage goes out as DDATA metrics marked isHistorical, with
//   the samples' own timestamps; live data after it does not.
// The subscriber keeps a persistent session on a persisting broker, so what the broker accepted
// reaches it across the restart: any gap is Plantbench's.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import spPayload from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { describe, expect, it } from 'vitest';
import { createMqttConnector } from '../../src/connectors/mqtt/index.ts';
import { DEFAULT_STORE_AND_FORWARD, storeAndForward, type StoreAndForwardOptions } from '../../src/connectors/store-and-forward.ts';
import type { Sample } from '../../src/shared/sample.ts';
import { Outbox } from '../../src/store/outbox.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { startLiveRun } from '../helpers/live-run.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { mqttDevice } from '../helpers/mqtt.ts';
import { startPlantbench } from '../helpers/plantbench-process.ts';
import { writeProjectFiles } from '../helpers/project.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

const cleanups = cleanupAfterEach();

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** mosquitto that keeps sessions and their queued messages (QoS 0 too: Sparkplug) across a restart (saved on SIGTERM). */
async function persistingMosquitto(host: string): Promise<Mosquitto> {
  const dir = tempDir('plantbench-saf-broker-');
  // mosquitto started as root writes its database as the "mosquitto" user.
  chmodSync(dir, 0o777);
  const broker = await startMosquitto({
    host,
    extraConfig: `persistence true\npersistence_location ${dir}/\nautosave_interval 0\nmax_queued_messages 0\nqueue_qos0_messages true\nmax_inflight_messages 1000\nset_tcp_nodelay true`,
  });
  cleanups.push(() => broker.stop());
  return broker;
}

interface Received {
  readonly topic: string;
  readonly text: string;
  readonly payload: Buffer;
  readonly at: number;
}

/** A QoS 1 subscriber with a persistent session that reconnects every 200 ms. */
async function subscriber(url: string, filter: string): Promise<{ client: MqttClient; received: Received[] }> {
  const received: Received[] = [];
  const client = await mqtt.connectAsync(url, { clientId: `saf-check-${process.pid}-${Date.now()}`, clean: false, protocolVersion: 4, reconnectPeriod: 200, connectTimeout: 5000 });
  client.on('message', (topic, payload) => received.push({ topic, text: payload.toString(), payload, at: Date.now() }));
  await client.subscribeAsync(filter, { qos: 1 });
  cleanups.push(() => client.endAsync(true));
  return { client, received };
}

/** Per topic: first arrivals strictly in order and 0..n-1 without a gap; duplicates counted. */
function checkSequences(received: readonly Received[], expected: ReadonlyMap<string, number>): { duplicates: number; problems: string[] } {
  const seen = new Map<string, Set<number>>();
  const problems: string[] = [];
  let duplicates = 0;
  const last = new Map<string, number>();
  for (const r of received) {
    const seq = JSON.parse(r.text).value as number;
    const set = seen.get(r.topic) ?? new Set<number>();
    seen.set(r.topic, set);
    if (set.has(seq)) {
      duplicates++;
      continue;
    }
    set.add(seq);
    const before = last.get(r.topic) ?? -1;
    if (seq !== before + 1) problems.push(`${r.topic}: ${seq} after ${before}`);
    last.set(r.topic, seq);
  }
  for (const [topic, n] of expected) {
    if ((seen.get(topic)?.size ?? 0) !== n) problems.push(`${topic}: ${seen.get(topic)?.size ?? 0} of ${n} distinct samples`);
  }
  return { duplicates, problems: problems.slice(0, 10) };
}

const IDLE_SOURCE = { type: 'signal', config: { path: 'idle', intervalMs: 3_600_000, shape: { kind: 'sine' } } };

describe('store-and-forward (mqtt-sink, mosquitto)', () => {
  it('loses nothing over a 30 s broker outage at 2k samples/s, in order per topic', { timeout: 90_000 }, async () => {
    const broker = await persistingMosquitto('127.0.0.160');
    const sub = await subscriber(broker.url, 'saf/#');
    const dir = tempDir('plantbench-saf-run-');
    const options: StoreAndForwardOptions = { ...DEFAULT_STORE_AND_FORWARD, file: join(dir, 'outbox.db'), drainPerSecond: 10_000 };
    const outbox = new Outbox(options.file, { maxEntries: options.maxEntries, maxAgeMs: options.maxAgeMs, whenFull: 'drop-oldest' });
    const saf = storeAndForward(outbox, options);
    const device = mqttDevice('broker', { url: broker.url, protocolVersion: 4 });
    const run = await startLiveRun(
      (log) => createMqttConnector({ dataDir: join(dir, '.plantbench'), log, storeAndForward: saf }),
      { src: IDLE_SOURCE, out: { type: 'mqtt-sink', config: { device: 'broker', topic: '{path}', qos: 1, payload: { format: 'json' } } } },
      [{ from: 'src', to: 'out' }],
      [device],
      { taps: ['out.error'] },
    );
    cleanups.push(async () => {
      saf.beginClosing();
      await run.stop();
      outbox.close();
    });
    await waitFor('the sink connected', () => run.status('out').connection === 'connected');

    // 2,000 samples/s over 10 topics, value = sequence number per topic, fed on a 10 ms tick.
    const TOPICS = 10;
    const RATE = 2000;
    const sent = new Map<string, number>();
    let total = 0;
    const started = Date.now();
    const tick = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE) - total;
      const batch: Sample[] = [];
      for (let i = 0; i < due; i++) {
        const path = `saf/t${total % TOPICS}`;
        const seq = sent.get(path) ?? 0;
        sent.set(path, seq + 1);
        batch.push({ path, value: seq, quality: 'good', ts: Date.now() });
        total++;
      }
      if (batch.length) run.send('out', batch);
    }, 10);
    cleanups.push(() => clearInterval(tick));

    await sleep(5000);
    await broker.kill();
    const down = Date.now();
    await sleep(30_000);
    // What piled up on disk during the outage.
    const backlog = run.status('out').queued as number;
    expect(backlog).toBeGreaterThan(30 * RATE * 0.9);
    await broker.restart();
    const up = Date.now();
    await sleep(5000);
    clearInterval(tick);
    const produced = total;

    await waitFor(
      () => `${sub.received.length} messages for ${produced} samples; sink status ${JSON.stringify(run.status('out'))}`,
      () => new Set(sub.received.map((r) => r.topic + r.text)).size >= produced,
      40_000,
    );
    const { duplicates, problems } = checkSequences(sub.received, sent);
    console.log(
      `broker outage: ${produced} samples, ${(up - down) / 1000} s down, backlog ${backlog} at the restart, ${sub.received.length} received, ${duplicates} duplicate(s) (at-least-once), all in ${(Date.now() - started) / 1000} s`,
    );
    expect(problems).toEqual([]);
    expect(run.out['out.error']).toEqual([]);
    await waitFor('the outbox empty', () => run.status('out').queued === 0, 5000);
    expect(run.status('out')).toMatchObject({ dropped: 0 });
  });

  it('keeps what it queued through a SIGKILL of `plantbench run`, and drains the backlog paced', { timeout: 90_000 }, async () => {
    const broker = await persistingMosquitto('127.0.0.161');
    const sub = await subscriber(broker.url, 'crash/#');
    const root = tempDir('plantbench-saf-project-');
    // Three 1 ms signals: about 3k samples/s into one sink, QoS 1, JSON with the sample's ts.
    const signals = [0, 1, 2].map((i) => `  s${i}:\n    type: signal\n    config: { path: crash/c${i}, intervalMs: 1, shape: { kind: sine } }\n`).join('');
    const edges = [0, 1, 2].map((i) => `  - { from: s${i}, to: out }\n`).join('');
    writeProjectFiles(root, 'Crash test', {
      'devices/broker.yaml': `apiVersion: plantbench/v1\nkind: Device\nid: broker\nname: Broker\nprotocol: mqtt\nurl: ${broker.url}\nprotocolVersion: 4\n`,
      'pipelines/feed.yaml': `apiVersion: plantbench/v1\nkind: Pipeline\nid: feed\nname: Feed\nnodes:\n${signals}  out:\n    type: mqtt-sink\n    config: { device: broker, topic: "{path}", qos: 1, payload: { format: json } }\nedges:\n${edges}`,
    });
    const start = () => startPlantbench(['run', root, '--json'], { ready: (line) => line.includes('"message":"started"') });

    const first = await start();
    cleanups.push(() => first.stop());
    await waitFor('samples at the subscriber', () => sub.received.length > 500, 20_000);
    // The broker goes away mid-stream; the gateway queues on disk, then crashes.
    await broker.kill();
    await sleep(5000);
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('exit', done));

    // What the crashed gateway had queued (open the file it left; its lock died with it).
    const file = join(root, '.plantbench', 'outbox.db');
    const left = new Outbox(file, { maxEntries: 1e7, maxAgeMs: 0, whenFull: 'refuse' });
    const queued = left.peekAfter('feed/out', 0, 1e7).map((e) => `${e.topic} ${String(e.payload)}`);
    left.close();
    expect(queued.length).toBeGreaterThan(5000);

    await broker.restart();
    // The subscriber's session gets what the broker held for it before the second gateway starts.
    await sleep(1000);
    const receivedBefore = sub.received.length;
    const second = await start();
    cleanups.push(() => second.stop());
    const got = () => new Set(sub.received.map((r) => `${r.topic} ${r.text}`));
    await waitFor(() => `the ${queued.length} queued messages (have ${queued.filter((q) => got().has(q)).length})`, () => {
      const have = got();
      return queued.every((q) => have.has(q));
    }, 40_000);
    await second.stop();

    // Paced: up to the last queued message, no second carries more than drainPerSecond (+ the 50 ms burst, + 10 %).
    const lastQueued = queued[queued.length - 1]!;
    const after = sub.received.slice(receivedBefore);
    const end = after.findIndex((r) => `${r.topic} ${r.text}` === lastQueued);
    const times = after.slice(0, end + 1).map((r) => r.at);
    let busiest = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j]! - times[i]! >= 1000) i++;
      busiest = Math.max(busiest, j - i + 1);
    }
    const seconds = (times[times.length - 1]! - times[0]!) / 1000;
    const limit = DEFAULT_STORE_AND_FORWARD.drainPerSecond;
    console.log(
      `gateway crash: ${queued.length} queued at the SIGKILL; after the restart ${times.length} messages up to the last of them in ${seconds.toFixed(2)} s (mean ${Math.round(times.length / seconds)}/s, busiest second ${busiest}; drainPerSecond ${limit}); ${after.length - new Set(after.map((r) => r.topic + r.text)).size} duplicate(s)`,
    );
    expect(busiest).toBeLessThanOrEqual(limit * 1.1 + limit / 20);
    // In order per topic (first arrivals; a duplicate repeats an earlier one): the samples' own timestamps never go back.
    const lastTs = new Map<string, number>();
    const seen = new Set<string>();
    for (const r of sub.received) {
      if (seen.has(r.topic + r.text)) continue;
      seen.add(r.topic + r.text);
      const ts = JSON.parse(r.text).ts as number;
      expect(ts, `${r.topic}`).toBeGreaterThanOrEqual(lastTs.get(r.topic) ?? 0);
      lastTs.set(r.topic, ts);
    }
  });
});

/** Run with a store-and-forward outbox in a temp folder; stopped (and the outbox closed) after the test. */
async function runWithOutbox(nodes: Record<string, unknown>, edges: { from: string; to: string }[], url: string, drainPerSecond: number) {
  const dir = tempDir('plantbench-saf-run-');
  const options: StoreAndForwardOptions = { ...DEFAULT_STORE_AND_FORWARD, file: join(dir, 'outbox.db'), drainPerSecond };
  const outbox = new Outbox(options.file, { maxEntries: options.maxEntries, maxAgeMs: options.maxAgeMs, whenFull: 'drop-oldest' });
  const saf = storeAndForward(outbox, options);
  const run = await startLiveRun(
    (log) => createMqttConnector({ dataDir: join(dir, '.plantbench'), log, storeAndForward: saf }),
    nodes,
    edges,
    [mqttDevice('broker', { url, protocolVersion: 4 })],
    { taps: Object.keys(nodes).map((id) => `${id}.error`) },
  );
  cleanups.push(async () => {
    saf.beginClosing();
    await run.stop();
    outbox.close();
  });
  return run;
}

describe('store-and-forward (Sparkplug B edge node, mosquitto)', () => {
  it('sends what was queued during an outage as historical DDATA with the original timestamps', { timeout: 60_000 }, async () => {
    const broker = await persistingMosquitto('127.0.0.163');
    const host = await subscriber(broker.url, 'spBv1.0/#');
    const payload = { format: 'sparkplug', groupId: 'plant', edgeNodeId: 'line-1', deviceId: 'filler' };
    const run = await runWithOutbox({ src: IDLE_SOURCE, sp: { type: 'mqtt-sink', config: { device: 'broker', payload } } }, [{ from: 'src', to: 'sp' }], broker.url, 5000);
    const ddata = () =>
      host.received
        .filter((r) => r.topic === 'spBv1.0/plant/DDATA/line-1/filler')
        .flatMap((r) => spPayload.decodePayload(r.payload).metrics!.map((m) => ({ value: m.value, ts: Number(m.timestamp), historical: m.isHistorical === true })));
    await waitFor('connected', () => run.status('sp').connection === 'connected');
    run.send('sp', [{ path: 'speed', value: 1, quality: 'good', ts: 1_700_000_000_000 }]);
    await waitFor('DBIRTH', () => host.received.some((r) => r.topic === 'spBv1.0/plant/DBIRTH/line-1/filler'));
    run.send('sp', [{ path: 'speed', value: 2, quality: 'good', ts: 1_700_000_001_000 }]);
    await waitFor('live DDATA', () => ddata().length === 1);

    await broker.kill();
    await waitFor('disconnected', () => run.status('sp').connection !== 'connected');
    for (let i = 0; i < 5; i++) run.send('sp', [{ path: 'speed', value: 10 + i, quality: 'good', ts: 1_700_000_010_000 + i * 1000 }]);
    await waitFor('5 queued', () => run.status('sp').queued === 5);
    await broker.restart();
    await waitFor('reconnected', () => run.status('sp').connection === 'connected', 20_000);
    await waitFor(() => `the backlog as DDATA; sink ${JSON.stringify(run.status('sp'))}, received ${host.received.map((r) => r.topic.split('/')[2]).join(' ')}; log ${JSON.stringify(run.logs.slice(-6))}`, () => ddata().length >= 6, 10_000);
    run.send('sp', [{ path: 'speed', value: 99, quality: 'good', ts: Date.now() }]);
    await waitFor('live DDATA after the backlog', () => ddata().length === 7);

    const seen = ddata();
    expect(seen[0]).toEqual({ value: 2, ts: 1_700_000_001_000, historical: false });
    expect(seen.slice(1, 6)).toEqual([0, 1, 2, 3, 4].map((i) => ({ value: 10 + i, ts: 1_700_000_010_000 + i * 1000, historical: true })));
    expect(seen[6]).toMatchObject({ value: 99, historical: false });
    // The edge node was born again on the new connection before the backlog went out.
    const topics = host.received.map((r) => r.topic.split('/')[2]);
    const reborn = topics.lastIndexOf('NBIRTH');
    expect(reborn).toBeGreaterThan(0);
    expect(topics.slice(reborn, reborn + 3)).toEqual(['NBIRTH', 'DBIRTH', 'DDATA']);
    expect(run.out['sp.error']).toEqual([]);
  });
});
