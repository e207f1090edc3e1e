// The MQTT connector against our simulator (an aedes broker, MQTT 3.1.1) on loopback: the source
// with JSON fields, raw text and Sparkplug B; the sink as value and JSON; QoS 1; bad payloads; a
// broker restart; MQTT 5 → 3.1.1 fallback. Peers are MQTT.js clients of the test's own.
import { describe, expect, it } from 'vitest';
import spPayload from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { Sample } from '../../src/shared/sample.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { mqttDevice, startBroker, startMqttRun, startProxy, testClient, type Proxy } from '../helpers/mqtt.ts';
import { freePort } from '../helpers/net.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

const cleanups = cleanupAfterEach();
const broker = cleanups.track(startBroker, (sim) => sim.stop());
const live = cleanups.track(startMqttRun, (run) => run.stop());
const client = cleanups.track(testClient, (c) => c.end());

const sample = (path: string, value: Sample['value'], extra: Partial<Sample> = {}): Sample => ({ path, value, quality: 'good', ts: 1_700_000_000_000, ...extra });
const values = (samples: Sample[] | undefined, path?: string) => (samples ?? []).filter((s) => path === undefined || s.path === path).map((s) => s.value);

/** A pipeline whose only job is feeding a sink: `src` is a signal that never fires within a test. */
const IDLE_SOURCE = { type: 'signal', config: { path: 'idle', intervalMs: 3_600_000, shape: { kind: 'sine' } } };

