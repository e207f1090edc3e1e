import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bottomTab, connect, dragFromPalette, dragTag, edgeLabel, field, leftTab, node, openPipeline, screenshot, selectNode } from './canvas.ts';
import { expect, test } from './fixtures.ts';

// The workbench in a browser against `plantbench serve --simulate` on a copy of the example
// project: open it, build a pipeline, run it and watch values, save and reload, and follow a
// problem to its node. Screenshots of the main screens go to test-results/.

test('opens the example project with its devices, pipelines and live values', async ({ workbench: page }, testInfo) => {
  // The first pipeline is open on the canvas.
  for (const id of ['state', 'process', 'good-only', 'per-minute', 'topic', 'uns']) await expect(node(page, id)).toBeVisible();
  await expect(page.getByTestId('devices').getByRole('treeitem')).toHaveCount(5);
  await leftTab(page, 'Pipelines');
  await expect(page.getByTestId('pipelines').getByRole('button', { name: /Filler to UNS/ })).toBeVisible();
  await expect(page.getByTestId('pipelines').getByRole('button', { name: /Palletizer/ })).toBeVisible();
  // serve --simulate started the run: values arrive.
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
  await expect(page.getByTestId('values-table').locator('.pb-table__row').first()).toBeVisible();
  await screenshot(page, testInfo, '01-project-running');
  await leftTab(page, 'Simulators');
  await expect(page.getByTestId('simulators')).toContainText(/opc\.tcp:\/\//);
});

test('builds source → scale → MQTT sink from the palette, runs it and shows values on edges and in a trend', async ({ workbench: page, served }, testInfo) => {
  await leftTab(page, 'Pipelines');
  await page.getByRole('button', { name: /New pipeline/ }).click();
  const dialog = page.getByRole('dialog', { name: 'New pipeline' });
  await dialog.getByLabel('id').fill('e2e-level');
  await dialog.getByLabel('name').fill('Level in percent');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page.locator('.pb-topbar__pipeline')).toContainText('Level in percent');

  // A tag from the Devices panel becomes a configured Modbus source.
  await dragTag(page, 'filler', 'level', 120, 160);
  await expect(node(page, 'level')).toContainText('filler: level');
  // Scale and an MQTT publish node from the palette.
  await dragFromPalette(page, 'scale', 380, 160);
  await dragFromPalette(page, 'mqtt-sink', 640, 160);
  await expect(node(page, 'scale')).toBeVisible();
  await expect(node(page, 'mqtt-sink')).toBeVisible();

  // Configure them in the inspector (forms generated from the config schemas).
  await selectNode(page, 'scale');
  await field(page, 'rawHigh').getByRole('textbox').fill('500');
  await field(page, 'unit').getByRole('textbox').fill('%');
  await selectNode(page, 'mqtt-sink');
  await field(page, 'device').getByRole('combobox').selectOption('uns-broker');
  await field(page, 'topic').getByRole('textbox').fill('e2e/{path}');

  // Wire the ports.
  await connect(page, 'level', 'out', 'scale', 'in');
  await connect(page, 'scale', 'out', 'mqtt-sink', 'in');
  await expect(page.locator('.react-flow__edge[data-id="level.out->scale.in"]')).toHaveCount(1);
  await expect(page.locator('.react-flow__edge[data-id="scale.out->mqtt-sink.in"]')).toHaveCount(1);

  // A boolean tag does not fit the number input of scale: the connection is refused and says why.
  await dragTag(page, 'filler', 'running', 120, 330);
  await connect(page, 'running', 'out', 'scale', 'in');
  await expect(page.getByTestId('notice')).toContainText('carries boolean but scale.in takes number');
  await expect(page.locator('.react-flow__edge[data-id="running.out->scale.in"]')).toHaveCount(0);
  await selectNode(page, 'running');
  await page.keyboard.press('Delete');
  await expect(node(page, 'running')).toHaveCount(0);
  await screenshot(page, testInfo, '02-pipeline-built');

  // Save: canonical YAML in the project folder.
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('notice')).toContainText('Saved pipelines/e2e-level.yaml');
  const yaml = readFileSync(join(served.root, 'pipelines', 'e2e-level.yaml'), 'utf8');
  expect(yaml).toContain('type: scale');
  expect(yaml).toContain('from: level');

  // Restart the run so it includes the new pipeline, and watch it.
  await page.getByTestId('run').click(); // stop
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  await page.keyboard.press('Control+Enter'); // run
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
  await expect(edgeLabel(page, 'level.out->scale.in')).toContainText('mm');
  await expect(edgeLabel(page, 'scale.out->mqtt-sink.in')).toContainText('%');
  await expect(node(page, 'mqtt-sink').locator('.pb-node__counters')).toContainText(/in [1-9]/);

  // Trend the scaled level.
  await bottomTab(page, 'Values');
  await page.getByLabel('Filter values').fill('e2e-level/scale');
  await page.getByTestId('values-table').locator('.pb-table__row[data-path="filler/level"]').click();
  await expect(page.getByTestId('trends').locator('.uplot canvas')).toBeVisible();
  await expect(page.getByTestId('trends').locator('.u-legend')).toContainText('filler/level @ e2e-level/scale');
  await screenshot(page, testInfo, '03-running-trend');
});

