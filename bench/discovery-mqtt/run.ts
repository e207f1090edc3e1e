// MQTT discovery benchmark: messages per second ingested into the topic tree with 20k topics, and
// whether memory stays flat while they flow.
//
//   node bench/discovery-mqtt/run.ts              full run, appends a dated section to bench/RESULTS.md
//   node bench/discovery-mqtt/run.ts --quick      shorter
//   node bench/discovery-mqtt/run.ts --no-write   print only
//
// Method:
// 1. Tree alone (one process per run, no MQTT): TopicTree.ingest() over 20k topics six levels deep
//    (acme/site…/area…/line…/cell…/tag<i>), round-robin, JSON payloads of ~60 B (parsed, schema
//    merged, stored in the history ring), and Sparkplug B DDATA payloads (3 metrics, decoded).
//    Baseline: a Map from topic to count, what a subscriber needs at the very least to tell topics
//    apart. RSS is sampled every 20k messages, and the live heap is read after a full GC: "after
//    fill" is when every topic's history ring is full (historyCount messages each); from then on
//    memory must stay flat.
// 2. End to end: a broker (Debian's mosquitto if installed, else our aedes simulator in this
//    process) on 127.0.0.1; a publisher process sends the same topics round-robin with JSON
//    payloads (QoS 0, MQTT 3.1.1) to a subscriber in its own process: either a bare MQTT.js client
//    that only counts messages (baseline) or Plantbench's topic capture (startTopicCapture, default
//    limits), both subscribed to "#". Two trials per subscriber:
//    - steady: open loop at 20k msg/s, warm-up (long enough for every topic's history ring to fill)
//      then the measured window: delivered msg/s = messages counted in the window ÷ its length
//      (above 20k when the subscriber catches up on a backlog), CPU = its process.cpuUsage() in the
//      window, RSS sampled every 250 ms from the window's start;
//    - saturation: the publisher sends as fast as its socket takes messages; ingest msg/s = messages
//      received ÷ the time from the first to the last (a 10 ms poll of the count, in both).
//    Loss = 1 − received ÷ sent. When the baseline and the capture show the same saturation figure,
//    the publisher or the broker, not the subscriber, was the limit.
// All processes share this machine's cores with the broker: the figures include that contention.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startMqttSimulator } from '../../src/simulators/mqtt/index.ts';
import { MOSQUITTO, startMosquitto } from '../../test/helpers/mosquitto.ts';
import { childAnswer } from '../lib/child.ts';
import { appendResults, machineLine, markdownTable, median, shouldWrite } from '../lib/report.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE = shouldWrite();
const TOPICS = 20_000;
const TARGET = 20_000;
const INGEST_MESSAGES = QUICK ? 1_000_000 : 4_000_000;
const WARMUP_MS = QUICK ? 3000 : 12_000;
const DURATION_MS = QUICK ? 5000 : 15_000;
const BURST_MESSAGES = QUICK ? 200_000 : 600_000;
const REPS = QUICK ? 1 : 2;
const MiB = 2 ** 20;
const LOAD_AT_START = loadavg()[0]!;
const mib = (bytes: number): string => (bytes / MiB).toFixed(0);
const int = (x: number): string => Math.round(x).toLocaleString('en');

// ---------- 1. the tree alone ----------

interface IngestFigures {
  readonly name: string;
  readonly perS: number;
  readonly rssFill: number;
  readonly rssMax: number;
  readonly rssEnd: number;
  readonly heapFill: number;
  readonly heapEnd: number;
}

const INGEST_WORKER = fileURLToPath(new URL('./ingest-worker.ts', import.meta.url));

async function ingestRun(name: string, kind: 'json' | 'sparkplug', sink: 'tree' | 'map', messages: number): Promise<IngestFigures> {
  const child = fork(INGEST_WORKER, [kind, sink, String(messages)], { stdio: 'inherit', execArgv: [...process.execArgv, '--expose-gc'] });
  const result = await childAnswer(child, (m) => m.result as Omit<IngestFigures, 'name'> | undefined);
  return { name, ...result };
}

console.error(`tree alone: ${INGEST_MESSAGES.toLocaleString('en')} messages over ${TOPICS.toLocaleString('en')} topics`);
const ingest: IngestFigures[] = [];
for (const [name, kind, sink, n] of [
  ['Map topic → count (baseline)', 'json', 'map', INGEST_MESSAGES],
  ['TopicTree, JSON', 'json', 'tree', INGEST_MESSAGES],
  ['TopicTree, Sparkplug B DDATA', 'sparkplug', 'tree', INGEST_MESSAGES / 4],
] as const) {
  const r = await ingestRun(name, kind, sink, n);
  ingest.push(r);
  console.error(`  ${name.padEnd(30)} ${Math.round(r.perS).toLocaleString('en')} msg/s  RSS after fill ${mib(r.rssFill)} MiB, max ${mib(r.rssMax)}, end ${mib(r.rssEnd)}; heap after GC ${mib(r.heapFill)} → ${mib(r.heapEnd)} MiB`);
}

