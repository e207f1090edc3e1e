// opcua-source against a real node-opcua server (the simulator) on 127.0.0.1, port 0.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createOpcuaConnector } from '../../src/connectors/opcua/index.ts';
import { RealClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun } from '../../src/engine/runtime.ts';
import type { Sample } from '../../src/shared/sample.ts';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { latest } from '../helpers/live-run.ts';
import { cleanupTempDirs, opcuaDevice, startOpcuaRun, startSim, tempDir, type OpcuaRun } from '../helpers/opcua.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { pipeline, TEST_PROJECT } from '../helpers/pipeline.ts';

let sim: RunningOpcuaSimulator | undefined;
let live: OpcuaRun | undefined;

afterEach(async () => {
  await live?.stop();
  await sim?.stop();
  live = undefined;
  sim = undefined;
});
afterAll(cleanupTempDirs);

const TYPES = ['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double', 'String', 'DateTime'] as const;
const VALUES: Record<(typeof TYPES)[number], unknown> = {
  Boolean: true,
  SByte: -12,
  Byte: 250,
  Int16: -30000,
  UInt16: 65000,
  Int32: -2000000000,
  UInt32: 4000000000,
  Int64: -42,
  UInt64: 42,
  Float: 23.4,
  Double: 1234.5678,
  String: 'Läuft',
  DateTime: '2024-05-06T07:08:09.123Z',
};

function device(endpoint: string, tags: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return opcuaDevice('line', { endpoint, publishingIntervalMs: 50, samplingIntervalMs: 0, tags, ...extra });
}

const byPath = (samples: readonly Sample[], path: string): Sample[] => samples.filter((s) => s.path === path);

