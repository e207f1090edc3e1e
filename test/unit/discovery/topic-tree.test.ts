import { describe, expect, it } from 'vitest';
import protoRoot from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { detectPayload, inferSchema, TopicTree } from '../../../src/connectors/mqtt/discovery/topic-tree.ts';
import { DataType, encodeSparkplug } from '../../../src/connectors/mqtt/sparkplug/codec.ts';
import { filterTopicTree, mqttTopicNode, topicNodes } from '../../../src/shared/discovery/mqtt.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const Payload = protoRoot.org.eclipse.tahu.protobuf.Payload;

describe('topic tree', () => {
  it('counts messages per topic and per branch, and keeps the last payload and the one before it', () => {
    const tree = new TopicTree();
    tree.ingest('plant/line1/filler/level', bytes('{"value":50}'), false, 1000);
    tree.ingest('plant/line1/filler/level', bytes('{"value":51}'), true, 2000);
    tree.ingest('plant/line1/capper/state', bytes('Execute'), false, 2500);
    const root = tree.snapshot()!;
    expect(root).toMatchObject({ count: 0, branchCount: 3, topics: 2 });
    expect(mqttTopicNode.parse(root)).toEqual(root);
    const line1 = tree.snapshot({ under: 'plant/line1' })!;
    expect(line1.children!.map((c) => [c.name, c.branchCount, c.topics])).toEqual([
      ['capper', 1, 1],
      ['filler', 2, 1],
    ]);
    const level = tree.snapshot({ under: 'plant/line1/filler/level', payloads: true })!;
    expect(level).toMatchObject({ path: 'plant/line1/filler/level', count: 2, type: 'json', retained: true, firstTs: 1000 });
    expect(level.last).toEqual({ ts: 2000, retained: true, type: 'json', size: 12, truncated: false, preview: '{"value":51}', payload: '{"value":51}', encoding: 'utf8' });
    expect(level.previous).toMatchObject({ ts: 1000, retained: false, payload: '{"value":50}' });
    // Without payloads asked for, only the preview.
    expect(tree.snapshot({ under: 'plant/line1/filler/level' })!.last!.payload).toBeUndefined();
    expect(tree.history('plant/line1/filler/level').map((m) => m.payload)).toEqual(['{"value":50}', '{"value":51}']);
  });

  it('tracks whether the broker holds a retained message: set by a retained copy, cleared by an empty retained one', () => {
    const tree = new TopicTree();
    tree.ingest('cfg/site', bytes('{"name":"Essen"}'), true, 0);
    tree.ingest('cfg/site', bytes('{"name":"Essen"}'), false, 1); // a live copy on MQTT 3.1.1 has the flag cleared
    expect(tree.snapshot({ under: 'cfg/site' })).toMatchObject({ retained: true, last: { retained: false } });
    tree.ingest('cfg/site', new Uint8Array(), true, 2);
    expect(tree.snapshot({ under: 'cfg/site' })).toMatchObject({ retained: false, type: 'empty', last: { retained: true, size: 0 } });
  });

  it('computes msg/s per node and branch on tick: a mean at first, then a moving average', () => {
    const tree = new TopicTree();
    tree.tick(0);
    for (let i = 0; i < 10; i++) tree.ingest('a/b', bytes('1'), false, 500);
    for (let i = 0; i < 30; i++) tree.ingest('a/c', bytes('1'), false, 500);
    tree.tick(1000);
    // After one second the rate is already the rate of that second.
    expect(tree.snapshot({ under: 'a' })).toMatchObject({ branchRate: 40 });
    for (let s = 2; s <= 20; s++) {
      for (let i = 0; i < 10; i++) tree.ingest('a/b', bytes('1'), false, s * 1000);
      tree.tick(s * 1000);
    }
    const a = tree.snapshot({ under: 'a' })!;
    expect(a.branchRate).toBeGreaterThan(10);
    expect(a.branchRate).toBeLessThan(11);
    expect(a.children!.find((c) => c.name === 'b')!.rate).toBeCloseTo(10, 5);
    // A result reports the mean over the capture instead.
    expect(tree.snapshot({ under: 'a/c', averageOverMs: 20_000 })!.rate).toBe(1.5);
  });

  it('infers a JSON schema per topic from the fields and types seen', () => {
    const tree = new TopicTree();
    tree.ingest('m/status', bytes('{"pallets": 3, "mode": "auto", "temp": 21}'), false, 0);
    tree.ingest('m/status', bytes('{"pallets": 4, "mode": null, "temp": 21.5, "layers": [1, 2], "__proto__": {"x": true}}'), false, 1);
    expect(tree.snapshot({ under: 'm/status' })!.schema).toEqual({
      type: 'object',
      properties: {
        pallets: { type: 'integer' },
        mode: { type: ['null', 'string'] },
        temp: { type: 'number' },
        layers: { type: 'array', items: { type: 'integer' } },
        ['__proto__']: { type: 'object', properties: { x: { type: 'boolean' } } },
      },
    });
    expect(inferSchema(1.5, inferSchema(1))).toEqual({ type: 'number' });
    expect(inferSchema(1, inferSchema(1.5))).toEqual({ type: 'number' });
    expect(inferSchema('x', inferSchema([{ a: 1 }]))).toEqual({ type: ['array', 'string'], items: { type: 'object', properties: { a: { type: 'integer' } } } });
    // Bounded: at most 200 properties per object.
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]));
    expect(Object.keys(inferSchema(wide).properties!)).toHaveLength(200);
  });

  it('detects JSON, text, binary and empty payloads', () => {
    expect(detectPayload(bytes('{"a":1}')).type).toBe('json');
    expect(detectPayload(bytes('  [1, 2]')).json).toEqual([1, 2]);
    expect(detectPayload(bytes('42')).type).toBe('json');
    expect(detectPayload(bytes('true')).type).toBe('json');
    expect(detectPayload(bytes('running')).type).toBe('text');
    expect(detectPayload(bytes('{not json')).type).toBe('text');
    expect(detectPayload(bytes('tank 1: 50 %\n')).type).toBe('text');
    expect(detectPayload(new Uint8Array([0xff, 0xfe, 0x00]))).toEqual({ type: 'binary' });
    expect(detectPayload(bytes('ab\u0001cd')).type).toBe('binary');
    expect(detectPayload(new Uint8Array())).toEqual({ type: 'empty' });
  });

  it('decodes Sparkplug B into metrics, naming alias-only data from the births, 64-bit values JSON-safe', () => {
    const tree = new TopicTree();
    const birth = encodeSparkplug({
      timestamp: 1000,
      seq: 0,
      metrics: [
        { name: 'bdSeq', datatype: DataType.Int64, value: 3 },
        { name: 'Speed', alias: 1, datatype: DataType.Double, value: 12.5 },
        { name: 'Mode', alias: 2, datatype: DataType.String, value: 'auto' },
      ],
    });
    tree.ingest('spBv1.0/line1/NBIRTH/edge1', birth, false, 1000);
    tree.ingest('spBv1.0/line1/NDATA/edge1', encodeSparkplug({ timestamp: 2000, seq: 1, metrics: [{ alias: 1, datatype: DataType.Double, value: 13.5 }] }), false, 2000);
    // 64-bit values beyond 2^53 as protobuf Longs: a decimal string, never a Long object.
    const big = Payload.encode({
      timestamp: 3000,
      seq: 2,
      metrics: [
        { name: 'Counter', datatype: DataType.UInt64, longValue: { low: 1, high: 0x00300000, unsigned: true } },
        { name: 'Offset', datatype: DataType.Int64, longValue: { low: 0xffffffff, high: 0xffffffff, unsigned: true } },
        { name: 'Blob', datatype: DataType.Bytes, bytesValue: new Uint8Array([1, 2, 3]) },
      ],
    } as never).finish();
    tree.ingest('spBv1.0/line1/DDATA/edge1/filler', big, false, 3000);
    // Sparkplug 3.0 STATE messages are JSON, not protobuf.
    tree.ingest('spBv1.0/STATE/scada', bytes('{"online":true,"timestamp":1}'), true, 3000);

    expect(tree.snapshot({ under: 'spBv1.0/line1/NBIRTH/edge1' })).toMatchObject({
      type: 'sparkplug',
      sparkplug: { messageType: 'NBIRTH', seq: 0, timestamp: 1000, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 3 }, { name: 'Speed', alias: 1, datatype: 'Double', value: 12.5 }, { name: 'Mode', alias: 2, datatype: 'String', value: 'auto' }] },
    });
    expect(tree.snapshot({ under: 'spBv1.0/line1/NDATA/edge1' })!.sparkplug!.metrics).toEqual([{ name: 'Speed', alias: 1, datatype: 'Double', value: 13.5 }]);
    const data = tree.snapshot({ under: 'spBv1.0/line1/DDATA/edge1/filler', payloads: true })!;
    expect(data.sparkplug!.metrics).toEqual([
      { name: 'Counter', datatype: 'UInt64', value: ((0x00300000n << 32n) | 1n).toString() },
      { name: 'Offset', datatype: 'Int64', value: -1 },
      { name: 'Blob', datatype: 'Bytes', value: 'AQID' },
    ]);
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
    expect(data.last).toMatchObject({ encoding: 'base64', payload: Buffer.from(big).toString('base64') });
    expect(tree.snapshot({ under: 'spBv1.0/STATE/scada' })).toMatchObject({ type: 'json', retained: true });
    // Not a Sparkplug payload on a Sparkplug topic: judged as any other payload.
    tree.ingest('spBv1.0/line1/DDATA/edge1/capper', new Uint8Array([0xff, 0xff, 0xff, 0xff]), false, 4000);
    expect(tree.snapshot({ under: 'spBv1.0/line1/DDATA/edge1/capper' })).toMatchObject({ type: 'binary' });
    expect(tree.snapshot({ under: 'spBv1.0/line1/DDATA/edge1/capper' })!.sparkplug).toBeUndefined();
    // A payload longer than what is kept is decoded all the same.
    const short = new TopicTree({ maxPayloadBytes: 16 });
    short.ingest('spBv1.0/line1/NBIRTH/edge1', birth, false, 1000);
    expect(short.snapshot({ under: 'spBv1.0/line1/NBIRTH/edge1' })).toMatchObject({ type: 'sparkplug', last: { truncated: true }, sparkplug: { metrics: [{ name: 'bdSeq' }, { name: 'Speed' }, { name: 'Mode' }] } });
  });

  it('stays bounded: topic cap with dropped counts, truncated payloads, history by count and bytes', () => {
    const tree = new TopicTree({ maxTopics: 100, maxPayloadBytes: 64, historyCount: 5, historyBytes: 200 });
    for (let i = 0; i < 20_000; i++) tree.ingest(`flood/${i % 1000}`, bytes(String(i)), false, i);
    expect(tree.topics).toBe(100);
    expect(tree.droppedTopics).toBe(900);
    expect(tree.droppedMessages).toBe(18_000);
    expect(tree.messages).toBe(20_000);
    expect(tree.snapshot()!.topics).toBe(100);
    const big = bytes('x'.repeat(10_000));
    for (let i = 0; i < 50; i++) tree.ingest('flood/0', big, false, i);
    const history = tree.history('flood/0');
    expect(history.length).toBe(3); // 200 bytes hold three 64-byte copies
    expect(history.at(-1)).toMatchObject({ size: 10_000, truncated: true });
    expect(history.at(-1)!.payload).toBe('x'.repeat(64));
    // By count: small payloads, plenty of bytes.
    const counted = new TopicTree({ historyCount: 5 });
    for (let i = 0; i < 50; i++) counted.ingest('t', bytes(String(i)), false, i);
    expect(counted.history('t').map((m) => m.payload)).toEqual(['45', '46', '47', '48', '49']);
    // Bytes are counted in slots of the largest payload seen (rounded up to 64 bytes): a larger one keeps fewer.
    const sized = new TopicTree({ historyCount: 10, historyBytes: 512 });
    for (let i = 0; i < 20; i++) sized.ingest('t', bytes(`${i % 10}`.repeat(50)), false, i);
    expect(sized.history('t')).toHaveLength(8);
    sized.ingest('t', bytes('y'.repeat(200)), false, 20);
    expect(sized.history('t').map((m) => m.payload.length)).toEqual([50, 200]);
    expect(sized.history('t')[0]!.payload).toBe('9'.repeat(50));
    // The last two messages stay even when they alone exceed historyBytes (for a diff).
    const small = new TopicTree({ maxPayloadBytes: 100, historyBytes: 64 });
    for (let i = 0; i < 5; i++) small.ingest('t', bytes(`${i}`.repeat(100)), false, i);
    expect(small.history('t').map((m) => m.payload[0])).toEqual(['3', '4']);
  });

  it('keeps a copy of the payload, not a view of the receive buffer', () => {
    const tree = new TopicTree();
    const chunk = Buffer.from('xx{"a":1}yy');
    tree.ingest('t', chunk.subarray(2, 9), false, 0);
    chunk.fill(0);
    expect(tree.lastPayload('t')).toEqual(Buffer.from('{"a":1}'));
  });

  it('filters by path text, payload type and retained, keeping the branches that lead to matches', () => {
    const tree = new TopicTree();
    tree.ingest('acme/dortmund/filler/level', bytes('50'), true, 0);
    tree.ingest('acme/dortmund/capper/state', bytes('Execute'), false, 0);
    tree.ingest('acme/essen/filler/level', bytes('{"v":1}'), false, 0);
    tree.ingest('acme/essen/filler/raw', new Uint8Array([0, 1, 2]), false, 0);
    const paths = (n: ReturnType<TopicTree['snapshot']>): string[] => (n ? topicNodes(n).map((t) => t.path) : []);

    const found = tree.snapshot({ search: 'CAPPER' })!;
    expect(found.children!.map((c) => c.name)).toEqual(['acme']);
    expect(found.children![0]!.children!.map((c) => c.name)).toEqual(['dortmund']);
    expect(paths(found)).toEqual(['acme/dortmund/capper/state']);
    expect(paths(tree.snapshot({ search: 'filler' }))).toEqual(['acme/dortmund/filler/level', 'acme/essen/filler/level', 'acme/essen/filler/raw']);
    expect(paths(tree.snapshot({ types: ['json'] }))).toEqual(['acme/dortmund/filler/level', 'acme/essen/filler/level']);
    expect(paths(tree.snapshot({ types: ['binary', 'text'] }))).toEqual(['acme/dortmund/capper/state', 'acme/essen/filler/raw']);
    expect(paths(tree.snapshot({ retained: true }))).toEqual(['acme/dortmund/filler/level']);
    expect(paths(tree.snapshot({ search: 'essen', types: ['json'] }))).toEqual(['acme/essen/filler/level']);
    expect(tree.snapshot({ search: 'nothing' })).toBeUndefined();
    expect(tree.snapshot({ under: 'acme/nowhere' })).toBeUndefined();

    // Depth: levels below the start; a branch at the limit is kept only when something below matches.
    const shallow = tree.snapshot({ depth: 2 })!;
    expect(shallow.children![0]!.children!.map((c) => [c.name, c.topics, c.children])).toEqual([
      ['dortmund', 2, undefined],
      ['essen', 2, undefined],
    ]);
    expect(tree.snapshot({ depth: 2, search: 'capper' })!.children![0]!.children!.map((c) => c.name)).toEqual(['dortmund']);

    // The same filters on a result (plain JSON) give the same tree.
    const full = tree.snapshot()!;
    for (const query of [{ search: 'filler' }, { types: ['json' as const] }, { retained: true }, { depth: 2, search: 'capper' }, { under: 'acme/essen', depth: 1 }]) {
      expect(filterTopicTree(full, query)).toEqual(tree.snapshot(query));
    }
  });
});
