import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { desktopAvailable } from '../../scripts/desktop.ts';

// The smoke flow of the desktop app: start it as `npm start` does (a copy of the example project,
// --simulate), check the window's security and the preload's bridge, see the project and live
// values, use the menu, and quit cleanly. Where no Electron binary or no display exists it is
// reported as skipped with the reason (Playwright lists the reason with the skipped test).

const ROOT = resolve(import.meta.dirname, '../..');
const desktop = desktopAvailable(ROOT);

const skipReason = desktop.ok ? undefined : `Electron cannot run here: ${desktop.reason}`;
test.skip(skipReason !== undefined, skipReason);
// The list reporter does not show skip reasons (the annotation carries it for other reporters): print it.
if (skipReason && process.env['TEST_WORKER_INDEX'] === undefined) process.stderr.write(`smoke.spec.ts is skipped: ${skipReason}\n`);

// The app runs from out/: build it when missing or stale, as `npm start` does.
test.beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'ensure-build.ts')], { cwd: ROOT, stdio: 'inherit' });
});

interface Started {
  app: ElectronApplication;
  page: Page;
  project: string;
  dispose(): void;
}

async function start(): Promise<Started> {
  if (!desktop.ok) throw new Error(desktop.reason);
  const scratch = mkdtempSync(join(tmpdir(), 'plantbench-electron-'));
  const project = join(scratch, 'bottling-line');
  cpSync(join(ROOT, 'flows', 'bottling-line'), project, { recursive: true, filter: (from) => !from.endsWith('.plantbench') });
  const app = await electron.launch({
    executablePath: desktop.path,
    args: ['.', `--project=${project}`, '--simulate'],
    cwd: ROOT,
    env: { ...process.env, PLANTBENCH_USER_DATA: join(scratch, 'user-data') },
  });
  const page = await app.firstWindow();
  return { app, page, project, dispose: () => rmSync(scratch, { recursive: true, force: true }) };
}

/** One call through the preload's bridge, as the renderer's client makes it (ids far above the client's own). */
function callThroughBridge(page: Page, method: string, params: unknown): Promise<unknown> {
  return page.evaluate(
    ([method, params]) =>
      new Promise((resolve, reject) => {
        const id = 1_000_000_000 + Math.floor(Math.random() * 1_000_000);
        const bridge = (globalThis as unknown as { plantbench: { rpc: { send(m: unknown): void; onMessage(l: (m: unknown) => void): () => void } } }).plantbench;
        const stop = bridge.rpc.onMessage((raw) => {
          const m = raw as { t: string; id?: number; result?: unknown; error?: { message: string } };
          if (m.id !== id) return;
          stop();
          if (m.t === 'result') resolve(m.result);
          else reject(new Error(m.error?.message ?? JSON.stringify(m)));
        });
        bridge.rpc.send({ t: 'call', id, method, params });
      }),
    [method, params] as const,
  );
}

test('opens the example project in Simulated mode, with a locked-down window and values flowing', async ({}, testInfo) => {
  const { app, page, project, dispose } = await start();
  try {
    await expect(page).toHaveTitle(/Plantbench/);

    // The page has no Node and sees exactly the contract bridge.
    expect(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
    expect(await page.evaluate(() => Object.keys((globalThis as unknown as { plantbench: object }).plantbench).sort())).toEqual(['rpc', 'version']);
    expect(await app.evaluate(({ ipcMain }) => ipcMain.eventNames())).toEqual(['plantbench:rpc-connect']);
    // Navigation and new windows are refused.
    const url = page.url();
    await page.evaluate(() => {
      (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/';
    });
    expect(await page.evaluate(() => (globalThis as unknown as { open(url: string): unknown }).open('https://example.com/'))).toBeNull();
    await expect.poll(() => page.url()).toBe(url);
    expect(app.windows()).toHaveLength(1);

    // The host (utilityProcess) has the project open and the simulated run going.
    const summary = (await callThroughBridge(page, 'project.get', {})) as { name: string; devices: unknown[] };
    expect(summary.name).toBe('Bottling line');
    expect(summary.devices).toHaveLength(readdirSync(join(project, 'devices')).length);
    await expect.poll(async () => ((await callThroughBridge(page, 'run.status', {})) as { state: string; mode?: string }).state, { timeout: 60_000 }).toBe('running');

    // The UI shows it.
    await expect(page.getByTestId('run-state')).toHaveText(/running/);
    await expect(page.getByTestId('values-table').locator('.pb-table__row').first()).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('electron-running.png') });

    // The menu has the project items.
    const items = await app.evaluate(({ Menu }) => ['open-project', 'open-recent', 'save'].map((id) => Menu.getApplicationMenu()?.getMenuItemById(id)?.label ?? null));
    expect(items).toEqual(['Open Project…', 'Open Recent', 'Save']);

    // Quitting stops the run and the host, and the app exits.
    const exited = new Promise<void>((done) => app.process().once('exit', () => done()));
    await app.evaluate(({ app }) => app.quit());
    await exited;
  } finally {
    await app.close().catch(() => undefined);
    dispose();
  }
});
