// The mqtt-sink as a Sparkplug B edge node, against our aedes simulator. Every message is decoded
// with sparkplug-payload's own decoder, as a third-party host application would.
import { describe, expect, it } from 'vitest';
import spPayload from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { Sample } from '../../src/shared/sample.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import type { LiveRun } from '../helpers/live-run.ts';
import { mqttDevice, startBroker, startMqttRun, startProxy, testClient, type Received, type TestClient } from '../helpers/mqtt.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanups = cleanupAfterEach();
const broker = cleanups.track(startBroker, (sim) => sim.stop());
const live = cleanups.track(startMqttRun, (run) => run.stop());
const client = cleanups.track(testClient, (c) => c.end());

const IDLE_SOURCE = { type: 'signal', config: { path: 'idle', intervalMs: 3_600_000, shape: { kind: 'sine' } } };
const SPARKPLUG = { format: 'sparkplug', groupId: 'plant', edgeNodeId: 'line-1', deviceId: 'palletizer' };

async function edgeNodeRun(url: string, payload: Record<string, unknown> = SPARKPLUG): Promise<LiveRun> {
  const device = mqttDevice('uns', { url, protocolVersion: 4 });
  return live({ src: IDLE_SOURCE, sp: { type: 'mqtt-sink', config: { device: 'uns', payload } } }, [{ from: 'src', to: 'sp' }], [device], ['sp.error']);
}

interface Decoded {
  topic: string;
  seq?: number;
  timestamp?: number;
  metrics: { name?: string; alias?: number; type: string; value: unknown; timestamp?: number; isHistorical?: boolean }[];
}

const num = (v: unknown): unknown => (v !== null && typeof v === 'object' && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : v);

function decode(r: Received): Decoded {
  const p = spPayload.decodePayload(r.payload);
  return {
    topic: r.topic,
    ...(p.seq !== undefined && p.seq !== null ? { seq: num(p.seq) as number } : {}),
    ...(p.timestamp !== undefined && p.timestamp !== null ? { timestamp: num(p.timestamp) as number } : {}),
    metrics: (p.metrics ?? []).map((m) => ({
      ...(m.name !== undefined && m.name !== null ? { name: m.name } : {}),
      ...(m.alias !== undefined && m.alias !== null ? { alias: num(m.alias) as number } : {}),
      type: m.type,
      value: num(m.value),
      ...(m.timestamp !== undefined && m.timestamp !== null ? { timestamp: num(m.timestamp) as number } : {}),
      ...(m.isHistorical ? { isHistorical: true } : {}),
    })),
  };
}

const messages = (c: TestClient, type?: string): Decoded[] => c.received.filter((r) => type === undefined || r.topic.split('/')[2] === type).map(decode);
const asset = (value: Record<string, Sample['value']>, ts: number): Sample => ({ path: 'palletizer', value, quality: 'good', ts });

