import { describe, expect, it } from 'vitest';
import { runNode } from '../../helpers/pipeline.ts';
import { manualRun, pvt } from '../../helpers/manual-run.ts';

describe('window', () => {
  it('tumbling: averages each tag per epoch-aligned window, emitted at the window end', async () => {
    const out = await runNode('window', { sizeMs: 1000 }, [
      { value: 1, ts: 0 },
      { value: 3, ts: 500 },
      { value: 5, ts: 999 },
      { value: 10, ts: 1000 },
      { value: 20, ts: 1999 },
    ], { until: 2500 });
    expect(pvt(out.out)).toEqual([
      ['tag', 3, 1000],
      ['tag', 15, 2000],
    ]);
    expect(out.error).toEqual([]);
  });

  it('emits a window exactly when the clock reaches its end (+ grace), not before', async () => {
    const r = await manualRun('window', { sizeMs: 1000, aggregates: ['sum'] });
    await r.send([{ value: 2, ts: 0 }]);
    await r.advanceTo(400);
    await r.send([{ value: 3, ts: 400 }]);
    await r.advanceTo(999);
    expect(r.outputs.out).toEqual([]);
    await r.advanceTo(1000);
    expect(pvt(r.outputs.out)).toEqual([['tag', 5, 1000]]);
    await r.stop();
  });

  it('computes every aggregate; several aggregates emit {path}/{aggregate}; stddev is the population one', async () => {
    const data = [2, 4, 4, 4, 5, 5, 7, 9];
    const out = await runNode(
      'window',
      { sizeMs: 1000, aggregates: ['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'stddev'] },
      data.map((value, i) => ({ path: 'line/temp', value, ts: 100 + i * 10, meta: { unit: 'degC' } })),
      { until: 1000 },
    );
    expect(out.out!.map((s) => [s.path, s.path.endsWith('stddev') ? Number((s.value as number).toFixed(12)) : s.value, s.ts, s.meta?.unit])).toEqual([
      ['line/temp/avg', 5, 1000, 'degC'],
      ['line/temp/min', 2, 1000, 'degC'],
      ['line/temp/max', 9, 1000, 'degC'],
      ['line/temp/sum', 40, 1000, 'degC'],
      ['line/temp/count', 8, 1000, undefined],
      ['line/temp/first', 2, 1000, 'degC'],
      ['line/temp/last', 9, 1000, 'degC'],
      ['line/temp/stddev', 2, 1000, 'degC'], // population: sqrt(32 / 8); the sample stddev would be 2.138
    ]);
  });

  it('stddev of a single sample is 0, and stays accurate on a large offset', async () => {
    const one = await runNode('window', { sizeMs: 1000, aggregates: ['stddev'] }, [{ value: 42, ts: 0 }], { until: 1000 });
    expect(one.out!.map((s) => s.value)).toEqual([0]);
    const offset = await runNode(
      'window',
      { sizeMs: 1000, aggregates: ['stddev', 'avg'] },
      [1e9 + 1, 1e9 + 2, 1e9 + 3].map((value, i) => ({ value, ts: i })),
      { until: 1000 },
    );
    expect(offset.out![0]!.value).toBeCloseTo(Math.sqrt(2 / 3), 9);
    expect(offset.out![1]!.value).toBe(1e9 + 2);
  });

  it('first and last follow the sample ts, not the arrival order', async () => {
    const r = await manualRun('window', { sizeMs: 1000, aggregates: ['first', 'last'] }, 0);
    await r.advanceTo(900);
    await r.send([
      { value: 30, ts: 800 },
      { value: 10, ts: 100 },
      { value: 20, ts: 500 },
    ]);
    await r.advanceTo(1000);
    expect(pvt(r.outputs.out)).toEqual([
      ['tag/first', 10, 1000],
      ['tag/last', 30, 1000],
    ]);
    await r.stop();
  });

  it('quality is the worst of the counted samples; bad ones are left out unless includeBad', async () => {
    const inputs = [
      { value: 1, ts: 0 },
      { value: 2, ts: 100, quality: 'uncertain' as const },
      { value: 100, ts: 200, quality: 'bad' as const },
      { value: 'offline', ts: 300, quality: 'bad' as const }, // skipped, not an error
    ];
    const out = await runNode('window', { sizeMs: 1000, aggregates: ['avg', 'count'] }, inputs, { until: 1000 });
    expect(out.out!.map((s) => [s.path, s.value, s.quality])).toEqual([
      ['tag/avg', 1.5, 'uncertain'],
      ['tag/count', 2, 'uncertain'],
    ]);
    expect(out.error).toEqual([]);

    const withBad = await runNode('window', { sizeMs: 1000, aggregates: ['avg', 'count'], includeBad: true }, inputs, { until: 1000 });
    expect(withBad.out!.map((s) => [s.path, s.value, s.quality])).toEqual([
      ['tag/avg', 103 / 3, 'bad'],
      ['tag/count', 3, 'bad'],
    ]);
    expect(withBad.error!.map((s) => [s.value, s.error?.message])).toEqual([['offline', 'window needs a number, got string']]);
  });

  it('a window that only saw bad samples emits nothing', async () => {
    const out = await runNode('window', { sizeMs: 1000 }, [{ value: 5, ts: 0, quality: 'bad' }], { until: 5000 });
    expect(out.out).toEqual([]);
  });

  it('empty windows emit nothing', async () => {
    const out = await runNode('window', { sizeMs: 1000, aggregates: ['count'] }, [
      { value: 1, ts: 0 },
      { value: 1, ts: 5500 },
    ], { until: 10_000 });
    expect(pvt(out.out)).toEqual([
      ['tag', 1, 1000],
      ['tag', 1, 6000],
    ]);
  });

  it('sends non-numbers to the error port and goes on', async () => {
    const out = await runNode('window', { sizeMs: 1000, aggregates: ['count'] }, [
      { value: 'x', ts: 0 },
      { value: 3, ts: 1 },
      { value: { a: 1 }, ts: 2 },
    ], { until: 1000 });
    expect(pvt(out.out)).toEqual([['tag', 1, 1000]]);
    expect(out.error!.map((s) => s.error?.message)).toEqual(['window needs a number, got string', 'window needs a number, got object']);
  });

  it('keeps tags apart and emits windows closing together in ts order', async () => {
    const out = await runNode('window', { sizeMs: 1000, aggregates: ['max'] }, [
      { path: 'a', value: 1, ts: 0 },
      { path: 'b', value: 7, ts: 10 },
      { path: 'a', value: 4, ts: 20 },
      { path: 'b', value: 2, ts: 1010 },
    ], { until: 2000 });
    expect(pvt(out.out)).toEqual([
      ['a', 4, 1000],
      ['b', 7, 1000],
      ['b', 2, 2000],
    ]);
  });

  it('graceMs keeps a window open for late samples, then sends later ones to the error port', async () => {
    const r = await manualRun('window', { sizeMs: 1000, graceMs: 500, aggregates: ['count'] });
    await r.send([{ value: 1, ts: 0 }]);
    await r.advanceTo(1200);
    await r.send([{ value: 1, ts: 950 }]); // late but within grace: counted
    await r.advanceTo(1499);
    expect(r.outputs.out).toEqual([]);
    await r.advanceTo(1500);
    expect(pvt(r.outputs.out)).toEqual([['tag', 2, 1000]]);
    await r.send([{ value: 1, ts: 980 }]); // its window was emitted
    expect(r.outputs.error!.map((s) => [s.ts, s.error?.message])).toEqual([
      [980, 'late sample: every window containing ts 980 was already closed (the last ended at 1000, grace 500 ms)'],
    ]);
    await r.advanceTo(5000);
    expect(r.outputs.out).toHaveLength(1);
    await r.stop();
  });

  it('a late sample for a window that never had data is late too (closed by time)', async () => {
    const r = await manualRun('window', { sizeMs: 1000, aggregates: ['count'] });
    await r.advanceTo(3000);
    await r.send([{ value: 1, ts: 1500 }, { value: 1, ts: 3100 }]);
    await r.advanceTo(5000);
    expect(pvt(r.outputs.out)).toEqual([['tag', 1, 4000]]);
    expect(r.outputs.error!.map((s) => s.ts)).toEqual([1500]);
    await r.stop();
  });

  it('sliding: windows of sizeMs every slideMs, each sample in size/slide windows', async () => {
    const out = await runNode('window', { mode: 'sliding', sizeMs: 3000, slideMs: 1000 }, [
      { value: 1, ts: 500 },
      { value: 2, ts: 1500 },
      { value: 3, ts: 2500 },
      { value: 4, ts: 3500 },
    ], { until: 10_000 });
    expect(pvt(out.out)).toEqual([
      ['tag', 1, 1000], // [-2000, 1000)
      ['tag', 1.5, 2000], // [-1000, 2000)
      ['tag', 2, 3000], // [0, 3000)
      ['tag', 3, 4000], // [1000, 4000)
      ['tag', 3.5, 5000], // [2000, 5000)
      ['tag', 4, 6000], // [3000, 6000)
    ]);
  });

  it('sliding: skips windows without data across a gap, and merges panes exactly (stddev, min, first/last)', async () => {
    const out = await runNode('window', { mode: 'sliding', sizeMs: 2000, slideMs: 1000, aggregates: ['count', 'stddev', 'min', 'first', 'last'] }, [
      { value: 2, ts: 100 },
      { value: 4, ts: 900 },
      { value: 6, ts: 1100 },
      { value: 8, ts: 1900 },
      { value: 1, ts: 50_500 },
    ], { until: 60_000 });
    const at = (ts: number): unknown[] => out.out!.filter((s) => s.ts === ts).map((s) => s.value);
    expect([...new Set(out.out!.map((s) => s.ts))]).toEqual([1000, 2000, 3000, 51_000, 52_000]);
    expect(at(1000)).toEqual([2, 1, 2, 2, 4]);
    const [count, stddev, ...rest] = at(2000);
    expect([count, ...rest]).toEqual([4, 2, 2, 8]);
    expect(stddev).toBeCloseTo(Math.sqrt(5), 12); // 2,4,6,8: population variance 5
    expect(at(3000)).toEqual([2, 1, 6, 6, 8]);
    expect(at(51_000)).toEqual([1, 0, 1, 1, 1]);
  });

  it('sliding: a partly late sample counts only in the windows still open', async () => {
    const r = await manualRun('window', { mode: 'sliding', sizeMs: 3000, slideMs: 1000, aggregates: ['count'] });
    await r.advanceTo(2500);
    // ts 500 belongs to [-2000,1000), [-1000,2000) (both closed by now) and [0,3000) (open).
    await r.send([{ value: 1, ts: 500 }]);
    await r.advanceTo(10_000);
    expect(pvt(r.outputs.out)).toEqual([['tag', 1, 3000]]);
    expect(r.outputs.error).toEqual([]);
    await r.stop();
  });

  it('timers run only while data is pending, and stop discards open windows and leaks nothing', async () => {
    const r = await manualRun('window', { sizeMs: 1000 });
    expect(r.clock.pendingTimers()).toBe(0);
    await r.send([{ value: 1, ts: 0 }]);
    expect(r.clock.pendingTimers()).toBe(1);
    await r.advanceTo(1000);
    expect(r.outputs.out).toHaveLength(1);
    expect(r.clock.pendingTimers()).toBe(0);
    await r.advanceTo(1500);
    await r.send([{ value: 9, ts: 1500 }]);
    await r.stop();
    expect(r.outputs.out).toHaveLength(1); // [1000, 2000) was still open: not emitted
    expect(r.run.activeTimers()).toBe(0);
    expect(r.clock.pendingTimers()).toBe(0);
  });
});
