import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { REPO, startPlantbench } from '../helpers/plantbench-process.ts';

// Each test gets its own copy of flows/bottling-line served by `plantbench serve --simulate
// --port 0 --json` (which prints {"url": ...} on its first line), and stops it afterwards. The
// fixture builds nothing: `npm run test:e2e` builds the renderer first.

export { REPO };
const EXAMPLE = join(REPO, 'flows', 'bottling-line');

export interface Served {
  /** The URL with the access token, as printed. */
  readonly url: string;
  /** The temporary project folder. */
  readonly root: string;
  /** What serve wrote to stderr so far (warnings; shown when a test fails). */
  stderr(): string;
}

export const test = base.extend<{ served: Served; workbench: Page }>({
  served: async ({}, use, testInfo) => {
    if (!existsSync(join(REPO, 'out', 'renderer', 'index.html'))) {
      throw new Error('the renderer is not built: run `npm run build` (npm run test:e2e does)');
    }
    const root = mkdtempSync(join(tmpdir(), 'plantbench-e2e-'));
    // The workspace DB of the checked-in example stays out of the copy.
    cpSync(EXAMPLE, root, { recursive: true, filter: (src) => !src.includes(`${sep}.plantbench`) });
    const serve = await startPlantbench(['serve', root, '--simulate', '--port', '0', '--json']);
    try {
      const { url } = JSON.parse(serve.line) as { url: string };
      await use({ url, root, stderr: serve.stderr });
    } finally {
      await serve.stop();
      if (testInfo.status !== testInfo.expectedStatus && serve.stderr()) await testInfo.attach('serve-stderr.txt', { body: serve.stderr(), contentType: 'text/plain' });
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
