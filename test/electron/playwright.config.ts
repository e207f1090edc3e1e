import { defineConfig } from '@playwright/test';

// The desktop app through Playwright's _electron (`npm run test:electron`). Separate from the
// browser e2e suite (playwright.config.ts, test/e2e) and from `npm test`: it needs an Electron binary
// and a display, and reports itself as skipped, with the reason, where either is missing.
export default defineConfig({
  testDir: '.',
  outputDir: '../../test-results/electron',
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: 'list',
});