describe('mqtt-source', () => {
  it('reads JSON fields by dot path, with ts from the payload and the unit from the tag', async () => {
    const sim = await broker();
    const device = mqttDevice('palletizer', {
      url: sim.endpoint,
      protocolVersion: 4,
      tags: [
        { name: 'pallets', topic: 'palletizer/pl3/status', payload: { format: 'json', field: 'pallets' }, unit: 'pcs' },
        { name: 'mode', topic: 'palletizer/pl3/status', payload: { format: 'json', field: 'state.mode' } },
        { name: 'all', topic: 'palletizer/pl3/status', payload: { format: 'json' } },
        { name: 'temp', topic: 'cells/+/temp', payload: { format: 'json', field: 'v' } },
      ],
    });
    const run = await live({ status: { type: 'mqtt-source', config: { device: 'palletizer', qos: 1 } } }, [], [device], ['status.out', 'status.error']);
    await waitFor('connected', () => run.stats('status').status?.connection === 'connected');
    const peer = await client(sim.endpoint);
    await peer.publish('palletizer/pl3/status', JSON.stringify({ pallets: 7, state: { mode: 'auto' }, ts: 1_700_000_000_123 }));
    await peer.publish('palletizer/pl3/status', JSON.stringify({ pallets: 8, timestamp: '2024-01-02T03:04:05.000Z' }));
    await peer.publish('cells/c7/temp', JSON.stringify({ v: 21.5 }));
    await waitFor('3 + 2 + 1 samples', () => run.out['status.out']!.length >= 6);

    const out = run.out['status.out']!;
    expect(out.filter((s) => s.path === 'palletizer/pallets').map((s) => [s.value, s.ts, s.meta?.unit])).toEqual([
      [7, 1_700_000_000_123, 'pcs'],
      [8, Date.parse('2024-01-02T03:04:05.000Z'), 'pcs'],
    ]);
    // A nested field; the second message has no state.mode: skipped (counted), not an error.
    expect(values(out, 'palletizer/mode')).toEqual(['auto']);
    expect(values(out, 'palletizer/all')[0]).toEqual({ pallets: 7, state: { mode: 'auto' }, ts: 1_700_000_000_123 });
    // A wildcard filter keeps the matched level in the path; no ts in the payload: receive time.
    const temp = out.find((s) => s.path.startsWith('palletizer/temp'))!;
    expect([temp.path, temp.value]).toEqual(['palletizer/temp/c7', 21.5]);
    expect(Math.abs(temp.ts - Date.now())).toBeLessThan(60_000);
    expect(run.out['status.error']).toEqual([]);
    await waitFor('the skipped count in the status', () => run.stats('status').status?.skipped === 1);
    expect(run.stats('status').status).toMatchObject({ connection: 'connected', protocolVersion: 4, received: 3 });
  });

  it('reads raw text: numbers and booleans as such, other text as strings', async () => {
    const sim = await broker();
    const device = mqttDevice('plc', { url: sim.endpoint, protocolVersion: 4, tags: [{ name: 'speed', topic: 'plc/speed', payload: { format: 'raw' } }] });
    const run = await live({ s: { type: 'mqtt-source', config: { device: 'plc' } } }, [], [device], ['s.out', 's.error']);
    await waitFor('connected', () => run.stats('s').status?.connection === 'connected');
    const peer = await client(sim.endpoint);
    for (const text of ['23.5', '-4', 'true', 'ON', '1,5']) await peer.publish('plc/speed', text);
    await peer.publish('plc/speed', Buffer.from([0xff, 0xfe, 0x00]));
    await waitFor('5 samples and 1 error', () => run.out['s.out']!.length >= 5 && run.out['s.error']!.length >= 1);
    expect(values(run.out['s.out'])).toEqual([23.5, -4, true, 'ON', '1,5']);
    expect(run.out['s.error']![0]!.error!.message).toMatch(/topic "plc\/speed": payload is not UTF-8 text/);
  });

  it('sends garbage payloads to the error port, naming broker, topic and reason, and goes on', async () => {
    const sim = await broker();
    const device = mqttDevice('dev', {
      url: sim.endpoint,
      protocolVersion: 4,
      tags: [
        { name: 'x', topic: 'line/x', payload: { format: 'json', field: 'x' } },
        { name: 'y', topic: 'line/x', payload: { format: 'json', field: 'y' } },
        { name: 'sp', topic: 'spBv1.0/g1/DDATA/e1/d1', payload: { format: 'sparkplug', metric: 'm' } },
      ],
    });
    const run = await live({ src: { type: 'mqtt-source', config: { device: 'dev' } }, log: { type: 'log', config: {} } }, [{ from: 'src', to: 'log' }], [device], ['src.out', 'src.error']);
    await waitFor('connected', () => run.stats('src').status?.connection === 'connected');
    const peer = await client(sim.endpoint);
    await peer.publish('line/x', '{"x": 1,');
    await peer.publish('spBv1.0/g1/DDATA/e1/d1', Buffer.from('definitely not protobuf \xff\xff\xff\xff'));
    await peer.publish('line/x', '{"x": 2, "y": 3}');
    await waitFor('the good message after the bad ones', () => run.out['src.out']!.length >= 2);
    const errors = run.out['src.error']!;
    // One error per bad message, however many tags read the topic.
    expect(errors).toHaveLength(2);
    expect(errors[0]!.error!.message).toBe(`${sim.endpoint} topic "line/x": invalid JSON (Expected double-quoted property name in JSON at position 8 (line 1 column 9)): "{\\"x\\": 1,"`);
    expect(errors[0]!.value).toBe('{"x": 1,');
    expect(errors[1]!.error!.message).toMatch(new RegExp(`^${sim.endpoint} topic "spBv1.0/g1/DDATA/e1/d1": not a Sparkplug B payload`));
    expect(run.out['src.out']!.map((s) => [s.path, s.value])).toEqual([
      ['dev/x', 2],
      ['dev/y', 3],
    ]);
    expect(run.stats('src').errors).toBe(2);
  });

  it('reads Sparkplug B: names from births, aliases in data, Long and DataSet values, bad quality on death', async () => {
    const sim = await broker();
    const device = mqttDevice('scada', {
      url: sim.endpoint,
      protocolVersion: 4,
      tags: [
        { name: 'temp', topic: 'spBv1.0/plant/DDATA/edge1/oven', payload: { format: 'sparkplug', metric: 'Temperature' }, unit: '°C' },
        { name: 'oven', topic: 'spBv1.0/plant/DDATA/edge1/oven', payload: { format: 'sparkplug' } },
      ],
    });
    const run = await live({ sp: { type: 'mqtt-source', config: { device: 'scada' } } }, [], [device], ['sp.out', 'sp.error']);
    await waitFor('connected', () => run.stats('sp').status?.connection === 'connected');
    // A third-party edge node, encoded with sparkplug-payload's own encoder.
    const edge = await client(sim.endpoint);
    const enc = (p: Parameters<typeof spPayload.encodePayload>[0]) => Buffer.from(spPayload.encodePayload(p));
    await edge.publish('spBv1.0/plant/NBIRTH/edge1', enc({ timestamp: 1000, seq: 0, metrics: [{ name: 'bdSeq', type: 'Int64', value: 3 }] }), { qos: 0 });
    await edge.publish(
      'spBv1.0/plant/DBIRTH/edge1/oven',
      enc({
        timestamp: 2000,
        seq: 1,
        metrics: [
          { name: 'Temperature', alias: 1, type: 'Double', value: 180.5, timestamp: 2000 },
          { name: 'Count', alias: 2, type: 'Int64', value: -5 },
          { name: 'Big', alias: 3, type: 'UInt64', value: '18446744073709551615' as never },
          { name: 'Recipe', alias: 4, type: 'DataSet', value: { numOfColumns: 2, columns: ['step', 'temp'], types: ['Int32', 'Float'], rows: [[1, 180], [2, 0.1]] } },
        ],
      }),
      { qos: 0 },
    );
    await edge.publish('spBv1.0/plant/DDATA/edge1/oven', enc({ timestamp: 3000, seq: 2, metrics: [{ alias: 1, type: 'Double', value: 181.25, timestamp: 3000 }, { alias: 2, type: 'Int64', value: -6 }] }), { qos: 0 });
    await edge.publish('spBv1.0/plant/DDEATH/edge1/oven', enc({ timestamp: 4000, seq: 3 }), { qos: 0 });
    await waitFor('birth, data and death values', () => run.out['sp.out']!.filter((s) => s.path === 'scada/temp').length >= 3);

    const out = run.out['sp.out']!;
    expect(out.filter((s) => s.path === 'scada/temp').map((s) => [s.value, s.ts, s.quality, s.meta?.unit])).toEqual([
      [180.5, 2000, 'good', '°C'],
      [181.25, 3000, 'good', '°C'],
      [181.25, 4000, 'bad', '°C'],
    ]);
    expect(values(out, 'scada/oven/Count')).toEqual([-5, -6, -6]);
    // 2^64 - 1 is not exact as a number: a decimal string.
    expect(values(out, 'scada/oven/Big')[0]).toBe('18446744073709551615');
    expect(values(out, 'scada/oven/Recipe')[0]).toEqual({ columns: ['step', 'temp'], rows: [[1, 180], [2, 0.1]] });
    expect(run.out['sp.error']).toEqual([]);
  });

  it('asks an edge node for a rebirth when data comes with aliases no birth named', async () => {
    const sim = await broker();
    const device = mqttDevice('scada', { url: sim.endpoint, protocolVersion: 4, tags: [{ name: 'temp', topic: 'spBv1.0/plant/DDATA/edge1/oven', payload: { format: 'sparkplug', metric: 'Temperature' } }] });
    const run = await live({ sp: { type: 'mqtt-source', config: { device: 'scada' } } }, [], [device], ['sp.out']);
    await waitFor('connected', () => run.stats('sp').status?.connection === 'connected');
    const edge = await client(sim.endpoint, ['spBv1.0/plant/NCMD/edge1']);
    const enc = (p: Parameters<typeof spPayload.encodePayload>[0]) => Buffer.from(spPayload.encodePayload(p));
    await edge.publish('spBv1.0/plant/DDATA/edge1/oven', enc({ timestamp: 3000, seq: 7, metrics: [{ alias: 1, type: 'Double', value: 99 }] }), { qos: 0 });
    await waitFor('a rebirth request', () => edge.received.length >= 1);
    const cmd = spPayload.decodePayload(edge.received[0]!.payload);
    expect(cmd.metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true })]);
    // The edge node answers with its births; the next data is named.
    await edge.publish('spBv1.0/plant/NBIRTH/edge1', enc({ timestamp: 4000, seq: 0, metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }] }), { qos: 0 });
    await edge.publish('spBv1.0/plant/DBIRTH/edge1/oven', enc({ timestamp: 4000, seq: 1, metrics: [{ name: 'Temperature', alias: 1, type: 'Double', value: 100 }] }), { qos: 0 });
    await edge.publish('spBv1.0/plant/DDATA/edge1/oven', enc({ timestamp: 5000, seq: 2, metrics: [{ alias: 1, type: 'Double', value: 101 }] }), { qos: 0 });
    await waitFor('named values', () => run.out['sp.out']!.length >= 2);
    expect(values(run.out['sp.out'])).toEqual([100, 101]);
    await waitFor('status', () => run.stats('sp').status?.rebirthRequests === 1);
    expect(run.stats('sp').status).toMatchObject({ unresolvedAliases: 1 });
  });
});

