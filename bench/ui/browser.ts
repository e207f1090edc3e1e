// What both UI benchmarks need: a real `plantbench serve` on a project folder (as test/e2e/fixtures.ts
// starts it), Debian's Chromium with the flags of playwright.config.ts, and a workbench page with
// the measuring probe (probe.js) loaded before the app.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type LaunchOptions, type Page } from '@playwright/test';
import playwrightConfig from '../../playwright.config.ts';
import { startPlantbench, type PlantbenchProcess } from '../../test/helpers/plantbench-process.ts';

export { BIN } from '../../test/helpers/plantbench-process.ts';
const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));

export interface Served extends PlantbenchProcess {
  readonly url: string;
}

/** Starts `plantbench serve <root> --port 0 --json` (and --simulate if asked); resolves with the URL it prints first. */
export async function startServe(root: string, options: { simulate?: boolean; bin?: string } = {}): Promise<Served> {
  const served = await startPlantbench(['serve', root, '--port', '0', '--json', ...(options.simulate ? ['--simulate'] : [])], options.bin ? { bin: options.bin } : {});
  return { ...served, url: (JSON.parse(served.line) as { url: string }).url };
}

/** Chromium as the e2e tests launch it: /usr/bin/chromium with the flags of playwright.config.ts. */
export async function launchChromium(): Promise<Browser> {
  const launch = (playwrightConfig.use?.launchOptions ?? {}) as LaunchOptions;
  if (!launch.executablePath || !existsSync(launch.executablePath)) throw new Error('the UI benchmarks need Debian Chromium at /usr/bin/chromium');
  return chromium.launch(launch);
}

export const VIEWPORT = playwrightConfig.use?.viewport ?? { width: 1600, height: 950 };

export interface WorkbenchPage {
  readonly page: Page;
  /** Page errors and console errors seen so far (a benchmark run with any is not trusted). */
  readonly errors: string[];
  close(): Promise<void>;
}

/** A new browser context and page with the probe, opened on the workbench; resolves when the project shows. */
export async function openWorkbench(browser: Browser, url: string): Promise<WorkbenchPage> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.addInitScript({ path: PROBE });
  await page.goto(url);
  await page.getByTestId('project-name').waitFor();
  await page.locator('.react-flow__node').first().waitFor();
  return { page, errors, close: () => context.close() };
}

/** One task of the page's main thread in a Chrome trace: wall time and the thread's own CPU time (ms). */
export interface TracedTask {
  readonly wall: number;
  readonly cpu: number;
}

/**
 * Traces the page's main thread while `work` runs (category 'toplevel': one event per task, light).
 * On a loaded machine a task's wall time includes the time the thread waited for a core; its
 * CPU time does not.
 */
export async function traceTasks<T>(browser: Browser, page: Page, work: () => Promise<T>): Promise<{ result: T; tasks: TracedTask[] }> {
  await browser.startTracing(page, { categories: ['toplevel'] });
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await browser.stopTracing();
    throw err;
  }
  return { result, tasks: mainThreadTasks(await browser.stopTracing()) };
}

function mainThreadTasks(trace: Buffer): TracedTask[] {
  type Event = { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } };
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: Event[] }).traceEvents;
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map<string, TracedTask[]>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask' || !mains.has(key) || e.dur === undefined) continue;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push({ wall: e.dur / 1000, cpu: (e.tdur ?? 0) / 1000 });
  }
  // The page's renderer is the busiest one.
  const cpu = (l: TracedTask[]): number => l.reduce((s, t) => s + t.cpu, 0);
  return [...byThread.values()].sort((a, b) => cpu(b) - cpu(a))[0] ?? [];
}
