// MQTT end-to-end benchmark: MQTT in → scale → MQTT out through a real PipelineRun, against a bare
// MQTT.js bridge doing the same work, both talking to Debian's mosquitto on loopback.
//
//   node bench/mqtt/run.ts              full run (3 repetitions), appends a dated section to bench/RESULTS.md
//   node bench/mqtt/run.ts --quick      one short repetition
//   node bench/mqtt/run.ts --qos 0      QoS 0 in and out (default: 1, the nodes' default)
//   node bench/mqtt/run.ts --no-write   print only
//   node bench/mqtt/run.ts --rates 10000  only these rates (msg/s, comma-separated); the 10k target needs 10000
//
// Method:
// - mosquitto (our own config, 127.0.0.1, free port; broker settings below) is started by the bench.
// - A generator process publishes {"seq","value","ts"} to bench/<trial>/in at a fixed rate (open
//   loop: it never waits for the consumer), QoS 0; ts = performance.timeOrigin + performance.now().
// - The system under test runs in its own child process, so its CPU (process.cpuUsage(), user +
//   system) is its own:
//   plantbench: mqtt-source (json field "value") → scale (×2) → mqtt-sink (json) on one shared
//     connection, MQTT 5, through PipelineRun with ENGINE_KINDS + the MQTT connector's kinds;
//   bridge: MQTT.js subscribe → JSON.parse → value × 2 → publish the same JSON shape.
//   Every MQTT client here sets TCP_NODELAY, as Plantbench's connection does (MQTT.js does not:
//   with Nagle + delayed ACK a bridge adds 25-50 ms per message even at 1k msg/s on loopback).
//   broker: no system; the subscriber reads the input topic directly (the floor of the latency).
// - This process subscribes to the output (QoS as the system) and records, per seq, now − ts:
//   end-to-end latency through generator → mosquitto → system → mosquitto → subscriber.
// - Each trial: warm-up, then the measured window; CPU is read at the window's start and after the
//   output has drained; loss = measured seqs never received. CPU-s per 1k messages = CPU seconds in
//   the window ÷ (messages generated in the window / 1000).
// - Repetitions alternate the order of the systems; the table shows medians over repetitions.
// All processes share this machine's cores with mosquitto: the figures include that contention.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { childAnswer } from '../lib/child.ts';
import { appendResults, machineLine, median, percentile, shouldWrite } from '../lib/report.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE = shouldWrite();
const QOS = (argv.includes('--qos') ? Number(argv[argv.indexOf('--qos') + 1]) : 1) as 0 | 1;
const RATES = argv.includes('--rates') ? argv[argv.indexOf('--rates') + 1]!.split(',').map(Number) : [1000, 5000, 10_000, 20_000];
const WARMUP_MS = QUICK ? 1000 : 2000;
const DURATION_MS = QUICK ? 3000 : 8000;
const REPS = QUICK ? 1 : 3;
const TARGET_RATE = 10_000;

type System = 'broker' | 'bridge' | 'plantbench';
const WORKERS: Record<Exclude<System, 'broker'>, string> = {
  bridge: fileURLToPath(new URL('./bridge-worker.ts', import.meta.url)),
  plantbench: fileURLToPath(new URL('./plantbench-worker.ts', import.meta.url)),
};
const GENERATOR = fileURLToPath(new URL('./generator.ts', import.meta.url));

interface Trial {
  system: System;
  rate: number;
  generated: number;
  deliveredPerS: number;
  lossPct: number;
  p50: number;
  p99: number;
  max: number;
  cpuPer1k?: number;
  dropped?: number;
}

const now = (): number => performance.timeOrigin + performance.now();

async function cpuOf(worker: ChildProcess | undefined): Promise<{ s: number; dropped?: number }> {
  if (!worker) return { s: 0 };
  const answer = childAnswer(worker, (m) => (m.cpu ? (m as { cpu: NodeJS.CpuUsage; stats?: { dropped: number } }) : undefined));
  worker.send({ cmd: 'cpu' });
  const { cpu, stats } = await answer;
  return { s: (cpu.user + cpu.system) / 1e6, ...(stats ? { dropped: stats.dropped } : {}) };
}

