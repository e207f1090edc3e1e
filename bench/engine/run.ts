// Engine throughput benchmark: samples per second through 1, 3 and 10 transform hops of the real
// PipelineRun with the real node kinds, against a bare-function baseline doing the same work.
//
//   npm run bench:engine              full run, appends a dated section to bench/RESULTS.md
//   npm run bench:engine -- --quick   short run (still 3 repetitions per figure)
//   npm run bench:engine -- --no-write   print only, do not touch bench/RESULTS.md
//
// What is measured (see bench/RESULTS.md for the figures):
// - Pipeline: a `signal` source `src` (only used as an injection point: the virtual clock never
//   moves, so it never fires) → N transform hops. The chain repeats scale → deadband → uns-topic:
//   1 hop = scale; 3 hops = scale → deadband → uns-topic; 10 hops = s d u s d u s d u s.
//   scale: raw 0..27648 → 0..100 %, no clamp (so distinct inputs stay distinct).
//   deadband: absolute, value 0. A sample passes when it differs from the last one sent for its
//     path, so the input values are a strictly increasing counter spread over 100 tag paths and
//     every sample passes every hop (the run checks that the tap saw every sample).
//   uns-topic: the example project's template {enterprise}/{site}/{area}/{line}/{machine}/{tag};
//     the path gets longer at each uns-topic hop ({tag} is the path after its first "/").
// - Input: batches of 1,000 samples { path, value, quality, ts } (no meta), built before timing and
//   re-used in turn (samples are immutable, the engine never changes them).
// - Scheduling: manual. Each batch is injected into `src` (`run.inject`) and `await run.settle()`
//   drains the whole chain synchronously, so the figure is the engine's own cost plus one microtask
//   per batch, with no event-loop hop. One extra row runs 3 hops with auto scheduling (a
//   setImmediate per batch, one batch in flight) to show what the event loop adds.
// - Counting: `run.tap(lastNode, 'out', fn)` counts samples and stamps the batch latency
//   (inject → tap, performance.now()).
// - Baseline: a plain loop calling the same three transforms as bare functions (same per-sample
//   logic and allocation: a new sample object per hop, a new array per batch per hop), no engine.
// - Each figure: a fresh PipelineRun per repetition (clean deadband state), ≥ 3 repetitions after a
//   warm-up, median and min–max. GC is forced between repetitions when it can be exposed.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VirtualClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun } from '../../src/engine/runtime.ts';
import { pipelineFile, type PipelineFile } from '../../src/shared/model/pipeline.ts';
import type { Batch, Sample } from '../../src/shared/sample.ts';
import { appendResults, machineLine, markdownTable, median, percentile, range, shouldWrite, textTable } from '../lib/report.ts';

// ---------- options ----------

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const WRITE = shouldWrite();
const REPS = QUICK ? 3 : 5;
const BATCH = 1000;
const TAGS = 100;
/** Samples per repetition, by hop count. */
const SAMPLES: Record<number, number> = QUICK ? { 1: 200_000, 3: 200_000, 10: 100_000 } : { 1: 2_000_000, 3: 2_000_000, 10: 1_000_000 };
const WARMUP_SAMPLES = QUICK ? 100_000 : 500_000;
/** Distinct pre-built batches, used in turn. */
const POOL_BATCHES = 100;
const HOPS = [1, 3, 10] as const;
const TARGET_3_HOPS = 2_000_000;

const PROJECT = {
  uns: { enterprise: 'acme', site: 'dortmund', area: 'packaging', line: 'line-1' },
  topicTemplate: '{enterprise}/{site}/{area}/{line}/{machine}/{tag}',
};
const SCALE = { rawLow: 0, rawHigh: 27648, engLow: 0, engHigh: 100, unit: '%' };
const TOPIC_VARS = { machine: 'filler' };

const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

// ---------- inputs ----------

const PATHS = Array.from({ length: TAGS }, (_, i) => `filler/level-${String(i).padStart(2, '0')}`);

