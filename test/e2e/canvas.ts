import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect } from './fixtures.ts';

// Small page helpers for the workbench: what a user does, in the terms of the UI.

export const node = (page: Page, id: string): Locator => page.locator(`.react-flow__node[data-id="${id}"]`);

export const handle = (page: Page, nodeId: string, kind: 'source' | 'target', port: string): Locator =>
  node(page, nodeId).locator(`.react-flow__handle.${kind}[data-handleid="${port}"]`);

export const edgeLabel = (page: Page, edgeId: string): Locator => page.locator(`.pb-edge-label[data-edge-id="${edgeId}"]`);

export async function leftTab(page: Page, name: 'Devices' | 'Palette' | 'Pipelines' | 'Simulators'): Promise<void> {
  await page.locator('.pb-tabs--left').getByRole('tab', { name }).click();
}

export async function bottomTab(page: Page, name: 'Values' | 'Trends' | 'Debug log' | 'Problems' | 'Revisions' | 'Audit' | 'Recordings'): Promise<void> {
  await page.locator('.pb-bottom').getByRole('tab', { name }).click();
}

export async function openPipeline(page: Page, id: string): Promise<void> {
  await leftTab(page, 'Pipelines');
  await page.getByTestId('pipelines').getByRole('button').filter({ hasText: id }).click();
  await expect(page.getByTestId('canvas')).toBeVisible();
}

/** Drags a palette item (by node kind) onto the canvas at (x, y) from the canvas' top-left. */
export async function dragFromPalette(page: Page, kind: string, x: number, y: number): Promise<void> {
  await leftTab(page, 'Palette');
  await page.locator(`.pb-palette__item[data-kind="${kind}"]`).dragTo(page.locator('.react-flow__pane'), { targetPosition: { x, y } });
}

/** Drags a tag of a device from the Devices panel onto the canvas. */
export async function dragTag(page: Page, device: string, tag: string, x: number, y: number): Promise<void> {
  await leftTab(page, 'Devices');
  const item = page.locator(`.pb-device[data-device="${device}"]`);
  const tagRow = item.getByRole('treeitem', { name: `tag ${tag}`, exact: true });
  if (!(await tagRow.isVisible())) await item.getByRole('button', { name: 'expand' }).click();
  await tagRow.dragTo(page.locator('.react-flow__pane'), { targetPosition: { x, y } });
}

/** Expands a device in the Devices panel and opens one of its tabs (Tags, Browse, Probe, Topics); returns the device item. */
export async function openDeviceTab(page: Page, device: string, tab: string): Promise<Locator> {
  await leftTab(page, 'Devices');
  const item = page.locator(`.pb-device[data-device="${device}"]`);
  if ((await item.getByRole('button', { name: 'expand' }).count()) > 0) await item.getByRole('button', { name: 'expand' }).click();
  await item.getByRole('tab', { name: tab }).click();
  return item;
}

/** Drags a wire from an output port to an input port, the way a user does with the mouse. */
export async function connect(page: Page, from: string, fromPort: string, to: string, toPort: string): Promise<void> {
  const a = (await handle(page, from, 'source', fromPort).boundingBox())!;
  const b = (await handle(page, to, 'target', toPort).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 10, { steps: 8 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

export async function selectNode(page: Page, id: string): Promise<void> {
  await node(page, id).locator('.pb-node__head').click();
  await expect(page.getByTestId('inspector')).toHaveAttribute('data-node', id);
}

/** The inspector's control for a config field (by its path, e.g. "rawHigh"). */
export const field = (page: Page, path: string): Locator => page.locator(`[data-testid="inspector"] [data-field="${path}"]`);

export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Creates a pipeline with the New pipeline dialog; it opens on the canvas. */
export async function newPipeline(page: Page, id: string, name: string): Promise<void> {
  await leftTab(page, 'Pipelines');
  await page.getByRole('button', { name: /New pipeline/ }).click();
  const dialog = page.getByRole('dialog', { name: 'New pipeline' });
  await dialog.getByLabel('id').fill(id);
  await dialog.getByLabel('name').fill(name);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page.locator('.pb-topbar__pipeline')).toContainText(name);
}

/**
 * Adds `scale` (raw 0…rawHigh → 0…100 `unit`) and an MQTT publish node to uns-broker (topic
 * e2e/{path}) to the right of `source` at canvas y, and wires source → scale → mqtt-sink.
 */
export async function scaleToMqtt(page: Page, source: string, y: number, scale: { rawHigh: number; unit: string }): Promise<void> {
  await dragFromPalette(page, 'scale', 400, y);
  await dragFromPalette(page, 'mqtt-sink', 660, y);
  await selectNode(page, 'scale');
  await field(page, 'rawHigh').getByRole('textbox').fill(String(scale.rawHigh));
  await field(page, 'unit').getByRole('textbox').fill(scale.unit);
  await selectNode(page, 'mqtt-sink');
  await field(page, 'device').getByRole('combobox').selectOption('uns-broker');
  await field(page, 'topic').getByRole('textbox').fill('e2e/{path}');
  await connect(page, source, 'out', 'scale', 'in');
  await connect(page, 'scale', 'out', 'mqtt-sink', 'in');
  await expect(page.locator(`.react-flow__edge[data-id="${source}.out->scale.in"]`)).toHaveCount(1);
  await expect(page.locator('.react-flow__edge[data-id="scale.out->mqtt-sink.in"]')).toHaveCount(1);
}
