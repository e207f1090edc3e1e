import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { edgeLabel, field, newPipeline, node, openDeviceTab, scaleToMqtt, screenshot, selectNode } from './canvas.ts';
import { expect, test } from './fixtures.ts';

// The OPC UA browser in the workbench against the example project's capper simulator (started by
// `plantbench serve --simulate`): browse with values and EU, the attributes pane, GoTo a NodeId,
// import a variable as a tag, drag variables onto the canvas and run them through scale to MQTT;
// then the certificate prompt of a Sign endpoint: reject, then trust always; and a device that signs
// in with a user name whose password the host cannot resolve.

/** Opens the capper's Browse tab; the tree shows the children of Objects. */
async function openBrowser(page: Page): Promise<Locator> {
  await openDeviceTab(page, 'capper', 'Browse');
  const browser = page.getByTestId('opcua-browser');
  await expect(browser).toBeVisible();
  return browser;
}

const row = (browser: Locator, name: string): Locator => browser.getByTestId('opcua-tree').getByRole('treeitem', { name, exact: true });

const pemFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => /\.(pem|der)$/.test(f)) : []);

test('browses the capper, shows values with EU and attributes, goes to a NodeId, and runs a dragged variable through scale to MQTT', async ({ workbench: page, served }, testInfo) => {
  // A pipeline to drop into.
  await newPipeline(page, 'e2e-capper', 'Capper speed in percent');

  const browser = await openBrowser(page);
  await expect(browser.getByTestId('opcua-security')).toHaveText('None');
  // GoTo a NodeId: the tree expands down to it and selects it; the attributes pane reads it.
  await browser.getByLabel('Go to NodeId or path').fill('ns=1;s=Capper.Torque');
  await browser.getByRole('button', { name: 'Go', exact: true }).click();
  await expect(row(browser, 'Torque')).toHaveAttribute('aria-selected', 'true');
  await expect(row(browser, 'Capper')).toHaveAttribute('aria-expanded', 'true');
  const attrs = browser.getByTestId('opcua-attributes');
  await expect(attrs).toContainText('ns=1;s=Capper.Torque');
  await expect(attrs).toContainText('N·m');

  // Values with their EU in the tree; the attributes of a variable with status, timestamps and range.
  await expect(row(browser, 'Speed').getByTestId('opcua-value')).toContainText('caps/min');
  await row(browser, 'Speed').click();
  await expect(attrs).toContainText('Double');
  await expect(attrs).toContainText('CurrentRead');
  await expect(attrs).toContainText('0 … 200');
  await expect(attrs.getByTestId('opcua-attr-value')).toContainText('caps/min');
  await expect(attrs).toContainText('Good');
  await expect(attrs).toContainText('Source time');
  await attrs.getByText('References').click();
  await expect(attrs.locator('.pb-ua-attrs__refs')).toContainText('HasTypeDefinition');
  await screenshot(page, testInfo, '01-opcua-tree-attributes');

  // Import selection: a variable that is not a tag yet becomes one in devices/capper.yaml.
  await row(browser, 'Command').click();
  await browser.getByRole('button', { name: /Import selection \(1\)/ }).click();
  await expect(page.getByTestId('notice')).toContainText('added Capper/Command');
  await expect.poll(() => readFileSync(join(served.root, 'devices', 'capper.yaml'), 'utf8')).toContain('ns=1;s=Capper.Command');

  // Drag the Capper object: a source for the variables directly below it (already tags: nothing new is written).
  await row(browser, 'Capper').dragTo(page.locator('.react-flow__pane'), { targetPosition: { x: 140, y: 360 } });
  await expect(node(page, 'capper')).toBeVisible();
  await selectNode(page, 'capper');
  await expect(field(page, 'tags')).toContainText('Capper/Command');
  await page.keyboard.press('Delete');
  await expect(node(page, 'capper')).toHaveCount(0);

  // Drag the Speed variable: an opcua-source reading the device's existing "speed" tag.
  await row(browser, 'Speed').dragTo(page.locator('.react-flow__pane'), { targetPosition: { x: 140, y: 160 } });
  await expect(node(page, 'speed')).toContainText('capper: speed');

  await scaleToMqtt(page, 'speed', 160, { rawHigh: 200, unit: '%' });

  // Run: the run saves first, then the values flow along both edges.
  await page.getByTestId('run').click(); // stop the --simulate run
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
  await expect(edgeLabel(page, 'speed.out->scale.in')).toContainText('caps/min');
  await expect(edgeLabel(page, 'scale.out->mqtt-sink.in')).toContainText('%');
  await expect(node(page, 'mqtt-sink').locator('.pb-node__counters')).toContainText(/in [1-9]/);
  expect(readFileSync(join(served.root, 'pipelines', 'e2e-capper.yaml'), 'utf8')).toMatch(/device: capper\n\s+tags: \[ ?speed ?\]/);
  await screenshot(page, testInfo, '02-opcua-pipeline-running');
});