describe('opcua-source, subscribe mode', () => {
  it('delivers every basic type as JSON with source timestamps, quality and the unit', async () => {
    sim = await startSim({
      variables: [
        ...TYPES.map((t) => ({ path: `Types/${t}`, dataType: t, value: VALUES[t] })),
        { path: 'Line/Speed', dataType: 'Double', unit: 'caps/min', range: { low: 0, high: 200 }, value: 120 },
      ],
    });
    const tags = [
      ...TYPES.map((t) => ({ name: t.toLowerCase(), nodeId: `ns=1;s=Types.${t}` })),
      { name: 'speed', nodeId: 'ns=1;s=Line.Speed', unit: 'caps/min' },
    ];
    live = await startOpcuaRun({ src: { type: 'opcua-source', config: { device: 'line' } } }, [], [device(sim.endpoint, tags)], ['src.out']);
    await waitFor('initial values', () => latest(live!.out['src.out']!).size === tags.length);
    const values = Object.fromEntries([...latest(live.out['src.out']!)].map(([path, s]) => [path, s.value]));
    expect(values).toEqual({
      ...Object.fromEntries(TYPES.map((t) => [`line/${t.toLowerCase()}`, VALUES[t]])),
      'line/speed': 120,
    });
    const speed = latest(live.out['src.out']!).get('line/speed')!;
    expect(speed).toMatchObject({ quality: 'good', meta: { unit: 'caps/min', dataType: 'Double' } });
    expect(speed.status).toBeUndefined();
    expect(typeof speed.serverTs).toBe('number');

    // A change carries the device's source timestamp, not the time of arrival.
    const sourceTs = Date.parse('2030-01-02T03:04:05.678Z');
    sim.setValue('Line/Speed', 133.5, { sourceTimestamp: new Date(sourceTs) });
    await waitFor('the change', () => byPath(live!.out['src.out']!, 'line/speed').some((s) => s.value === 133.5));
    expect(byPath(live.out['src.out']!, 'line/speed').find((s) => s.value === 133.5)).toMatchObject({ ts: sourceTs, quality: 'good' });
    expect(live.stats('src').status).toMatchObject({ connection: 'connected', monitoredItems: tags.length });
  });

  it('turns 64-bit integers beyond 2^53 into decimal strings', async () => {
    sim = await startSim({ variables: [{ path: 'Big/U64', dataType: 'UInt64', value: 0 }, { path: 'Big/I64', dataType: 'Int64', value: 0 }] });
    live = await startOpcuaRun(
      { src: { type: 'opcua-source', config: { device: 'line' } } },
      [],
      [device(sim.endpoint, [{ name: 'u64', nodeId: 'ns=1;s=Big.U64' }, { name: 'i64', nodeId: 'ns=1;s=Big.I64' }])],
      ['src.out'],
    );
    await waitFor('initial values', () => latest(live!.out['src.out']!).size === 2);
    sim.setValue('Big/U64', 2 ** 60);
    sim.setValue('Big/I64', -(2 ** 60));
    await waitFor('big values', () => latest(live!.out['src.out']!).get('line/u64')!.value !== 0 && latest(live!.out['src.out']!).get('line/i64')!.value !== 0);
    expect(latest(live.out['src.out']!).get('line/u64')!.value).toBe('1152921504606846976');
    expect(latest(live.out['src.out']!).get('line/i64')!.value).toBe('-1152921504606846976');
  });

  it('maps Bad and Uncertain status codes to quality, with the status name', async () => {
    sim = await startSim({ variables: [{ path: 'Line/Temp', dataType: 'Double', value: 20 }] });
    live = await startOpcuaRun(
      { src: { type: 'opcua-source', config: { device: 'line' } } },
      [],
      [device(sim.endpoint, [{ name: 'temp', nodeId: 'ns=1;s=Line.Temp' }])],
      ['src.out'],
    );
    await waitFor('initial value', () => live!.out['src.out']!.length > 0);
    sim.setValue('Line/Temp', 21, { status: 'BadSensorFailure' });
    await waitFor('bad sample', () => live!.out['src.out']!.some((s) => s.quality === 'bad'));
    expect(live.out['src.out']!.find((s) => s.quality === 'bad')).toMatchObject({
      path: 'line/temp',
      quality: 'bad',
      status: { code: 0x808c0000, text: 'BadSensorFailure' },
    });
    sim.setValue('Line/Temp', 22, { status: 'UncertainLastUsableValue' });
    await waitFor('uncertain sample', () => live!.out['src.out']!.some((s) => s.quality === 'uncertain'));
    expect(live.out['src.out']!.find((s) => s.quality === 'uncertain')).toMatchObject({ value: 22, status: { text: 'UncertainLastUsableValue' } });
  });

  it('reports a tag the server does not know as bad, and keeps the others running', async () => {
    sim = await startSim({ variables: [{ path: 'Line/Speed', dataType: 'Double', value: 5 }] });
    live = await startOpcuaRun(
      { src: { type: 'opcua-source', config: { device: 'line' } } },
      [],
      [device(sim.endpoint, [{ name: 'speed', nodeId: 'ns=1;s=Line.Speed' }, { name: 'ghost', nodeId: 'ns=1;s=Line.Ghost' }, { name: 'alien', nodeId: 'nsu=urn:nowhere;s=X' }])],
      ['src.out'],
    );
    await waitFor('three samples', () => latest(live!.out['src.out']!).size === 3);
    const last = latest(live.out['src.out']!);
    expect(last.get('line/speed')).toMatchObject({ value: 5, quality: 'good' });
    expect(last.get('line/ghost')).toMatchObject({ value: null, quality: 'bad', status: { text: 'BadNodeIdUnknown' } });
    expect(last.get('line/alien')!.status!.text).toContain('namespace "urn:nowhere" is not on the server');
    expect(live.stats('src').status).toMatchObject({ monitoredItems: 1 });
  });

  it('resolves nsu= node ids with the server namespace array', async () => {
    sim = await startSim({ namespaceUri: 'urn:acme:capper', variables: [{ path: 'Capper/Speed', dataType: 'Double', value: 7 }] });
    live = await startOpcuaRun(
      { src: { type: 'opcua-source', config: { device: 'line' } } },
      [],
      [device(sim.endpoint, [{ name: 'speed', nodeId: 'nsu=urn:acme:capper;s=Capper.Speed' }])],
      ['src.out'],
    );
    await waitFor('value', () => live!.out['src.out']!.length > 0);
    expect(live.out['src.out']![0]).toMatchObject({ path: 'line/speed', value: 7, quality: 'good' });
  });

  it('applies an absolute deadband on the server: small changes are not notified', async () => {
    sim = await startSim({ variables: [{ path: 'A/Filtered', dataType: 'Double', value: 0 }, { path: 'A/Raw', dataType: 'Double', value: 0 }] });
    live = await startOpcuaRun(
      { src: { type: 'opcua-source', config: { device: 'line' } } },
      [],
      [
        device(sim.endpoint, [
          { name: 'filtered', nodeId: 'ns=1;s=A.Filtered', deadband: { type: 'absolute', value: 5 } },
          { name: 'raw', nodeId: 'ns=1;s=A.Raw' },
        ], { samplingIntervalMs: 50 }),
      ],
      ['src.out'],
    );
    await waitFor('initial values', () => latest(live!.out['src.out']!).size === 2);
    for (const v of [1, 2, 3, 10, 11, 12, 20]) {
      sim.setValue('A/Filtered', v);
      sim.setValue('A/Raw', v);
      await sleep(150);
    }
    await waitFor('last raw value', () => byPath(live!.out['src.out']!, 'line/raw').some((s) => s.value === 20));
    await waitFor('last filtered value', () => byPath(live!.out['src.out']!, 'line/filtered').some((s) => s.value === 20));
    expect(byPath(live.out['src.out']!, 'line/raw').map((s) => s.value)).toEqual([0, 1, 2, 3, 10, 11, 12, 20]);
    expect(byPath(live.out['src.out']!, 'line/filtered').map((s) => s.value)).toEqual([0, 10, 20]);
  });

  it('applies a percent deadband against the EURange of an analog item', async () => {
    sim = await startSim({ variables: [{ path: 'A/Level', dataType: 'Double', unit: '%', range: { low: 0, high: 200 }, value: 0 }] });
    live = await startOpcuaRun(
      { src: { type: 'opcua-source', config: { device: 'line' } } },
      [],
      [device(sim.endpoint, [{ name: 'level', nodeId: 'ns=1;s=A.Level', deadband: { type: 'percent', value: 10 } }], { samplingIntervalMs: 50 })],
      ['src.out'],
    );
    await waitFor('initial value', () => live!.out['src.out']!.length === 1);
    // 10 % of a 200 span: changes of 20 or less are not reported.
    for (const v of [5, 15, 25, 30, 50]) {
      sim.setValue('A/Level', v);
      await sleep(150);
    }
    await waitFor('last value', () => live!.out['src.out']!.some((s) => s.value === 50));
    expect(live.out['src.out']!.map((s) => s.value)).toEqual([0, 25, 50]);
  });

  it('creates monitored items in batches within the server MaxMonitoredItemsPerCall', async () => {
    const n = 2500;
    sim = await startSim(
      { variables: Array.from({ length: n }, (_, i) => ({ path: `Big/T${i}`, dataType: 'Int32', value: i })) },
      { operationLimits: { maxMonitoredItemsPerCall: 100 } },
    );
    const tags = Array.from({ length: n }, (_, i) => ({ name: `t${i}`, nodeId: `ns=1;s=Big.T${i}` }));
    live = await startOpcuaRun({ src: { type: 'opcua-source', config: { device: 'line' } } }, [], [device(sim.endpoint, tags)], ['src.out']);
    await waitFor(() => `${n} initial values (have ${latest(live!.out['src.out']!).size})`, () => latest(live!.out['src.out']!).size === n, 30_000);
    expect(live.out['src.out']!.every((s) => s.quality === 'good')).toBe(true);
    expect(latest(live.out['src.out']!).get('line/t2499')!.value).toBe(2499);
    // 2,500 items at most 100 per call: 25 CreateMonitoredItems requests, none refused.
    expect(sim.requestCount('CreateMonitoredItemsRequest')).toBe(25);
    expect(sim.requestCount('CreateSubscriptionRequest')).toBe(1);
    expect(live.stats('src').status).toMatchObject({ monitoredItems: n });
  });

  it('shares one session and one subscription between the nodes and pipelines of a device', async () => {
    sim = await startSim({ variables: [{ path: 'L/A', dataType: 'Int32', value: 1 }, { path: 'L/B', dataType: 'Int32', value: 2 }] });
    const dev = device(sim.endpoint, [{ name: 'a', nodeId: 'ns=1;s=L.A' }, { name: 'b', nodeId: 'ns=1;s=L.B' }]);
    live = await startOpcuaRun(
      {
        one: { type: 'opcua-source', config: { device: 'line', tags: ['a'] } },
        two: { type: 'opcua-source', config: { device: 'line', tags: ['a', 'b'] } },
      },
      [],
      [dev],
      ['one.out', 'two.out'],
    );
    await waitFor('values on both nodes', () => live!.out['one.out']!.length >= 1 && latest(live!.out['two.out']!).size === 2);
    sim.setValue('L/A', 10);
    await waitFor('the change on both nodes', () => [live!.out['one.out']!, live!.out['two.out']!].every((o) => o.some((s) => s.value === 10)));
    expect(live.out['one.out']!.every((s) => s.path === 'line/a')).toBe(true);
    expect(sim.requestCount('CreateSessionRequest')).toBe(1);
    expect(sim.requestCount('CreateSubscriptionRequest')).toBe(1);
    // Items are per tag: "a" is monitored once for both nodes.
    expect(sim.requestCount('CreateMonitoredItemsRequest')).toBe(1);
  });
});

