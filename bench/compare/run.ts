// Side-by-side benchmark: Plantbench against Node-RED 4 (and, for MQTT, a bare MQTT.js bridge),
// in the same run on the same machine, interleaved, so that the ratios hold on a shared, noisy box.
//
//   npm run bench:compare                  full run (3 repetitions), appends a dated section to bench/RESULTS.md
//   npm run bench:compare -- --quick       one short repetition of every scenario (< 10 min on 2 cores)
//   npm run bench:compare -- --no-write    print only
//   npm run bench:compare -- --only S1,S5  only these scenarios
//
// Method (docs/benchmarks.md says how to read it):
// - Every engine is a child process pinned to core 1 (taskset): `plantbench run <generated project>`
//   (bin/plantbench.js from the TypeScript sources, what the workbench's CLI runs), in S4 the
//   exported gateway bundle of that project instead (what a gateway runs), Node-RED 4 headless
//   (red.js, httpAdminRoot: false, httpNodeRoot: false, flows file written here, loopback only), and
//   bench/mqtt/bridge-worker.ts.
//   This harness pins itself to core 0, where mosquitto, the generator and the simulators run too.
// - CPU = utime + stime of the engine process from /proc/<pid>/stat over the measured window, per
//   1,000 messages generated; RSS from /proc/<pid>/status every 250 ms (mean, max, slope).
// - Repetitions alternate the engine order (A B A B); cells are "median [min–max]" over repetitions.
// - S1 MQTT → scale → MQTT: open-loop generator (bench/mqtt/generator.ts, QoS 0 in) publishes
//   {"seq","value","ts"}; the engine scales value × 2 (Plantbench: mqtt-source → scale → mqtt-sink;
//   Node-RED: mqtt in (parsed JSON) → function → mqtt out; bridge: MQTT.js) and publishes
//   {"value","quality","ts"} at the QoS of the row; this process subscribes at that QoS and takes
//   now − ts per seq (= value / 2). mosquitto as bench/mqtt configures it (TCP_NODELAY, inflight 1000).
//   Loss = seqs not received by 20 s after the load ended (or after 3 s without any message).
// - S2 in-process cost: bench/compare/s2-worker.ts, one engine per pinned child process (method there).
// - S3 Modbus poll → scale → MQTT: bench/modbus/sim-process.ts (modbus-serial ServerTCP) on core 0;
//   N pollers of 10 holding registers each, 20 registers apart (never merged into one request), on
//   one connection (Plantbench: one device with N poll groups; Node-RED: one modbus-client, N
//   modbus-read nodes with node-red-contrib-modbus's defaults). Each register is published as its own
//   JSON message (Node-RED: a function splits the array). Demanded = N × 1000 / interval requests/s;
//   served = requests the simulator counted. Latency = subscriber time − read time (Plantbench: the
//   sample's ts, stamped when the response arrived; Node-RED: Date.now() in the function right
//   after modbus-read).
// - S4 start-up: spawn → first message at the subscriber, and RSS 10 s later; a 10 ms signal
//   (Node-RED: inject, repeat 0.01 s) or an OPC UA subscription (src/simulators OPC UA server;
//   Node-RED: node-red-contrib-opcua client, subscribe at 50 ms) → MQTT. Plantbench (target rows)
//   is the exported gateway bundle (writeExport after `npm run build:gateway` under
//   /tmp/pb-e2e.lock; bench/lib/gateway-bundle.ts), run as deployed: `node <GATEWAY_NODE_FLAGS>
//   bundle/plantbench-gateway.js run` from its folder, minimal environment, health on a free port;
//   one bundle per variant, started once uncounted (that makes its state folder), so measured
//   starts are restarts. Extra rows, no target: `plantbench run` from the sources, fresh project.
// - S5 outage: input from broker A (stays up) at 2k msg/s, output at QoS 1 to broker B (the
//   uplink), which is stopped for 30 s and restarted; B keeps sessions (persistence) and the
//   subscriber on B has a persistent session, so whatever the engine sends after B is back arrives.
//   lost = generated seqs never received; duplicated = receipts beyond the first.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../../src/simulators/index.ts';
import { startMosquitto, type Mosquitto } from '../../test/helpers/mosquitto.ts';
import { childAnswer } from '../lib/child.ts';
import { mqtt, type IClientOptions, type MqttClient } from '../lib/mqtt.ts';
import { mqttScalePipeline, mqttScaleTag } from '../lib/mqtt-scale-pipeline.ts';
import { appendResults, machineLine, markdownTable, median, percentile, range, shouldWrite, slope, textTable } from '../lib/report.ts';
import { cpuSeconds, ENGINE_CORE, exportPlantbench, LOAD_CORE, NODE_RED_JS, nrBroker, nrId, nrTab, pin, rssMb, startBridge, startGateway, startNodeRed, startPlantbench, type Engine, type EngineName, type PlantbenchProject } from './engines.ts';
import { latencySvg } from './plot.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE = shouldWrite();
const ONLY = argv.includes('--only') ? new Set(argv[argv.indexOf('--only') + 1]!.toUpperCase().split(',')) : undefined;
const want = (s: string): boolean => !ONLY || ONLY.has(s);

const REPS = QUICK ? 1 : 3;
const S1 = { rates: QUICK ? [1000, 10_000] : [1000, 5000, 10_000, 20_000], qos: [0, 1] as const, warmupMs: QUICK ? 1000 : 2000, durationMs: QUICK ? 2000 : 4000, quietMs: 3000, drainMs: 20_000 };
const S2 = { samples: QUICK ? 100_000 : 300_000, hops: [1, 10], reps: QUICK ? 2 : 3 };
const S3 = { loads: [{ pollers: 1, intervalMs: 10 }, { pollers: 50, intervalMs: 100 }, { pollers: 200, intervalMs: 100 }], warmupMs: QUICK ? 2000 : 3000, durationMs: QUICK ? 6000 : 15_000, stride: 30 };
const S4 = { rssAfterMs: QUICK ? 3000 : 10_000 };
const S5 = { rate: 2000, beforeMs: QUICK ? 3000 : 5000, outageMs: QUICK ? 5000 : 30_000, afterMs: QUICK ? 5000 : 10_000, quietMs: QUICK ? 3000 : 5000 };