describe('mqtt-sink', () => {
  it('publishes plain values and JSON objects to topics from the template', async () => {
    const sim = await broker();
    const device = mqttDevice('uns', { url: sim.endpoint, protocolVersion: 4 });
    const peer = await client(sim.endpoint, ['#']);
    const run = await live(
      {
        src: IDLE_SOURCE,
        plain: { type: 'mqtt-sink', config: { device: 'uns', topic: 'raw/{path}', payload: { format: 'value' } } },
        json: { type: 'mqtt-sink', config: { device: 'uns', topic: '{enterprise}/{site}/{area}/{line}/{cell}/{tag}', payload: { format: 'json' }, retain: true } },
      },
      [
        { from: 'src', to: 'plain' },
        { from: 'src', to: 'json' },
      ],
      [device],
      ['plain.error', 'json.error'],
    );
    const batch = [
      sample('filler/level', 52.5, { meta: { unit: '%' } }),
      sample('filler/running', true),
      sample('capper/state', 'Execute', { quality: 'uncertain', status: { code: 0x408f0000, text: 'UncertainLastUsableValue' } }),
      sample('filler/recipe', { id: 7, name: 'cola' }),
    ];
    run.send('plain', batch);
    run.send('json', batch);
    await waitFor('8 messages', () => peer.received.length >= 8);
    expect(peer.texts('raw/filler/level')).toEqual(['52.5']);
    expect(peer.texts('raw/filler/running')).toEqual(['true']);
    expect(peer.texts('raw/capper/state')).toEqual(['Execute']);
    expect(peer.texts('raw/filler/recipe')).toEqual(['{"id":7,"name":"cola"}']);
    // No cell in the project's UNS: the empty level is left out.
    expect(JSON.parse(peer.texts('acme/plant1/packaging/line1/level')[0]!)).toEqual({ value: 52.5, quality: 'good', ts: 1_700_000_000_000, unit: '%' });
    expect(JSON.parse(peer.texts('acme/plant1/packaging/line1/state')[0]!)).toEqual({
      value: 'Execute',
      quality: 'uncertain',
      ts: 1_700_000_000_000,
      status: { code: 0x408f0000, text: 'UncertainLastUsableValue' },
    });
    // Retained: a subscriber that comes later still gets it.
    const late = await client(sim.endpoint, ['acme/#']);
    await waitFor('retained messages', () => late.received.length >= 4);
    expect(late.received.every((r) => r.packet.retain)).toBe(true);
    expect(run.out['plain.error']).toEqual([]);
    await waitFor('4 PUBACKs', () => run.stats('json').status?.published === 4);
    expect(run.stats('json').status).toMatchObject({ connection: 'connected' });
  });

  it('rejects topics with wildcards, empty topics and unknown placeholders at the error port', async () => {
    const sim = await broker();
    const device = mqttDevice('uns', { url: sim.endpoint, protocolVersion: 4 });
    const run = await live(
      {
        src: IDLE_SOURCE,
        sink: { type: 'mqtt-sink', config: { device: 'uns', topic: '{path}' } },
        typo: { type: 'mqtt-sink', config: { device: 'uns', topic: 'plant/{machine}/{tag}' } },
      },
      [
        { from: 'src', to: 'sink' },
        { from: 'src', to: 'typo' },
      ],
      [device],
      ['sink.error', 'typo.error'],
    );
    run.send('sink', [sample('a/+/b', 1), sample('ok/topic', 2), sample('a/#', 3), sample('$SYS/x', 4)]);
    run.send('typo', [sample('x/y', 1)]);
    await waitFor('errors', () => run.out['sink.error']!.length >= 3 && run.out['typo.error']!.length >= 1);
    expect(run.out['sink.error']!.map((s) => s.error!.message)).toEqual([
      'topic "a/+/b" (from "{path}" and path "a/+/b"): a published topic may not contain the wildcards "+" or "#"',
      'topic "a/#" (from "{path}" and path "a/#"): a published topic may not contain the wildcards "+" or "#"',
      'topic "$SYS/x" (from "{path}" and path "$SYS/x"): topics starting with "$" are reserved for the broker',
    ]);
    expect(run.out['typo.error']![0]!.error!.message).toMatch(/unknown placeholder \{machine\} \(known: \{path\}, \{device\}, \{tag\}, \{unit\}, \{enterprise\}/);
    await waitFor('the good one published', () => run.stats('sink').status?.published === 1);
  });

  it('delivers QoS 1 in order; takes no more input while 1000 messages await PUBACK; stops only when all are acknowledged', async () => {
    const sim = await broker();
    const proxy: Proxy = await startProxy(sim.host, sim.port);
    cleanups.push(() => proxy.close());
    const device = mqttDevice('uns', { url: proxy.url, protocolVersion: 4 });
    const peer = await client(sim.endpoint, ['line/#']);
    const run = await live({ src: IDLE_SOURCE, sink: { type: 'mqtt-sink', config: { device: 'uns', qos: 1 } } }, [{ from: 'src', to: 'sink' }], [device], ['sink.error']);
    await waitFor('connected', () => run.stats('sink').status?.connection === 'connected');

    // The broker gets the messages (the peer sees them) but its PUBACKs are held back.
    proxy.hold();
    for (let b = 0; b < 30; b++) run.send('sink', Array.from({ length: 100 }, (_, i) => sample(`line/t${i % 10}`, b * 100 + i)));
    // 10 batches go out (1,000 unacknowledged: the window is full); the other 20 wait in the queue.
    await waitFor('the window to fill', () => peer.received.length >= 1000);
    await sleep(200);
    expect(peer.received.length).toBe(1000);
    expect(run.stats('sink').queued).toBe(2000);
    expect(run.stats('sink').status?.published ?? 0).toBe(0);

    let stopped = false;
    const stopping = run.stop().then(() => (stopped = true));
    await sleep(200);
    expect(stopped).toBe(false);
    proxy.release();
    await stopping;
    expect(run.stats('sink').status?.published).toBe(3000);
    await waitFor('the peer to get all', () => peer.received.length >= 3000);
    expect(peer.received.map((r) => Number(JSON.parse(r.payload.toString()).value))).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(run.out['sink.error']).toEqual([]);
  });

  it('sends unacknowledged messages to the error port when the connection stays down', async () => {
    const sim = await broker();
    const proxy: Proxy = await startProxy(sim.host, sim.port);
    cleanups.push(() => proxy.close());
    const device = mqttDevice('uns', { url: proxy.url, protocolVersion: 4 });
    const run = await live({ src: IDLE_SOURCE, sink: { type: 'mqtt-sink', config: { device: 'uns', qos: 1 } } }, [{ from: 'src', to: 'sink' }], [device], ['sink.error']);
    await waitFor('connected', () => run.stats('sink').status?.connection === 'connected');
    proxy.hold();
    run.send('sink', [sample('line/a', 1), sample('line/b', 2)]);
    await run.run.settle();
    // The broker is gone for good (the proxy no longer connects anywhere useful).
    await proxy.close();
    await waitFor('the give-up', () => run.out['sink.error']!.length >= 2, 20_000);
    expect(run.out['sink.error']!.map((s) => [s.path, s.error!.message])).toEqual([
      ['line/a', `${proxy.url}: connection lost and not back within 10 s; not confirmed by the broker (QoS 1 messages may still be delivered after a reconnect)`],
      ['line/b', `${proxy.url}: connection lost and not back within 10 s; not confirmed by the broker (QoS 1 messages may still be delivered after a reconnect)`],
    ]);
  });

  it('sends a batch to the error port with the reason when the broker stays unreachable', async () => {
    const port = await freePort();
    const device = mqttDevice('uns', { url: `mqtt://127.0.0.1:${port}`, protocolVersion: 4 });
    const run = await live({ src: IDLE_SOURCE, sink: { type: 'mqtt-sink', config: { device: 'uns' } } }, [{ from: 'src', to: 'sink' }], [device], ['sink.error']);
    run.send('sink', [sample('a/b', 1)]);
    await waitFor('the error', () => run.out['sink.error']!.length >= 1, 20_000);
    expect(run.out['sink.error']![0]!.error!.message).toBe(
      `mqtt://127.0.0.1:${port}: not connected after 10 s; last error: mqtt://127.0.0.1:${port}: connection refused: is the broker running and listening on this port? (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    // Further batches fail at once while the broker is away.
    run.send('sink', [sample('a/b', 2)]);
    await waitFor('the second error', () => run.out['sink.error']!.length >= 2, 2000);
    expect(run.stats('sink').status).toMatchObject({ connection: 'reconnecting' });
    expect(Number(run.stats('sink').status?.reconnects)).toBeGreaterThan(0);
  });
});

describe('connection', () => {
  it('reconnects after the broker restarts on the same port, and values flow again', async () => {
    const port = await freePort();
    let sim = await broker(port);
    const device = mqttDevice('dev', { url: sim.endpoint, protocolVersion: 4, tags: [{ name: 'v', topic: 'in/v', payload: { format: 'raw' } }] });
    const run = await live(
      { src: { type: 'mqtt-source', config: { device: 'dev' } }, scale: { type: 'scale', config: { rawLow: 0, rawHigh: 10, engLow: 0, engHigh: 100 } }, sink: { type: 'mqtt-sink', config: { device: 'dev', topic: 'out/{tag}', payload: { format: 'value' } } } },
      [
        { from: 'src', to: 'scale' },
        { from: 'scale', to: 'sink' },
      ],
      [device],
      ['src.out'],
    );
    await waitFor('connected', () => run.stats('src').status?.connection === 'connected');
    let peer = await testClient(sim.endpoint, ['out/#']);
    await peer.publish('in/v', '1');
    await waitFor('first value through', () => peer.received.length >= 1);
    expect(peer.texts()).toEqual(['10']);
    await peer.end();

    await sim.stop();
    await waitFor('the loss seen', () => run.stats('src').status?.connection === 'reconnecting');
    sim = await broker(port);
    await waitFor('reconnected', () => run.stats('src').status?.connection === 'connected' && run.stats('sink').status?.connection === 'connected', 20_000);
    peer = await client(sim.endpoint, ['out/#']);
    await peer.publish('in/v', '2');
    await waitFor('value after the restart', () => peer.received.length >= 1);
    expect(peer.texts()).toEqual(['20']);
    expect(Number(run.stats('src').status?.reconnects)).toBeGreaterThan(0);
    expect(run.logs.some((l) => l.level === 'warn' && /connection to mqtt:\/\/127\.0\.0\.1:\d+ lost/.test(l.message))).toBe(true);
  });

  it('falls back to MQTT 3.1.1 when the broker refuses MQTT 5, and says so', async () => {
    const sim = await broker();
    const device = mqttDevice('dev', { url: sim.endpoint, protocolVersion: 5, tags: [{ name: 'v', topic: 'in/v', payload: { format: 'raw' } }] });
    const run = await live({ src: { type: 'mqtt-source', config: { device: 'dev' } } }, [], [device], ['src.out']);
    await waitFor('connected', () => run.stats('src').status?.connection === 'connected');
    expect(run.stats('src').status).toMatchObject({ protocolVersion: 4, fallback: 'the broker refused MQTT 5; using MQTT 3.1.1 (no message properties)' });
    const peer = await client(sim.endpoint);
    await peer.publish('in/v', '5');
    await waitFor('a value', () => run.out['src.out']!.length >= 1);
    expect(values(run.out['src.out'])).toEqual([5]);
  });

  it('shares one connection per device between nodes, and closes it with the last one', async () => {
    const sim = await broker();
    const probe = await client(sim.endpoint, ['$SYS/+/new/clients', '$SYS/+/disconnect/clients']);
    const device = mqttDevice('dev', { url: sim.endpoint, protocolVersion: 4, clientId: 'plantbench-shared', tags: [{ name: 'a', topic: 'a', payload: { format: 'raw' } }, { name: 'b', topic: 'b', payload: { format: 'raw' } }] });
    const run = await live(
      {
        a: { type: 'mqtt-source', config: { device: 'dev', tags: ['a'] } },
        b: { type: 'mqtt-source', config: { device: 'dev', tags: ['b'] } },
        out: { type: 'mqtt-sink', config: { device: 'dev', topic: 'copy/{tag}' } },
      },
      [
        { from: 'a', to: 'out' },
        { from: 'b', to: 'out' },
      ],
      [device],
      [],
    );
    await waitFor('connected', () => ['a', 'b', 'out'].every((n) => run.stats(n).status?.connection === 'connected'));
    const peer = await client(sim.endpoint, ['copy/#']);
    await peer.publish('a', '1');
    await peer.publish('b', '2');
    await waitFor('both copied', () => peer.received.length >= 2);
    const connects = (kind: string) => probe.received.filter((r) => r.topic.endsWith(`/${kind}/clients`) && r.payload.toString() === 'plantbench-shared').length;
    expect(connects('new')).toBe(1);
    await run.stop();
    await waitFor('the shared client to disconnect', () => connects('disconnect') === 1);
  });
});

describe('MQTT simulator', () => {
  it('publishes its topics from signals, retained when asked, and stops cleanly', async () => {
    const sim = await broker(0, [
      { topic: 'palletizer/pl3/status', intervalMs: 20, retain: true, fields: { pallets: { kind: 'counter', start: 5, everyMs: 1_000_000 }, mode: { kind: 'sequence', values: ['auto'] } } },
      { topic: 'palletizer/pl3/speed', format: 'raw', intervalMs: 20, fields: { value: { kind: 'sequence', values: [42] } } },
    ]);
    const peer = await client(sim.endpoint, ['palletizer/#']);
    await waitFor('both topics', () => peer.texts('palletizer/pl3/status').length > 0 && peer.texts('palletizer/pl3/speed').length > 0);
    const status = JSON.parse(peer.texts('palletizer/pl3/status')[0]!) as Record<string, unknown>;
    expect(status).toMatchObject({ pallets: 5, mode: 'auto' });
    expect(typeof status.ts).toBe('number');
    expect(peer.texts('palletizer/pl3/speed')[0]).toBe('42');
    // A late subscriber gets the retained status at once.
    const late = await client(sim.endpoint, ['palletizer/pl3/status']);
    await waitFor('the retained message', () => late.received.length > 0);
    expect(late.received[0]!.packet.retain).toBe(true);
    expect(sim.endpoint).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    await sim.stop();
    await waitFor('clients dropped', () => !peer.client.connected && !late.client.connected);
  });
});