// ---------- 2. end to end ----------

type Mode = 'baseline' | 'capture';
const WORKER = fileURLToPath(new URL('./subscriber-worker.ts', import.meta.url));
const PUBLISHER = fileURLToPath(new URL('./publisher.ts', import.meta.url));

interface Mark {
  messages: number;
  cpu: NodeJS.CpuUsage;
  rss: number;
}
interface Final {
  messages: number;
  topics: number;
  rss: number[];
  firstAt: number;
  lastAt: number;
}

async function mark(worker: ChildProcess): Promise<Mark & { at: number }> {
  const got = childAnswer(worker, (m) => m.mark as Mark | undefined);
  worker.send({ cmd: 'mark' });
  return { ...(await got), at: performance.now() };
}

async function startWorker(url: string, mode: Mode): Promise<ChildProcess> {
  const worker = fork(WORKER, [url, mode], { stdio: 'inherit' });
  await childAnswer(worker, (m) => (m.ready ? true : undefined));
  return worker;
}

/** Waits until the worker has `sent` messages or its count stops moving for a second; then stops it. */
async function drainAndStop(worker: ChildProcess, sent: number): Promise<Final> {
  let last = await mark(worker);
  while (last.messages < sent) {
    await new Promise((r) => setTimeout(r, 250));
    const m = await mark(worker);
    if (m.messages === last.messages && m.at - last.at >= 1000) break;
    if (m.messages !== last.messages) last = m;
  }
  const final = childAnswer(worker, (m) => m.final as Final | undefined);
  worker.send({ cmd: 'stop' });
  return final;
}

interface Steady {
  readonly mode: Mode;
  readonly deliveredPerS: number;
  readonly lossPct: number;
  readonly cpuPct: number;
  readonly rssStart: number;
  readonly rssEnd: number;
  readonly rssMax: number;
}

async function steady(url: string, mode: Mode): Promise<Steady> {
  const worker = await startWorker(url, mode);
  const publisher = fork(PUBLISHER, [url, String(TOPICS), String(TARGET), String(WARMUP_MS), String(DURATION_MS)], { stdio: 'inherit' });
  const measuring = childAnswer(publisher, (m) => (typeof m.measuring === 'number' ? m.measuring : undefined));
  const done = childAnswer(publisher, (m) => (typeof m.done === 'number' ? m.done : undefined));
  await measuring;
  const m0 = await mark(worker);
  const sent = await done;
  const m1 = await mark(worker);
  const final = await drainAndStop(worker, sent);
  const windowS = (m1.at - m0.at) / 1000;
  return {
    mode,
    deliveredPerS: (m1.messages - m0.messages) / windowS,
    lossPct: (100 * (sent - final.messages)) / sent,
    cpuPct: (100 * (m1.cpu.user + m1.cpu.system - m0.cpu.user - m0.cpu.system)) / 1e6 / windowS,
    rssStart: m0.rss,
    rssEnd: m1.rss,
    // From the window's start on: the warm-up filled the tree.
    rssMax: Math.max(...final.rss.slice(Math.floor(WARMUP_MS / 250))),
  };
}

interface Saturation {
  readonly mode: Mode;
  readonly perS: number;
  readonly lossPct: number;
  readonly rssMax: number;
  readonly topics: number;
}

async function saturation(url: string, mode: Mode): Promise<Saturation> {
  const worker = await startWorker(url, mode);
  const publisher = fork(PUBLISHER, [url, String(TOPICS), 'max', String(BURST_MESSAGES)], { stdio: 'inherit' });
  const sent = await childAnswer(publisher, (m) => (typeof m.done === 'number' ? m.done : undefined));
  const final = await drainAndStop(worker, sent);
  return {
    mode,
    perS: final.messages / ((final.lastAt - final.firstAt) / 1000),
    lossPct: (100 * (sent - final.messages)) / sent,
    rssMax: Math.max(...final.rss),
    topics: final.topics,
  };
}

