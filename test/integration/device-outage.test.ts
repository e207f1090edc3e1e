import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { projectReadiness } from '../../src/gateway/health.ts';
import { prometheusText } from '../../src/gateway/metrics.ts';
import { startProjectSession } from '../../src/host/project-session.ts';
import type { Sample } from '../../src/shared/sample.ts';
import type { RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { startSim as startModbusSim } from '../helpers/modbus.ts';
import { cleanupTempDirs, startSim as startOpcuaSim, tempDir } from '../helpers/opcua.ts';
import { metricValue, parsePrometheusText } from '../helpers/prometheus.ts';
import { writeProjectFiles } from '../helpers/project.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

// Issue 7: "the Modbus or OPC UA server goes down for 30 s. Quality is bad during the outage,
// values recover after it, and no crash or memory growth follows."
// One project run the way the gateway runs it (startProjectSession), with a Modbus source (our
// Modbus simulator on 127.0.0.183) and an OPC UA source (our OPC UA simulator on 127.0.0.184).
// Both servers stop at the same moment for 30 s and come back on the same ports; the run is never
// restarted. The heap after a full GC is compared before the outage and after the recovery.
// (modbus-fault / opcua-fault cover the first bad sample's timing per connector; this is the long outage.)

const OUTAGE_MS = 30_000;
/** Heap growth (after GC) allowed from before the outage to after the recovery. */
const HEAP_MARGIN_BYTES = 8 * 2 ** 20;

const cleanups = cleanupAfterEach();
afterAll(cleanupTempDirs);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}

const MODBUS_POINTS = [{ name: 'count', area: 'holding', address: 0, type: 'uint32', signal: { kind: 'counter', everyMs: 100 }, updateMs: 100 }];
const OPCUA_VARIABLES = [{ path: 'L/Count', dataType: 'Int32', signal: { kind: 'counter', everyMs: 100 }, updateMs: 100 }];

function project(modbus: { host: string; port: number }, opcuaEndpoint: string): string {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-outage-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  writeProjectFiles(root, 'Outage', {
    'devices/filler.yaml': `apiVersion: plantbench/v1
kind: Device
id: filler
name: Filler
protocol: modbus
transport: { kind: tcp, host: ${modbus.host}, port: ${modbus.port} }
unitId: 1
timeoutMs: 500
retries: 0
pollGroups:
  - { id: fast, intervalMs: 200 }
tags:
  - { name: count, area: holding, address: 0, type: uint32, pollGroup: fast }
`,
    'devices/capper.yaml': `apiVersion: plantbench/v1
kind: Device
id: capper
name: Capper
protocol: opcua
endpoint: ${opcuaEndpoint}
securityMode: None
securityPolicy: None
publishingIntervalMs: 200
samplingIntervalMs: 100
tags:
  - { name: count, nodeId: ns=1;s=L.Count }
`,
    'pipelines/line.yaml': `apiVersion: plantbench/v1
kind: Pipeline
id: line
name: Both devices
nodes:
  filler: { type: modbus-source, config: { device: filler, tags: [ count ] } }
  capper: { type: opcua-source, config: { device: capper, tags: [ count ], mode: subscribe } }
  changes: { type: change-detect, config: { mode: change } }
  out: { type: log, config: { label: line } }
edges:
  - { from: filler, to: changes }
  - { from: capper, to: changes }
  - { from: changes, to: out }
`,
  });
  return root;
}

interface Seen {
  readonly sample: Sample;
  readonly at: number;
}

