// Store-and-forward through the mqtt-sink, against Debian's mosquitto on 127.0.0.162:
//   node bench/outbox/sink.ts [--quick] [--no-write]
// Figures go to bench/RESULTS.md ("Store-and-forward through the mqtt-sink").
// 1. Buffer write: the broker is down; N samples are fed to a PipelineRun (idle source → mqtt-sink,
//    QoS 1, JSON) in batches of 100, and the clock stops when the run has settled (every batch is
//    in the SQLite outbox, one transaction per batch). samples/s = N / that time.
// 2. Drain: the broker comes back; the sink reconnects (MQTT.js backoff, not timed) and sends the
//    backlog. samples/s = N / (from connected to an empty outbox: every message PUBACKed and
//    deleted); a QoS 1 subscriber (persistent session, persisting broker) must then have all N, with
//    drainPerSecond unlimited (what the machine does) and at the default 5,000/s (the pacing).
// 3. Live path, broker up: the same sink fed as fast as it takes samples, with and without the
//    outbox, until a QoS 1 subscriber has them all (what store-and-forward costs on a good day).
// CPU is this process's (sink and subscriber together) per 1k samples; RSS at the end of each phase.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createMqttConnector } from '../../src/connectors/mqtt/index.ts';
import { DEFAULT_STORE_AND_FORWARD, storeAndForward } from '../../src/connectors/store-and-forward.ts';
import type { Sample } from '../../src/shared/sample.ts';
import { Outbox } from '../../src/store/outbox.ts';
import { startLiveRun } from '../../test/helpers/live-run.ts';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { mqttDevice } from '../../test/helpers/mqtt.ts';
import { appendResults, machineLine, markdownTable, range, shouldWrite } from '../lib/report.ts';

const quick = process.argv.includes('--quick');
const write = shouldWrite();
/** Samples per run: unlimited drain, and the paced one (which takes N / 5,000 s). */
const N_UNLIMITED = quick ? 50_000 : 200_000;
const N_PACED = quick ? 20_000 : 50_000;
const BATCH = 100;
const REPS = quick ? 1 : 3;
const TOPICS = 50;
const IDLE_SOURCE = { type: 'signal', config: { path: 'idle', intervalMs: 3_600_000, shape: { kind: 'sine' } } };

interface Trial {
  appendRate: number;
  appendCpuPer1k: number;
  drainRate: number;
  drainCpuPer1k: number;
  rssMiB: number;
}

// The subscriber keeps a persistent session on a persisting broker, so it misses nothing whoever reconnects first.
const brokerDir = mkdtempSync(join(tmpdir(), 'plantbench-outbox-sink-broker-'));
chmodSync(brokerDir, 0o777);
const broker = await startMosquitto({
  host: '127.0.0.162',
  extraConfig: `max_inflight_messages 1000\nset_tcp_nodelay true\nmax_queued_messages 0\npersistence true\npersistence_location ${brokerDir}/\nautosave_interval 0`,
});
const SUBSCRIBER = { clientId: `bench-saf-sub-${process.pid}`, clean: false, protocolVersion: 4 as const, reconnectPeriod: 100 };

