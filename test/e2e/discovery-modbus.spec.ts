import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { parse } from 'yaml';
import { leftTab, screenshot } from './canvas.ts';
import { expect, test } from './fixtures.ts';

// Modbus discovery in the workbench against the example project's filler simulator (Modbus TCP,
// started by `plantbench serve --simulate`): probe unit 1, open the register view of a range, pick
// the level as float32 CDAB and import it as a tag; export and import register-map CSV; cancel a
// long probe and find its partial result cached after a reload.

interface YamlTag {
  name: string;
  area: string;
  address: number;
  type?: string;
  order?: string;
  unit?: string;
  range?: { low: number; high: number };
}

const fillerTags = (root: string): YamlTag[] => (parse(readFileSync(join(root, 'devices', 'filler.yaml'), 'utf8')) as { tags: YamlTag[] }).tags;

/** Opens the filler's Probe tab in the Devices panel, once the simulated filler answers (its values arrive). */
async function openProbe(page: Page): Promise<{ device: Locator; probe: Locator }> {
  await expect(page.getByTestId('values-table')).toContainText('/filler/');
  await leftTab(page, 'Devices');
  const device = page.locator('.pb-device[data-device="filler"]');
  await device.getByRole('button', { name: 'expand' }).click();
  await device.getByRole('tab', { name: 'Probe' }).click();
  const probe = page.getByTestId('modbus-probe');
  await expect(probe).toBeVisible();
  return { device, probe };
}

async function fillProbe(probe: Locator, fields: { units?: string; budget?: string; resolution?: string; areas?: string[] }): Promise<void> {
  if (fields.units !== undefined) await probe.getByLabel('units', { exact: true }).fill(fields.units);
  if (fields.budget !== undefined) await probe.getByLabel('budget', { exact: true }).fill(fields.budget);
  if (fields.resolution !== undefined) await probe.getByLabel('resolution', { exact: true }).fill(fields.resolution);
  if (fields.areas) {
    for (const a of ['holding', 'input', 'coils', 'discrete']) await probe.getByLabel(a, { exact: true }).setChecked(fields.areas.includes(a));
  }
}

