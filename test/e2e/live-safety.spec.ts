import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Download, Page, TestInfo } from '@playwright/test';
import modbusSerial from 'modbus-serial';
import { bottomTab, field, node, openPipeline, screenshot, selectNode } from './canvas.ts';
import { expect, REPO, test, type Served } from './fixtures.ts';
import { startPlantbench, type PlantbenchProcess } from '../helpers/plantbench-process.ts';

// Live safety in the workbench (docs/live-safety.md, docs/workbench-ui.md): a live read-only run
// never writes; an armed run writes within the interlocks and refuses the rest, the kill switch
// and the time limit disarm it; the audit tab and its CSV match; a recording of the simulated line
// is listed with its rate, exported, and made into a pipeline test that passes.
//
// Live modes reach real devices at the addresses in their device files. The example's devices
// point at the addresses its simulators bind, so the test stops the simulated run that serve
// started and runs the same simulators itself (`plantbench simulate`): to the workbench they are
// the real machine. The filler's level setpoint (holding 10-11, float32 CDAB, 250 at start) gets
// an interlock, and a pipeline steps a setpoint between 300 (allowed) and 450 (above max).

const FILLER = { host: '127.0.0.11', port: 5020 };
const SETPOINT_REGISTER = 10;

const STEPS_PIPELINE = `apiVersion: plantbench/v1
kind: Pipeline
id: setpoint-steps
name: Level setpoint steps
nodes:
  steps: { type: signal, config: { path: level_setpoint, intervalMs: 500, shape: { kind: sequence, values: [300, 450], dwellMs: 1000 } } }
  setpoint: { type: modbus-sink, config: { device: filler, tag: level_setpoint } }
edges:
  - { from: steps, to: setpoint }
`;

/** The filler's setpoint as a plain Modbus client reads it (not our connector): float32, CDAB word order. */
async function readSetpoint(): Promise<number> {
  // The package's default export is the client class (its typings say otherwise).
  const ModbusRTU = modbusSerial as unknown as typeof import('modbus-serial/ModbusRTU.js').ModbusRTU;
  const client = new ModbusRTU();
  await client.connectTCP(FILLER.host, { port: FILLER.port });
  client.setID(1);
  try {
    const { buffer } = await client.readHoldingRegisters(SETPOINT_REGISTER, 2);
    return Buffer.from([buffer[2]!, buffer[3]!, buffer[0]!, buffer[1]!]).readFloatBE(0);
  } finally {
    await new Promise<void>((done) => client.close(() => done()));
  }
}

/**
 * `plantbench simulate <project>`: the example's simulators at their own addresses, until stopped.
 * The run that just stopped may still be closing its listeners: a busy address is tried again.
 */
