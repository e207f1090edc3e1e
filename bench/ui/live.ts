// Workbench UI benchmark, a live firehose: ~10,000 tag updates per second from a real simulated run
// reach the page, and we watch the renderer's main thread (longest task, target < 50 ms) and its JS
// heap over 2 minutes (target: flat), in Debian Chromium against a real `plantbench serve --simulate`.
//
//   npm run bench:ui-live                   2 min per view, appends to bench/RESULTS.md
//   npm run bench:ui-live -- --quick        20 s per view
//   npm run bench:ui-live -- --no-write     print only
//
// Needs the built renderer (`npm run build`). The generated project's simulators bind 127.0.0.150
// and .151 (nothing else here uses them), so no lock against the e2e tests is needed.
//
// Method:
// - Project (bench/ui/project.ts, a temp folder, removed afterwards): a Modbus TCP simulator with
//   1,000 float32 holding registers (sine signals, changed every 100 ms), and its device with the
//   1,000 tags in 20 poll groups of 50 tags, polled every 81, 83, … 119 ms (≈ 10 polls a second
//   per tag, ≈ 10,100 samples/s in all; the different periods spread the polls over time). The
//   pipeline: one modbus-source per group → a scale node each. `plantbench serve --simulate` starts
//   the simulators and the run, as `npm start` does.
// - The real path: poller → engine → the host's run service taps every source output and sends
//   run.samples batches (at most 500 samples per 50 ms: 10,000/s) and run.stats (10 Hz) over the
//   WebSocket; the page applies them once per frame (src/renderer/state/live.ts).
// - Delivered rate: counted in the page from the WebSocket's message events (bench/ui/probe.js: a
//   substring count per message, no second parse): samples/s, batches/s, and the samples the host
//   left out of its batches (omitted/s).
// - Views: the canvas with the firehose pipeline (live counters and edge values) and the Live
//   panel on Values (the table of every value), then the same with Trends showing 8 values.
// - Each view: after a warm-up, a measured window (120 s; --quick 20 s):
//   - longest task: PerformanceObserver 'longtask' (tasks ≥ 50 ms) over the whole window, and
//     a Chrome trace ('toplevel') of a slice in the middle of it for every main-thread task, so
//     the longest one is known even below 50 ms;
//   - frames: requestAnimationFrame deltas over the window, p50 / p95 / max;
//   - JS heap: CDP Performance.getMetrics JSHeapUsedSize every second; start, end, min, max, the
//     slope of a least-squares line through the samples (MB per minute; the GC sawtooth moves it
//     in short windows), and the slope of the floor (the lowest sample of every 10 s). Also the
//     heap after a forced GC (HeapProfiler.collectGarbage) at the start and at the end of the
//     window: what the renderer really keeps.
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Browser, CDPSession, Page } from '@playwright/test';
import { appendResults, machineLine, markdownTable, median, percentile, shouldWrite, slope, textTable } from '../lib/report.ts';
import { launchChromium, openWorkbench, startServe, traceTasks, VIEWPORT, type TracedTask } from './browser.ts';
import { firehosePipeline, generateProject, type PollGroupSpec } from './project.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE = shouldWrite();
const WINDOW_S = QUICK ? 20 : 120;
const WARMUP_S = QUICK ? 8 : 20;
const TRACE_S = QUICK ? 8 : 15;
const TARGET_TASK_MS = 50;

const GROUPS: PollGroupSpec[] = Array.from({ length: 20 }, (_, i) => ({ id: `g${String(i).padStart(2, '0')}`, intervalMs: 81 + 2 * i, tags: 50 }));
const PRODUCED_PER_S = GROUPS.reduce((n, g) => n + (g.tags * 1000) / g.intervalMs, 0);

declare const __pbBench: any; // the probe, in the page (bench/ui/probe.js)

interface Traffic {
  messages: number;
  bytes: number;
  samplesBatches: number;
  samples: number;
  omitted: number;
  statsBatches: number;
}

interface ViewFigures {
  readonly view: string;
  readonly seconds: number;
  readonly samplesPerS: number;
  readonly omittedPerS: number;
  readonly batchesPerS: number;
  readonly statsPerS: number;
  readonly kBPerS: number;
  readonly longTasks: number;
  readonly longestObserved: number;
  /** The trace's longest task (wall time) and the one that used the most CPU. */
  readonly longestTraced: TracedTask;
  readonly mostCpu: TracedTask;
  readonly tracedP99: number;
  readonly tracedTasks: number;
  readonly frameP50: number;
  readonly frameP95: number;
  readonly frameMax: number;
  readonly fps: number;
  readonly heap: { start: number; end: number; max: number; min: number; slopePerMin: number; floorSlopePerMin: number; gcStart: number; gcEnd: number };
  readonly domNodes: { start: number; end: number };
  readonly rows: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MB = 2 ** 20;

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

async function heapAfterGc(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await metrics(cdp)).JSHeapUsedSize! / MB;
}

