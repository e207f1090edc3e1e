import { describe, expect, it } from 'vitest';
import { mqttSnapshot } from '../../../src/connectors/mqtt/discovery/snapshot.ts';
import { TopicTree } from '../../../src/connectors/mqtt/discovery/topic-tree.ts';
import { DataType, encodeSparkplug } from '../../../src/connectors/mqtt/sparkplug/codec.ts';
import { mqttCaptureResult, type MqttCaptureResult } from '../../../src/shared/discovery/mqtt.ts';
import { simulatorFile } from '../../../src/shared/model/simulator.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

function result(tree: TopicTree, durationMs: number): MqttCaptureResult {
  return mqttCaptureResult.parse({
    url: 'mqtt://10.0.0.5:1883',
    protocolVersion: 5,
    topicFilters: ['#'],
    startedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
    tree: tree.snapshot({ payloads: true, averageOverMs: durationMs }),
    totals: { messages: tree.messages, topics: tree.topics, droppedTopics: 0, droppedMessages: 0, bytes: tree.bytes, durationMs },
    warnings: [],
    cancelled: false,
  });
}

describe('MQTT snapshot to simulator', () => {
  it('replays each topic with its last payload, retain flag and mean rate', () => {
    const tree = new TopicTree({ maxPayloadBytes: 64 });
    for (let i = 0; i < 20; i++) tree.ingest('acme/filler/level', bytes(`{"value":${i}}`), i === 0, i * 500);
    tree.ingest('acme/info', bytes('{"site":"Essen"}'), true, 0);
    tree.ingest('acme/state', bytes('Execute'), false, 100);
    const sp = encodeSparkplug({ timestamp: 1, seq: 0, metrics: [{ name: 'Speed', datatype: DataType.Double, value: 1.5 }] });
    tree.ingest('spBv1.0/g/NBIRTH/e', sp, false, 200);
    tree.ingest('acme/raw', new Uint8Array([0, 255]), false, 300);
    tree.ingest('acme/big', bytes('x'.repeat(100)), false, 300);
    tree.ingest('$SYS/broker/uptime', bytes('12 seconds'), false, 300);
    tree.ingest('acme/cleared', new Uint8Array(), false, 300);

    const { profile, skipped } = mqttSnapshot(result(tree, 10_000), { id: 'essen-broker' });
    expect(profile).toMatchObject({
      apiVersion: 'plantbench/v1',
      kind: 'Simulator',
      id: 'essen-broker',
      protocol: 'mqtt',
      name: 'Snapshot of mqtt://10.0.0.5:1883',
      description: 'Topics captured from mqtt://10.0.0.5:1883 on 2025-01-02 03:04:05 UTC (6 topics, last payloads replayed as they were).',
      bind: { host: '127.0.0.1', port: 0 },
    });
    expect(profile.topics).toEqual([
      { topic: 'acme/cleared', intervalMs: 10_000, retain: false, payload: '' },
      { topic: 'acme/filler/level', intervalMs: 500, retain: true, payload: '{"value":19}' },
      { topic: 'acme/info', intervalMs: 10_000, retain: true, payload: '{"site":"Essen"}' },
      { topic: 'acme/raw', intervalMs: 10_000, retain: false, payloadBase64: 'AP8=' },
      { topic: 'acme/state', intervalMs: 10_000, retain: false, payload: 'Execute' },
      { topic: 'spBv1.0/g/NBIRTH/e', intervalMs: 10_000, retain: false, payloadBase64: Buffer.from(sp).toString('base64') },
    ]);
    expect(skipped).toEqual([
      { topic: '$SYS/broker/uptime', reason: 'a topic of the broker itself' },
      { topic: 'acme/big', reason: 'only part of its 100-byte payload was kept (raise limits.maxPayloadBytes)' },
    ]);
    // A valid profile as it is (no defaults needed beyond the schema's).
    expect(simulatorFile.parse(profile)).toMatchObject({ id: 'essen-broker', topics: profile.topics });
  });

  it('skips topics of a result captured without payloads', () => {
    const tree = new TopicTree();
    tree.ingest('a', bytes('1'), false, 0);
    const r = result(tree, 1000);
    delete r.tree.children![0]!.last!.payload;
    const { profile, skipped } = mqttSnapshot(r, { id: 'x' });
    expect(profile.topics).toEqual([]);
    expect(skipped).toEqual([{ topic: 'a', reason: 'the capture has no payload for it' }]);
  });
});

describe('MQTT simulator topics', () => {
  const parse = (topic: Record<string, unknown>) => simulatorFile.safeParse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 's', protocol: 'mqtt', topics: [{ topic: 'a/b', ...topic }] });

  it('take exactly one of fields, payload or payloadBase64', () => {
    expect(parse({ payload: '{"a":1}' }).success).toBe(true);
    expect(parse({ payloadBase64: 'AP8=' }).success).toBe(true);
    expect(parse({ fields: { value: { kind: 'sine' } } }).success).toBe(true);
    const both = parse({ payload: 'x', payloadBase64: 'AP8=' });
    expect(both.success).toBe(false);
    expect(both.error!.issues[0]).toMatchObject({ path: ['topics', 0, 'payloadBase64'], message: 'a topic has exactly one of fields, payload or payloadBase64 (not payload and payloadBase64)' });
    expect(parse({}).error!.issues[0]).toMatchObject({ path: ['topics', 0, 'fields'], message: 'a topic has exactly one of fields, payload or payloadBase64' });
    expect(parse({ payloadBase64: 'not base64!' }).error!.issues[0]).toMatchObject({ path: ['topics', 0, 'payloadBase64'], message: 'payloadBase64 must be base64' });
  });
});