// Our loopback addresses (127.0.0.190-199).
const HOST = { broker: '127.0.0.190', uplink: '127.0.0.191', modbus: '127.0.0.192', opcua: '127.0.0.193', health: '127.0.0.194' };
const GENERATOR = fileURLToPath(new URL('../mqtt/generator.ts', import.meta.url));
const SIM_PROCESS = fileURLToPath(new URL('../modbus/sim-process.ts', import.meta.url));
const S2_WORKER = fileURLToPath(new URL('./s2-worker.ts', import.meta.url));
const S3_LIMIT = fileURLToPath(new URL('./s3-limit.ts', import.meta.url));
const SVG_FILE = fileURLToPath(new URL('./latency-vs-rate.svg', import.meta.url));
const MOSQUITTO_CONFIG = 'max_inflight_messages 1000\nset_tcp_nodelay true';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.timeOrigin + performance.now();
const log = (s: string): void => console.error(s);

// The peers live in bench/compare/node_modules (own package.json and lockfile): installed on first use.
if (!existsSync(NODE_RED_JS)) {
  log('Installing Node-RED and its contribs into bench/compare (npm ci, once)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: fileURLToPath(new URL('.', import.meta.url)), stdio: 'inherit' });
}
pin(process.pid, LOAD_CORE);
const loadAtStart = loadavg();
const runStarted = performance.now();
const harnessCpuStart = process.cpuUsage();

// ---------- results: key → engine → one value per repetition ----------

const results = new Map<string, Partial<Record<EngineName | 'plantbench-1', number[]>>>();
function put(key: string, engine: EngineName | 'plantbench-1', value: number): void {
  const row = results.get(key) ?? {};
  (row[engine] ??= []).push(value);
  results.set(key, row);
}
const med = (key: string, engine: EngineName | 'plantbench-1'): number => median((results.get(key)?.[engine] ?? []).filter(Number.isFinite));
/** Harness and generator CPU, % of one core, during S1 windows (to show the load side keeps up). */
const loadSideCpu = { harness: [] as number[], generator: [] as number[] };

// ---------- helpers ----------

async function client(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, ...options });
  (c.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
  return c;
}