/** The lowest sample of each `bucket` seconds: the heap's floor between garbage collections. */
function floor(xs: readonly number[], ys: readonly number[], bucket: number): { x: number[]; y: number[] } {
  const lows = new Map<number, { x: number; y: number }>();
  xs.forEach((x, i) => {
    const b = Math.floor(x / bucket);
    const low = lows.get(b);
    if (!low || ys[i]! < low.y) lows.set(b, { x, y: ys[i]! });
  });
  const points = [...lows.values()];
  return { x: points.map((p) => p.x), y: points.map((p) => p.y) };
}

async function measureView(browser: Browser, page: Page, cdp: CDPSession, view: string): Promise<ViewFigures> {
  const tStart = (await page.evaluate(() => __pbBench.now())) as number;
  const t0 = (await page.evaluate(() => __pbBench.traffic())) as Traffic;
  const gcStart = await heapAfterGc(cdp);
  const domStart = (await metrics(cdp)).Nodes!;
  await page.evaluate(() => __pbBench.startFrames());
  const heapT: number[] = [];
  const heapMb: number[] = [];
  const began = performance.now();
  const elapsed = (): number => (performance.now() - began) / 1000;
  /** Samples the heap once a second until `until` seconds into the window. */
  const sampleHeap = async (until: number): Promise<void> => {
    while (elapsed() < until) {
      heapT.push(elapsed());
      heapMb.push((await metrics(cdp)).JSHeapUsedSize! / MB);
      await sleep(1000 - ((performance.now() - began) % 1000));
    }
  };
  // The trace covers a slice in the middle of the window.
  const traceFrom = (WINDOW_S - TRACE_S) / 2;
  await sampleHeap(traceFrom);
  const { tasks: traced } = await traceTasks(browser, page, () => sampleHeap(traceFrom + TRACE_S));
  await sampleHeap(WINDOW_S);
  const frames = (await page.evaluate(() => __pbBench.stopFrames())) as { deltas: number[]; ms: number };
  const t1 = (await page.evaluate(() => __pbBench.traffic())) as Traffic;
  const tasks = (await page.evaluate((since) => __pbBench.longTasks(since), tStart)) as { duration: number }[];
  const gcEnd = await heapAfterGc(cdp);
  const domEnd = (await metrics(cdp)).Nodes!;
  const rows = await page.locator('[data-testid="values-table"] .pb-toolbar .pb-muted').first().textContent().catch(() => null);
  const secs = frames.ms / 1000;
  const per = (k: keyof Traffic): number => (t1[k] - t0[k]) / secs;
  const sortedFrames = Float64Array.from(frames.deltas).sort();
  const sortedTraced = Float64Array.from(traced.map((t) => t.wall)).sort();
  const byCpu = traced.reduce((a, b) => (b.cpu > a.cpu ? b : a), { wall: 0, cpu: 0 });
  return {
    view,
    seconds: secs,
    samplesPerS: per('samples'),
    omittedPerS: per('omitted'),
    batchesPerS: per('samplesBatches'),
    statsPerS: per('statsBatches'),
    kBPerS: per('bytes') / 1024,
    longTasks: tasks.length,
    longestObserved: Math.max(0, ...tasks.map((t) => t.duration)),
    longestTraced: traced.reduce((a, b) => (b.wall > a.wall ? b : a), { wall: 0, cpu: 0 }),
    mostCpu: byCpu,
    tracedP99: percentile(sortedTraced, 99),
    tracedTasks: traced.length,
    frameP50: percentile(sortedFrames, 50),
    frameP95: percentile(sortedFrames, 95),
    frameMax: percentile(sortedFrames, 100),
    fps: frames.deltas.length / secs,
    heap: {
      start: heapMb[0]!,
      end: heapMb.at(-1)!,
      max: Math.max(...heapMb),
      min: Math.min(...heapMb),
      slopePerMin: slope(heapT, heapMb) * 60,
      floorSlopePerMin: ((f) => slope(f.x, f.y) * 60)(floor(heapT, heapMb, 10)),
      gcStart,
      gcEnd,
    },
    domNodes: { start: domStart, end: domEnd },
    rows: rows?.trim() ?? '',
  };
}