/** POOL_BATCHES batches of BATCH samples; the value is a global counter, so it rises for every path. */
function buildPool(): Batch[] {
  const pool: Batch[] = [];
  let n = 0;
  for (let b = 0; b < POOL_BATCHES; b++) {
    const batch: Sample[] = new Array(BATCH);
    for (let i = 0; i < BATCH; i++, n++) batch[i] = { path: PATHS[n % TAGS]!, value: n, quality: 'good', ts: 1_700_000_000_000 + n };
    pool.push(batch);
  }
  return pool;
}

// ---------- the pipeline ----------

const KIND_CYCLE = ['scale', 'deadband', 'uns-topic'] as const;

function chainTypes(hops: number): string[] {
  return Array.from({ length: hops }, (_, i) => KIND_CYCLE[i % 3]!);
}

function chain(hops: number): { pipeline: PipelineFile; last: string } {
  const nodes: Record<string, unknown> = {
    src: { type: 'signal', config: { path: 'unused', intervalMs: 1000, shape: { kind: 'sine' } } },
  };
  const edges: { from: string; to: string }[] = [];
  let prev = 'src';
  chainTypes(hops).forEach((type, i) => {
    const id = `h${i + 1}-${type}`;
    const config = type === 'scale' ? SCALE : type === 'deadband' ? { mode: 'absolute', value: 0 } : { vars: TOPIC_VARS };
    nodes[id] = { type, config };
    edges.push({ from: prev, to: id });
    prev = id;
  });
  const pipeline = pipelineFile.parse({ apiVersion: 'plantbench/v1', kind: 'Pipeline', id: `bench-${hops}`, name: `${hops} hops`, nodes, edges }) as PipelineFile;
  return { pipeline, last: prev };
}

// ---------- the baseline: the same transforms as bare functions ----------

type Transform = (batch: Batch) => Batch;

function bareScale(): Transform {
  const c = SCALE;
  const gain = (c.engHigh - c.engLow) / (c.rawHigh - c.rawLow);
  const range = { low: Math.min(c.engLow, c.engHigh), high: Math.max(c.engLow, c.engHigh) };
  const meta = { unit: c.unit, range };
  return (batch) => {
    const out: Sample[] = [];
    for (const s of batch) {
      if (typeof s.value !== 'number') continue;
      out.push({ path: s.path, value: c.engLow + (s.value - c.rawLow) * gain, quality: s.quality, status: s.status, ts: s.ts, serverTs: s.serverTs, meta: s.meta === undefined ? meta : { ...s.meta, unit: c.unit, range } });
    }
    return out;
  };
}

function bareDeadband(): Transform {
  const last = new Map<string, { value: number; quality: string }>();
  return (batch) => {
    const out: Sample[] = [];
    for (const s of batch) {
      const v = s.value;
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const st = last.get(s.path);
      if (st === undefined) {
        last.set(s.path, { value: v, quality: s.quality });
        out.push(s);
      } else if (Math.abs(v - st.value) > 0 || s.quality !== st.quality) {
        st.value = v;
        st.quality = s.quality;
        out.push(s);
      }
    }
    return out;
  };
}

function bareTopic(): Transform {
  const { enterprise, site, area, line } = PROJECT.uns;
  const prefix = `${enterprise}/${site}/${area}/${line}/${TOPIC_VARS.machine}/`;
  return (batch) => {
    const out: Sample[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i]!;
      // The prefix ends with "/": the topic needs tidying only when the tag is empty, starts or
      // ends with "/", or holds "//" (what uns-topic decides per piece, without rescanning).
      const tag = s.path.slice(s.path.indexOf('/') + 1);
      let t = prefix + tag;
      if (tag.length === 0 || tag.charCodeAt(0) === 47 || tag.charCodeAt(tag.length - 1) === 47 || tag.includes('//')) {
        t = t.split('/').filter(Boolean).join('/');
      }
      out[i] = { ...s, path: t };
    }
    return out;
  };
}

function bareChain(hops: number): Transform[] {
  return chainTypes(hops).map((t) => (t === 'scale' ? bareScale() : t === 'deadband' ? bareDeadband() : bareTopic()));
}

// ---------- measurement ----------

interface Rep {
  samplesPerSec: number;
  usPerSampleHop: number;
  cpuSecPer1k: number;
  p50us: number;
  p99us: number;
}