/** Publishes `probe()` every 200 ms until `seen()`; the engine is then connected end to end. */
async function untilFlowing(engine: Engine, seen: () => boolean, probe?: () => void, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  while (!seen()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${engine.name} produced no output within ${timeoutMs / 1000} s:\n${engine.stderrTail()}`);
    probe?.();
    await sleep(probe ? 200 : 5);
  }
  return performance.now();
}

/** RSS of `pid` every 250 ms until stop(): mean, max and slope (MB per minute, least squares). */
function rssSampler(pid: number): { stop(): { mean: number; max: number; slope: number } } {
  const pts: [number, number][] = [];
  const take = (): void => {
    try {
      pts.push([performance.now() / 60_000, rssMb(pid)]);
    } catch {
      /* the process is gone */
    }
  };
  take();
  const timer = setInterval(take, 250);
  return {
    stop() {
      clearInterval(timer);
      take();
      const ys = pts.map((p) => p[1]);
      return { mean: ys.reduce((a, b) => a + b, 0) / ys.length, max: Math.max(...ys), slope: slope(pts.map((p) => p[0]), ys) };
    },
  };
}

function generator(url: string, topic: string, rate: number, warmupMs: number, durationMs: number): { child: ChildProcess; measuring: Promise<number>; done: Promise<number> } {
  const child = fork(GENERATOR, [url, topic, String(rate), String(warmupMs), String(durationMs)], { stdio: 'inherit' });
  return {
    child,
    measuring: childAnswer(child, (m) => (typeof m.measuring === 'number' ? m.measuring : undefined)),
    done: childAnswer(child, (m) => (typeof m.done === 'number' ? m.done : undefined)),
  };
}

const safeCpu = (pid: number | undefined): number => {
  try {
    return pid ? cpuSeconds(pid) : Number.NaN;
  } catch {
    return Number.NaN;
  }
};

const ENGINES = (rep: number): EngineName[] => (rep % 2 === 0 ? ['plantbench', 'node-red'] : ['node-red', 'plantbench']);

// ---------- S1: MQTT → scale → MQTT ----------

function s1Engine(name: EngineName, broker: Mosquitto, inTopic: string, outTopic: string, qos: 0 | 1): Promise<Engine> | Engine {
  if (name === 'bridge') return startBridge(broker.url, inTopic, outTopic, qos);
  if (name === 'plantbench') {
    return startPlantbench({
      devices: { broker: { protocol: 'mqtt', url: broker.url, protocolVersion: 5, tags: [mqttScaleTag(inTopic)] } },
      pipelines: { p: mqttScalePipeline(outTopic, qos) },
    });
  }
  const tab = nrTab();
  const b = nrBroker(broker.host, broker.port);
  const fn = nrId();
  const out = nrId();
  return startNodeRed([
    tab,
    b,
    { id: nrId(), type: 'mqtt in', z: tab.id, name: '', topic: inTopic, qos: String(qos), datatype: 'json', broker: b.id, nl: false, rap: true, rh: 0, inputs: 0, wires: [[fn]] },
    { id: fn, type: 'function', z: tab.id, name: 'scale', func: "msg.payload = { value: msg.payload.value * 2, quality: 'good', ts: msg.payload.ts };\nreturn msg;", outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[out]] },
    { id: out, type: 'mqtt out', z: tab.id, name: '', topic: outTopic, qos: String(qos), retain: 'false', respTopic: '', contentType: '', userProps: '', correl: '', expiry: '', broker: b.id, wires: [] },
  ]);
}

async function s1Trial(broker: Mosquitto, name: EngineName, rate: number, qos: 0 | 1): Promise<void> {
  const tag = `${name}-${rate}-${qos}-${Date.now()}`;
  const inTopic = `cmp/${tag}/in`;
  const outTopic = `cmp/${tag}/out`;
  const total = Math.floor(((S1.warmupMs + S1.durationMs) * rate) / 1000);
  const latency = new Float64Array(total).fill(Number.NaN);
  let received = 0;
  let dups = 0;
  let probeSeen = false;
  let lastReceive = performance.now();
  const sub = await client(broker.url);
  sub.on('message', (_t, payload) => {
    const at = now();
    const msg = JSON.parse(payload.toString()) as { value: number; ts: number };
    const seq = msg.value / 2;
    if (seq === -1) probeSeen = true;
    else if (seq >= 0 && seq < total) {
      if (Number.isNaN(latency[seq]!)) {
        latency[seq] = at - msg.ts;
        received++;
        lastReceive = performance.now();
      } else dups++;
    }
  });
  await sub.subscribeAsync(outTopic, { qos });
  const engine = await s1Engine(name, broker, inTopic, outTopic, qos);
  try {
    await untilFlowing(engine, () => probeSeen, () => sub.publish(inTopic, `{"seq":-1,"value":-1,"ts":${now()}}`));
    const gen = generator(broker.url, inTopic, rate, S1.warmupMs, S1.durationMs);
    const firstSeq = await gen.measuring;
    const cpu0 = cpuSeconds(engine.pid);
    const h0 = process.cpuUsage();
    const g0 = safeCpu(gen.child.pid);
    const t0 = performance.now();
    const rss = rssSampler(engine.pid);
    const sent = await gen.done;
    const g1 = safeCpu(gen.child.pid);
    const genS = (performance.now() - t0) / 1000;
    const h1 = process.cpuUsage(h0);
    // Drain: an engine behind its load delivers late, with pauses of seconds (Node-RED does): wait
    // until everything arrived, or nothing more for S1.quietMs, at most S1.drainMs after the load.
    const sentAt = performance.now();
    lastReceive = Math.max(lastReceive, sentAt);
    while (received < sent && performance.now() - lastReceive < S1.quietMs && performance.now() - sentAt < S1.drainMs) await sleep(50);
    const cpu1 = cpuSeconds(engine.pid);
    const mem = rss.stop();
    const windowS = (Math.max(lastReceive, t0 + S1.durationMs) - t0) / 1000;
    const got = latency.subarray(firstSeq, sent).filter((x) => !Number.isNaN(x)).sort();
    const generated = sent - firstSeq;
    const key = `S1/q${qos}/${rate}`;
    put(`${key}/in`, name, generated / genS);
    put(`${key}/out`, name, got.length / windowS);
    put(`${key}/loss`, name, (100 * (generated - got.length)) / generated);
    put(`${key}/dup`, name, dups);
    put(`${key}/p50`, name, percentile(got, 50));
    put(`${key}/p99`, name, percentile(got, 99));
    put(`${key}/p999`, name, percentile(got, 99.9));
    put(`${key}/cpu`, name, (cpu1 - cpu0) / (generated / 1000));
    put(`${key}/rssMean`, name, mem.mean);
    put(`${key}/rssMax`, name, mem.max);
    loadSideCpu.harness.push((100 * (h1.user + h1.system)) / 1e6 / genS);
    if (!Number.isNaN(g1 - g0)) loadSideCpu.generator.push((100 * (g1 - g0)) / genS);
    log(
      `S1 QoS ${qos} ${String(rate).padStart(6)} msg/s ${name.padEnd(10)} loss ${((100 * (generated - got.length)) / generated).toFixed(2)}%  p50 ${percentile(got, 50).toFixed(2)}  p99 ${percentile(got, 99).toFixed(2)} ms  CPU-s/1k ${((cpu1 - cpu0) / (generated / 1000)).toFixed(4)}  RSS ${mem.max.toFixed(0)} MB`,
    );
  } finally {
    await engine.stop();
    await sub.endAsync();
  }
}

async function s1(): Promise<void> {
  const broker = await startMosquitto({ host: HOST.broker, extraConfig: MOSQUITTO_CONFIG });
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const qos of S1.qos) for (const rate of S1.rates) for (const name of [...ENGINES(rep), 'bridge' as const]) await s1Trial(broker, name, rate, qos);
    }
  } finally {
    await broker.stop();
  }
}

// ---------- S2: in-process engine cost ----------

async function s2(): Promise<void> {
  for (let rep = 0; rep < S2.reps; rep++) {
    for (const hops of S2.hops) {
      for (const name of [...ENGINES(rep), 'plantbench-1' as const]) {
        const worker = name === 'node-red' ? 'node-red' : name;
        const child = fork(S2_WORKER, [worker, String(hops), String(S2.samples)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        pin(child.pid!, ENGINE_CORE);
        const r = await childAnswer(child, (m) => (typeof m.msgPerS === 'number' ? (m as { msgPerS: number; usPerHop: number; rssMb: number }) : undefined));
        await new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)));
        put(`S2/${hops}/rate`, name, r.msgPerS);
        put(`S2/${hops}/us`, name, r.usPerHop);
        log(`S2 ${hops} hop(s) ${name.padEnd(12)} ${(r.msgPerS / 1000).toFixed(1)} k msg/s  ${r.usPerHop.toFixed(3)} µs/hop`);
      }
    }
  }
}

// ---------- S3: Modbus poll → scale → MQTT ----------

interface Sim {
  port: number;
  requests(): Promise<number>;
  stop(): Promise<void>;
}

async function startSim(pollers: number): Promise<Sim> {
  const child = fork(SIM_PROCESS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const points = [];
  for (let p = 0; p < pollers; p++) {
    for (let r = 0; r < 10; r++) {
      points.push({ name: `p${p}r${r}`, area: 'holding', address: p * S3.stride + r, type: 'uint16', signal: { kind: 'ramp', from: 0, to: 1000, periodMs: 60_000 }, updateMs: 1000 });
    }
  }
  const ask = <T>(msg: object, pick: (m: Record<string, unknown>) => T | undefined): Promise<T> => {
    const a = childAnswer(child, pick);
    child.send(msg);
    return a;
  };
  const port = await ask({ points, host: HOST.modbus }, (m) => (typeof m.port === 'number' ? m.port : undefined));
  return {
    port,
    requests: () => ask({ stats: true }, (m) => (typeof m.requests === 'number' ? m.requests : undefined)),
    stop: () => ask({ stop: true }, (m) => (m.stopped ? true : undefined)).then(() => undefined),
  };
}

function s3Engine(name: EngineName, broker: Mosquitto, sim: Sim, pollers: number, intervalMs: number, prefix: string): Engine {
  if (name === 'plantbench') {
    const tags = [];
    for (let p = 0; p < pollers; p++) for (let r = 0; r < 10; r++) tags.push({ name: `p${p}r${r}`, area: 'holding', address: p * S3.stride + r, type: 'uint16', pollGroup: `g${p}` });
    return startPlantbench({
      devices: {
        plc: { protocol: 'modbus', transport: { kind: 'tcp', host: HOST.modbus, port: sim.port }, unitId: 1, pollGroups: Array.from({ length: pollers }, (_, p) => ({ id: `g${p}`, intervalMs })), tags },
        broker: { protocol: 'mqtt', url: broker.url, protocolVersion: 5 },
      },
      pipelines: {
        p: {
          nodes: {
            in: { type: 'modbus-source', config: { device: 'plc', tags: tags.map((t) => t.name) } },
            scale: { type: 'scale', config: { rawLow: 0, rawHigh: 1, engLow: 0, engHigh: 2 } },
            out: { type: 'mqtt-sink', config: { device: 'broker', topic: `${prefix}/{path}`, qos: 0, payload: { format: 'json' } } },
          },
          edges: [
            { from: 'in', to: 'scale' },
            { from: 'scale', to: 'out' },
          ],
        },
      },
    });
  }
  const tab = nrTab();
  const b = nrBroker(broker.host, broker.port);
  const mb = {
    id: nrId(),
    type: 'modbus-client',
    name: 'sim',
    clienttype: 'tcp',
    bufferCommands: true,
    stateLogEnabled: false,
    queueLogEnabled: false,
    failureLogEnabled: true,
    tcpHost: HOST.modbus,
    tcpPort: String(sim.port),
    tcpType: 'DEFAULT',
    serialPort: '/dev/ttyUSB',
    serialType: 'RTU-BUFFERD',
    serialBaudrate: '9600',
    serialDatabits: '8',
    serialStopbits: '1',
    serialParity: 'none',
    serialConnectionDelay: '100',
    serialAsciiResponseStartDelimiter: '0x3A',
    unit_id: '1',
    commandDelay: '1',
    clientTimeout: '1000',
    reconnectOnTimeout: true,
    reconnectTimeout: '2000',
    parallelUnitIdsAllowed: true,
  };
  const fn = nrId();
  const out = nrId();
  const flows: object[] = [tab, b, mb];
  for (let p = 0; p < pollers; p++) {
    flows.push({
      id: nrId(),
      type: 'modbus-read',
      z: tab.id,
      name: '',
      topic: `p${p}`,
      showStatusActivities: false,
      logIOActivities: false,
      showErrors: false,
      showWarnings: true,
      unitid: '',
      dataType: 'HoldingRegister',
      adr: String(p * S3.stride),
      quantity: '10',
      rate: String(intervalMs),
      rateUnit: 'ms',
      delayOnStart: false,
      startDelayTime: '',
      server: mb.id,
      useIOFile: false,
      ioFile: '',
      useIOForPayload: false,
      emptyMsgOnFail: false,
      wires: [[fn], []],
    });
  }
  flows.push(
    {
      id: fn,
      type: 'function',
      z: tab.id,
      name: 'scale and split',
      func: `const ts = Date.now();\nreturn [msg.payload.map((v, r) => ({ topic: '${prefix}/' + msg.topic + 'r' + r, payload: { value: v * 2, quality: 'good', ts } }))];`,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [[out]],
    },
    { id: out, type: 'mqtt out', z: tab.id, name: '', topic: '', qos: '0', retain: 'false', respTopic: '', contentType: '', userProps: '', correl: '', expiry: '', broker: b.id, wires: [] },
  );
  return startNodeRed(flows, ['node-red-contrib-modbus']);
}

async function s3(): Promise<void> {
  const broker = await startMosquitto({ host: HOST.broker, extraConfig: MOSQUITTO_CONFIG });
  const sim = await startSim(Math.max(...S3.loads.map((l) => l.pollers)));
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const { pollers, intervalMs } of S3.loads) {
        // The simulator's limit on one connection: a bare client, back to back, on the engine core.
        const probe = fork(S3_LIMIT, [HOST.modbus, String(sim.port), String(pollers), String(S3.stride), String(QUICK ? 2000 : 4000)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        pin(probe.pid!, ENGINE_CORE);
        const limit = await childAnswer(probe, (m) => (typeof m.reqPerS === 'number' ? m.reqPerS : undefined));
        put(`S3/${pollers}x${intervalMs}/limit`, 'plantbench', limit);
        put(`S3/${pollers}x${intervalMs}/limit`, 'node-red', limit);
        log(`S3 simulator limit (bare modbus-serial client, one request in flight): ${limit.toFixed(0)} req/s`);
        for (const name of ENGINES(rep)) {
          const prefix = `cmp/s3/${name}-${Date.now()}`;
          const lat: number[] = [];
          let count = 0;
          const sub = await client(broker.url);
          sub.on('message', (_t, payload) => {
            const at = now();
            count++;
            lat.push(at - (JSON.parse(payload.toString()) as { ts: number }).ts);
          });
          await sub.subscribeAsync(`${prefix}/#`, { qos: 0 });
          const engine = s3Engine(name, broker, sim, pollers, intervalMs, prefix);
          try {
            await untilFlowing(engine, () => count > 0);
            await sleep(S3.warmupMs);
            const req0 = await sim.requests();
            const cpu0 = cpuSeconds(engine.pid);
            const n0 = count;
            lat.length = 0;
            const rss = rssSampler(engine.pid);
            const t0 = performance.now();
            await sleep(S3.durationMs);
            const req1 = await sim.requests();
            const s = (performance.now() - t0) / 1000;
            const cpu1 = cpuSeconds(engine.pid);
            const msgs = count - n0;
            const mem = rss.stop();
            const sorted = Float64Array.from(lat).sort();
            const key = `S3/${pollers}x${intervalMs}`;
            const demanded = (pollers * 1000) / intervalMs;
            put(`${key}/served`, name, (req1 - req0) / s);
            put(`${key}/servedPct`, name, (100 * (req1 - req0)) / s / demanded);
            put(`${key}/ofPossible`, name, (100 * (req1 - req0)) / s / Math.min(demanded, med(`${key}/limit`, name)));
            put(`${key}/out`, name, msgs / s);
            put(`${key}/p50`, name, percentile(sorted, 50));
            put(`${key}/p99`, name, percentile(sorted, 99));
            put(`${key}/cpu`, name, msgs ? (cpu1 - cpu0) / (msgs / 1000) : Number.NaN);
            put(`${key}/rssMax`, name, mem.max);
            put(`${key}/rssSlope`, name, mem.slope);
            log(
              `S3 ${pollers} × ${intervalMs} ms ${name.padEnd(10)} demanded ${demanded} req/s, served ${((req1 - req0) / s).toFixed(0)} req/s, ${(msgs / s).toFixed(0)} msg/s, p50 ${percentile(sorted, 50).toFixed(1)} p99 ${percentile(sorted, 99).toFixed(1)} ms, RSS ${mem.max.toFixed(0)} MB slope ${mem.slope.toFixed(1)} MB/min`,
            );
          } finally {
            await engine.stop();
            await sub.endAsync();
          }
        }
      }
    }
  } finally {
    await sim.stop();
    await broker.stop();
  }
}