async function trial(url: string, system: System, rate: number): Promise<Trial> {
  const name = `${system}-${rate}-${process.pid}-${Date.now()}`;
  const inTopic = `bench/${name}/in`;
  const outTopic = `bench/${name}/out`;
  const worker = system === 'broker' ? undefined : fork(WORKERS[system], [url, inTopic, outTopic, String(QOS)], { stdio: 'inherit' });
  if (worker) await childAnswer(worker, (m) => (m.ready ? true : undefined));

  const total = Math.floor(((WARMUP_MS + DURATION_MS) * rate) / 1000);
  const latency = new Float64Array(total).fill(Number.NaN);
  let received = 0;
  let lastReceive = performance.now();
  const sub = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `bench-sub-${process.pid}` });
  (sub.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
  sub.on('message', (_t, payload) => {
    const at = now();
    const msg = JSON.parse(payload.toString()) as { value: number; ts: number; seq?: number };
    const seq = system === 'broker' ? msg.seq! : msg.value / 2;
    if (seq >= 0 && seq < total && Number.isNaN(latency[seq]!)) {
      latency[seq] = at - msg.ts;
      received++;
      lastReceive = performance.now();
    }
  });
  await sub.subscribeAsync(system === 'broker' ? inTopic : outTopic, { qos: QOS });

  const gen = fork(GENERATOR, [url, inTopic, String(rate), String(WARMUP_MS), String(DURATION_MS)], { stdio: 'inherit' });
  // Both listeners now: a busy worker may answer the CPU query after the generator has finished.
  const measuring = childAnswer(gen, (m) => (typeof m.measuring === 'number' ? m.measuring : undefined));
  const done = childAnswer(gen, (m) => (typeof m.done === 'number' ? m.done : undefined));
  const firstSeq = await measuring;
  const cpu0 = await cpuOf(worker);
  const windowStart = performance.now();
  const sent = await done;
  // Drain: until everything arrived, or nothing more for a second.
  while (received < sent && performance.now() - lastReceive < 1000) await new Promise((r) => setTimeout(r, 50));
  const cpu1 = await cpuOf(worker);
  const windowS = (performance.now() - windowStart) / 1000;

  const measured = latency.subarray(firstSeq, sent);
  const got = measured.filter((x) => !Number.isNaN(x)).sort();
  const generated = sent - firstSeq;
  const result: Trial = {
    system,
    rate,
    generated,
    deliveredPerS: got.length / windowS,
    lossPct: (100 * (generated - got.length)) / generated,
    p50: percentile(got, 50),
    p99: percentile(got, 99),
    max: got.length ? got[got.length - 1]! : Number.NaN,
    ...(worker ? { cpuPer1k: (cpu1.s - cpu0.s) / (generated / 1000) } : {}),
    ...(cpu1.dropped !== undefined ? { dropped: cpu1.dropped } : {}),
  };
  await sub.endAsync();
  if (worker) {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.send({ cmd: 'stop' });
    await exited;
  }
  return result;
}

// Broker settings of a low-latency mosquitto (override with BENCH_MOSQUITTO, newline-separated):
// - max_inflight_messages 1000: mosquitto advertises it as its MQTT 5 Receive Maximum (default 20).
//   Plantbench keeps to it, as the specification requires; MQTT.js alone does not, so at 20 the
//   bridge would publish unbounded while Plantbench sends 20 messages per round trip.
// - set_tcp_nodelay true: by default mosquitto leaves Nagle on, and writing a forwarded PUBLISH and
//   a PUBACK back to back to one client costs a delayed ACK: 25-50 ms per message for bridge and
//   Plantbench alike, even at 1k msg/s (the broker-only floor stays under 1 ms).
const MOSQUITTO_CONFIG = process.env.BENCH_MOSQUITTO ?? 'max_inflight_messages 1000\nset_tcp_nodelay true';
const broker = await startMosquitto({ extraConfig: MOSQUITTO_CONFIG });
const results: Trial[] = [];
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const rate of RATES) {
      const order: System[] = rep % 2 === 0 ? ['broker', 'bridge', 'plantbench'] : ['plantbench', 'bridge', 'broker'];
      for (const system of order) {
        const r = await trial(broker.url, system, rate);
        results.push(r);
        console.error(
          `rep ${rep + 1}/${REPS} ${String(rate).padStart(6)} msg/s ${system.padEnd(10)} loss ${r.lossPct.toFixed(2)}%  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  CPU-s/1k ${r.cpuPer1k?.toFixed(4) ?? '–'}${r.dropped ? `  dropped ${r.dropped}` : ''}`,
        );
      }
    }
  }
} finally {
  await broker.stop();
}