test('a Sign endpoint asks about the server certificate: reject, then trust always', async ({ workbench: page, served }, testInfo) => {
  const pki = join(served.root, '.plantbench', 'pki');
  const browser = await openBrowser(page);
  await expect(row(browser, 'Capper')).toBeVisible();

  // Pick the Sign endpoint from the server's list: the unknown certificate is refused and shown.
  await browser.getByRole('button', { name: 'Endpoints…' }).click();
  await expect(browser.getByRole('option', { name: /^Sign · Basic256Sha256/ })).toContainText('not trusted');
  await screenshot(page, testInfo, '03-opcua-endpoints');
  await browser.getByRole('option', { name: /^Sign · Basic256Sha256/ }).click();
  await expect(browser.getByTestId('opcua-security')).toHaveText('Sign · Basic256Sha256');
  const prompt = page.getByRole('alertdialog', { name: 'Trust this server certificate?' });
  await expect(prompt).toBeVisible();
  const [rejectedFile] = pemFiles(join(pki, 'rejected'));
  expect(rejectedFile).toBeDefined();
  const sha1 = new X509Certificate(readFileSync(join(pki, 'rejected', rejectedFile!))).fingerprint;
  await expect(prompt.getByTestId('trust-thumbprint')).toHaveText(sha1);
  await expect(prompt).toContainText('opc.tcp://127.0.0.12:4840/plantbench');
  await screenshot(page, testInfo, '04-opcua-trust-prompt');

  // Escape rejects: the tree says so and nothing is trusted.
  await page.keyboard.press('Escape');
  await expect(prompt).toBeHidden();
  await expect(browser.getByTestId('opcua-rejected')).toContainText('rejected');
  expect(pemFiles(join(pki, 'trusted', 'certs'))).toEqual([]);
  await screenshot(page, testInfo, '05-opcua-rejected');

  // Trust… reopens the prompt; Trust always moves the certificate to the trusted list and browses.
  await browser.getByRole('button', { name: 'Trust…' }).click();
  await prompt.getByRole('button', { name: 'Trust always' }).click();
  await expect(prompt).toBeHidden();
  await expect(row(browser, 'Capper')).toBeVisible();
  expect(pemFiles(join(pki, 'trusted', 'certs'))).toEqual([rejectedFile]);
  expect(pemFiles(join(pki, 'rejected'))).toEqual([]);
  await row(browser, 'Capper').locator('.pb-tree__toggle').click();
  await expect(row(browser, 'Speed').getByTestId('opcua-value')).toContainText('caps/min');
});

test('a device that signs in with a user name browses as that user; an unresolved password is named, and anonymous is the way out', async ({ workbench: page, served }, testInfo) => {
  // The same capper, as a device whose password is a secret this serve does not have.
  writeFileSync(
    join(served.root, 'devices', 'capper-operator.yaml'),
    'apiVersion: plantbench/v1\nkind: Device\nid: capper-operator\nprotocol: opcua\nendpoint: opc.tcp://127.0.0.12:4840/plantbench\nauth: { kind: username, username: operator, password: "${secret:CAPPER_PW}" }\n',
  );
  await expect(page.locator('.pb-device[data-device="capper-operator"]')).toBeVisible();
  const device = await openDeviceTab(page, 'capper-operator', 'Browse');
  const browser = device.getByTestId('opcua-browser');
  await expect(browser.getByTestId('opcua-identity')).toContainText('Signs in as “operator” (password ${secret:CAPPER_PW}, resolved by the host)');
  // The host resolves the password when the session opens; it cannot, and says where.
  await expect(browser.locator('.pb-ua-row--status.is-error')).toContainText(/devices\/capper-operator\.yaml:\d+:\d+ auth\.password: unresolved \$\{secret:CAPPER_PW\}/);
  await screenshot(page, testInfo, '06-opcua-identity-unresolved');
  await browser.getByRole('button', { name: 'Browse anonymously' }).click();
  await expect(browser.getByTestId('opcua-identity')).toContainText('Browsing anonymously');
  await expect(row(browser, 'Capper')).toBeVisible();
});