function collect(hops: number, samples: number, wallMs: number, cpu: NodeJS.CpuUsage, latencies: Float64Array): Rep {
  const sorted = latencies.slice().sort();
  return {
    samplesPerSec: samples / (wallMs / 1000),
    usPerSampleHop: (wallMs * 1000) / samples / hops,
    cpuSecPer1k: (cpu.user + cpu.system) / 1e6 / (samples / 1000),
    p50us: percentile(sorted, 50) * 1000,
    p99us: percentile(sorted, 99) * 1000,
  };
}

async function engineRep(hops: number, samples: number, pool: Batch[], scheduling: 'manual' | 'auto'): Promise<Rep> {
  const { pipeline, last } = chain(hops);
  const run = new PipelineRun({ pipeline, kinds: kindRegistry(ENGINE_KINDS), clock: new VirtualClock(0), project: PROJECT, scheduling });
  await run.start();
  const batches = Math.ceil(samples / BATCH);
  const latencies = new Float64Array(batches);
  let seen = 0;
  let injectedAt = 0;
  let batchNo = 0;
  let arrived: (() => void) | undefined;
  run.tap(last, 'out', (batch) => {
    seen += batch.length;
    latencies[batchNo] = performance.now() - injectedAt;
    arrived?.();
  });
  gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (scheduling === 'manual') {
    for (batchNo = 0; batchNo < batches; batchNo++) {
      injectedAt = performance.now();
      run.inject('src', undefined, pool[batchNo % pool.length]!);
      await run.settle();
    }
  } else {
    for (batchNo = 0; batchNo < batches; batchNo++) {
      const done = new Promise<void>((resolve) => (arrived = resolve));
      injectedAt = performance.now();
      run.inject('src', undefined, pool[batchNo % pool.length]!);
      await done;
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await run.stop();
  const expected = batches * BATCH;
  if (seen !== expected) throw new Error(`${hops} hops: the tap saw ${seen} samples, expected ${expected} (deadband must pass every sample)`);
  return collect(hops, expected, wallMs, cpu, latencies);
}

function baselineRep(hops: number, samples: number, pool: Batch[]): Rep {
  const fns = bareChain(hops);
  const batches = Math.ceil(samples / BATCH);
  const latencies = new Float64Array(batches);
  let seen = 0;
  gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    const started = performance.now();
    let batch = pool[b % pool.length]!;
    for (const fn of fns) batch = fn(batch);
    seen += batch.length;
    latencies[b] = performance.now() - started;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (seen !== batches * BATCH) throw new Error(`baseline ${hops} hops: saw ${seen}, expected ${batches * BATCH}`);
  return collect(hops, seen, wallMs, cpu, latencies);
}

interface Figure {
  label: string;
  hops: number;
  reps: Rep[];
  rssBefore: number;
  rssAfter: number;
  baseline?: Rep[];
}

async function measure(label: string, hops: number, scheduling: 'manual' | 'auto', pool: Batch[], withBaseline: boolean): Promise<Figure> {
  const samples = SAMPLES[hops]!;
  // Warm-up: the same code paths, not recorded.
  await engineRep(hops, WARMUP_SAMPLES, pool, scheduling);
  if (withBaseline) baselineRep(hops, WARMUP_SAMPLES, pool);
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const reps: Rep[] = [];
  const baseline: Rep[] = [];
  for (let r = 0; r < REPS; r++) {
    reps.push(await engineRep(hops, samples, pool, scheduling));
    if (withBaseline) baseline.push(baselineRep(hops, samples, pool));
    process.stdout.write('.');
  }
  const rssAfter = process.memoryUsage().rss;
  return { label, hops, reps, rssBefore, rssAfter, baseline: withBaseline ? baseline : undefined };
}

// ---------- formatting ----------

const fmtRate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`);
const mb = (x: number): string => `${(x / 2 ** 20).toFixed(0)}`;

function rows(figures: Figure[]): string[][] {
  const header = ['hops', 'scheduling', 'samples/s median [min–max]', 'µs/sample/hop', 'CPU-s per 1k samples', 'batch p50 µs', 'batch p99 µs', 'RSS MB before→after', 'baseline samples/s median (min–max)', 'engine time ÷ baseline time'];
  const out = [header];
  for (const f of figures) {
    const rates = f.reps.map((r) => r.samplesPerSec);
    const m = (k: keyof Rep): number => median(f.reps.map((r) => r[k]));
    const base = f.baseline ? median(f.baseline.map((r) => r.samplesPerSec)) : undefined;
    out.push([
      String(f.hops),
      f.label,
      range(rates, fmtRate),
      m('usPerSampleHop').toFixed(3),
      m('cpuSecPer1k').toFixed(5),
      m('p50us').toFixed(0),
      m('p99us').toFixed(0),
      `${mb(f.rssBefore)}→${mb(f.rssAfter)}`,
      f.baseline ? range(f.baseline.map((r) => r.samplesPerSec), fmtRate, '()') : '–',
      base !== undefined ? `${(base / median(rates)).toFixed(2)}×` : '–',
    ]);
  }
  return out;
}

// ---------- main ----------

async function main(): Promise<void> {
  const machine = machineLine();
  console.log(`Plantbench engine benchmark${QUICK ? ' (quick)' : ''}`);
  console.log(machine);
  console.log(
    `batches of ${BATCH} samples over ${TAGS} tag paths; ${REPS} repetitions per figure after a warm-up; ` +
      `samples per repetition: ${HOPS.map((h) => `${h} hop${h > 1 ? 's' : ''} ${SAMPLES[h]!.toLocaleString('en')}`).join(', ')}; ` +
      `GC between repetitions: ${gc ? 'yes' : 'no (could not expose gc)'}`,
  );
  console.log('scheduling "manual": inject one batch, await run.settle() (synchronous drain, no event-loop hop);');
  console.log('scheduling "auto": inject one batch, wait for the tap (setImmediate per batch, one batch in flight).');
  const pool = buildPool();
  const figures: Figure[] = [];
  for (const hops of HOPS) {
    process.stdout.write(`${hops} hop(s), manual `);
    figures.push(await measure('manual', hops, 'manual', pool, true));
    process.stdout.write('\n');
  }
  process.stdout.write('3 hops, auto ');
  figures.push(await measure('auto', 3, 'auto', pool, false));
  process.stdout.write('\n\n');

  const table = rows(figures);
  console.log(textTable(table, { rule: true }));
  const three = median(figures.find((f) => f.hops === 3 && f.label === 'manual')!.reps.map((r) => r.samplesPerSec));
  const verdict = three >= TARGET_3_HOPS
    ? `met: ${fmtRate(three)}samples/s through 3 hops (target ≥ 2 M samples/s on one core)`
    : `NOT met: ${fmtRate(three)}samples/s through 3 hops (target ≥ 2 M samples/s on one core, ${(TARGET_3_HOPS / three).toFixed(2)}× short)`;
  console.log(`\nTarget ${verdict}. For comparison, Node-RED 4.1 measured about 35 k msg/s through one function node on these machines.`);

  if (WRITE) {
    appendResults(
      `Engine throughput${QUICK ? ' (quick run)' : ''}`,
      [
        `Machine: ${machine}.`,
        '',
        `Pipeline: signal source (injection point) → N hops of scale → deadband (absolute, value 0) → uns-topic, repeated; ` +
          `batches of ${BATCH} samples over ${TAGS} tag paths with rising values, so every sample passes every hop (checked). ` +
          `${REPS} repetitions per figure after a warm-up: median [min–max] samples/s, other columns medians. ` +
          `"manual": inject, then \`await run.settle()\` per batch (synchronous drain, engine cost only); ` +
          `"auto": setImmediate scheduling, one batch in flight. Baseline: the same three transforms as bare functions in a plain loop. ` +
          `Batch latency: inject → tap on the last node.`,
        '',
        markdownTable(table),
        '',
        `Target (≥ 2 M samples/s through 3 hops on one core): ${verdict}. Node-RED 4.1 for comparison: about 35 k msg/s through one function node on these machines.`,
      ].join('\n'),
    );
  }
}

await main();
