import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// End-to-end tests of the workbench UI in Chromium against `plantbench serve` (see docs/workbench-ui.md).
// Debian's /usr/bin/chromium is used where it exists (`npx playwright install` cannot download here);
// elsewhere Playwright's own browser.

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export default defineConfig({
  // One retry on CI: a loaded 2-core runner can miss a UI timing; a second failure fails the run.
  retries: process.env.CI ? 1 : 0,
  testDir: 'test/e2e',
  outputDir: 'test-results',
  // The example project's simulators listen on fixed loopback addresses: one serve at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: 'list',
  use: {
    viewport: { width: 1600, height: 950 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: existsSync(SYSTEM_CHROMIUM) ? { executablePath: SYSTEM_CHROMIUM, args: CHROMIUM_FLAGS } : {},
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