test('probes the filler, picks float32 CDAB in the register view and imports it as a tag', async ({ workbench: page, served }, testInfo) => {
  const { device, probe } = await openProbe(page);
  // The form starts at the device's unit id.
  const unitId = String((parse(readFileSync(join(served.root, 'devices', 'filler.yaml'), 'utf8')) as { unitId: number }).unitId);
  await expect(probe.getByLabel('units', { exact: true })).toHaveValue(unitId);

  // A quick probe: unit 1, holding registers, a small budget.
  await fillProbe(probe, { units: '1', budget: '300', areas: ['holding'] });
  await probe.getByRole('button', { name: 'Probe', exact: true }).click();
  const result = page.getByTestId('modbus-probe-result');
  const holding = result.locator('[data-unit="1"] [data-area="holding"]');
  await expect(holding).toBeVisible();
  await expect(result).toContainText(/taken at/);
  // With 300 requests the probe cannot try every address: the area says how fine it got.
  await expect(holding.locator('.pb-mb-badge')).toHaveText(/within \d+|exact/);
  const range = holding.locator('.pb-mb-range[data-start="0"]');
  await expect(range).toBeVisible();
  await screenshot(page, testInfo, 'modbus-01-probe-result');

  // The register view of the range at 0: every reading, the level flagged as plausible.
  await range.click();
  const view = page.getByRole('dialog', { name: 'Register view' });
  const level = view.locator('[role="row"][data-address="0"] [data-reading="float32 CDAB"]');
  await expect(level).toHaveClass(/is-likely|is-plausible/);
  const tagRange = fillerTags(served.root).find((t) => t.name === 'level')!.range!;
  const value = Number(await level.textContent());
  expect(value).toBeGreaterThanOrEqual(tagRange.low);
  expect(value).toBeLessThanOrEqual(tagRange.high);
  // Auto refresh reads again every second: the view compares two reads.
  await view.getByRole('button', { name: /Auto/ }).click();
  await expect(view.getByTestId('read-at')).toContainText('compared with the read before');
  await view.getByRole('button', { name: /Auto/ }).click();

  // Pick it, name it, and import it.
  await level.click();
  await expect(level).toHaveClass(/is-selected/);
  const picked = view.getByTestId('modbus-selection').locator('[role="row"][data-address="0"]');
  await expect(picked.getByLabel('type')).toHaveValue('float32');
  await expect(picked.getByLabel('order')).toHaveValue('CDAB');
  await picked.getByLabel('name').fill('probe/level');
  await picked.getByLabel('unit').fill('mm');
  await screenshot(page, testInfo, 'modbus-02-register-view');

  // The selection as a register-map CSV.
  const download = page.waitForEvent('download');
  await view.getByRole('button', { name: 'Export CSV' }).click();
  const csv = readFileSync(await (await download).path(), 'utf8');
  expect(csv).toContain('0,holding,float32,CDAB,probe/level,mm,');

  await view.getByRole('button', { name: 'Import 1 as tags' }).click();
  await expect(view.getByTestId('import-result')).toContainText('added 1 (probe/level)');
  await view.getByRole('button', { name: 'Close' }).click();
  await expect(view).toBeHidden();

  // The Devices tree shows the new tag, and the device file has it.
  await device.getByRole('tab', { name: /Tags/ }).click();
  await expect(device.getByRole('treeitem', { name: 'tag probe/level', exact: true })).toBeVisible();
  expect(fillerTags(served.root).find((t) => t.name === 'probe/level')).toMatchObject({ area: 'holding', address: 0, type: 'float32', order: 'CDAB', unit: 'mm' });

  // A register-map CSV from disk: previewed with its problems, then imported (existing names skipped).
  await device.getByRole('tab', { name: 'Probe' }).click();
  await probe.getByLabel('register-map CSV file').setInputFiles({
    name: 'filler-map.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('address,area,type,order,name,unit,scale\n2,holding,uint32,ABCD,probe/bottles,,\n0,holding,float32,CDAB,level,mm,\n4,coil,uint16,,bad,,\n'),
  });
  const preview = page.getByRole('dialog', { name: 'Register-map CSV' });
  await expect(preview).toContainText('2 rows read, 1 problem');
  await expect(preview).toContainText('filler-map.csv:4:');
  await preview.getByRole('button', { name: 'Import 2 as tags' }).click();
  await expect(preview.getByTestId('import-result')).toContainText('added 1 (probe/bottles), skipped 1 (level');
  await preview.getByRole('button', { name: 'Close' }).click();
  expect(fillerTags(served.root).find((t) => t.name === 'probe/bottles')).toMatchObject({ area: 'holding', address: 2, type: 'uint32' });
});

test('shows the progress of a long probe, cancels it, and reopens the cached partial result', async ({ workbench: page }, testInfo) => {
  const { probe } = await openProbe(page);
  // Every address of every area: far more than a test waits for.
  await fillProbe(probe, { units: '1', budget: '1000000', resolution: '1', areas: ['holding', 'input', 'coils', 'discrete'] });
  await probe.getByRole('button', { name: 'Probe', exact: true }).click();
  const bar = probe.getByRole('progressbar', { name: 'Modbus probe' });
  await expect(bar).toHaveAttribute('aria-valuenow', /^([5-9]\d|\d{3,})$/);
  await expect(probe.getByRole('button', { name: 'Probe', exact: true })).toBeDisabled();
  await screenshot(page, testInfo, 'modbus-03-probe-progress');
  await probe.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('probe-cancelled')).toBeVisible();
  await expect(bar).toBeHidden();
  // What was found before the cancel is there: the holding registers at 0.
  await expect(page.getByTestId('modbus-probe-result').locator('[data-area="holding"] .pb-mb-range[data-start="0"]')).toBeVisible();

  // The host cached it: after a reload the view opens with the last probe.
  await page.reload();
  await expect(page.getByTestId('project-name')).toHaveText('Bottling line');
  const again = await openProbe(page);
  await expect(again.probe.getByTestId('probe-cancelled')).toBeVisible();
  await expect(again.probe.getByTestId('modbus-probe-result')).toContainText(/last probe of .*, taken at/);
});