describe('opcua-source, lifecycle', () => {
  it('keeps the device session while another pipeline uses it, and closes it with the last one', async () => {
    sim = await startSim({ variables: [{ path: 'L/A', dataType: 'Int32', value: 1 }] });
    const dev = device(sim.endpoint, [{ name: 'a', nodeId: 'ns=1;s=L.A' }]);
    const connector = createOpcuaConnector({ dataDir: `${tempDir()}/.plantbench`, log: () => undefined });
    const runOf = () =>
      new PipelineRun({
        pipeline: pipeline({ src: { type: 'opcua-source', config: { device: 'line' } } }),
        kinds: kindRegistry(ENGINE_KINDS, connector.kinds),
        clock: new RealClock(),
        project: TEST_PROJECT,
        devices: () => dev,
      });
    const first = runOf();
    const second = runOf();
    const got = { first: 0, second: 0 };
    first.tap('src', 'out', (b) => (got.first += b.length));
    second.tap('src', 'out', (b) => (got.second += b.length));
    try {
      await first.start();
      await second.start();
      await waitFor('values in both runs', () => got.first > 0 && got.second > 0);
      await first.stop();
      expect(first.activeTimers()).toBe(0);
      expect(sim.requestCount('CloseSessionRequest')).toBe(0);
      sim.setValue('L/A', 2);
      const before = got.second;
      await waitFor('the second run still receiving', () => got.second > before);
      await second.stop();
      expect(sim.requestCount('CreateSessionRequest')).toBe(1);
      expect(sim.requestCount('CloseSessionRequest')).toBe(1);
      expect(sim.requestCount('DeleteSubscriptionsRequest')).toBe(1);
    } finally {
      await connector.dispose();
    }
  });
});

