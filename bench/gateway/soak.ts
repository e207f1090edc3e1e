// Gateway soak (issue 7): an exported bundle under a steady open-loop load for a long while, its RSS
// sampled, to see whether memory keeps growing after warm-up. Not part of CI.
//   node bench/gateway/soak.ts [--minutes 10] [--rate 5000] [--no-write] [--keep]
//
// Method:
// - A generated project with two pipelines: "soak": mqtt-source (JSON field value) → scale (×2) →
//   deadband (0.5: every sample passes, the value moves by 2) → uns-topic → mqtt-sink (QoS 1, store-
//   and-forward as deployed); "poll": modbus-source, 100 tags, polled every 100 ms from the project's
//   Modbus simulator (run in this process) → uns-topic → mqtt-sink. Both source kinds run.
// - `plantbench export` writes the bundle; it is copied to a temp folder and run there with the plain
//   Node 22 binary (node_modules/node/bin/node), the deployed flags, no node_modules but its own.
// - bench/mqtt/generator.ts publishes {"seq","value","ts"} at --rate per second (open loop) for
//   --minutes in all; the first 2 minutes (a fifth of shorter runs) are warm-up.
// - Every 5 s: VmRSS from /proc/<pid>/status and the gateway's /metrics (outbox queue, samples).
// - Figures: RSS at warm-up end, max, end; growth end vs warm-up end and a least-squares slope over
//   the post-warm-up samples; CPU-s per 1k samples in the window (/proc/<pid>/stat); MQTT samples
//   delivered vs sent (loss, by seq); the outbox queue's maximum.
// mosquitto, the simulator and the gateway bind 127.0.0.200.
import { fork, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/export.ts';
import { startSimulator } from '../../src/simulators/index.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import { startMosquitto } from '../../test/helpers/mosquitto.ts';
import { freePort } from '../../test/helpers/net.ts';
import { childAnswer } from '../lib/child.ts';
import { cpuSeconds, rssMb } from '../lib/first-publish.ts';
import { appendResults, machineLine, shouldWrite, slope } from '../lib/report.ts';
import { benchPoints, benchTags } from '../modbus/tags.ts';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const MINUTES = flag('--minutes', 10);
const RATE = flag('--rate', 5000);
const TOTAL_MS = MINUTES * 60_000;
const WARMUP_MS = Math.min(120_000, TOTAL_MS / 5);
const SAMPLE_MS = 5000;
const MODBUS_TAGS = 100;
const HOST = '127.0.0.200';
const BIN = fileURLToPath(new URL('../../bin/plantbench.js', import.meta.url));
const NODE22 = fileURLToPath(new URL('../../node_modules/node/bin/node', import.meta.url));
const GENERATOR = fileURLToPath(new URL('../mqtt/generator.ts', import.meta.url));
const IN_TOPIC = 'soak/in';
if (!(MINUTES > 0 && RATE > 0)) throw new Error('--minutes and --rate take positive numbers');

const json = (v: unknown): string => `${JSON.stringify(v, null, 1)}\n`;

function writeProject(root: string, brokerUrl: string, modbusPort: number): void {
  for (const d of ['devices', 'pipelines', 'simulators']) mkdirSync(join(root, d), { recursive: true });
  const file = (path: string, v: object): void => writeFileSync(join(root, path), json({ apiVersion: 'plantbench/v1', ...v }));
  file('plantbench.yaml', { kind: 'Project', name: 'gateway soak', uns: { enterprise: 'bench', site: 's1' } });
  file('devices/broker.yaml', { kind: 'Device', id: 'broker', protocol: 'mqtt', url: brokerUrl, protocolVersion: 5, tags: [{ name: 'v', topic: IN_TOPIC, payload: { format: 'json', field: 'value' } }] });
  const tags = benchTags(MODBUS_TAGS).map((t) => ({ ...t, pollGroup: 'fast' }));
  file('devices/rtu.yaml', { kind: 'Device', id: 'rtu', protocol: 'modbus', transport: { kind: 'tcp', host: HOST, port: modbusPort }, pollGroups: [{ id: 'fast', intervalMs: 100 }], tags });
  file('simulators/rtu.yaml', { kind: 'Simulator', id: 'rtu', protocol: 'modbus', device: 'rtu', bind: { host: HOST, port: modbusPort }, points: benchPoints(benchTags(MODBUS_TAGS)) });
  const sink = { type: 'mqtt-sink', config: { device: 'broker', qos: 1, payload: { format: 'json' } } };
  file('pipelines/soak.yaml', {
    kind: 'Pipeline',
    id: 'soak',
    name: 'MQTT in → scale → deadband → UNS → MQTT out',
    nodes: {
      in: { type: 'mqtt-source', config: { device: 'broker', tags: ['v'], qos: 0 } },
      scale: { type: 'scale', config: { rawLow: 0, rawHigh: 1, engLow: 0, engHigh: 2 } },
      band: { type: 'deadband', config: { mode: 'absolute', value: 0.5 } },
      topic: { type: 'uns-topic', config: { template: '{enterprise}/{site}/soak/{path}' } },
      out: sink,
    },
    edges: [
      { from: 'in', to: 'scale' },
      { from: 'scale', to: 'band' },
      { from: 'band', to: 'topic' },
      { from: 'topic', to: 'out' },
    ],
  });
  file('pipelines/poll.yaml', {
    kind: 'Pipeline',
    id: 'poll',
    name: 'Modbus poll → UNS → MQTT out',
    nodes: {
      rtu: { type: 'modbus-source', config: { device: 'rtu' } },
      topic: { type: 'uns-topic', config: { template: '{enterprise}/{site}/poll/{path}' } },
      out: sink,
    },
    edges: [
      { from: 'rtu', to: 'topic' },
      { from: 'topic', to: 'out' },
    ],
  });
}

/** Sums of the Prometheus series of `name` whose labels contain every `match` (label="value"). */
function metric(text: string, name: string, ...match: string[]): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (match.every((m) => line.includes(m))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

interface Sample {
  t: number; // ms since the generator started
  rss: number; // MB
  cpu: number; // CPU-s so far
  queued: number; // outbox messages, all sinks
  modbusOut: number;
  nodeDropped: number; // samples dropped at the gateway's node queues
  outboxDropped: number; // messages the outbox dropped (full with drop-oldest, or too old)
}

const loadBefore = loadavg()[0]!;
const dir = mkdtempSync(join(tmpdir(), 'plantbench-soak-'));
// As bench/mqtt/run.ts, and a deep per-client queue so the broker drops nothing on its way to the
// bench's own subscriber (loss counted here is then the gateway's).
const broker = await startMosquitto({ host: HOST, extraConfig: 'max_inflight_messages 1000\nset_tcp_nodelay true\nmax_queued_messages 1000000' });
const project = join(dir, 'project');
const modbusPort = await freePort(HOST);
writeProject(project, broker.url, modbusPort);
const simulator = await startSimulator(simulatorFile.parse(JSON.parse(readFileSync(join(project, 'simulators/rtu.yaml'), 'utf8'))), { baseDir: project, log: () => {} });
const samples: Sample[] = [];
let gateway: ReturnType<typeof spawn> | undefined;
let result: { sent: number; firstSeq: number; received: Uint8Array; warm: number; stderr: string } | undefined;
try {
  const out = join(dir, 'export');
  const exported = spawnSync(process.execPath, [BIN, 'export', project, '--out', out], { encoding: 'utf8' });
  if (exported.status !== 0) throw new Error(`plantbench export failed (${exported.status}):\n${exported.stdout}${exported.stderr}`);
  const cwd = join(dir, 'gateway');
  cpSync(out, join(cwd, 'bundle'), { recursive: true });
  const config = join(cwd, 'bundle/gateway.yaml');
  const text = readFileSync(config, 'utf8');
  if (!/host: 127\.0\.0\.1/.test(text) || !/port: 9464/.test(text)) throw new Error(`gateway.yaml: health host/port not where expected:\n${text}`);
  writeFileSync(config, text.replace('host: 127.0.0.1', `host: ${HOST}`).replace('port: 9464', 'port: 0'));

  // The subscriber counts each MQTT seq once (value = 2 × seq after scale).
  const total = Math.floor((TOTAL_MS * RATE) / 1000);
  const received = new Uint8Array(total);
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `soak-sub-${process.pid}` });
  sub.on('message', (topic, payload) => {
    if (!topic.includes('/soak/')) return;
    const seq = (JSON.parse(payload.toString()) as { value: number }).value / 2;
    if (seq >= 0 && seq < total) received[seq] = 1;
  });
  await sub.subscribeAsync('bench/#', { qos: 1 });

  gateway = spawn(NODE22, [...GATEWAY_NODE_FLAGS, join(cwd, 'bundle/plantbench-gateway.js'), 'run'], { cwd, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => gateway!.once('exit', (code) => r(code)));
  let stderr = '';
  gateway.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const logLines: string[] = [];
  const healthUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: gateway!.stdout! }).on('line', (l) => {
      const line = JSON.parse(l) as { msg?: string; level?: string; health?: string };
      if (line.level === 'warn' || line.level === 'error') logLines.push(l);
      if (line.msg === 'started' && line.health) resolve(line.health);
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before starting:\n${logLines.join('\n')}\n${stderr}`)));
  });
  const pid = gateway.pid!;
  const readMetrics = async (): Promise<string> => (await fetch(`${healthUrl}/metrics`)).text();
  // Ready: both sources connected.
  for (let i = 0; (await fetch(`${healthUrl}/readyz`)).status !== 200; i++) {
    if (i > 100) throw new Error('gateway not ready after 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error(`gateway pid ${pid} ready (${healthUrl}); ${MINUTES} min at ${RATE}/s, warm-up ${WARMUP_MS / 1000} s`);

  const gen = fork(GENERATOR, [broker.url, IN_TOPIC, String(RATE), String(WARMUP_MS), String(TOTAL_MS - WARMUP_MS)], { stdio: 'inherit' });
  const started = performance.now();
  const measuring = childAnswer(gen, (m) => (typeof m.measuring === 'number' ? m.measuring : undefined));
  const done = childAnswer(gen, (m) => (typeof m.done === 'number' ? m.done : undefined));
  let warm = -1;
  void measuring.then(() => (warm = samples.length));
  const sample = async (): Promise<void> => {
    const m = await readMetrics();
    const s: Sample = {
      t: performance.now() - started,
      rss: rssMb(pid),
      cpu: cpuSeconds(pid),
      queued: metric(m, 'plantbench_buffer_queued_samples'),
      modbusOut: metric(m, 'plantbench_node_samples_out_total', 'type="modbus-source"'),
      nodeDropped: metric(m, 'plantbench_node_samples_dropped_total'),
      outboxDropped: metric(m, 'plantbench_buffer_dropped_total'),
    };
    samples.push(s);
    const got = received.reduce((a, b) => a + b, 0);
    console.error(`${(s.t / 1000).toFixed(0).padStart(4)} s  RSS ${s.rss.toFixed(1)} MB  CPU ${s.cpu.toFixed(1)} s  outbox ${s.queued}  received ${got}`);
  };
  await sample();
  const timer = setInterval(() => void sample(), SAMPLE_MS);
  const sent = await done;
  // Drain: until the outbox is empty and nothing more arrives (at most 30 s).
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (metric(await readMetrics(), 'plantbench_buffer_queued_samples') === 0) break;
  }
  clearInterval(timer);
  await sample();
  await sub.endAsync();
  result = { sent, firstSeq: await measuring, received, warm, stderr };
  gateway.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) console.error(`gateway exited with ${code}`);
  if (logLines.length) console.error(`gateway warnings/errors (${logLines.length}), first: ${logLines.slice(0, 5).join('\n')}`);
} finally {
  if (gateway && gateway.exitCode === null) gateway.kill('SIGKILL');
  await simulator.stop();
  await broker.stop();
  if (argv.includes('--keep')) console.error(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

const { sent, firstSeq, received, warm } = result!;
// The sample taken when the warm-up ended (the first one at or after it), then all after it but the
// one taken once the outbox had drained (the 5 s samples of the drain, at most 30 s, are in).
const post = samples.slice(warm, -1);
const atWarm = post[0]!;
const end = post[post.length - 1]!;
const max = Math.max(...post.map((s) => s.rss));
const growth = (100 * (end.rss - atWarm.rss)) / atWarm.rss;
const perMin = slope(
  post.map((s) => s.t / 60_000),
  post.map((s) => s.rss),
);
let got = 0;
let gotWindow = 0;
for (let i = 0; i < sent; i++) {
  got += received[i]!;
  if (i >= firstSeq) gotWindow += received[i]!;
}
const windowSent = sent - firstSeq;
// CPU and Modbus samples up to the sample after the drain, so the window holds every MQTT sample sent in it.
const last = samples[samples.length - 1]!;
const modbusWindow = last.modbusOut - atWarm.modbusOut;
const cpuPer1k = (last.cpu - atWarm.cpu) / ((windowSent + modbusWindow) / 1000);
const queueMax = Math.max(...samples.map((s) => s.queued));
const load = `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`;
const mb = (x: number): string => `${x.toFixed(1)} MB`;
const rows = [
  ['RSS at warm-up end', mb(atWarm.rss)],
  ['RSS max after warm-up', mb(max)],
  ['RSS at end of load', mb(end.rss)],
  ['RSS growth, end vs warm-up end (target < 5 %)', `${growth.toFixed(1)} % (${growth < 5 ? 'met' : 'missed'})`],
  ['RSS slope after warm-up (least squares)', `${perMin.toFixed(3)} MB/min`],
  ['CPU-s per 1k samples (MQTT + Modbus, after warm-up)', (cpuPer1k).toFixed(4)],
  ['MQTT samples sent / delivered to the subscriber, whole run', `${sent.toLocaleString('en')} / ${got.toLocaleString('en')} (loss ${((100 * (sent - got)) / sent).toFixed(3)} %)`],
  ['… after warm-up', `${windowSent.toLocaleString('en')} / ${gotWindow.toLocaleString('en')} (loss ${((100 * (windowSent - gotWindow)) / windowSent).toFixed(3)} %)`],
  ['Modbus samples after warm-up', `${modbusWindow.toLocaleString('en')} (${(modbusWindow / ((last.t - atWarm.t) / 1000)).toFixed(0)}/s)`],
  ['Outbox queue max (5 s samples)', queueMax.toLocaleString('en')],
  ['Left in the outbox when the run ended (MQTT + Modbus; kept on disk, not lost)', last.queued.toLocaleString('en')],
  ['Dropped by the outbox (full: drop-oldest) / at node queues (MQTT + Modbus)', `${last.outboxDropped.toLocaleString('en')} / ${last.nodeDropped.toLocaleString('en')}`],
];
const table = ['| figure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
const series = samples.map((s) => `${(s.t / 1000).toFixed(0)}:${s.rss.toFixed(1)}`).join(' ');
console.log(`${table}\n\nRSS (s:MB): ${series}\n${load}`);
if (shouldWrite()) {
  appendResults(
    'Gateway soak',
    `Machine: ${machineLine()}. \`node bench/gateway/soak.ts --minutes ${MINUTES} --rate ${RATE}\`: a bundle from \`plantbench export\` run from a temp folder by node_modules/node/bin/node (\`${GATEWAY_NODE_FLAGS.join(' ')}\`, no node_modules but its own, store-and-forward with the exported defaults). Load: bench/mqtt/generator.ts, open loop, ${RATE} msg/s QoS 0 into mqtt-source → scale → deadband → uns-topic → mqtt-sink (QoS 1), and ${MODBUS_TAGS} Modbus TCP tags polled every 100 ms from the project's simulator → uns-topic → mqtt-sink; mosquitto on ${HOST}. ${MINUTES} min in all, the first ${WARMUP_MS / 1000} s warm-up; RSS (VmRSS) and /metrics every ${SAMPLE_MS / 1000} s; ${load} (other work on the machine shares its 2 cores).\n\n${table}\n\nRSS over time (s since the load started: MB): ${series}`,
  );
}