// ---------- S4: start-up and idle ----------

const OPCUA_NODE = 'ns=1;s=Line.Speed';

/** S4's Plantbench project: a 10 ms signal, or one OPC UA tag, published as JSON under `prefix`. */
function s4Project(broker: Mosquitto, opcua: string | undefined, prefix: string): PlantbenchProject {
  const src = opcua ? { type: 'opcua-source', config: { device: 'plc', tags: ['speed'], mode: 'subscribe' } } : { type: 'signal', config: { path: 'tank/level', intervalMs: 10, shape: { kind: 'ramp' } } };
  return {
    devices: {
      broker: { protocol: 'mqtt', url: broker.url, protocolVersion: 5 },
      ...(opcua ? { plc: { protocol: 'opcua', endpoint: opcua, publishingIntervalMs: 50, samplingIntervalMs: 10, tags: [{ name: 'speed', nodeId: OPCUA_NODE }] } } : {}),
    },
    pipelines: { p: { nodes: { src, pub: { type: 'mqtt-sink', config: { device: 'broker', topic: `${prefix}/{path}`, qos: 0, payload: { format: 'json' } } } }, edges: [{ from: 'src', to: 'pub' }] } },
  };
}

/** `plantbench run` from the sources, or Node-RED (the gateway bundle is exported once per variant, in s4). */
function s4Engine(name: EngineName, broker: Mosquitto, opcua: string | undefined, prefix: string): Engine {
  if (name === 'plantbench') return startPlantbench(s4Project(broker, opcua, prefix));
  const tab = nrTab();
  const b = nrBroker(broker.host, broker.port);
  const fn = nrId();
  const out = nrId();
  const flows: object[] = [tab, b];
  if (opcua) {
    const ep = { id: nrId(), type: 'OpcUa-Endpoint', endpoint: opcua, secpol: 'None', secmode: 'None', none: true, login: false, usercert: false, usercertificate: '', userprivatekey: '' };
    const client = nrId();
    flows.push(
      ep,
      { id: nrId(), type: 'inject', z: tab.id, name: '', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], repeat: '', crontab: '', once: true, onceDelay: 0.1, topic: OPCUA_NODE, payload: '', payloadType: 'date', wires: [[client]] },
      { id: client, type: 'OpcUa-Client', z: tab.id, endpoint: ep.id, action: 'subscribe', deadbandtype: 'a', deadbandvalue: 1, time: 50, timeUnit: 'ms', certificate: 'n', localfile: '', localkeyfile: '', securitymode: 'None', securitypolicy: 'None', useTransport: false, maxChunkCount: 1, maxMessageSize: 8192, receiveBufferSize: 8192, sendBufferSize: 8192, setstatusandtime: false, keepsessionalive: false, name: '', wires: [[fn], [], []] },
    );
  } else {
    flows.push({ id: nrId(), type: 'inject', z: tab.id, name: '', props: [{ p: 'payload' }], repeat: '0.01', crontab: '', once: true, onceDelay: 0.1, topic: '', payload: '', payloadType: 'date', wires: [[fn]] });
  }
  flows.push(
    { id: fn, type: 'function', z: tab.id, name: 'to JSON', func: "msg.payload = { value: msg.payload, quality: 'good', ts: Date.now() };\nreturn msg;", outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[out]] },
    { id: out, type: 'mqtt out', z: tab.id, name: '', topic: `${prefix}/level`, qos: '0', retain: 'false', respTopic: '', contentType: '', userProps: '', correl: '', expiry: '', broker: b.id, wires: [] },
  );
  return startNodeRed(flows, opcua ? ['node-red-contrib-opcua'] : []);
}