describe('opcua-source, poll mode', () => {
  it('reads every intervalMs, in chunks within MaxNodesPerRead, with source timestamps', async () => {
    sim = await startSim(
      { variables: Array.from({ length: 10 }, (_, i) => ({ path: `P/V${i}`, dataType: 'Double', value: i })) },
      { operationLimits: { maxNodesPerRead: 4 } },
    );
    const tags = Array.from({ length: 10 }, (_, i) => ({ name: `v${i}`, nodeId: `ns=1;s=P.V${i}`, unit: 'bar' }));
    live = await startOpcuaRun(
      { src: { type: 'opcua-source', config: { device: 'line', mode: 'poll', intervalMs: 100 } } },
      [],
      [device(sim.endpoint, tags)],
      ['src.out', 'src.error'],
    );
    await waitFor('two polls', () => live!.out['src.out']!.length >= 20);
    expect(live.out['src.error']).toEqual([]);
    expect(latest(live.out['src.out']!).get('line/v9')).toMatchObject({ value: 9, quality: 'good', meta: { unit: 'bar' } });
    const sourceTs = Date.parse('2031-02-03T04:05:06.000Z');
    sim.setValue('P/V3', 33, { sourceTimestamp: new Date(sourceTs) });
    await waitFor('polled change', () => live!.out['src.out']!.some((s) => s.value === 33));
    expect(live.out['src.out']!.find((s) => s.value === 33)).toMatchObject({ path: 'line/v3', ts: sourceTs });
    // The server refuses reads above 4 nodes (BadTooManyOperations); 10 tags → 3 Read requests per poll.
    const before = sim.requestCount('ReadRequest');
    const polls = live.out['src.out']!.length / 10;
    await waitFor('more polls', () => live!.out['src.out']!.length / 10 >= polls + 3);
    const reads = sim.requestCount('ReadRequest') - before;
    expect(reads).toBeGreaterThanOrEqual(9);
  });
});