async function startSimulators(root: string): Promise<PlantbenchProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSimulatorsOnce(root);
    } catch (err) {
      if (!/EADDRINUSE/.test(String(err))) throw err;
      if (attempt >= 10) throw new Error(`${String(err)}\nlisteners now:\n${spawnSync('ss', ['-tlnp'], { encoding: 'utf8' }).stdout}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function startSimulatorsOnce(root: string): Promise<PlantbenchProcess> {
  return startPlantbench(['simulate', root, '--json'], { ready: (line) => line.includes('"message":"simulators"') });
}

/**
 * Adds the interlock and the setpoint pipeline, stops serve's simulated run, starts the simulators
 * as "the machine", and opens the pipeline. Returns the simulator process (stop it at the end).
 */
async function goLive(page: Page, served: Served): Promise<PlantbenchProcess> {
  const filler = join(served.root, 'devices', 'filler.yaml');
  const text = readFileSync(filler, 'utf8');
  expect(text.trimEnd().endsWith('writable: true')).toBe(true); // the setpoint is the last tag
  writeFileSync(filler, `${text.trimEnd()}\n    interlock: { min: 0, max: 400, readBack: true }\n`);
  writeFileSync(join(served.root, 'pipelines', 'setpoint-steps.yaml'), STEPS_PIPELINE);

  // Stop the simulated run serve started (once it runs): its simulators free their addresses.
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  const simulators = await startSimulators(served.root);
  await openPipeline(page, 'setpoint-steps');
  await expect(node(page, 'setpoint')).toBeVisible();
  return simulators;
}

async function startRun(page: Page, mode: 'Live read-only' | 'Live armed'): Promise<void> {
  await page.getByRole('radiogroup', { name: 'Run mode' }).getByRole('radio', { name: mode }).click();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
}

/** The fields of one RFC 4180 line (quoted fields may hold commas and doubled quotes, not line breaks here). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
        value += line[i];
        i += line[i] === '"' ? 2 : 1;
      }
      fields.push(value);
      i += 2;
    } else {
      const end = line.indexOf(',', i) === -1 ? line.length : line.indexOf(',', i);
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

/** A CSV download's rows as objects keyed by its header. */
async function csvRows(download: Download): Promise<Record<string, string>[]> {
  const text = readFileSync((await download.path())!, 'utf8');
  const [header = '', ...lines] = text.split(/\r?\n/).filter((l) => l !== '');
  const names = csvFields(header);
  return lines.map((l) => Object.fromEntries(csvFields(l).map((v, i) => [names[i], v])));
}

async function elementShot(page: Page, selector: string, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.locator(selector).screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

test('live read-only never writes: the sink shows "would write", the audit lists dry runs, the register is unchanged', async ({ workbench: page, served }, testInfo) => {
  const simulators = await goLive(page, served);
  try {
    expect(await readSetpoint()).toBe(250);
    // MQTT sinks of this trial publish under a sandbox prefix, not to the real UNS.
    await page.getByRole('radiogroup', { name: 'Run mode' }).getByRole('radio', { name: 'Live read-only' }).click();
    await page.getByLabel('MQTT sandbox prefix').fill('sandbox/e2e');
    await startRun(page, 'Live read-only');
    await expect(page.locator('.pb-topbar')).toHaveClass(/mode-live-read-only/);
    await expect(page.getByTestId('mqtt-sandbox')).toHaveText('MQTT → sandbox/e2e/…');

    // The sink runs dry and says what it would have written, and what the tag holds.
    await expect(node(page, 'setpoint').getByTestId('would-write')).toContainText('would write 300 to filler/level_setpoint (it holds 250)');

    await bottomTab(page, 'Audit');
    const audit = page.getByTestId('audit');
    await expect(audit.locator('[data-testid="audit-row"][data-result="dry-run"]').first()).toBeVisible();
    await expect(audit.locator('[data-testid="audit-row"][data-result="dry-run"]').first()).toContainText('would write 300 to filler/level_setpoint');
    // 450 is above the interlock's max: refused in read-only too, as arming would.
    await audit.getByLabel('result').selectOption('refused');
    await expect(audit.getByTestId('audit-row').first()).toContainText('450');
    await expect(audit.locator('[data-testid="audit-row"]:not([data-result="refused"])')).toHaveCount(0);
    await audit.getByLabel('result').selectOption('written');
    await expect(audit.getByTestId('audit-count')).toContainText('0 of 0 entries');
    await audit.getByLabel('result').selectOption('');
    await screenshot(page, testInfo, 'live-read-only-audit');

    // Nothing reached the register, during the run and after it.
    expect(await readSetpoint()).toBe(250);
    await page.getByTestId('run').click();
    await expect(page.getByTestId('run-state')).toHaveText('stopped');
    expect(await readSetpoint()).toBe(250);
  } finally {
    await simulators.stop();
  }
});

test('armed writes respect the interlock, the audit matches, the kill switch and the time limit disarm', async ({ workbench: page, served }, testInfo) => {
  const simulators = await goLive(page, served);
  try {
    await startRun(page, 'Live armed');
    // A live-armed run starts disarmed and asks at once, naming what can be written.
    const dialog = page.getByRole('dialog', { name: 'Arm live writes' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('arm-tags')).toContainText('filler/level_setpoint');
    await expect(dialog.getByTestId('arm-tags')).toContainText('0..400');
    await expect(dialog.getByTestId('arm-tags')).toContainText('setpoint-steps/setpoint');
    const armButton = dialog.getByRole('button', { name: /^Arm for/ });
    await expect(armButton).toBeDisabled();
    await dialog.getByLabel('Disarm after').fill('5');
    await dialog.getByLabel(/to confirm/).fill('arm');
    await screenshot(page, testInfo, 'arming-dialog');
    await armButton.click();
    await expect(dialog).toHaveCount(0);

    const arming = page.getByTestId('arming');
    await expect(arming).toHaveAttribute('data-armed', 'true');
    await expect(page.getByTestId('arm-countdown')).toHaveText(/^\d+:\d\d$/);
    await expect(page.getByTestId('disarm')).toBeVisible();
    // Within the interlock: written, and the register holds it.
    await expect.poll(readSetpoint).toBe(300);
    await bottomTab(page, 'Audit');
    const audit = page.getByTestId('audit');
    await expect(audit.locator('[data-testid="audit-row"][data-result="written"]').first()).toBeVisible();
    await expect(audit.locator('[data-testid="audit-row"][data-result="refused"]').filter({ hasText: '450' }).first()).toBeVisible();
    await elementShot(page, '.pb-topbar', testInfo, 'armed-topbar');
    await screenshot(page, testInfo, 'armed-audit');

    // The kill switch.
    await page.getByTestId('disarm').click();
    await expect(arming).toHaveAttribute('data-armed', 'false');
    await expect(page.getByTestId('arm-reason')).toContainText('disarmed by');
    await expect(audit.getByTestId('audit-row').filter({ hasText: 'not armed (disarmed by' }).first()).toBeVisible();

    // The audit export matches what happened: 300 written (and read back), 450 refused by the interlock.
    const [download] = await Promise.all([page.waitForEvent('download'), audit.getByTestId('audit-export').click()]);
    const rows = await csvRows(download);
    const written = rows.filter((r) => r.result === 'written');
    expect(written.length).toBeGreaterThan(0);
    for (const r of written) expect([r.mode, r.pipeline, r.node, r.device, r.tag, r.new_value, r.read_back]).toEqual(['live-armed', 'setpoint-steps', 'setpoint', 'filler', 'level_setpoint', '300', '300']);
    expect(written[0]!.old_value).toBe('250'); // oldest first: the first write found the start value
    const byInterlock = rows.filter((r) => r.result === 'refused' && r.new_value === '450' && !r.status?.includes('not armed'));
    expect(byInterlock.length).toBeGreaterThan(0);
    for (const r of byInterlock) expect(r.status).toContain('400');
    expect(rows.filter((r) => r.new_value === '450' && r.result !== 'refused')).toEqual([]);

    // Arming again, with a short time limit: it disarms itself.
    await page.getByTestId('arm-open').click();
    await dialog.getByLabel('Disarm after').fill('0.05');
    await dialog.getByLabel(/to confirm/).fill('arm');
    await dialog.getByRole('button', { name: /^Arm for/ }).click();
    await expect(arming).toHaveAttribute('data-armed', 'true');
    await expect(arming).toHaveAttribute('data-armed', 'false');
    await expect(page.getByTestId('arm-reason')).toContainText('the arming expired');

    // And the keyboard kill switch.
    await page.getByTestId('arm-open').click();
    await dialog.getByLabel(/to confirm/).fill('arm');
    await dialog.getByRole('button', { name: /^Arm for/ }).click();
    await expect(arming).toHaveAttribute('data-armed', 'true');
    await page.keyboard.press('Control+Shift+D');
    await expect(arming).toHaveAttribute('data-armed', 'false');
    await expect(page.getByTestId('arm-reason')).toContainText('disarmed by');

    await page.getByTestId('run').click();
    await expect(page.getByTestId('run-state')).toHaveText('stopped');
  } finally {
    await simulators.stop();
  }
});

test('records the simulated line with a fill level, lists it with its rate, exports CSV and makes a passing test', async ({ workbench: page, served }, testInfo) => {
  await expect(page.getByTestId('run-state')).toHaveText(/running/);
  await bottomTab(page, 'Recordings');
  const recorder = page.getByTestId('recorder');
  await recorder.getByLabel('name').fill('line sample');
  await recorder.getByLabel('stop after').fill('4');
  await recorder.getByTestId('recording-start').click();
  await expect(recorder).toHaveAttribute('data-state', 'recording');
  await expect(page.getByTestId('recording-pill')).toBeVisible();
  await expect(recorder.getByTestId('recording-samples')).not.toHaveText(/^0 samples/);
  await screenshot(page, testInfo, 'recording');
  // The duration cap ends it.
  await expect(recorder).toHaveAttribute('data-state', 'stopped');
  await expect(recorder.getByTestId('recording-last')).toContainText('reached its time limit');
  await expect(page.getByTestId('recording-pill')).toHaveCount(0);

  const row = page.getByTestId('recording-row').filter({ hasText: 'line sample' });
  await expect(row.getByTestId('recording-rate-cell')).toHaveText(/\d.*\/(s|min)$/);
  await row.click();
  const details = page.getByTestId('recording-details');
  await expect(details).toContainText('line sample');
  await expect(details.locator('.pb-recd__tags')).toContainText('filler/level');

  const [download] = await Promise.all([page.waitForEvent('download'), details.getByTestId('recording-export').click()]);
  const samples = await csvRows(download);
  expect(samples.length).toBeGreaterThan(0);
  expect(Object.keys(samples[0]!)).toEqual(['time', 'ts', 'server_ts', 'path', 'value', 'quality', 'status_code', 'status_text']);
  expect(samples.some((s) => s.path === 'filler/level')).toBe(true);

  await details.getByRole('button', { name: 'Make test…' }).click();
  const form = details.getByRole('form', { name: 'Make test' });
  await form.getByLabel('test of pipeline').selectOption('filler-uns');
  await form.getByLabel('case').fill('recorded line');
  await form.getByRole('button', { name: 'Make test' }).click();
  await expect(details.getByTestId('test-result')).toContainText('passes');
  await screenshot(page, testInfo, 'recordings-panel');
  expect(readFileSync(join(served.root, 'pipelines', 'filler-uns.test.yaml'), 'utf8')).toContain('recorded line');
  // The CLI runs it too.
  const cli = spawnSync(process.execPath, [join(REPO, 'bin', 'plantbench.js'), 'test', join(served.root, 'pipelines', 'filler-uns.test.yaml')], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(cli.status, cli.stdout + cli.stderr).toBe(0);

  // Compare two saved revisions of the pipeline on the recording: the scale's top end changes.
  await openPipeline(page, 'filler-uns');
  for (const engHigh of ['1000', '200']) {
    await selectNode(page, 'level-pct');
    await field(page, 'engHigh').getByRole('textbox').fill(engHigh);
    await page.keyboard.press('Control+s');
    await expect(page.getByTestId('dirty')).toHaveCount(0);
  }
  await bottomTab(page, 'Recordings');
  await details.getByRole('button', { name: 'Compare…' }).click();
  const compare = page.getByRole('dialog', { name: 'Compare revisions on a recording' });
  await compare.getByLabel('pipeline').selectOption('filler-uns');
  await compare.getByTestId('compare-run').click();
  const result = compare.getByTestId('compare-result');
  await expect(result).toContainText('revision');
  // The level in % differs between a 0…1000 and a 0…200 scale; the bottle count does not.
  await expect(compare.getByTestId('compare-output').filter({ hasText: /[1-9]\d* differ/ }).first()).toBeVisible();
  await expect(compare.getByTestId('compare-diff').first()).toContainText('value differs');
  await screenshot(page, testInfo, 'recording-compare');
  await page.keyboard.press('Escape');
  await expect(compare).toHaveCount(0);
});