describe('Sparkplug B edge node (mqtt-sink)', () => {
  it('sends NBIRTH on connect, DBIRTH with aliases on the first values, then DDATA by alias; a new metric means a new DBIRTH', async () => {
    const sim = await broker();
    const host = await client(sim.endpoint, ['spBv1.0/#']);
    const run = await edgeNodeRun(sim.endpoint);
    await waitFor('NBIRTH', () => messages(host, 'NBIRTH').length === 1);
    const nbirth = messages(host, 'NBIRTH')[0]!;
    expect(nbirth.topic).toBe('spBv1.0/plant/NBIRTH/line-1');
    expect(nbirth.seq).toBe(0);
    expect(nbirth.metrics).toEqual([
      { name: 'bdSeq', type: 'Int64', value: expect.any(Number) },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
    ]);

    // A join's asset record: one metric per field.
    run.send('sp', [asset({ layer: 3, mode: 'auto', pallets: 10 }, 1000)]);
    await waitFor('DBIRTH', () => messages(host, 'DBIRTH').length === 1);
    const dbirth = messages(host, 'DBIRTH')[0]!;
    expect(dbirth.topic).toBe('spBv1.0/plant/DBIRTH/line-1/palletizer');
    expect(dbirth.seq).toBe(1);
    expect(dbirth.metrics).toEqual([
      { name: 'palletizer/layer', alias: 1, type: 'Double', value: 3, timestamp: 1000 },
      { name: 'palletizer/mode', alias: 2, type: 'String', value: 'auto', timestamp: 1000 },
      { name: 'palletizer/pallets', alias: 3, type: 'Double', value: 10, timestamp: 1000 },
    ]);

    run.send('sp', [asset({ layer: 4, mode: 'auto', pallets: 10 }, 2000), { path: 'palletizer', value: { layer: 5, mode: 'manual', pallets: 11 }, quality: 'bad', ts: 3000 }]);
    await waitFor('DDATA', () => messages(host, 'DDATA').length === 1);
    const ddata = messages(host, 'DDATA')[0]!;
    expect(ddata.seq).toBe(2);
    // Aliases only, no names.
    expect(ddata.metrics.map((m) => [m.name, m.alias, m.value, m.timestamp])).toEqual([
      [undefined, 1, 4, 2000],
      [undefined, 2, 'auto', 2000],
      [undefined, 3, 10, 2000],
      [undefined, 1, 5, 3000],
      [undefined, 2, 'manual', 3000],
      [undefined, 3, 11, 3000],
    ]);
    // A bad sample carries a Quality property (OPC DA 0); good ones none (good by convention).
    const raw = host.received.find((r) => r.topic.includes('/DDATA/'))!;
    const props = spPayload.decodePayload(raw.payload).metrics!.map((m) => m.properties?.Quality?.value ?? null);
    expect(props).toEqual([null, null, null, 0, 0, 0]);

    // A metric never seen before: a new DBIRTH with every metric, the old aliases kept.
    run.send('sp', [{ path: 'palletizer/speed', value: 12.5, quality: 'good', ts: 4000 }]);
    await waitFor('second DBIRTH', () => messages(host, 'DBIRTH').length === 2);
    const again = messages(host, 'DBIRTH')[1]!;
    expect(again.seq).toBe(3);
    expect(again.metrics.map((m) => [m.name, m.alias, m.value])).toEqual([
      ['palletizer/layer', 1, 5],
      ['palletizer/mode', 2, 'manual'],
      ['palletizer/pallets', 3, 11],
      ['palletizer/speed', 4, 12.5],
    ]);
    expect(messages(host, 'DDATA')).toHaveLength(1);
    expect(run.stats('sp').status).toMatchObject({ connection: 'connected', bdSeq: nbirth.metrics[0]!.value, births: 1 });
    expect(run.out['sp.error']).toEqual([]);
  });

  it('counts seq from 0 to 255 and wraps to 0 across all of the edge node’s messages', async () => {
    const sim = await broker();
    const host = await client(sim.endpoint, ['spBv1.0/#']);
    const run = await edgeNodeRun(sim.endpoint);
    await waitFor('NBIRTH', () => messages(host, 'NBIRTH').length === 1);
    for (let i = 0; i < 300; i++) run.send('sp', [{ path: 'counter', value: i, quality: 'good', ts: i }]);
    await run.run.settle();
    await waitFor('NBIRTH, DBIRTH and 299 DDATA', () => host.received.length >= 301);
    const seqs = messages(host).map((m) => m.seq);
    // NBIRTH 0, DBIRTH 1, then DDATA 2, 3, … 255, 0, 1, …
    expect(seqs.slice(0, 3)).toEqual([0, 1, 2]);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) % 256);
    expect(seqs.indexOf(0, 1)).toBe(256);
    expect(messages(host, 'DDATA').at(-1)!.metrics[0]!.value).toBe(299);
  });

  it('has the broker publish NDEATH (the will, with the NBIRTH’s bdSeq) when the connection drops, and is born again with the next bdSeq', async () => {
    const sim = await broker();
    const proxy = await startProxy(sim.host, sim.port);
    cleanups.push(() => proxy.close());
    const host = await client(sim.endpoint, ['spBv1.0/#']);
    const run = await edgeNodeRun(proxy.url);
    await waitFor('NBIRTH', () => messages(host, 'NBIRTH').length === 1);
    run.send('sp', [asset({ layer: 1, mode: 'auto', pallets: 1 }, 1000)]);
    await waitFor('DBIRTH', () => messages(host, 'DBIRTH').length === 1);
    const bdSeq = messages(host, 'NBIRTH')[0]!.metrics[0]!.value as number;

    // The network drops the edge node's connection: the broker sees it vanish.
    proxy.cut();
    await waitFor('NDEATH from the broker', () => messages(host, 'NDEATH').length === 1);
    const ndeath = messages(host, 'NDEATH')[0]!;
    expect(ndeath.topic).toBe('spBv1.0/plant/NDEATH/line-1');
    expect(ndeath.seq).toBeUndefined();
    expect(ndeath.metrics).toEqual([{ name: 'bdSeq', type: 'Int64', value: bdSeq }]);

    // It reconnects by itself: a new session, the next bdSeq, births again (seq from 0).
    await waitFor('second NBIRTH', () => messages(host, 'NBIRTH').length === 2, 15_000);
    await waitFor('second DBIRTH', () => messages(host, 'DBIRTH').length === 2);
    const reborn = messages(host, 'NBIRTH')[1]!;
    expect(reborn.seq).toBe(0);
    expect(reborn.metrics[0]).toEqual({ name: 'bdSeq', type: 'Int64', value: (bdSeq + 1) % 256 });
    expect(messages(host, 'DBIRTH')[1]!.seq).toBe(1);
    expect(messages(host, 'DBIRTH')[1]!.metrics.map((m) => [m.name, m.value])).toEqual([
      ['palletizer/layer', 1],
      ['palletizer/mode', 'auto'],
      ['palletizer/pallets', 1],
    ]);
  });

  it('re-sends NBIRTH and DBIRTH (same bdSeq, seq from 0) on an NCMD Node Control/Rebirth', async () => {
    const sim = await broker();
    const host = await client(sim.endpoint, ['spBv1.0/#']);
    const run = await edgeNodeRun(sim.endpoint);
    await waitFor('NBIRTH', () => messages(host, 'NBIRTH').length === 1);
    run.send('sp', [asset({ layer: 1, mode: 'auto', pallets: 1 }, 1000)]);
    run.send('sp', [asset({ layer: 2, mode: 'auto', pallets: 1 }, 2000)]);
    await waitFor('DDATA', () => messages(host, 'DDATA').length === 1);
    // Something that is not a rebirth request changes nothing.
    await host.publish('spBv1.0/plant/NCMD/line-1', Buffer.from(spPayload.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Reboot', type: 'Boolean', value: true }] })));
    await host.publish('spBv1.0/plant/NCMD/line-1', Buffer.from(spPayload.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] })));
    await waitFor('rebirth', () => messages(host, 'NBIRTH').length === 2 && messages(host, 'DBIRTH').length === 2);
    const [first, second] = messages(host, 'NBIRTH');
    expect(second!.seq).toBe(0);
    expect(second!.metrics[0]!.value).toBe(first!.metrics[0]!.value);
    const dbirth = messages(host, 'DBIRTH')[1]!;
    expect(dbirth.seq).toBe(1);
    expect(dbirth.metrics.find((m) => m.name === 'palletizer/layer')!.value).toBe(2);
    // Data goes on after the births, counting on from them.
    run.send('sp', [asset({ layer: 3, mode: 'auto', pallets: 1 }, 3000)]);
    await waitFor('DDATA after the rebirth', () => messages(host, 'DDATA').length === 2);
    expect(messages(host, 'DDATA')[1]!.seq).toBe(2);
    expect(run.stats('sp').status?.rebirthRequests).toBe(1);
  });

  it('sends DDEATH and NDEATH itself when the run stops', async () => {
    const sim = await broker();
    const host = await client(sim.endpoint, ['spBv1.0/#']);
    const run = await edgeNodeRun(sim.endpoint);
    run.send('sp', [asset({ layer: 1, mode: 'auto', pallets: 1 }, 1000)]);
    await waitFor('DBIRTH', () => messages(host, 'DBIRTH').length === 1);
    const bdSeq = messages(host, 'NBIRTH')[0]!.metrics[0]!.value;
    await run.stop();
    await waitFor('NDEATH', () => messages(host, 'NDEATH').length === 1);
    expect(messages(host).map((m) => m.topic.split('/')[2])).toEqual(['NBIRTH', 'DBIRTH', 'DDEATH', 'NDEATH']);
    expect(messages(host, 'DDEATH')[0]!.seq).toBe(2);
    expect(messages(host, 'NDEATH')[0]!.metrics).toEqual([{ name: 'bdSeq', type: 'Int64', value: bdSeq }]);
  });

  it('is read back by our own Sparkplug source, which asks for a rebirth when it joins late', async () => {
    const sim = await broker();
    const host = await client(sim.endpoint, ['spBv1.0/#']);
    const edge = await edgeNodeRun(sim.endpoint);
    edge.send('sp', [asset({ layer: 1, mode: 'auto', pallets: 1 }, 1000)]);
    await waitFor('born', () => messages(host, 'DBIRTH').length === 1);

    // The host application starts after the births: DDATA has aliases it cannot name yet.
    const device = mqttDevice('scada', { url: sim.endpoint, protocolVersion: 4, tags: [{ name: 'layer', topic: 'spBv1.0/plant/DDATA/line-1/palletizer', payload: { format: 'sparkplug', metric: 'palletizer/layer' } }] });
    const reader = await live({ src: { type: 'mqtt-source', config: { device: 'scada' } } }, [], [device], ['src.out']);
    await waitFor('connected', () => reader.stats('src').status?.connection === 'connected');
    edge.send('sp', [asset({ layer: 2, mode: 'auto', pallets: 1 }, 2000)]);
    await waitFor('rebirth requested and answered', () => messages(host, 'NCMD').length === 1 && messages(host, 'DBIRTH').length === 2);
    edge.send('sp', [asset({ layer: 3, mode: 'auto', pallets: 1 }, 3000)]);
    await waitFor('values named', () => reader.out['src.out']!.some((s) => s.value === 3));
    expect(reader.out['src.out']!.map((s) => [s.path, s.value, s.ts])).toEqual([
      ['scada/layer', 2, 2000],
      ['scada/layer', 3, 3000],
    ]);
    expect(edge.stats('sp').status?.rebirthRequests).toBe(1);
  });
});
