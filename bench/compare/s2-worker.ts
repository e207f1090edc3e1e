// S2, in-process engine cost: one engine loaded in this process (pinned to the engine core by the
// parent), SAMPLES values through HOPS scale hops, counted at the end of the chain.
//   node bench/compare/s2-worker.ts <plantbench|plantbench-1|node-red> <hops> <samples>
// Answers on IPC with { msgPerS, usPerHop, rssMb } and exits.
// - plantbench: a real PipelineRun (engine kinds, virtual clock, manual scheduling as in
//   bench/engine): batches of 1,000 samples injected into the source, `settle()` drains the chain,
//   a tap counts at the last hop. `plantbench-1` injects one-sample batches (one MQTT message each).
// - node-red: the Node-RED 4 runtime loaded in-process with RED.init/RED.start (embedded, no HTTP),
//   a flow of HOPS core `range` nodes (scale 0..1 → 0..2) wired to a one-line counting node.
//   Messages are handed to the first range node with node.receive(msg) (no inject node), 1,000 at a
//   time, the next 1,000 once those reached the counter; Node-RED's default (asynchronous) delivery.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun } from '../../src/engine/runtime.ts';
import { pipelineFile, type PipelineFile } from '../../src/shared/model/pipeline.ts';
import type { Sample } from '../../src/shared/sample.ts';
import { CONTRIBS } from './engines.ts';

const [engine, hopsArg, samplesArg] = process.argv.slice(2) as [string, string, string];
const HOPS = Number(hopsArg);
const SAMPLES = Number(samplesArg);
const WARMUP = Math.min(50_000, SAMPLES);
const WINDOW = 1000;
const SCALE = { rawLow: 0, rawHigh: 1, engLow: 0, engHigh: 2 };

async function plantbench(batchSize: number): Promise<number> {
  const nodes: Record<string, unknown> = { src: { type: 'signal', config: { path: 'unused', intervalMs: 1000, shape: { kind: 'sine' } } } };
  const edges: { from: string; to: string }[] = [];
  for (let i = 1; i <= HOPS; i++) {
    nodes[`h${i}`] = { type: 'scale', config: SCALE };
    edges.push({ from: i === 1 ? 'src' : `h${i - 1}`, to: `h${i}` });
  }
  const pipeline = pipelineFile.parse({ apiVersion: 'plantbench/v1', kind: 'Pipeline', id: 's2', name: 's2', nodes, edges }) as PipelineFile;
  const run = new PipelineRun({ pipeline, kinds: kindRegistry(ENGINE_KINDS), clock: new VirtualClock(0), project: { uns: { enterprise: 'bench', site: 's1' } }, scheduling: 'manual' });
  await run.start();
  let seen = 0;
  run.tap(`h${HOPS}`, 'out', (batch) => (seen += batch.length));
  const batches: Sample[][] = Array.from({ length: 100 }, (_, b) => Array.from({ length: batchSize }, (_, i) => ({ path: `tag${i % 100}`, value: b * batchSize + i, quality: 'good', ts: 1_700_000_000_000 + i })));
  const push = async (count: number): Promise<void> => {
    for (let n = 0, b = 0; n < count; n += batchSize, b++) {
      run.inject('src', undefined, batches[b % batches.length]!);
      await run.settle();
    }
  };
  await push(WARMUP);
  seen = 0;
  const t0 = performance.now();
  await push(SAMPLES);
  const s = (performance.now() - t0) / 1000;
  if (seen !== SAMPLES) throw new Error(`plantbench: counted ${seen} of ${SAMPLES}`);
  await run.stop();
  return s;
}

async function nodeRed(): Promise<number> {
  const require = createRequire(new URL('./package.json', import.meta.url));
  const RED = require('node-red') as {
    init(settings: object): void;
    start(): Promise<void>;
    stop(): Promise<void>;
    nodes: { getNode(id: string): { receive(msg: object): void } | null };
  };
  const dir = mkdtempSync(join(tmpdir(), 'plantbench-compare-s2-'));
  mkdirSync(join(dir, 'nodes'));
  // The counter: the cheapest possible Node-RED node (what a tap is to Plantbench).
  writeFileSync(
    join(dir, 'nodes/bench-count.js'),
    `module.exports = function (RED) { function C(c) { RED.nodes.createNode(this, c); this.on('input', (msg, send, done) => { globalThis.benchCount(); done(); }); } RED.nodes.registerType('bench-count', C); };\n`,
  );
  writeFileSync(join(dir, 'nodes/bench-count.html'), `<script type="text/javascript">RED.nodes.registerType('bench-count',{category:'function',defaults:{},inputs:1,outputs:0});</script>\n`);
  const flows: object[] = [{ id: 'tab', type: 'tab', label: 's2' }];
  for (let i = 1; i <= HOPS; i++) {
    flows.push({ id: `h${i}`, type: 'range', z: 'tab', minin: '0', maxin: '1', minout: '0', maxout: '2', action: 'scale', round: false, property: 'payload', name: '', wires: [[i === HOPS ? 'count' : `h${i + 1}`]] });
  }
  flows.push({ id: 'count', type: 'bench-count', z: 'tab', wires: [] });
  writeFileSync(join(dir, 'flows.json'), JSON.stringify(flows));
  RED.init({ userDir: dir, flowFile: 'flows.json', nodesDir: join(dir, 'nodes'), nodesExcludes: [...CONTRIBS], httpAdminRoot: false, httpNodeRoot: false, credentialSecret: false, logging: { console: { level: 'warn' } } });
  await RED.start();
  let first = RED.nodes.getNode('h1');
  for (let i = 0; !first && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    first = RED.nodes.getNode('h1');
  }
  if (!first) throw new Error('node-red: the flow did not start');
  let seen = 0;
  let target = 0;
  let reached: (() => void) | undefined;
  (globalThis as unknown as { benchCount: () => void }).benchCount = () => {
    if (++seen === target) reached?.();
  };
  const push = async (count: number): Promise<void> => {
    for (let n = 0; n < count; n += WINDOW) {
      target = seen + WINDOW;
      const done = new Promise<void>((r) => (reached = r));
      for (let i = 0; i < WINDOW; i++) first.receive({ topic: `tag${i % 100}`, payload: (n + i) / count });
      await done;
    }
  };
  await push(WARMUP);
  seen = 0;
  const t0 = performance.now();
  await push(SAMPLES);
  const s = (performance.now() - t0) / 1000;
  await RED.stop();
  rmSync(dir, { recursive: true, force: true });
  return s;
}

const seconds = engine === 'node-red' ? await nodeRed() : await plantbench(engine === 'plantbench-1' ? 1 : 1000);
process.send!({ msgPerS: SAMPLES / seconds, usPerHop: (seconds * 1e6) / (SAMPLES * HOPS), rssMb: process.memoryUsage().rss / 2 ** 20 });
process.disconnect();
process.exit(0);
