import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';

// Each test gets its own copy of flows/bottling-line served by `plantbench serve --simulate
// --port 0 --json` (which prints {"url": ...} on its first line), and stops it afterwards. The
// fixture builds nothing: `npm run test:e2e` builds the renderer first.

export const REPO = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(REPO, 'flows', 'bottling-line');
const START_TIMEOUT_MS = 60_000;

export interface Served {
  /** The URL with the access token, as printed. */
  readonly url: string;
  /** The temporary project folder. */
  readonly root: string;
  /** What serve wrote to stderr so far (warnings; shown when a test fails). */
  stderr(): string;
}

function startServe(root: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  // Plain output (Playwright sets FORCE_COLOR for its own reporter).
  const { FORCE_COLOR: _colour, ...env } = process.env;
  const child = spawn(process.execPath, [join(REPO, 'bin', 'plantbench.js'), 'serve', root, '--simulate', '--port', '0', '--json'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`plantbench serve did not print its URL within ${START_TIMEOUT_MS / 1000} s\n${err}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`plantbench serve exited with ${code} before printing its URL\n${err}`));
    });
    let printed = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      // Only the first line matters; later output must not touch the exit listener stop() waits on.
      if (printed) return;
      out += d;
      const line = out.split('\n')[0];
      if (!out.includes('\n') || line === undefined) return;
      printed = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      try {
        const { url } = JSON.parse(line) as { url: string };
        resolveStart({ child, url, stderr: () => err });
      } catch {
        child.kill('SIGKILL');
        reject(new Error(`plantbench serve --json printed ${line}\n${err}`));
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export const test = base.extend<{ served: Served; workbench: Page }>({
  served: async ({}, use, testInfo) => {
    if (!existsSync(join(REPO, 'out', 'renderer', 'index.html'))) {
      throw new Error('the renderer is not built: run `npm run build` (npm run test:e2e does)');
    }
    const root = mkdtempSync(join(tmpdir(), 'plantbench-e2e-'));
    // The workspace DB of the checked-in example stays out of the copy.
    cpSync(EXAMPLE, root, { recursive: true, filter: (src) => !src.includes(`${sep}.plantbench`) });
    const { child, url, stderr } = await startServe(root);
    try {
      await use({ url, root, stderr });
    } finally {
      await stop(child);
      if (testInfo.status !== testInfo.expectedStatus && stderr()) await testInfo.attach('serve-stderr.txt', { body: stderr(), contentType: 'text/plain' });
      rmSync(root, { recursive: true, force: true });
    }
  },
  /** The workbench page, open on the example project. */
  workbench: async ({ page, served }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(served.url);
    await expect(page.getByTestId('project-name')).toHaveText('Bottling line');
    await expect(page.locator('.react-flow__node').first()).toBeVisible();
    await use(page);
    // A CSP violation or an uncaught error fails the test even if the flow went through.
    expect(problems, 'errors in the page').toEqual([]);
  },
});

export { expect };
