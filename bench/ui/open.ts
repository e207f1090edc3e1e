// Workbench UI benchmark, opening and panning a big pipeline: time to interactive of a generated
// 1,000-node pipeline (target < 1.5 s) and frame times while panning it (target ≥ 50 fps), with a
// 100-node pipeline as the baseline, in Debian Chromium against a real `plantbench serve`. Also the
// host's `file.get` of these pipelines, before and after its parse cache.
//
//   npm run bench:ui-open                          5 runs per pipeline, appends to bench/RESULTS.md
//   npm run bench:ui-open -- --quick               2 runs, shorter pans
//   npm run bench:ui-open -- --no-write            print only
//   npm run bench:ui-open -- --compare-host DIR [--compare-label TEXT] [--label TEXT]
//                                                  also run every page measurement against the
//                                                  `plantbench serve` of another checkout DIR (bin/plantbench.js,
//                                                  serving DIR's own out/renderer), the two taking
//                                                  turns run by run; the labels name them in the tables
//
// Needs the built renderer (`npm run build`). The generated project binds no simulator (serve
// runs without --simulate), so it meets no other run on this machine.
//
// Method:
// - Project: generated (bench/ui/project.ts) into a temp folder, removed afterwards. Pipelines
//   a-start (10 nodes, opened when the page loads), canvas-100 and canvas-1000: lines of 10 nodes
//   (modbus-source → quality-filter → scale → deadband → filter → rate-limit → change-detect →
//   expression → uns-topic → mqtt-sink), every node placed, as a saved pipeline is.
// - Each run: a new browser context opens the workbench (the project loaded, a-start shown), the
//   Pipelines tab is opened, and the probe (bench/ui/probe.js) is armed.
// - Time to interactive: from the click on the pipeline's name in the Pipelines list (the click
//   event's timestamp) to the animation frame that shows a node selected by a real mouse click
//   sent as soon as the canvas held every node of the pipeline, measured and visible, or, for a big
//   pipeline that opens zoomed out, as soon as the overview canvas had drawn every node
//   (src/renderer/features/canvas/overview.tsx; the click then lands on the pane over a node and
//   "selected" is the frame in which the inspector shows that node). So it covers file.get over
//   the WebSocket, building the graph, React Flow's render, measure and fit, and then an answered
//   input. Split into: "all nodes shown" (click → first frame with every node measured
//   and visible) and "input → selected" (the node click's event timestamp → the frame showing it
//   selected). The harness's own round trip between the two (a few ms) is inside the total.
// - Main thread: a Chrome trace (category 'toplevel') from the click to the answered input gives
//   the main thread's CPU time spent on opening, and its longest task, as wall time and as the
//   thread's own CPU time. On a loaded machine the two differ: wall time includes waiting for a core.
// - Panning: the mouse presses on the empty pane and drags left and right (a move every 8 ms,
//   6 px each, 480 px each way) for the pan time. Frame times are requestAnimationFrame deltas in
//   the page while dragging: p50, p95, max, and fps = frames / seconds; and the main thread's CPU
//   time per frame (traced as above). First at the zoom the
//   pipeline opened with (fit view: every node on screen), then at 100 % after Ctrl+K jumped to a
//   node in the middle (React Flow renders only the nodes in view above 200 nodes, so nodes enter
//   and leave the DOM while panning).
// - Host: file.get as the project service answers it (after a project.get, as the page does), and
//   as it did before the parse cache (the whole project loaded with the file as an overlay, then
//   the file parsed once more). In this process, median of several calls.
// - Figures: median [min–max] over the runs.
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { createProjectService } from '../../src/host/services/project.ts';
import { loadProject, parseProjectFile } from '../../src/store/project.ts';
import { appendResults, machineLine, markdownTable, median, percentile, range, shouldWrite, textTable } from '../lib/report.ts';
import { BIN, launchChromium, openWorkbench, startServe, traceTasks, VIEWPORT, type Served, type TracedTask } from './browser.ts';
import { generateProject, linesPipeline } from './project.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE = shouldWrite();
const RUNS = QUICK ? 2 : 5;
const PAN_MS = QUICK ? 2000 : 4000;
const HOST_REPS = QUICK ? 5 : 11;
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const COMPARE_DIR = option('--compare-host');
const COMPARE_LABEL = option('--compare-label');
const LABEL = option('--label') ?? 'this checkout';
const TARGET_TTI_MS = 1500;
const TARGET_FPS = 50;

const SIZES = [100, 1000] as const;
const pipelineId = (n: number): string => `canvas-${n}`;

declare const __pbBench: any; // the probe, in the page (bench/ui/probe.js)

