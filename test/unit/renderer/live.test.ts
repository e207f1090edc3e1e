import { describe, expect, it } from 'vitest';
import { LIMITS, LiveData, rowKey, type Sample } from '../../../src/renderer/state/live.ts';

const sample = (path: string, value: unknown, ts: number): Sample => ({ path, value, quality: 'good', ts }) as Sample;

describe('live buffers', () => {
  it('applies queued samples on flush: last value per pipeline, node and path, and a numeric series', () => {
    const live = new LiveData();
    live.pushSamples({ ts: 0, omitted: 2, samples: [
      { pipeline: 'p', node: 'n', sample: sample('a', 1, 1000) },
      { pipeline: 'p', node: 'n', sample: sample('a', 2, 2000) },
      { pipeline: 'p', node: 'n', sample: sample('s', 'text', 2000) },
    ] });
    expect(live.rows.size).toBe(0); // nothing before the frame
    live.flush(5000);
    const row = live.rows.get(rowKey('p', 'n', 'a'))!;
    expect(row).toMatchObject({ value: 2, count: 2, numeric: true });
    expect(live.rows.get(rowKey('p', 'n', 's'))).toMatchObject({ value: 'text', numeric: false });
    expect(live.seriesOf(rowKey('p', 'n', 'a'))!.since(0)).toEqual({ t: [1000, 2000], v: [1, 2] });
    expect(live.seriesOf(rowKey('p', 'n', 's'))).toBeUndefined();
    expect(live.omitted).toBe(2);
  });

  it('keeps the newest stats snapshot, derives edge rates from counts, and feeds node values to the table', () => {
    const live = new LiveData();
    const stats = (ts: number, count: number) => ({
      ts,
      pipelines: { p: { nodes: { n: { in: count, out: count, dropped: 0, errors: 0, queued: 0, latency: { lastUs: 0, avgUs: 0, maxUs: 0 }, last: sample('a', count, ts) } }, edges: [{ from: 'n.out', to: 'm.in', count, queued: 0 }] } },
    });
    live.pushStats(stats(1000, 10));
    live.flush(1000);
    live.pushStats(stats(1500, 15));
    live.pushStats(stats(2000, 20)); // supersedes the one before
    live.flush(2000);
    const edge = live.edges.get('p')!.get('n.out->m.in')!;
    expect(edge.count).toBe(20);
    expect(edge.rate).toBeCloseTo(10, 5); // 10 samples in 1 s
    expect(live.nodes.get('p')!.n!.in).toBe(20);
    expect(live.rows.get(rowKey('p', 'n', 'a'))).toMatchObject({ value: 20, count: 2 });
  });

  it('stays bounded under a firehose', () => {
    const live = new LiveData();
    live.setTrended([rowKey('p', 'n', 'tag1')]);
    const tags = 2 * LIMITS.rows;
    let ts = 0;
    // 10,000 updates per second over twice as many distinct tags as the table keeps, in 20 Hz
    // batches with a frame after each, until every tag was seen twice.
    const batches = (2 * tags) / 500;
    for (let batch = 0; batch < batches; batch++) {
      const samples = [];
      for (let i = 0; i < 500; i++) samples.push({ pipeline: 'p', node: 'n', sample: sample(`tag${(batch * 500 + i) % tags}`, i, ++ts) });
      live.pushSamples({ ts, samples, omitted: 0 });
      live.pushLog([{ ts, level: 'info', pipeline: 'p', message: `batch ${batch}` }]);
      live.flush(ts);
    }
    expect(live.rows.size).toBeLessThanOrEqual(LIMITS.rows * 1.1);
    expect(live.rows.size + live.rows.evicted).toBe(2 * tags); // every tag came twice; each was a new row after it was forgotten
    for (const row of live.rows.values()) expect(row.history!.size).toBeLessThanOrEqual(LIMITS.history);
    expect(live.trends.size).toBe(1);
    expect(live.trends.get(rowKey('p', 'n', 'tag1'))!.size).toBe(2); // tag1 came twice
    expect(live.log.size).toBe(Math.min(batches, LIMITS.log));
  });

  it('keeps a long series for trended values, seeded with their recent history', () => {
    const live = new LiveData();
    const key = rowKey('p', 'n', 'a');
    for (let i = 1; i <= LIMITS.history + 100; i++) live.pushSamples({ ts: i, omitted: 0, samples: [{ pipeline: 'p', node: 'n', sample: sample('a', i, i) }] });
    live.flush(0);
    expect(live.seriesOf(key)!.size).toBe(LIMITS.history);
    live.setTrended([key]);
    for (let i = LIMITS.history + 101; i <= 3 * LIMITS.history; i++) live.pushSamples({ ts: i, omitted: 0, samples: [{ pipeline: 'p', node: 'n', sample: sample('a', i, i) }] });
    live.flush(0);
    const points = live.seriesOf(key)!.since(-Infinity);
    expect(points.t.length).toBe(3 * LIMITS.history - 100); // points 101 to 3 × history
    expect(points.t[0]).toBe(101); // where the history started
    expect(points.t.at(-1)).toBe(3 * LIMITS.history);
    live.setTrended([]);
    expect(live.seriesOf(key)!.size).toBe(LIMITS.history);
  });

  it('drops the oldest queued samples when no frame applies them', () => {
    const live = new LiveData();
    for (let b = 0; b < 20; b++) live.pushSamples({ ts: b, omitted: 0, samples: Array.from({ length: 5000 }, (_, i) => ({ pipeline: 'p', node: 'n', sample: sample('a', i, b * 5000 + i) })) });
    expect(live.droppedPending).toBe(20 * 5000 - LIMITS.pendingSamples);
    live.flush(0);
    expect(live.rows.get(rowKey('p', 'n', 'a'))!.count).toBe(LIMITS.pendingSamples);
  });
});