async function trial(drainPerSecond: number, N: number): Promise<Trial> {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-outbox-sink-bench-'));
  const options = { ...DEFAULT_STORE_AND_FORWARD, file: join(dir, 'outbox.db'), maxEntries: N * 2, drainPerSecond };
  const outbox = new Outbox(options.file, { maxEntries: options.maxEntries, maxAgeMs: options.maxAgeMs, whenFull: 'drop-oldest' });
  const saf = storeAndForward(outbox, options);
  const arrivals: number[] = [];
  const sub = await mqtt.connectAsync(broker.url, SUBSCRIBER);
  sub.on('message', () => arrivals.push(performance.now()));
  // Without TCP_NODELAY its PUBACKs wait for the broker's delayed ACK (MQTT.js leaves Nagle on).
  const noDelay = () => (sub.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  noDelay();
  sub.on('connect', noDelay);
  await sub.subscribeAsync('bench/#', { qos: 1 });
  const run = await startLiveRun(
    (log) => createMqttConnector({ dataDir: join(dir, '.plantbench'), log, storeAndForward: saf }),
    { src: IDLE_SOURCE, out: { type: 'mqtt-sink', config: { device: 'broker', topic: '{path}', qos: 1, payload: { format: 'json' } } } },
    [{ from: 'src', to: 'out' }],
    [mqttDevice('broker', { url: broker.url, protocolVersion: 4, clientId: `bench-saf-${process.pid}` })],
    { taps: [] },
  );
  while (run.status('out').connection !== 'connected') await new Promise((r) => setTimeout(r, 20));

  await broker.kill();
  while (run.status('out').connection === 'connected') await new Promise((r) => setTimeout(r, 20));
  const batches: Sample[][] = [];
  for (let b = 0; b < N / BATCH; b++) {
    batches.push(Array.from({ length: BATCH }, (_, i) => ({ path: `bench/t${i % TOPICS}`, value: b * BATCH + i, quality: 'good' as const, ts: 1_763_800_000_000 + b * BATCH + i, meta: { unit: '%' } })));
  }
  let cpu = process.cpuUsage();
  let t = performance.now();
  for (const batch of batches) run.send('out', batch);
  await run.run.settle();
  const appendS = (performance.now() - t) / 1000;
  let used = process.cpuUsage(cpu);
  const appendCpuPer1k = (used.user + used.system) / 1e6 / (N / 1000);
  if (outbox.stats('p/out').queued !== N) throw new Error(`outbox holds ${outbox.stats('p/out').queued} of ${N}`);

  await broker.restart();
  // The sink's reconnect (MQTT.js backoff) is not timed: the drain starts when it is connected.
  while (run.status('out').connection !== 'connected') await new Promise((r) => setTimeout(r, 2));
  cpu = process.cpuUsage();
  t = performance.now();
  while (outbox.stats('p/out').queued > 0) {
    if (performance.now() - t > 120_000) throw new Error(`drain stalled: ${outbox.stats('p/out').queued} of ${N} left; sink ${JSON.stringify(run.status('out'))}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  const drainS = (performance.now() - t) / 1000;
  while (arrivals.length < N) {
    if (performance.now() - t > 120_000) throw new Error(`only ${arrivals.length} of ${N} arrived at the subscriber`);
    await new Promise((r) => setTimeout(r, 20));
  }
  used = process.cpuUsage(cpu);
  const drainRate = N / drainS;
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  saf.beginClosing();
  await run.stop();
  outbox.close();
  // A clean session next time: the persistent one goes with this trial.
  await sub.endAsync(true);
  await (await mqtt.connectAsync(broker.url, { ...SUBSCRIBER, clean: true })).endAsync();
  if (process.env.SAF_TRACE) {
    const buckets = new Map<number, number>();
    for (const a of arrivals) buckets.set(Math.floor((a - arrivals[0]!) / 250), (buckets.get(Math.floor((a - arrivals[0]!) / 250)) ?? 0) + 1);
    console.log([...buckets].map(([b, n]) => `${b * 250}:${n}`).join(' '));
  }
  rmSync(dir, { recursive: true, force: true });
  return { appendRate: N / appendS, appendCpuPer1k, drainRate, drainCpuPer1k: (used.user + used.system) / 1e6 / (N / 1000), rssMiB };
}

/**
 * The live path with the broker up: N samples fed as fast as the sink takes them (batches of 100),
 * until a QoS 1 subscriber has them all; with the outbox (append, send from memory, delete) and
 * without (publish directly): what store-and-forward costs while nothing is wrong.
 */
async function liveTrial(withOutbox: boolean, N: number): Promise<{ rate: number; cpuPer1k: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-outbox-sink-bench-'));
  const outbox = withOutbox ? new Outbox(join(dir, 'outbox.db'), { maxEntries: N * 2, maxAgeMs: 0, whenFull: 'drop-oldest' }) : undefined;
  const saf = outbox ? storeAndForward(outbox, { ...DEFAULT_STORE_AND_FORWARD, file: join(dir, 'outbox.db'), maxEntries: N * 2 }) : undefined;
  let arrived = 0;
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  (sub.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  sub.on('message', () => arrived++);
  await sub.subscribeAsync('live/#', { qos: 1 });
  const run = await startLiveRun(
    (log) => createMqttConnector({ dataDir: join(dir, '.plantbench'), log, ...(saf ? { storeAndForward: saf } : {}) }),
    { src: IDLE_SOURCE, out: { type: 'mqtt-sink', config: { device: 'broker', topic: '{path}', qos: 1, payload: { format: 'json' } } } },
    [{ from: 'src', to: 'out' }],
    [mqttDevice('broker', { url: broker.url, protocolVersion: 4, clientId: `bench-saf-live-${process.pid}` })],
    { taps: [] },
  );
  while (run.status('out').connection !== 'connected') await new Promise((r) => setTimeout(r, 20));
  const cpu = process.cpuUsage();
  const t = performance.now();
  // Fed 100 batches at a time, then a turn for the sink; the engine queues what it cannot take yet.
  for (let b = 0; b < N / BATCH; b++) {
    run.send('out', Array.from({ length: BATCH }, (_, i) => ({ path: `live/t${i % TOPICS}`, value: b * BATCH + i, quality: 'good' as const, ts: 1_763_800_000_000 + b * BATCH + i, meta: { unit: '%' } })));
    if (b % 100 === 99) await run.run.settle();
  }
  while (arrived < N) {
    if (performance.now() - t > 120_000) throw new Error(`live: ${arrived} of ${N} arrived`);
    await new Promise((r) => setTimeout(r, 2));
  }
  const s = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  saf?.beginClosing();
  await run.stop();
  outbox?.close();
  await sub.endAsync();
  rmSync(dir, { recursive: true, force: true });
  return { rate: N / s, cpuPer1k: (used.user + used.system) / 1e6 / (N / 1000) };
}

/**
 * The reference for the drain: a bare MQTT.js client publishing N QoS 1 messages of the same size to
 * the same broker with the same window (1,000 unacknowledged, refilled at half), as fast as PUBACKs allow.
 */
async function barePublisher(N: number): Promise<number> {
  // A QoS 1 subscriber as in the trials, so the broker does the same work.
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  (sub.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  await sub.subscribeAsync('bare/#', { qos: 1 });
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `bench-saf-bare-${process.pid}` });
  (pub.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const payload = JSON.stringify({ value: 123456.5, quality: 'good', ts: 1_763_800_000_000, unit: '%' });
  let sent = 0;
  let acked = 0;
  let inFlight = 0;
  const t = performance.now();
  await new Promise<void>((done) => {
    const pump = (): void => {
      while (inFlight < 1000 && sent < N) {
        inFlight++;
        pub.publish(`bare/t${sent % TOPICS}`, payload, { qos: 1 }, () => {
          inFlight--;
          if (++acked === N) done();
          else if (inFlight <= 500) pump();
        });
        sent++;
      }
    };
    pump();
  });
  const rate = N / ((performance.now() - t) / 1000);
  await pub.endAsync();
  await sub.endAsync();
  return rate;
}

const bare: number[] = [];
const live = { direct: [] as { rate: number; cpuPer1k: number }[], outbox: [] as { rate: number; cpuPer1k: number }[] };
const results: { label: string; trials: Trial[] }[] = [
  { label: `unlimited (${N_UNLIMITED.toLocaleString('en')} samples)`, trials: [] },
  { label: `${DEFAULT_STORE_AND_FORWARD.drainPerSecond.toLocaleString('en')}/s, the default (${N_PACED.toLocaleString('en')} samples)`, trials: [] },
];
try {
  for (let rep = 0; rep < REPS; rep++) {
    results[0]!.trials.push(await trial(1e9, N_UNLIMITED));
    results[1]!.trials.push(await trial(DEFAULT_STORE_AND_FORWARD.drainPerSecond, N_PACED));
    bare.push(await barePublisher(N_UNLIMITED));
    live.direct.push(await liveTrial(false, N_PACED));
    live.outbox.push(await liveTrial(true, N_PACED));
    console.log(`rep ${rep + 1}/${REPS} done`);
  }
} finally {
  await broker.stop();
  rmSync(brokerDir, { recursive: true, force: true });
}

const k = (x: number) => `${(x / 1000).toFixed(1)} k`;
const f4 = (x: number) => x.toFixed(4);
const rows: (string | number)[][] = [['drainPerSecond', 'buffer write samples/s', 'CPU-s per 1k (write)', 'drain samples/s', 'CPU-s per 1k (drain)', 'RSS MiB']];
for (const { label, trials } of results) {
  rows.push([
    label,
    range(trials.map((t) => t.appendRate), k),
    range(trials.map((t) => t.appendCpuPer1k), f4),
    range(trials.map((t) => t.drainRate), k),
    range(trials.map((t) => t.drainCpuPer1k), f4),
    range(trials.map((t) => t.rssMiB), (x) => x.toFixed(0)),
  ]);
}
rows.push(['bare MQTT.js QoS 1 publisher, same broker and window (reference)', '–', '–', range(bare, k), '–', '–']);
const liveRows: (string | number)[][] = [['live path (broker up)', 'samples/s delivered', 'CPU-s per 1k (sink + subscriber)']];
for (const [label, xs] of [['mqtt-sink, direct (no outbox)', live.direct], ['mqtt-sink with the outbox', live.outbox]] as const) {
  liveRows.push([`${label}, ${N_PACED.toLocaleString('en')} samples`, range(xs.map((x) => x.rate), k), range(xs.map((x) => x.cpuPer1k), f4)]);
}
const liveTable = markdownTable(liveRows);
const load = loadavg().map((x) => x.toFixed(1)).join(' / ');
const table = markdownTable(rows);
console.log(table);
console.log(liveTable);
console.log(`Load average at the end (1 / 5 / 15 min): ${load}`);
console.log('Targets: buffer write ≥ 50 k samples/s, drain ≥ 20 k samples/s (unlimited row).');
if (write) {
  appendResults(
    'Store-and-forward through the mqtt-sink (mosquitto down, then back)',
    `Machine: ${machineLine()}. Samples per run as in the first column (JSON, ${TOPICS} topics, batches of ${BATCH}), QoS 1, mosquitto 2.0 on 127.0.0.162 (\`max_inflight_messages 1000\`), ${REPS} run(s) per row, medians [min–max]. Write = PipelineRun → mqtt-sink → SQLite outbox while the broker is down; drain = from the sink's reconnect to an empty outbox (all PUBACKed and deleted; a subscriber then checks all arrived). CPU is the bench process (sink + subscriber). Load average at the end (1 / 5 / 15 min, other work on the machine included): ${load}. \`node bench/outbox/sink.ts\`. Targets: write ≥ 50 k/s, drain ≥ 20 k/s.\n\n${table}\n\n${liveTable}`,
  );
}
