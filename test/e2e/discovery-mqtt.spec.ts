import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { deviceFile } from '../../src/shared/model/device.ts';
import { leftTab, node, openDeviceTab, screenshot } from './canvas.ts';
import { expect, test } from './fixtures.ts';

// Discovery in the workbench against the simulated bottling line: the live MQTT topic tree of the
// line's UNS broker (the simulated run publishes JSON UNS topics and Sparkplug B into it), a topic
// dragged onto the canvas as an MQTT source, and the network scan that finds the line's
// simulators on 127.0.0.11-13 and adds one as a device.

test('watches the UNS broker live: topics with growing counts, a JSON payload and its diff, Sparkplug metrics', async ({ workbench: page, served }, testInfo) => {
  await openDeviceTab(page, 'uns-broker', 'Topics');
  const topics = page.getByTestId('mqtt-topics-uns-broker');
  const tree = topics.getByRole('tree', { name: 'Topics' });
  const row = (path: string) => tree.getByRole('treeitem', { name: `topic ${path}`, exact: true });
  const count = async (path: string): Promise<number> => Number((await row(path).locator('.pb-mqtt__count').getAttribute('title'))!.split(' ')[0]);

  // serve prints its URL before the simulated run is up; in the run the device is its simulator.
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
  await expect(topics).toContainText('capturing from simulator uns-broker at mqtt://127.0.0.1:');
  await topics.getByRole('button', { name: /Start/ }).click();
  await expect(topics.getByTestId('mqtt-status')).toContainText('live');
  // The run's JSON UNS topics and its Sparkplug edge node.
  await expect(row('acme')).toBeVisible();
  await expect(row('spBv1.0')).toBeVisible();
  const before = await count('acme');
  await expect.poll(() => count('acme')).toBeGreaterThan(before);

  // The filter opens the branches down to the matching topics.
  await topics.getByRole('searchbox', { name: 'filter topics' }).fill('filler/bottles');
  const bottles = 'acme/dortmund/packaging/line-1/filler/bottles';
  await expect(row(bottles)).toBeVisible();
  await expect(row('spBv1.0')).toHaveCount(0);
  await expect(row(bottles).locator('.pb-mqtt__type')).toHaveText('JSON');
  await row(bottles).click();
  const details = topics.getByTestId('mqtt-details');
  await expect(details).toContainText(bottles);
  // Pretty-printed: one field per line.
  await expect(details.getByTestId('mqtt-payload')).toContainText(/^\{\n {2}"/);
  // The bottle counter changes every second: the diff shows the old and the new value.
  await details.getByRole('tab', { name: 'Diff' }).click();
  const diff = details.getByTestId('mqtt-diff');
  await expect(diff.locator('.pb-diff__line--del').first()).toBeVisible();
  await expect(diff.locator('.pb-diff__line--add').first()).toBeVisible();
  await details.getByRole('tab', { name: 'Schema' }).click();
  await expect(details.getByTestId('mqtt-schema')).toContainText('(payload) object');
  await details.getByRole('tab', { name: 'Diff' }).click();
  await expect(diff.locator('.pb-diff__line--add').first()).toBeVisible();
  // Wide: the left panel grows for long topic names and payloads.
  await topics.getByRole('button', { name: /Wide/ }).click();
  await expect(row(bottles).locator('.pb-mqtt__name')).toHaveText('bottles');
  await screenshot(page, testInfo, '10-mqtt-topic-diff');

  // Dragged onto the canvas, the topic becomes an MQTT source; its tag is imported into the device.
  await row(bottles).dragTo(page.locator('.react-flow__pane'), { targetPosition: { x: 160, y: 470 } });
  await expect(node(page, 'bottles')).toContainText('uns-broker');
  const unsTags = (parse(readFileSync(join(served.root, 'devices', 'uns-broker.yaml'), 'utf8')) as { tags?: unknown[] }).tags;
  expect(unsTags).toEqual([{ name: bottles, topic: bottles, payload: { format: 'json', field: 'value' } }]);
  await topics.getByRole('button', { name: /Wide/ }).click();

  // Keyboard: the tree is one focusable list; arrow keys move the selection.
  await tree.focus();
  await page.keyboard.press('ArrowUp');
  await expect(row(bottles)).toHaveAttribute('aria-selected', 'false');

  // Sparkplug B from the palletizer pipeline: the device data decoded into metrics.
  await topics.getByRole('searchbox', { name: 'filter topics' }).fill('DDATA');
  const ddata = 'spBv1.0/dortmund-packaging/DDATA/line-1/palletizer';
  await expect(row(ddata)).toBeVisible();
  await expect(row(ddata).locator('.pb-mqtt__type')).toHaveText('SpB');
  await row(ddata).click();
  await details.getByRole('tab', { name: /Metrics/ }).click();
  // The palletizer's mode (a String metric) is "auto" in its simulator profile. Metric names come
  // from the birth, published when the run started: before this capture, so it may show aliases.
  const metrics = details.getByTestId('mqtt-metrics');
  await expect(metrics.locator('tbody tr').filter({ hasText: 'String' })).toContainText('auto');
  await expect(metrics.locator('tbody tr').first()).toContainText(/palletizer\/\w+|alias \d+/);
  await screenshot(page, testInfo, '11-mqtt-sparkplug-metrics');

  // Stopping the run stops the simulator the capture reads: the tab says the connection is lost
  // (the host keeps trying to reconnect), with the host's warning.
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  await expect(topics.getByTestId('mqtt-status')).toContainText('connection lost, reconnecting');
  await expect(topics.locator('.pb-mqtt__warning').first()).toContainText('connection lost after');
  await screenshot(page, testInfo, '14-mqtt-connection-lost');

  // Stop keeps the captured tree to browse, and the warnings.
  await topics.getByRole('button', { name: /Stop/ }).click();
  await expect(topics.getByTestId('mqtt-status')).toContainText('stopped');
  await expect(row(ddata)).toBeVisible();
  await expect(topics.locator('.pb-mqtt__warning').first()).toContainText('connection lost after');

  // A broker whose credentials are references: the host resolves them at Start. This serve has no
  // secret UNS_PASSWORD, so Start fails before connecting, naming the reference and where it is,
  // and the tab offers to type the credentials for one capture.
  await openDeviceTab(page, 'enterprise-broker', 'Topics');
  const enterprise = page.getByTestId('mqtt-topics-enterprise-broker');
  await expect(enterprise.getByRole('note')).toContainText('password ${secret:UNS_PASSWORD} are resolved by the host');
  await expect(enterprise.getByLabel('password for this capture')).toHaveCount(0);
  await enterprise.getByRole('button', { name: /Start/ }).click();
  await expect(enterprise.getByRole('alert')).toContainText(/devices\/enterprise-broker\.yaml:\d+:\d+ password: unresolved \$\{secret:UNS_PASSWORD\}/);
  await expect(enterprise.getByLabel('password for this capture')).toBeVisible();
  await expect(enterprise.getByTestId('mqtt-status')).toContainText('not capturing');
  await screenshot(page, testInfo, '13-mqtt-credentials');
});

test('finds the simulated line on the network and adds the Modbus filler as a device', async ({ workbench: page, served }, testInfo) => {
  // serve prints its URL before the simulated run (and its simulators) is up.
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
  await leftTab(page, 'Devices');
  await page.getByRole('button', { name: 'Find devices…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Find devices' });
  await dialog.getByLabel('Targets').fill('127.0.0.10-127.0.0.14');
  // The filler simulator listens on 5020 (502 needs root): the scan tries each handshake there.
  await dialog.getByLabel('Ports').fill('502, 4840, 1883, 8883, 5020');
  await dialog.getByRole('button', { name: 'Scan' }).click();
  const results = dialog.getByTestId('scan-results');
  const result = (hostPort: string) => results.locator(`tr[data-target="${hostPort}"]`);
  await expect(result('127.0.0.11:5020')).toContainText('Modbus TCP ✓');
  await expect(result('127.0.0.11:5020')).toContainText('unit 1 answered');
  await expect(result('127.0.0.12:4840')).toContainText('OPC UA ✓');
  await expect(result('127.0.0.12:4840')).toContainText('opc.tcp://');
  await expect(result('127.0.0.13:1883')).toContainText('MQTT ✓');
  await expect(dialog.getByTestId('scan-summary')).toContainText('3 confirmed');
  await screenshot(page, testInfo, '12-scan-results');

  await result('127.0.0.11:5020').getByRole('button', { name: 'Add as device' }).click();
  const add = dialog.getByRole('form', { name: 'Add 127.0.0.11:5020 as a device' });
  await add.getByLabel('device id').fill('filler');
  await expect(add).toContainText('devices/filler.yaml exists');
  await add.getByLabel('device id').fill('filler-found');
  await add.getByRole('button', { name: 'Add' }).click();
  await expect(result('127.0.0.11:5020')).toContainText('added as filler-found');

  const file = parse(readFileSync(join(served.root, 'devices', 'filler-found.yaml'), 'utf8')) as unknown;
  expect(deviceFile.parse(file)).toMatchObject({ id: 'filler-found', protocol: 'modbus', transport: { kind: 'tcp', host: '127.0.0.11', port: 5020 }, unitId: 1, tags: [] });

  // Reopened, the dialog shows the last scan from the workspace cache.
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.locator('.pb-device[data-device="filler-found"]')).toBeVisible();
  await page.getByRole('button', { name: 'Find devices…' }).click();
  await expect(dialog).toContainText('Last scan');
  await expect(dialog.getByLabel('Targets')).toHaveValue('127.0.0.10-127.0.0.14');
  await expect(result('127.0.0.12:4840')).toContainText('OPC UA ✓');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
});