// ---------- table ----------

const fmt = (x: number | undefined, digits: number): string => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));
const rows: string[] = [
  `| rate msg/s | system | delivered msg/s | loss % | p50 ms | p99 ms | max ms | CPU-s per 1k msg | CPU ÷ bridge |`,
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
const summary = new Map<string, { cpu?: number; p99: number; loss: number }>();
for (const rate of RATES) {
  const bridgeCpu = median(results.filter((r) => r.rate === rate && r.system === 'bridge').map((r) => r.cpuPer1k!));
  for (const system of ['broker', 'bridge', 'plantbench'] as System[]) {
    const rs = results.filter((r) => r.rate === rate && r.system === system);
    const cpu = system === 'broker' ? undefined : median(rs.map((r) => r.cpuPer1k!));
    const p99 = median(rs.map((r) => r.p99));
    const loss = median(rs.map((r) => r.lossPct));
    summary.set(`${system}@${rate}`, { ...(cpu !== undefined ? { cpu } : {}), p99, loss });
    rows.push(
      `| ${rate.toLocaleString('en')} | ${system === 'broker' ? 'mosquitto only (floor)' : system === 'bridge' ? 'bare MQTT.js bridge' : 'Plantbench'} | ${median(rs.map((r) => r.deliveredPerS)).toFixed(0)} | ${fmt(loss, 2)} | ${fmt(median(rs.map((r) => r.p50)), 2)} | ${fmt(p99, 2)} | ${fmt(median(rs.map((r) => r.max)), 1)} | ${fmt(cpu, 4)} | ${system === 'plantbench' && cpu !== undefined ? `${(cpu / bridgeCpu).toFixed(2)}×` : '–'} |`,
    );
  }
}
const table = rows.join('\n');
const pb = summary.get(`plantbench@${TARGET_RATE}`)!;
const br = summary.get(`bridge@${TARGET_RATE}`)!;
const ratio = pb.cpu! / br.cpu!;
const verdict = [
  `CPU per message at 10k msg/s: ${ratio.toFixed(2)}× the bridge (target ≤ 1.2×): ${ratio <= 1.2 ? 'met' : `missed by ${((ratio / 1.2 - 1) * 100).toFixed(0)} %`}.`,
  `p99 at 10k msg/s: ${pb.p99.toFixed(2)} ms (target < 10 ms; Node-RED measured 83 ms): ${pb.p99 < 10 ? 'met' : `missed by ${(pb.p99 - 10).toFixed(1)} ms`}.`,
].join(' ');
console.log(`\n${table}\n\n${verdict}`);

if (WRITE) {
  appendResults(
    'MQTT in → scale → MQTT out',
    `Machine: ${machineLine()}. mosquitto 2.0 on 127.0.0.1 with \`${MOSQUITTO_CONFIG.split('\n').join('`, `')}\` (why: header of the bench), QoS ${QOS} in and out of the system under test, MQTT 5; ${REPS} repetition(s) of ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured per rate and system, medians shown. Open-loop generator (QoS 0) in its own process; the system under test in its own process (CPU = its process.cpuUsage()); latency = generator timestamp → subscriber, through mosquitto twice. Method in the header of \`bench/mqtt/run.ts\` (\`node bench/mqtt/run.ts${QUICK ? ' --quick' : ''}${QOS !== 1 ? ` --qos ${QOS}` : ''}\`).\n\n${table}\n\n${verdict}`,
  );
}