async function s4(): Promise<void> {
  // The gateway runtime (out/gateway, which every export copies) rebuilt from the current sources,
  // under the lock that guards out/.
  execFileSync('flock', ['-w', '300', '/tmp/pb-e2e.lock', 'npm', 'run', '--silent', 'build:gateway'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit'] });
  const broker = await startMosquitto({ host: HOST.broker, extraConfig: MOSQUITTO_CONFIG });
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-compare-s4-'));
  const opcua = await startSimulator(
    {
      apiVersion: 'plantbench/v1',
      kind: 'Simulator',
      id: 'plc',
      protocol: 'opcua',
      bind: { host: HOST.opcua, port: 0 },
      namespaceUri: 'urn:bench',
      resourcePath: '/bench',
      variables: [{ path: 'Line/Speed', dataType: 'Double', writable: false, signal: { kind: 'ramp', from: 0, to: 100, periodMs: 1000 }, updateMs: 20 }],
    } as Parameters<typeof startSimulator>[0],
    { baseDir: dir, log: () => {} },
  );
  // One exported bundle per variant, each started once uncounted: that start makes its state
  // folder (OPC UA client certificate, buffer), so the measured starts are restarts, as on a gateway.
  const gateways = new Map<'plain' | 'opcua', { dir: string; prefix: string }>();
  try {
    for (const variant of ['plain', 'opcua'] as const) {
      const prefix = `cmp/s4/gateway-${variant}-${Date.now()}`;
      const gw = { dir: await exportPlantbench(s4Project(broker, variant === 'opcua' ? opcua.endpoint : undefined, prefix), HOST.health), prefix };
      gateways.set(variant, gw);
      let seen = false;
      const sub = await client(broker.url);
      sub.on('message', () => (seen = true));
      await sub.subscribeAsync(`${prefix}/#`);
      const engine = startGateway(gw.dir);
      try {
        await untilFlowing(engine, () => seen);
      } finally {
        await engine.stop();
        await sub.endAsync();
      }
    }
    for (let rep = 0; rep < REPS; rep++) {
      for (const variant of ['plain', 'opcua'] as const) {
        // The target pair alternates as in every scenario (the gateway in Plantbench's place); then the extra row, `plantbench run` from the sources.
        for (const name of [...ENGINES(rep).map((e) => (e === 'plantbench' ? ('gateway' as const) : e)), 'plantbench' as const]) {
          const gw = gateways.get(variant)!;
          const prefix = name === 'gateway' ? gw.prefix : `cmp/s4/${name}-${Date.now()}`;
          let first = 0;
          const sub = await client(broker.url);
          sub.on('message', () => (first ||= performance.now()));
          await sub.subscribeAsync(`${prefix}/#`);
          const engine = name === 'gateway' ? startGateway(gw.dir) : s4Engine(name, broker, variant === 'opcua' ? opcua.endpoint : undefined, prefix);
          try {
            await untilFlowing(engine, () => first > 0);
            await sleep(S4.rssAfterMs);
            const rss = rssMb(engine.pid);
            put(`S4/${variant}/first`, name, first - engine.startedAt);
            put(`S4/${variant}/rss`, name, rss);
            log(`S4 ${variant.padEnd(5)} ${name.padEnd(10)} first publish ${(first - engine.startedAt).toFixed(0)} ms, RSS after ${S4.rssAfterMs / 1000} s ${rss.toFixed(1)} MB`);
          } finally {
            await engine.stop();
            await sub.endAsync();
          }
        }
      }
    }
  } finally {
    await opcua.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const gw of gateways.values()) rmSync(gw.dir, { recursive: true, force: true });
  }
}

// ---------- S5: uplink outage ----------

function s5Engine(name: EngineName, source: Mosquitto, uplink: Mosquitto, inTopic: string, outTopic: string): Engine {
  if (name === 'plantbench') {
    return startPlantbench({
      devices: {
        src: { protocol: 'mqtt', url: source.url, protocolVersion: 5, tags: [{ name: 'v', topic: inTopic, payload: { format: 'json', field: 'value' } }] },
        up: { protocol: 'mqtt', url: uplink.url, protocolVersion: 5 },
      },
      pipelines: {
        p: {
          nodes: {
            in: { type: 'mqtt-source', config: { device: 'src', tags: ['v'], qos: 1 } },
            scale: { type: 'scale', config: { rawLow: 0, rawHigh: 1, engLow: 0, engHigh: 2 } },
            out: { type: 'mqtt-sink', config: { device: 'up', topic: outTopic, qos: 1, payload: { format: 'json' } } },
          },
          edges: [
            { from: 'in', to: 'scale' },
            { from: 'scale', to: 'out' },
          ],
        },
      },
    });
  }
  const tab = nrTab();
  const a = nrBroker(source.host, source.port);
  const b = nrBroker(uplink.host, uplink.port);
  const fn = nrId();
  const out = nrId();
  return startNodeRed([
    tab,
    a,
    b,
    { id: nrId(), type: 'mqtt in', z: tab.id, name: '', topic: inTopic, qos: '1', datatype: 'json', broker: a.id, nl: false, rap: true, rh: 0, inputs: 0, wires: [[fn]] },
    { id: fn, type: 'function', z: tab.id, name: 'scale', func: "msg.payload = { value: msg.payload.value * 2, quality: 'good', ts: msg.payload.ts };\nreturn msg;", outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[out]] },
    { id: out, type: 'mqtt out', z: tab.id, name: '', topic: outTopic, qos: '1', retain: 'false', respTopic: '', contentType: '', userProps: '', correl: '', expiry: '', broker: b.id, wires: [] },
  ]);
}