const useMosquitto = existsSync(MOSQUITTO);
const brokerName = useMosquitto ? 'mosquitto 2.0' : 'aedes (our simulator; mosquitto not installed)';
let url: string;
let stopBroker: () => Promise<void>;
if (useMosquitto) {
  // set_tcp_nodelay: as in bench/mqtt. max_queued_messages is generous so the broker, not the
  // queue limit, decides what a slow subscriber loses.
  const m = await startMosquitto({ extraConfig: 'set_tcp_nodelay true\nmax_queued_messages 1000000' });
  url = m.url;
  stopBroker = () => m.stop();
} else {
  const sim = await startMqttSimulator(
    { apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'bench', protocol: 'mqtt', bind: { host: '127.0.0.1', port: 0 }, topics: [] },
    { baseDir: process.cwd(), log: () => {} },
  );
  url = sim.endpoint;
  stopBroker = () => sim.stop();
}
const steadies: Steady[] = [];
const saturations: Saturation[] = [];
try {
  for (let rep = 0; rep < REPS; rep++) {
    const order: Mode[] = rep % 2 === 0 ? ['baseline', 'capture'] : ['capture', 'baseline'];
    for (const mode of order) {
      const t = await steady(url, mode);
      steadies.push(t);
      console.error(`steady ${int(TARGET)} msg/s, rep ${rep + 1}/${REPS}, ${mode.padEnd(8)}: delivered ${int(t.deliveredPerS)} msg/s, loss ${t.lossPct.toFixed(2)} %, CPU ${t.cpuPct.toFixed(0)} %, RSS ${mib(t.rssStart)} → ${mib(t.rssEnd)} MiB (max ${mib(t.rssMax)})`);
    }
    for (const mode of order) {
      const t = await saturation(url, mode);
      saturations.push(t);
      console.error(`saturation, rep ${rep + 1}/${REPS}, ${mode.padEnd(8)}: ${int(t.perS)} msg/s, loss ${t.lossPct.toFixed(2)} %, RSS max ${mib(t.rssMax)} MiB${mode === 'capture' ? `, ${t.topics} topics` : ''}`);
    }
  }
} finally {
  await stopBroker();
}

// ---------- report ----------

const NAMES: Record<Mode, string> = { baseline: 'bare MQTT.js, counting', capture: 'Plantbench topic capture' };
const ingestTable = markdownTable([
  ['tree alone (no MQTT)', 'msg/s', 'RSS after fill → max → end MiB', 'heap after GC: after fill → end MiB'],
  ...ingest.map((r) => [r.name, int(r.perS), `${mib(r.rssFill)} → ${mib(r.rssMax)} → ${mib(r.rssEnd)}`, `${mib(r.heapFill)} → ${mib(r.heapEnd)}`]),
]);
const pick = <T extends { mode: Mode }>(ts: T[], mode: Mode, f: (t: T) => number): number => median(ts.filter((t) => t.mode === mode).map(f));
const e2eTable = markdownTable([
  ['end to end, subscriber', `steady ${int(TARGET)} msg/s: delivered msg/s`, 'loss %', 'CPU %', 'RSS window start → end (max) MiB', 'saturation: ingest msg/s', 'loss %', 'RSS max MiB'],
  ...(['baseline', 'capture'] as Mode[]).map((mode) => [
    NAMES[mode],
    int(pick(steadies, mode, (t) => t.deliveredPerS)),
    pick(steadies, mode, (t) => t.lossPct).toFixed(2),
    pick(steadies, mode, (t) => t.cpuPct).toFixed(0),
    `${mib(pick(steadies, mode, (t) => t.rssStart))} → ${mib(pick(steadies, mode, (t) => t.rssEnd))} (${mib(pick(steadies, mode, (t) => t.rssMax))})`,
    int(pick(saturations, mode, (t) => t.perS)),
    pick(saturations, mode, (t) => t.lossPct).toFixed(2),
    mib(pick(saturations, mode, (t) => t.rssMax)),
  ]),
]);
const treeJson = ingest[1]!;
const captureMax = pick(saturations, 'capture', (t) => t.perS);
const captureLoss = pick(steadies, 'capture', (t) => t.lossPct);
const verdict = [
  `Tree alone: ${int(treeJson.perS)} msg/s with ${int(TOPICS)} topics (target ≥ ${int(TARGET)}): ${treeJson.perS >= TARGET ? 'met' : 'missed'}; live heap ${mib(treeJson.heapFill)} MiB when the history rings were full and ${mib(treeJson.heapEnd)} MiB after ${int(INGEST_MESSAGES)} messages.`,
  `End to end: the capture ingested ${int(captureMax)} msg/s at saturation (baseline ${int(pick(saturations, 'baseline', (t) => t.perS))}) and lost ${captureLoss.toFixed(2)} % at a steady ${int(TARGET)} msg/s: ${captureMax >= TARGET && captureLoss < 1 ? 'met' : 'missed'}.`,
].join(' ');
console.log(`\n${ingestTable}\n\n${e2eTable}\n\n${verdict}`);
if (WRITE) {
  appendResults(
    'MQTT discovery: topic tree ingest',
    `Machine: ${machineLine()}; load average ${LOAD_AT_START.toFixed(1)} at the start. Broker: ${brokerName} on 127.0.0.1. ${int(TOPICS)} topics six levels deep, JSON payloads of ~60 B, QoS 0, MQTT 3.1.1; tree with default limits (50k topics, 4 KiB per payload, 10 messages / 16 KiB per topic). End to end: ${REPS} repetition(s) per subscriber of a steady trial (${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured) and a saturation trial (${int(BURST_MESSAGES)} messages), medians shown; publisher and subscriber in their own processes. Method in the header of \`bench/discovery-mqtt/run.ts\` (\`node bench/discovery-mqtt/run.ts${QUICK ? ' --quick' : ''}\`).\n\n${ingestTable}\n\n${e2eTable}\n\n${verdict}`,
  );
}
