// Fault test: the server stops mid-run and comes back on the same port with the same certificate.
// The run is never restarted: the source must mark its tags bad, then resume on the same subscription.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NO_COMMUNICATION } from '../../src/connectors/opcua/types.ts';
import type { Sample } from '../../src/shared/sample.ts';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { cleanupTempDirs, opcuaDevice, startOpcuaRun, startSim, tempDir, type OpcuaRun } from '../helpers/opcua.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

const PUBLISHING_MS = 200;
const SAMPLING_MS = 100;
const VARIABLES = [
  { path: 'L/Count', dataType: 'Int32', signal: { kind: 'counter', everyMs: 100 }, updateMs: 100 },
  { path: 'L/Speed', dataType: 'Double', value: 5 },
];
const TAGS = [
  { name: 'count', nodeId: 'ns=1;s=L.Count' },
  { name: 'speed', nodeId: 'ns=1;s=L.Speed' },
];

let sim: RunningOpcuaSimulator | undefined;
let live: OpcuaRun | undefined;
afterEach(async () => {
  await live?.stop();
  await sim?.stop();
  live = sim = undefined;
});
afterAll(cleanupTempDirs);

const bad = (s: Sample): boolean => s.quality === 'bad';

async function scenario(mode: 'subscribe' | 'poll'): Promise<void> {
  const pkiDir = join(tempDir(), 'pki');
  sim = await startSim({ variables: VARIABLES }, { pkiDir });
  const port = sim.port;
  const device = opcuaDevice('filler', { endpoint: sim.endpoint, publishingIntervalMs: PUBLISHING_MS, samplingIntervalMs: SAMPLING_MS, tags: TAGS });
  live = await startOpcuaRun(
    { src: { type: 'opcua-source', config: { device: 'filler', mode, intervalMs: PUBLISHING_MS } } },
    [],
    [device],
    ['src.out'],
  );
  const out = live.out['src.out']!;
  await waitFor('counting values', () => out.filter((s) => s.path === 'filler/count' && s.quality === 'good').length >= 3);

  const before = out.length;
  await sim.stop();
  // Bad quality within two publishing periods of the server going away: one sample per tag.
  await waitFor('bad samples for both tags', () => out.slice(before).filter(bad).length >= 2, 2 * PUBLISHING_MS);
  const outage = out.slice(before).filter(bad);
  expect(outage.map((s) => s.path).sort()).toEqual(['filler/count', 'filler/speed']);
  expect(outage[0]).toMatchObject({ value: null, status: { code: NO_COMMUNICATION, text: 'connection lost' } });
  expect(live.stats('src').status).toMatchObject({ connection: 'reconnecting' });

  // Down for a while: still only those two bad samples.
  await sleep(1500);
  expect(out.slice(before).filter(bad)).toHaveLength(2);

  sim = await startSim({ variables: VARIABLES, bind: { host: '127.0.0.1', port } }, { pkiDir });
  const back = out.length;
  // Values flow again within 5 s of the server's return, on the same run.
  await waitFor('good values after the return', () => {
    const fresh = out.slice(back).filter((s) => s.quality === 'good');
    return fresh.some((s) => s.path === 'filler/count') && fresh.some((s) => s.path === 'filler/speed');
  }, 5000);
  const counts = (): number[] => out.slice(back).filter((s) => s.path === 'filler/count' && s.quality === 'good').map((s) => s.value as number);
  await waitFor('the counter moving on', () => new Set(counts()).size >= 3);
  expect(live.stats('src').status).toMatchObject({ connection: 'connected' });
  expect(live.stats('src').status?.lastError).toBeUndefined();
}

describe('OPC UA connection loss', () => {
  it('subscribe: tags go bad once, and the subscription is restored on the returning server', async () => {
    await scenario('subscribe');
    // The new server process got the subscription and its items back (node-opcua re-created them).
    expect(sim!.requestCount('CreateSubscriptionRequest')).toBe(1);
    expect(sim!.requestCount('CreateMonitoredItemsRequest')).toBeGreaterThanOrEqual(1);
    expect(live!.stats('src').status).toMatchObject({ monitoredItems: 2 });
  });

  it('poll: tags go bad once, and polling resumes on the returning server', async () => {
    await scenario('poll');
    expect(sim!.requestCount('ReadRequest')).toBeGreaterThan(0);
  });
});