describe('device outage', () => {
  it('the Modbus and OPC UA servers go down for 30 s: bad quality during, values after, no crash, no heap growth', { timeout: 120_000 }, async () => {
    const pkiDir = join(tempDir(), 'pki');
    let modbus: RunningModbusSimulator | undefined = await startModbusSim(MODBUS_POINTS, { host: '127.0.0.183' });
    let opcua: RunningOpcuaSimulator | undefined = await startOpcuaSim({ variables: OPCUA_VARIABLES, bind: { host: '127.0.0.184', port: 0 } }, { pkiDir });
    cleanups.push(async () => {
      await modbus?.stop();
      await opcua?.stop();
    });
    const modbusAt = { host: '127.0.0.183', port: modbus.port };
    const opcuaPort = opcua.port;

    const seen: Record<'filler' | 'capper', Seen[]> = { filler: [], capper: [] };
    const errors: string[] = [];
    const { session, problems } = await startProjectSession(project(modbusAt, opcua.endpoint), {
      secrets: () => undefined,
      log: (e) => e.level === 'error' && errors.push(`${e.node ?? e.pipeline}: ${e.message}`),
      beforeStart: (runner) => {
        const run = runner.runs[0]!;
        for (const node of ['filler', 'capper'] as const) run.tap(node, 'out', (batch) => seen[node].push(...batch.map((sample) => ({ sample, at: Date.now() }))));
      },
    });
    expect(problems).toEqual([]);
    cleanups.push(() => session!.stop());
    const runner = session!.runner;
    const run = runner.runs[0]!;
    const good = (node: 'filler' | 'capper', since: number) => seen[node].filter((s) => s.at >= since && s.sample.quality === 'good');

    await waitFor('good values from both devices', () => good('filler', 0).length >= 5 && good('capper', 0).length >= 5, 15_000);
    expect(projectReadiness(runner)).toEqual({ ready: true });
    // Let the connections and subscriptions settle before the baseline.
    await sleep(2000);
    const heapBefore = await heapAfterGc();
    const timersBefore = run.activeTimers();

    // Both servers go away at once, for 30 s.
    const downAt = Date.now();
    await Promise.all([modbus.stop(), opcua.stop()]);
    modbus = opcua = undefined;
    await waitFor(
      'bad quality from both sources',
      () => seen.filler.some((s) => s.at >= downAt && s.sample.quality === 'bad') && seen.capper.some((s) => s.at >= downAt && s.sample.quality === 'bad'),
      5000,
    );
    expect(projectReadiness(runner).reason).toMatch(/^sources not connected: line\/filler \(\w+\), line\/capper \(\w+\)$/);
    // Half-way: the last sample of each source is bad, and the run is up.
    await sleep(OUTAGE_MS / 2 - (Date.now() - downAt));
    const midway = runner.stats().line!;
    expect([midway.filler!.last?.quality, midway.capper!.last?.quality]).toEqual(['bad', 'bad']);
    await sleep(OUTAGE_MS - (Date.now() - downAt));
    const upAt = Date.now();

    // From the first bad sample until the servers return: bad samples only, with a status saying
    // why. Both connectors emit bad when a tag turns bad (or its error text changes), not on every poll.
    for (const node of ['filler', 'capper'] as const) {
      const firstBad = seen[node].findIndex((s) => s.at >= downAt && s.sample.quality === 'bad');
      const during = seen[node].slice(firstBad).filter((s) => s.at < upAt).map((s) => s.sample);
      expect(during.length, node).toBeGreaterThan(0);
      expect(during.filter((s) => s.quality !== 'bad'), node).toEqual([]);
      expect(during.every((s) => s.value === null && s.status?.text), node).toBe(true);
    }
    // OPC UA signals the outage once per tag.
    expect(seen.capper.filter((s) => s.at >= downAt && s.at < upAt && s.sample.quality === 'bad')).toHaveLength(1);
    expect(run.running).toBe(true);

    // Back on the same ports (the OPC UA server with the same certificate).
    [modbus, opcua] = await Promise.all([
      startModbusSim(MODBUS_POINTS, { host: '127.0.0.183', port: modbusAt.port }),
      startOpcuaSim({ variables: OPCUA_VARIABLES, bind: { host: '127.0.0.184', port: opcuaPort } }, { pkiDir }),
    ]);
    const backAt = Date.now();
    // The Modbus back-off tops out at 4 s, node-opcua's reconnection at 10 s.
    await waitFor(
      () => `the counters moving again: filler ${good('filler', backAt).length}, capper ${good('capper', backAt).length}`,
      () => new Set(good('filler', backAt).map((s) => s.sample.value)).size >= 3 && new Set(good('capper', backAt).map((s) => s.sample.value)).size >= 3,
      20_000,
    );
    const recovered = { filler: good('filler', backAt)[0]!.at - backAt, capper: good('capper', backAt)[0]!.at - backAt };
    await waitFor('ready again', () => projectReadiness(runner).ready, 5000);
    const stats = runner.stats().line!;
    expect(stats.filler!.status).toMatchObject({ connection: 'connected' });
    expect(stats.capper!.status).toMatchObject({ connection: 'connected' });
    // The gateway's /metrics: both connections up again, and their reconnect attempts counted.
    const metrics = parsePrometheusText(prometheusText(runner));
    for (const [node, type] of [['filler', 'modbus-source'], ['capper', 'opcua-source']] as const) {
      expect(metricValue(metrics, 'plantbench_connection_up', { pipeline: 'line', node, type }), node).toBe(1);
      expect(metricValue(metrics, 'plantbench_connection_reconnects_total', { pipeline: 'line', node, type }), node).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);

    await sleep(2000);
    const heapAfter = await heapAfterGc();
    const growth = heapAfter - heapBefore;
    console.log(
      `device outage: ${OUTAGE_MS / 1000} s; first good value after the return: Modbus ${recovered.filler} ms, OPC UA ${recovered.capper} ms; ` +
        `heap after GC ${(heapBefore / 2 ** 20).toFixed(1)} MiB before, ${(heapAfter / 2 ** 20).toFixed(1)} MiB after (${growth >= 0 ? '+' : ''}${(growth / 2 ** 10).toFixed(0)} KiB); ` +
        `node timers ${timersBefore} before, ${run.activeTimers()} after`,
    );
    expect(growth).toBeLessThan(HEAP_MARGIN_BYTES);
    expect(run.activeTimers()).toBe(timersBefore);
  });
});