async function main(): Promise<void> {
  const load = loadavg()[0]!;
  const root = generateProject({ pollGroups: GROUPS, updateMs: 100, pipelines: { firehose: firehosePipeline('Firehose: 1,000 tags at ~10 Hz', GROUPS) } });
  const figures: ViewFigures[] = [];
  try {
    const served = await startServe(root, { simulate: true });
    const browser = await launchChromium();
    try {
      const wb = await openWorkbench(browser, served.url);
      const { page } = wb;
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      // Values flowing, then the warm-up.
      const began = Date.now();
      while (((await page.evaluate(() => __pbBench.traffic().samples)) as number) === 0) {
        if (Date.now() - began > 60_000) throw new Error(`no live samples reached the page within 60 s\n${served.stderr()}`);
        await sleep(250);
      }
      await sleep(WARMUP_S * 1000);
      figures.push(await measureView(browser, page, cdp, 'canvas + Values table'));
      console.log(`measured: ${figures.at(-1)!.view}`);

      // Trend 8 values (a click on a numeric row adds it and shows Trends).
      for (let i = 0; i < 8; i++) {
        await page.locator('.pb-bottom').getByRole('tab', { name: 'Values' }).click();
        await page.locator('.pb-table__row.is-numeric:not(.is-trended)').first().click();
      }
      await page.locator('.pb-bottom').getByRole('tab', { name: 'Trends' }).click();
      await sleep(WARMUP_S * 500);
      figures.push(await measureView(browser, page, cdp, 'canvas + Trends (8 values)'));
      console.log(`measured: ${figures.at(-1)!.view}`);
      if (wb.errors.length) throw new Error(`errors in the page:\n${wb.errors.join('\n')}`);
      await wb.close();
    } finally {
      await browser.close();
      await served.stop();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
  const f1 = (x: number): string => x.toFixed(1);
  const rateHeader = ['view', 'window s', 'samples/s delivered', 'omitted by the host /s', 'run.samples batches/s', 'run.stats/s', 'WebSocket kB/s'];
  const rateRows = figures.map((f) => [f.view, f1(f.seconds), n0(f.samplesPerS), n0(f.omittedPerS), f1(f.batchesPerS), f1(f.statsPerS), n0(f.kBPerS)]);
  const taskHeader = ['view', 'long tasks (≥ 50 ms)', 'longest, observer ms', `${TRACE_S} s trace: longest task, wall / CPU ms`, 'most CPU in one task ms', 'p99 task ms', 'fps', 'frame p50 / p95 / max ms'];
  const taskRows = figures.map((f) => [
    f.view,
    String(f.longTasks),
    f.longTasks ? f1(f.longestObserved) : '–',
    `${f1(f.longestTraced.wall)} / ${f1(f.longestTraced.cpu)}`,
    f1(f.mostCpu.cpu),
    f1(f.tracedP99),
    f1(f.fps),
    `${f1(f.frameP50)} / ${f1(f.frameP95)} / ${f1(f.frameMax)}`,
  ]);
  const signed = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(2);
  const heapHeader = ['view', 'JS heap start MB', 'end MB', 'min–max MB', 'slope MB/min', 'floor slope MB/min', 'after GC: start → end MB', 'DOM nodes start → end'];
  const heapRows = figures.map((f) => [
    f.view,
    f1(f.heap.start),
    f1(f.heap.end),
    `${f1(f.heap.min)}–${f1(f.heap.max)}`,
    signed(f.heap.slopePerMin),
    signed(f.heap.floorSlopePerMin),
    `${f1(f.heap.gcStart)} → ${f1(f.heap.gcEnd)}`,
    `${f.domNodes.start} → ${f.domNodes.end}`,
  ]);
  console.log(`\n${textTable([rateHeader, ...rateRows], { rule: true })}\n\n${textTable([taskHeader, ...taskRows], { rule: true })}\n\n${textTable([heapHeader, ...heapRows], { rule: true })}`);
  const longest = Math.max(...figures.map((f) => Math.max(f.longestObserved, f.longestTraced.wall)));
  const mostCpu = Math.max(...figures.map((f) => f.mostCpu.cpu));
  const growth = Math.max(...figures.map((f) => f.heap.gcEnd - f.heap.gcStart));
  const floorSlope = Math.max(...figures.map((f) => f.heap.floorSlopePerMin));
  const delivered = median(figures.map((f) => f.samplesPerS));
  const verdict = [
    `Delivered ${n0(delivered)} samples/s to the page (the run produced ≈ ${n0(PRODUCED_PER_S)}/s at its taps; the host sends at most 10,000/s).`,
    `Longest main-thread task ${f1(longest)} ms wall time (target < ${TARGET_TASK_MS} ms): ${longest < TARGET_TASK_MS ? 'met' : 'missed'}; no traced task used more than ${f1(mostCpu)} ms of CPU.`,
    `JS heap after a forced GC changed by at most ${signed(growth)} MB over ${WINDOW_S} s, and its floor by at most ${signed(floorSlope)} MB/min (target flat).`,
  ].join(' ');
  console.log(`\n${verdict}`);
  if (!WRITE) return;
  appendResults(
    'Workbench UI: 10k live tag updates per second',
    [
      `Machine: ${machineLine()}; load average ${load.toFixed(1)} at the start. Debian Chromium headless (software rendering), viewport ${VIEWPORT.width}×${VIEWPORT.height}, against \`plantbench serve --simulate\` on a generated project: a Modbus simulator with 1,000 tags polled in 20 groups every 81–119 ms (≈ ${n0(PRODUCED_PER_S)} samples/s), one modbus-source → scale per group. Each view: ${WARMUP_S} s warm-up, ${WINDOW_S} s measured. \`npm run bench:ui-live\`; method in the header of \`bench/ui/live.ts\`.`,
      markdownTable([rateHeader, ...rateRows]),
      markdownTable([taskHeader, ...taskRows]),
      markdownTable([heapHeader, ...heapRows]),
      verdict,
    ].join('\n\n'),
  );
}

await main();