async function s5(): Promise<void> {
  const source = await startMosquitto({ host: HOST.broker, extraConfig: MOSQUITTO_CONFIG });
  // The uplink keeps sessions across its restart, so the subscriber's queue survives the outage.
  const store = mkdtempSync(join(tmpdir(), 'plantbench-compare-uplink-'));
  chmodSync(store, 0o777);
  const uplink = await startMosquitto({ host: HOST.uplink, extraConfig: `${MOSQUITTO_CONFIG}\npersistence true\npersistence_location ${store}/\nmax_queued_messages 1000000` });
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const name of ENGINES(rep)) {
        const tag = `${name}-${Date.now()}`;
        const inTopic = `cmp/s5/${tag}/in`;
        const outTopic = `cmp/s5/${tag}/out`;
        const total = Math.ceil(((S5.beforeMs + S5.outageMs + S5.afterMs) * S5.rate) / 1000) + S5.rate;
        const seen = new Uint16Array(total);
        let probeSeen = false;
        let lastReceive = performance.now();
        // MQTT 3.1.1 with clean: false: the session (and its queue) outlives a disconnect.
        const sub = await mqtt.connectAsync(uplink.url, { protocolVersion: 4, clean: false, clientId: `cmp-s5-${process.pid}-${tag}`, reconnectPeriod: 100 });
        sub.on('message', (_t, payload) => {
          const seq = (JSON.parse(payload.toString()) as { value: number }).value / 2;
          if (seq === -1) probeSeen = true;
          else if (seq >= 0 && seq < total) {
            seen[seq]!++;
            lastReceive = performance.now();
          }
        });
        await sub.subscribeAsync(outTopic, { qos: 1 });
        const pub = await client(source.url);
        const engine = s5Engine(name, source, uplink, inTopic, outTopic);
        try {
          await untilFlowing(engine, () => probeSeen, () => pub.publish(inTopic, `{"seq":-1,"value":-1,"ts":${now()}}`));
          const gen = generator(source.url, inTopic, S5.rate, 0, S5.beforeMs + S5.outageMs + S5.afterMs);
          await gen.measuring;
          await sleep(S5.beforeMs);
          await uplink.kill();
          await sleep(S5.outageMs);
          await uplink.restart();
          const sent = await gen.done;
          const t0 = performance.now();
          while (performance.now() - lastReceive < S5.quietMs && performance.now() - t0 < 120_000) await sleep(100);
          let unique = 0;
          let dup = 0;
          for (let i = 0; i < sent; i++) {
            if (seen[i]! > 0) unique++;
            if (seen[i]! > 1) dup += seen[i]! - 1;
          }
          put('S5/lost', name, sent - unique);
          put('S5/lostPct', name, (100 * (sent - unique)) / sent);
          put('S5/dup', name, dup);
          log(`S5 ${name.padEnd(10)} sent ${sent}, lost ${sent - unique} (${((100 * (sent - unique)) / sent).toFixed(1)} %), duplicated ${dup}`);
        } finally {
          await engine.stop();
          await pub.endAsync();
          sub.end(true);
        }
      }
    }
  } finally {
    await uplink.stop();
    await source.stop();
    rmSync(store, { recursive: true, force: true });
  }
}

