import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { screenshot } from './canvas.ts';
import { expect, test } from './fixtures.ts';

// Export in the app (issue 7, docs/gateway.md): Export in the top bar opens a dialog with the
// pipelines to include, the bundle's files with sizes by role, and the secrets to provide (names
// and where they are used, never values); Export writes a .tar.gz into .plantbench/exports/ of the
// project and shows where; in the browser (plantbench serve) it also offers the archive as a
// download. Driven with the keyboard where a user would.

// A pipeline that forwards the line's UNS to the enterprise broker, whose device file takes
// ${env:UNS_USERNAME} and ${secret:UNS_PASSWORD}; the example's own pipelines need no secret.
const FORWARD = `apiVersion: plantbench/v1
kind: Pipeline
id: to-enterprise
name: Line UNS to the enterprise broker
nodes:
  line: { type: mqtt-source, config: { device: uns-broker, tags: [] } }
  enterprise: { type: mqtt-sink, config: { device: enterprise-broker } }
edges:
  - { from: line, to: enterprise }
`;

test('Export shows the bundle and the secrets to provide, and writes it into the project', async ({ workbench: page, served }, testInfo) => {
  const uns = readFileSync(join(served.root, 'devices', 'uns-broker.yaml'), 'utf8');
  // The forwarding pipeline needs a tag to read: the line broker's device gets one.
  writeFileSync(join(served.root, 'devices', 'uns-broker.yaml'), `${uns.trimEnd()}\ntags:\n  - { name: all, topic: "acme/#" }\n`);
  writeFileSync(join(served.root, 'pipelines', 'to-enterprise.yaml'), FORWARD.replace('tags: []', 'tags: [ all ]'));

  await page.getByTestId('export-open').click();
  const dialog = page.getByRole('dialog', { name: 'Export to an edge gateway' });
  await expect(dialog).toBeVisible();
  // The dialog opens with the focus on the first pipeline's checkbox.
  await expect(dialog.locator('input[type="checkbox"]').first()).toBeFocused();
  for (const id of ['filler-uns', 'capper-uns', 'palletizer-sparkplug', 'to-enterprise']) await expect(dialog.getByTestId(`export-pipeline-${id}`)).toBeChecked();

  // Files by role, with sizes.
  const files = dialog.getByTestId('export-files');
  await expect(files).toBeVisible();
  for (const role of ['runtime', 'native', 'project', 'config', 'deploy', 'docs']) await expect(files.locator(`details[data-role="${role}"]`)).toHaveCount(1);
  // The secrets to provide: names and the files using them.
  const secrets = dialog.getByTestId('export-secrets');
  await expect(secrets.getByRole('row')).toHaveCount(3);
  await expect(secrets.getByRole('row', { name: /\$\{secret:UNS_PASSWORD\}/ })).toContainText('project/devices/enterprise-broker.yaml');
  await expect(secrets.getByRole('row', { name: /\$\{env:UNS_USERNAME\}/ })).toContainText('environment variable');
  await screenshot(page, testInfo, 'export-dialog');

  // The runtime's chunks start folded; its summary opens with the keyboard like any other.
  const runtime = files.locator('details[data-role="runtime"]');
  await expect(runtime).not.toHaveAttribute('open');
  await expect(runtime.locator('summary')).toContainText(/Runtime.*\d+ files.*\d+(\.\d)? MB/);
  await runtime.locator('summary').focus();
  await page.keyboard.press('Enter');
  await expect(runtime).toHaveAttribute('open');
  await files.locator('details[data-role="native"] summary').click();
  for (const path of ['plantbench-gateway.js', 'node_modules/better-sqlite3/prebuilds/linux-x64.node', 'project/pipelines/to-enterprise.yaml', 'project/devices/enterprise-broker.yaml', 'gateway.yaml', 'plantbench-gateway.service', 'Dockerfile', 'README.md']) {
    await expect(files.getByText(path, { exact: true })).toBeVisible();
  }
  await expect(files.getByRole('row', { name: /^gateway\.yaml/ })).toContainText(/\d+(\.\d)? (B|kB)$/);

  // Keyboard: Tab from the first checkbox to the forwarding pipeline; Space unticks it.
  await dialog.locator('input[type="checkbox"]').first().focus();
  const order = await Promise.all((await dialog.locator('input[type="checkbox"]').all()).map((box) => box.getAttribute('data-testid')));
  for (let i = 0; i < order.indexOf('export-pipeline-to-enterprise'); i++) await page.keyboard.press('Tab');
  await expect(dialog.getByTestId('export-pipeline-to-enterprise')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(dialog.getByTestId('export-pipeline-to-enterprise')).not.toBeChecked();
  await expect(dialog.getByTestId('export-no-secrets')).toBeVisible();
  await expect(files.getByText('project/devices/enterprise-broker.yaml', { exact: true })).toHaveCount(0);
  await page.keyboard.press('Space');
  await expect(secrets).toBeVisible();

  // Enter in the form exports: the archive lands in the project's .plantbench/exports/.
  await page.keyboard.press('Enter');
  const where = dialog.getByTestId('export-path');
  await expect(where).toBeVisible({ timeout: 60_000 });
  const path = (await where.textContent())!;
  expect(path.startsWith(join(served.root, '.plantbench', 'exports'))).toBe(true);
  expect(path).toMatch(/\.tar\.gz$/);
  expect(existsSync(path)).toBe(true);
  const listing = spawnSync('tar', ['tzf', path], { encoding: 'utf8' });
  expect(listing.status).toBe(0);
  const entries = listing.stdout.split('\n').map((l) => l.replace(/^[^/]+\//, ''));
  for (const f of ['plantbench-gateway.js', 'gateway.yaml', 'project/pipelines/to-enterprise.yaml', 'project/devices/enterprise-broker.yaml', 'SECRETS.md']) expect(entries).toContain(f);
  await expect(page.getByTestId('notice')).toContainText('Exported 4 pipelines to .plantbench/exports/');

  // The page is served by plantbench serve: Download fetches the archive from the host.
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('export-download').click()]);
  expect(download.suggestedFilename()).toBe(basename(path));
  const saved = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(saved);
  const bytes = readFileSync(saved);
  expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]); // gzip
  expect(bytes.equals(readFileSync(path))).toBe(true);
  const downloaded = spawnSync('tar', ['tzf', saved], { encoding: 'utf8' });
  expect(downloaded.status).toBe(0);
  expect(downloaded.stdout.split('\n').map((l) => l.replace(/^[^/]+\//, ''))).toContain('plantbench-gateway.js');
  await where.scrollIntoViewIfNeeded();
  await screenshot(page, testInfo, 'export-written');

  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
});