interface FrameStats {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly fps: number;
  /** Main-thread CPU time per frame (ms). */
  readonly cpuPerFrame: number;
  /** Nodes drawn as DOM elements while panning. */
  readonly nodesInDom: number;
  /** Nodes drawn by the overview canvas while panning (a big pipeline zoomed out). */
  readonly nodesInOverview: number;
}

interface OpenRun {
  readonly tti: number;
  readonly shown: number;
  readonly input: number;
  /** Main-thread CPU time from the click to the answered input (ms). */
  readonly cpu: number;
  /** The longest main-thread task in that time: wall and its own CPU time (ms). */
  readonly longest: TracedTask;
  readonly panFit: FrameStats;
  readonly pan100: FrameStats;
}


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Promise from the page, with a time limit so a broken run fails instead of hanging. */
async function inPage<T>(page: Page, what: string, fn: () => T | Promise<T>, limitMs = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), limitMs)));
  try {
    return await Promise.race([page.evaluate(fn), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Drags the pane left and right for `ms`, recording frame times in the page. */
async function pan(browser: Browser, page: Page, ms: number): Promise<FrameStats> {
  const at = (await page.evaluate(() => __pbBench.panePoint())) as { x: number; y: number; box: { left: number; width: number } } | undefined;
  if (!at) throw new Error('no empty spot of the canvas to drag');
  const span = Math.min(480, at.box.width - 80);
  // Start so the drag stays inside the canvas both ways.
  const lo = Math.max(at.box.left + 20, at.x - span / 2);
  let x = at.x;
  await page.mouse.move(x, at.y);
  await page.mouse.down();
  const { result: frames, tasks } = await traceTasks(browser, page, async () => {
    await page.evaluate(() => __pbBench.startFrames());
    const t0 = performance.now();
    let dir = 1;
    while (performance.now() - t0 < ms) {
      x += dir * 6;
      if (x > lo + span) dir = -1;
      else if (x < lo) dir = 1;
      await page.mouse.move(x, at.y);
      await sleep(8);
    }
    return (await page.evaluate(() => __pbBench.stopFrames())) as { deltas: number[]; ms: number };
  });
  const { deltas, ms: measured } = frames;
  const { inDom: nodesInDom, drawn: nodesInOverview } = (await page.evaluate(() => __pbBench.nodeCount())) as { inDom: number; drawn: number };
  await page.mouse.up();
  const sorted = Float64Array.from(deltas).sort();
  const cpu = tasks.reduce((sum, t) => sum + t.cpu, 0);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: percentile(sorted, 100), fps: (deltas.length * 1000) / measured, cpuPerFrame: cpu / Math.max(1, deltas.length), nodesInDom, nodesInOverview };
}

/** Points inside the generated pipeline's nodes (their title bars): [id, flow x, flow y]. */
function nodePoints(n: number): [string, number, number][] {
  return Object.entries(linesPipeline('', n / 10).nodes).map(([id, node]) => {
    const { x, y } = (node as { position: { x: number; y: number } }).position;
    return [id, x + 88, y + 12];
  });
}

async function openRun(browser: Browser, url: string, n: number): Promise<OpenRun> {
  const wb = await openWorkbench(browser, url);
  const { page } = wb;
  try {
    await page.locator('.pb-tabs--left').getByRole('tab', { name: 'Pipelines' }).click();
    await page.evaluate((expected) => __pbBench.armOpen(expected), n);
    const { result, tasks } = await traceTasks(browser, page, async () => {
      await page.locator('.pb-pipeline').filter({ hasText: `${pipelineId(n)} ·` }).click();
      const shown = (await inPage(page, `${n} nodes on the canvas`, () => __pbBench.rendered())) as { t0: number; tRendered: number; nodes: number };
      const target = (await page.evaluate((points) => __pbBench.pickNode(points), nodePoints(n))) as { id: string; x: number; y: number } | undefined;
      if (!target) throw new Error('no node of the canvas can be clicked');
      await page.mouse.click(target.x, target.y);
      const sel = (await inPage(page, 'the clicked node to show as selected', () => __pbBench.selected())) as { tInput: number; tResponse: number };
      return { shown, target, sel };
    });
    const { shown, target, sel } = result;
    // The inspector follows the selection: the click really went through the app.
    await page.locator(`[data-testid="inspector"][data-node="${target.id}"]`).waitFor({ timeout: 20_000 });
    const longest = tasks.reduce((a, b) => (b.wall > a.wall ? b : a), { wall: 0, cpu: 0 });
    const cpu = tasks.reduce((sum, t) => sum + t.cpu, 0);

    await page.mouse.move(0, 0);
    const panFit = await pan(browser, page, PAN_MS);
    // Ctrl+K to a node in the middle of the pipeline: the view centres on it at 100 %.
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog', { name: 'Find a node' }).getByRole('textbox').fill(`l${Math.floor(n / 20)}-s5`);
    await page.keyboard.press('Enter');
    await sleep(800);
    const pan100 = await pan(browser, page, PAN_MS);
    if (wb.errors.length) throw new Error(`errors in the page:\n${wb.errors.join('\n')}`);
    return { tti: sel.tResponse - shown.t0, shown: shown.tRendered - shown.t0, input: sel.tResponse - sel.tInput, cpu, longest, panFit, pan100 };
  } finally {
    await wb.close();
  }
}

// ---------- the host's file.get, before and after the parse cache ----------

interface HostFigures {
  readonly n: number;
  readonly bytes: number;
  readonly before: number[];
  readonly after: number[];
}

async function hostFileGet(root: string, n: number): Promise<HostFigures> {
  const file = `pipelines/${pipelineId(n)}.yaml`;
  const service = createProjectService({
    projectRoot: root,
    revisions: () => {
      throw new Error('no revisions in this benchmark');
    },
    revisionWarning: () => undefined,
    author: 'bench',
    emit: () => {},
    log: () => {},
  });
  const call = service.handlers as unknown as Record<string, (req: unknown, ctx: unknown) => Promise<unknown>>;
  const before: number[] = [];
  const after: number[] = [];
  try {
    await call['project.get']!({}, {});
    for (let i = 0; i < HOST_REPS; i++) {
      let t = performance.now();
      await call['file.get']!({ kind: 'pipeline', id: pipelineId(n) }, {});
      after.push(performance.now() - t);
      t = performance.now();
      // What file.get did before: the project loaded with the file's text as the overlay, then the text parsed again.
      const text = readFileSync(join(root, file), 'utf8');
      loadProject(root, { overlay: { file, text } });
      parseProjectFile('pipeline', file, text);
      before.push(performance.now() - t);
    }
  } finally {
    service.dispose();
  }
  return { n, bytes: readFileSync(join(root, file)).length, before, after };
}

// ---------- main ----------

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '–');
const fps = (x: number): string => x.toFixed(1);
async function main(): Promise<void> {
  const load = loadavg()[0]!;
  const root = generateProject({
    pollGroups: [{ id: 'fast', intervalMs: 100, tags: 100 }],
    updateMs: 1000,
    pipelines: {
      'a-start': linesPipeline('Start', 1),
      ...Object.fromEntries(SIZES.map((n) => [pipelineId(n), linesPipeline(`Canvas of ${n} nodes`, n / 10)])),
    },
  });
  const hosts = [{ label: LABEL, bin: BIN }, ...(COMPARE_DIR ? [{ label: COMPARE_LABEL ?? `host of ${COMPARE_DIR}`, bin: join(resolve(COMPARE_DIR), 'bin', 'plantbench.js') }] : [])];
  const results = new Map<string, OpenRun[]>();
  const hostFigures: HostFigures[] = [];
  try {
    for (const n of SIZES) hostFigures.push(await hostFileGet(root, n));
    console.log(textTable([['pipeline', 'YAML', 'file.get before (ms)', 'file.get after (ms)'], ...hostFigures.map((h) => [`${h.n} nodes`, `${(h.bytes / 1024).toFixed(0)} KiB`, range(h.before, ms), range(h.after, ms)])], { rule: true }));

    const browser = await launchChromium();
    try {
      // Both hosts serve at once and take turns run by run, so a change of the machine's load
      // (it is shared) falls on both alike.
      const served: Served[] = [];
      try {
        for (const host of hosts) served.push(await startServe(root, { bin: host.bin }));
        for (let r = 0; r < RUNS; r++) {
          for (const [h, host] of hosts.entries()) {
            for (const n of SIZES) {
              const run = await openRun(browser, served[h]!.url, n);
              const key = `${host.label}\0${n}`;
              results.set(key, [...(results.get(key) ?? []), run]);
              console.log(`${host.label}, ${n} nodes, run ${r + 1}: TTI ${ms(run.tti)} ms (shown ${ms(run.shown)}, input ${ms(run.input)}, main-thread CPU ${ms(run.cpu)}), longest task ${ms(run.longest.wall)} ms (CPU ${ms(run.longest.cpu)}); pan fit ${fps(run.panFit.fps)} fps (CPU/frame ${fps(run.panFit.cpuPerFrame)} ms), pan 100 % ${fps(run.pan100.fps)} fps (CPU/frame ${fps(run.pan100.cpuPerFrame)} ms, ${run.pan100.nodesInDom} nodes in the DOM)`);
            }
          }
        }
      } finally {
        for (const s of served) await s.stop();
      }
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const cell = (runs: OpenRun[], pick: (r: OpenRun) => number, f: (x: number) => string = ms): string => range(runs.map(pick), f);
  const split = (key: string): [string, string] => {
    const [host, n] = key.split('\0');
    return [host!, `${n} nodes`];
  };
  const header = ['host', 'pipeline', 'time to interactive ms', 'all nodes shown ms', 'input → selected ms', 'main-thread CPU ms', 'longest task: wall / CPU ms'];
  const ttiRows = [...results].map(([key, runs]) => [
    ...split(key),
    cell(runs, (r) => r.tti),
    cell(runs, (r) => r.shown),
    cell(runs, (r) => r.input),
    cell(runs, (r) => r.cpu),
    `${cell(runs, (r) => r.longest.wall)} / ${cell(runs, (r) => r.longest.cpu)}`,
  ]);
  const panHeader = ['host', 'pipeline', 'zoom', 'fps', 'frame p50 ms', 'frame p95 ms', 'frame max ms', 'main-thread CPU per frame ms', 'nodes in DOM / overview'];
  const panRows = [...results].flatMap(([key, runs]) =>
    (['panFit', 'pan100'] as const).map((k) => [
      ...split(key),
      k === 'panFit' ? 'fit (all on screen)' : '100 %',
      cell(runs, (r) => r[k].fps, fps),
      cell(runs, (r) => r[k].p50, fps),
      cell(runs, (r) => r[k].p95, fps),
      cell(runs, (r) => r[k].max),
      cell(runs, (r) => r[k].cpuPerFrame, fps),
      `${median(runs.map((r) => r[k].nodesInDom))} / ${median(runs.map((r) => r[k].nodesInOverview))}`,
    ]),
  );
  const hostHeader = ['pipeline', 'YAML size', 'file.get before the parse cache ms', 'file.get now ms'];
  const hostRows = hostFigures.map((h) => [`${h.n} nodes`, `${(h.bytes / 1024).toFixed(0)} KiB`, range(h.before, ms), range(h.after, ms)]);
  console.log(`\n${textTable([header, ...ttiRows], { rule: true })}\n\n${textTable([panHeader, ...panRows], { rule: true })}`);

  const big = results.get(`${hosts[0]!.label}\u00001000`) ?? [];
  const tti = median(big.map((r) => r.tti));
  const fitFps = median(big.map((r) => r.panFit.fps));
  const fps100 = median(big.map((r) => r.pan100.fps));
  const verdict = [
    `1,000 nodes: time to interactive ${ms(tti)} ms median (target < ${TARGET_TTI_MS} ms): ${tti < TARGET_TTI_MS ? 'met' : 'missed'}.`,
    `Panning at 100 %: ${fps(fps100)} fps (target ≥ ${TARGET_FPS}): ${fps100 >= TARGET_FPS ? 'met' : 'missed'};`,
    `at fit view with all 1,000 nodes on screen: ${fps(fitFps)} fps: ${fitFps >= TARGET_FPS ? 'met' : 'missed'}.`,
  ].join(' ');
  console.log(`\n${verdict}`);
  if (!WRITE) return;
  appendResults(
    'Workbench UI: opening and panning a 1,000-node pipeline',
    [
      `Machine: ${machineLine()}; load average ${load.toFixed(1)} at the start. Debian Chromium headless (software rendering, --disable-gpu), viewport ${VIEWPORT.width}×${VIEWPORT.height}, against \`plantbench serve\` (no simulators). ${RUNS} runs per pipeline: median [min–max]. \`npm run bench:ui-open\`; method in the header of \`bench/ui/open.ts\`.`,
      'Time to interactive: from the click on the pipeline in the Pipelines list to the frame showing a node selected by a real click sent as soon as the canvas held every node, measured and visible, or its overview canvas had drawn every node (a big pipeline zoomed out; selected then means the inspector shows the node). "All nodes shown" is the first part; "input → selected" the node click to the frame that shows it selected. Main-thread CPU and the longest task come from a Chrome trace of that time (a task\'s wall time includes waiting for a core on a loaded machine; its CPU time does not).',
      markdownTable([header, ...ttiRows]),
      `Panning: drags on the empty pane for ${PAN_MS / 1000} s (a 6 px move every 8 ms), requestAnimationFrame deltas in the page. "Nodes in DOM / overview": nodes laid out as DOM elements, and nodes drawn by the overview canvas.`,
      markdownTable([panHeader, ...panRows]),
      `The host's \`file.get\` (in-process, ${HOST_REPS} calls after a project.get; "before" repeats what it did before the parse cache: load the whole project with the file as overlay, then parse the file again):`,
      markdownTable([hostHeader, ...hostRows]),
      verdict,
    ].join('\n\n'),
  );
}

await main();