/** The y position of node "bottles" in filler-uns.yaml. */
function bottlesY(yaml: string): number {
  const m = /\n {2}bottles:\n(?: {4}.*\n)*? {4}position: \{ x: -?[\d.]+, y: (-?[\d.]+) \}/.exec(yaml);
  if (!m) throw new Error(`no position of "bottles" in:\n${yaml}`);
  return Number(m[1]);
}

test('saves, reloads and shows the same pipeline, with a diff of the two revisions', async ({ workbench: page, served }, testInfo) => {
  const original = readFileSync(join(served.root, 'pipelines', 'filler-uns.yaml'), 'utf8');
  await openPipeline(page, 'filler-uns');
  await selectNode(page, 'level-pct');
  await page.getByLabel('name', { exact: true }).fill('Level in % (e2e)');
  await field(page, 'engHigh').getByRole('textbox').fill('1000');
  // Move a node: positions are part of the file.
  const before = (await node(page, 'bottles').boundingBox())!;
  await page.mouse.move(before.x + 40, before.y + 10);
  await page.mouse.down();
  await page.mouse.move(before.x + 40, before.y + 90, { steps: 6 });
  await page.mouse.up();
  await expect(page.getByTestId('dirty')).toBeVisible();
  await page.getByTestId('save').click();
  await expect(page.getByTestId('notice')).toContainText('Saved pipelines/filler-uns.yaml');
  const saved = readFileSync(join(served.root, 'pipelines', 'filler-uns.yaml'), 'utf8');
  expect(saved).toContain('Level in % (e2e)');

  await page.reload();
  await expect(page.getByTestId('project-name')).toHaveText('Bottling line');
  await openPipeline(page, 'filler-uns');
  await expect(node(page, 'level-pct')).toContainText('Level in % (e2e)');
  await expect(node(page, 'level-pct')).toContainText('→ 0…1000 %');
  expect(bottlesY(saved)).toBeGreaterThan(bottlesY(original));

  // The save recorded a revision; the first one is the file as it was before, so the diff shows the change.
  await bottomTab(page, 'Revisions');
  await expect(page.getByTestId('revision-diff')).toContainText('Level in % (e2e)');
  await expect(page.getByTestId('revision-diff').locator('.pb-diff__line--del')).not.toHaveCount(0);
  await screenshot(page, testInfo, '04-revisions');
});

test('a validation error is listed under Problems and a click selects and centres its node', async ({ workbench: page }, testInfo) => {
  await openPipeline(page, 'filler-uns');
  await selectNode(page, 'level-pct');
  await field(page, 'rawHigh').getByRole('textbox').fill('0');
  await expect(field(page, 'rawHigh')).toContainText('rawHigh must differ from rawLow');
  await expect(node(page, 'level-pct').locator('.pb-node')).toHaveClass(/has-problems/);

  // Select something else and zoom out, then follow the problem back.
  await page.keyboard.press('Control+k');
  await page.getByRole('textbox', { name: 'Find a node' }).fill('bottles-1s');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('inspector')).toHaveAttribute('data-node', 'bottles-1s');
  await page.getByRole('button', { name: 'Zoom Out' }).click();
  await page.getByRole('button', { name: 'Zoom Out' }).click();

  await bottomTab(page, 'Problems');
  const problem = page.getByTestId('problems').getByRole('button').filter({ hasText: 'rawHigh must differ from rawLow' });
  await expect(problem).toContainText('level-pct');
  await problem.click();
  await expect(page.getByTestId('inspector')).toHaveAttribute('data-node', 'level-pct');
  await expect(node(page, 'level-pct')).toHaveClass(/selected/);
  // Centred: the node's middle is near the middle of the canvas.
  await expect(async () => {
    const canvas = (await page.getByTestId('canvas').boundingBox())!;
    const box = (await node(page, 'level-pct').boundingBox())!;
    expect(Math.abs(box.x + box.width / 2 - (canvas.x + canvas.width / 2))).toBeLessThan(40);
    expect(Math.abs(box.y + box.height / 2 - (canvas.y + canvas.height / 2))).toBeLessThan(40);
  }).toPass();
  await screenshot(page, testInfo, '05-problem-selected');

  // Undo brings the valid value back and the problem goes away.
  await page.keyboard.press('Control+z');
  await expect(field(page, 'rawHigh').getByRole('textbox')).toHaveValue('500');
  await expect(page.getByTestId('problems').getByRole('button').filter({ hasText: 'rawHigh must differ' })).toHaveCount(0);
});
