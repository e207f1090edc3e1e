import { describe, expect, it } from 'vitest';
import { detectPayload, inferSchema, TopicTree } from '../../../src/connectors/mqtt/discovery/topic-tree.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('topic tree', () => {
  it('counts messages per topic and per branch, and keeps the last payload with its retained flag', () => {
    const tree = new TopicTree();
    tree.ingest('plant/line1/filler/level', bytes('{"value":50}'), false, 1000);
    tree.ingest('plant/line1/filler/level', bytes('{"value":51}'), true, 2000);
    tree.ingest('plant/line1/capper/state', bytes('Execute'), false, 2500);
    const root = tree.snapshot()!;
    expect(root.count).toBe(3);
    expect(root.topics).toBe(2);
    const line1 = tree.snapshot({ under: 'plant/line1' })!;
    expect(line1.children!.map((c) => [c.name, c.count, c.topics])).toEqual([
      ['capper', 1, 1],
      ['filler', 2, 1],
    ]);
    const level = tree.snapshot({ under: 'plant/line1/filler/level' })!;
    expect(level.last).toMatchObject({ ts: 2000, retained: true, type: 'json', preview: '{"value":51}', truncated: false });
    expect(tree.history('plant/line1/filler/level').map((m) => new TextDecoder().decode(m.payload))).toEqual(['{"value":50}', '{"value":51}']);
  });

  it('computes msg/s per node and branch on tick', () => {
    const tree = new TopicTree();
    tree.tick(0);
    for (let s = 1; s <= 20; s++) {
      for (let i = 0; i < 10; i++) tree.ingest('a/b', bytes('1'), false, s * 1000);
      for (let i = 0; i < 30; i++) tree.ingest('a/c', bytes('1'), false, s * 1000);
      tree.tick(s * 1000);
    }
    const a = tree.snapshot({ under: 'a' })!;
    expect(a.rate).toBeGreaterThan(38);
    expect(a.rate).toBeLessThanOrEqual(40);
    expect(a.children!.find((c) => c.name === 'b')!.rate).toBeCloseTo(a.rate / 4, 0);
  });

  it('infers a JSON schema per topic from the fields and types seen', () => {
    const tree = new TopicTree();
    tree.ingest('m/status', bytes('{"pallets": 3, "mode": "auto", "temp": 21.5}'), false, 0);
    tree.ingest('m/status', bytes('{"pallets": 4, "mode": null, "layers": [1, 2]}'), false, 1);
    expect(tree.snapshot({ under: 'm/status' })!.schema).toEqual({
      type: 'object',
      properties: {
        pallets: { type: 'integer' },
        mode: { type: ['null', 'string'] },
        temp: { type: 'number' },
        layers: { type: 'array', items: { type: 'integer' } },
      },
    });
    expect(inferSchema(1.5, inferSchema(1))).toEqual({ type: 'number' });
  });

  it('detects JSON, text, binary, empty and Sparkplug payloads', () => {
    expect(detectPayload('a', bytes('{"a":1}')).type).toBe('json');
    expect(detectPayload('a', bytes('42')).type).toBe('json');
    expect(detectPayload('a', bytes('running')).type).toBe('text');
    expect(detectPayload('a', new Uint8Array([0xff, 0xfe, 0x00]))).toEqual({ type: 'binary' });
    expect(detectPayload('a', new Uint8Array())).toEqual({ type: 'empty' });
    expect(detectPayload('spBv1.0/g/DDATA/n/d', bytes('x')).type).toBe('sparkplug');
    const tree = new TopicTree({}, () => [{ name: 'Speed', value: 12 }]);
    tree.ingest('spBv1.0/g/DDATA/n/d', new Uint8Array([8, 1]), false, 0);
    expect(tree.snapshot({ under: 'spBv1.0/g/DDATA/n/d' })!.metrics).toEqual([{ name: 'Speed', value: 12 }]);
  });

  it('stays bounded: topic cap, truncated payloads, history by count and bytes', () => {
    const tree = new TopicTree({ maxTopics: 100, maxPayloadBytes: 64, historyCount: 5, historyBytes: 200 });
    for (let i = 0; i < 20_000; i++) tree.ingest(`flood/${i}`, bytes(String(i)), false, i);
    expect(tree.topics).toBe(100);
    expect(tree.droppedTopics).toBe(19_900);
    const big = bytes('x'.repeat(10_000));
    for (let i = 0; i < 50; i++) tree.ingest('flood/0', big, false, i);
    const history = tree.history('flood/0');
    expect(history.length).toBeLessThanOrEqual(5);
    expect(history.reduce((n, m) => n + m.payload.length, 0)).toBeLessThanOrEqual(200);
    expect(history.at(-1)).toMatchObject({ size: 10_000, truncated: true });
    expect(history.at(-1)!.payload.length).toBe(64);
  });

  it('filters the tree by a search text, keeping the branches that lead to matches', () => {
    const tree = new TopicTree();
    for (const t of ['acme/dortmund/filler/level', 'acme/dortmund/capper/state', 'acme/essen/filler/level']) tree.ingest(t, bytes('1'), false, 0);
    const found = tree.snapshot({ search: 'capper' })!;
    expect(found.children!.map((c) => c.name)).toEqual(['acme']);
    expect(found.children![0]!.children!.map((c) => c.name)).toEqual(['dortmund']);
    expect(found.children![0]!.children![0]!.children!.map((c) => c.path)).toEqual(['acme/dortmund/capper']);
  });
});