// ---------- run ----------

const scenarios: [string, () => Promise<void>][] = [
  ['S2', s2],
  ['S1', s1],
  ['S3', s3],
  ['S4', s4],
  ['S5', s5],
];
for (const [id, fn] of scenarios) {
  if (!want(id)) continue;
  const t = performance.now();
  log(`--- ${id} ---`);
  await fn();
  log(`${id} took ${((performance.now() - t) / 1000).toFixed(0)} s`);
}
const loadAtEnd = loadavg();
const totalS = (performance.now() - runStarted) / 1000;
const harnessCpu = process.cpuUsage(harnessCpuStart);

// ---------- table ----------

type Fmt = (x: number) => string;
const f = (digits: number): Fmt => (x) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const k: Fmt = (x) => (Number.isFinite(x) ? (x >= 10_000 ? `${(x / 1000).toFixed(0)} k` : x >= 1000 ? `${(x / 1000).toFixed(1)} k` : x.toFixed(0)) : '–');
const cell = (key: string, engine: EngineName | 'plantbench-1', fmt: Fmt): string => {
  // Repetitions without a figure (no message arrived, so no latency) are left out of the cell.
  const xs = results.get(key)?.[engine]?.filter(Number.isFinite);
  return xs?.length ? range(xs, fmt) : '–';
};
const ratio = (key: string, a: EngineName | 'plantbench-1' = 'plantbench', b: EngineName = 'node-red'): number => med(key, a) / med(key, b);
const ratioCell = (r: number): string => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×` : '–');

const rows: string[][] = [['scenario', 'metric', 'Plantbench', 'Node-RED', 'bridge', 'PB ÷ NR', 'target', 'result']];
const verdicts: string[] = [];
function row(scenario: string, metric: string, key: string, fmt: Fmt, target = '', result = '', withBridge = false, pbEngine: EngineName | 'plantbench-1' = 'plantbench'): void {
  if (!results.has(key)) return;
  rows.push([scenario, metric, cell(key, pbEngine, fmt), cell(key, 'node-red', fmt), withBridge ? cell(key, 'bridge', fmt) : '', ratioCell(ratio(key, pbEngine)), target, result]);
}
const check = (ok: boolean, miss: string): string => (ok ? 'met' : `missed: ${miss}`);

for (const hops of S2.hops) {
  const r = ratio(`S2/${hops}/rate`);
  row('S2', `${hops} hop(s), msg/s`, `S2/${hops}/rate`, k, '≥ 50× NR', results.has(`S2/${hops}/rate`) ? check(r >= 50, `${r.toFixed(0)}× (${((1 - r / 50) * 100).toFixed(0)} % short)`) : '');
  row('S2', `${hops} hop(s), µs per hop`, `S2/${hops}/us`, f(3));
  const r1 = ratio(`S2/${hops}/rate`, 'plantbench-1');
  row('S2', `${hops} hop(s), msg/s, one-sample batches`, `S2/${hops}/rate`, k, '', results.has(`S2/${hops}/rate`) ? `${r1.toFixed(1)}× NR` : '', false, 'plantbench-1');
}
for (const qos of S1.qos) {
  for (const rate of S1.rates) {
    const key = `S1/q${qos}/${rate}`;
    if (!results.has(`${key}/cpu`)) continue;
    const s = `S1 QoS ${qos} @ ${k(rate)}/s`;
    row(s, 'out msg/s', `${key}/out`, k, '', '', true);
    row(s, 'loss %', `${key}/loss`, f(2), '', '', true);
    const p99 = med(`${key}/p99`, 'plantbench');
    row(s, 'p50 ms', `${key}/p50`, f(2), '', '', true);
    row(s, 'p99 ms', `${key}/p99`, f(2), rate === 10_000 ? '< 10 ms' : '', rate === 10_000 ? check(p99 < 10, `${p99.toFixed(1)} ms`) : '', true);
    row(s, 'p99.9 ms', `${key}/p999`, f(2), '', '', true);
    const cpuNr = ratio(`${key}/cpu`);
    const cpuBr = ratio(`${key}/cpu`, 'plantbench', 'bridge');
    row(s, 'CPU-s per 1k msg', `${key}/cpu`, f(4), '≤ 0.6× NR, ≤ 1.2× bridge', `${check(cpuNr <= 0.6, `${cpuNr.toFixed(2)}× NR`)}; ${check(cpuBr <= 1.2, `${cpuBr.toFixed(2)}× bridge`)}`, true);
    row(s, 'RSS mean MB', `${key}/rssMean`, f(0), '', '', true);
    row(s, 'RSS max MB', `${key}/rssMax`, f(0), '', '', true);
  }
}
for (const { pollers, intervalMs } of S3.loads) {
  const key = `S3/${pollers}x${intervalMs}`;
  if (!results.has(`${key}/served`)) continue;
  const s = `S3 ${pollers} × ${intervalMs} ms (${k((pollers * 1000) / intervalMs)} req/s)`;
  const pct = med(`${key}/ofPossible`, 'plantbench');
  const slope = med(`${key}/rssSlope`, 'plantbench');
  row(s, 'simulator limit req/s (bare client)', `${key}/limit`, f(0));
  row(s, 'served req/s', `${key}/served`, f(0));
  row(s, 'served % of demanded', `${key}/servedPct`, f(1));
  row(s, 'served % of min(demanded, limit)', `${key}/ofPossible`, f(1), '≥ 99 %', check(pct >= 99, `${pct.toFixed(0)} %`));
  row(s, 'out msg/s', `${key}/out`, k);
  row(s, 'p50 ms (read → subscriber)', `${key}/p50`, f(1));
  row(s, 'p99 ms', `${key}/p99`, f(1));
  row(s, 'CPU-s per 1k msg', `${key}/cpu`, f(4));
  row(s, 'RSS max MB', `${key}/rssMax`, f(0));
  row(s, 'RSS slope MB/min', `${key}/rssSlope`, f(1), 'flat (< 5 MB/min)', check(Math.abs(slope) < 5, `${slope.toFixed(1)} MB/min`));
}
for (const variant of ['plain', 'opcua'] as const) {
  if (!results.has(`S4/${variant}/first`)) continue;
  const s = `S4 ${variant === 'plain' ? 'signal → MQTT' : 'OPC UA → MQTT'}`;
  // Target rows: the exported gateway bundle, the form a gateway runs.
  const r1 = ratio(`S4/${variant}/first`, 'gateway');
  const r2 = ratio(`S4/${variant}/rss`, 'gateway');
  row(s, 'spawn → first publish ms', `S4/${variant}/first`, f(0), '≤ 0.6× NR', check(r1 <= 0.6, `${r1.toFixed(2)}×`), false, 'gateway');
  row(s, `RSS after ${S4.rssAfterMs / 1000} s MB`, `S4/${variant}/rss`, f(1), '≤ 0.6× NR', check(r2 <= 0.6, `${r2.toFixed(2)}×`), false, 'gateway');
  // Extra rows, no target: `plantbench run` from the TypeScript sources (what the workbench's CLI runs).
  row(`${s}, PB run from sources`, 'spawn → first publish ms', `S4/${variant}/first`, f(0), '', '', false, 'plantbench');
  row(`${s}, PB run from sources`, `RSS after ${S4.rssAfterMs / 1000} s MB`, `S4/${variant}/rss`, f(1), '', '', false, 'plantbench');
}
if (results.has('S5/lost')) {
  const lost = med('S5/lost', 'plantbench');
  const s = `S5 uplink down ${S5.outageMs / 1000} s @ ${k(S5.rate)}/s QoS 1`;
  row(s, 'lost messages', 'S5/lost', f(0), '0', check(lost === 0, `${lost.toFixed(0)} lost`));
  row(s, 'lost %', 'S5/lostPct', f(1));
  row(s, 'duplicated', 'S5/dup', f(0));
}
for (const r of rows.slice(1)) if (r[7]?.startsWith('missed')) verdicts.push(`${r[0]}, ${r[1]}: ${r[7]}`);

const pctCore = (xs: number[]): string => (xs.length ? `median ${median(xs).toFixed(0)} %, max ${Math.max(...xs).toFixed(0)} %` : '–');
const loadLine = `Load average (1/5/15 min) at start ${loadAtStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${loadAtEnd.map((x) => x.toFixed(2)).join(' / ')}`;
const selfLine = `Load side during S1 windows, % of one core: harness (subscriber, latency) ${pctCore(loadSideCpu.harness)}; generator ${pctCore(loadSideCpu.generator)}. Harness CPU over the whole run: ${((harnessCpu.user + harnessCpu.system) / 1e6).toFixed(1)} s in ${totalS.toFixed(0)} s.`;
console.log(`\n${textTable(rows, { rule: true })}\n\n${loadLine}\n${selfLine}\n${verdicts.length ? `Missed:\n${verdicts.join('\n')}` : 'Every target met.'}`);

if (WRITE) {
  const series = (['plantbench', 'node-red', 'bridge'] as const).flatMap((engine) =>
    S1.qos.map((qos) => ({ engine, qos, points: S1.rates.map((rate) => ({ rate, p50: med(`S1/q${qos}/${rate}/p50`, engine), p99: med(`S1/q${qos}/${rate}/p99`, engine) })).filter((p) => Number.isFinite(p.p99)) })),
  );
  if (series.some((s) => s.points.length)) writeFileSync(SVG_FILE, latencySvg(series));
  appendResults(
    `Side by side: Plantbench vs Node-RED ${QUICK ? '(--quick)' : ''}`.trim(),
    [
      `Machine: ${machineLine()}. ${loadLine} (the machine is shared: absolute figures drift, the ratios are the claim).`,
      `\`npm run bench:compare${QUICK ? ' -- --quick' : ''}\`, ${REPS} repetition(s) interleaved (A B A B), cells median [min–max]; engines pinned to core ${ENGINE_CORE}, broker, generator, simulators and harness to core ${LOAD_CORE}. Node-RED 4.1 headless with node-red-contrib-modbus 5.23.3 and node-red-contrib-opcua; method in the header of \`bench/compare/run.ts\` and in docs/benchmarks.md. ${selfLine} Run took ${(totalS / 60).toFixed(1)} min.`,
      '',
      markdownTable(rows),
      '',
      verdicts.length ? `Targets missed:\n${verdicts.map((v) => `- ${v}`).join('\n')}` : 'Every target met.',
      series.some((s) => s.points.length) ? `\nLatency against rate (S1): [bench/compare/latency-vs-rate.svg](compare/latency-vs-rate.svg)` : '',
    ].join('\n'),
  );
}
process.exit(0);
