import { describe, expect, it } from 'vitest';
import { runNode } from '../../helpers/pipeline.ts';
import { manualRun, pvt } from '../../helpers/manual-run.ts';

describe('rate-limit', () => {
  it("keep 'first': the first sample opens an interval in which the rest of that tag is dropped", async () => {
    const out = await runNode('rate-limit', { intervalMs: 1000, keep: 'first' }, [
      { value: 1, ts: 0 },
      { value: 2, ts: 100 },
      { value: 3, ts: 999 },
      { value: 4, ts: 1000 },
      { value: 5, ts: 1500 },
      { value: 6, ts: 2100 },
    ]);
    expect(pvt(out.out)).toEqual([
      ['tag', 1, 0],
      ['tag', 4, 1000],
      ['tag', 6, 2100],
    ]);
  });

  it("keep 'first' is per tag and sets no timers", async () => {
    const r = await manualRun('rate-limit', { intervalMs: 1000, keep: 'first' });
    await r.send([{ path: 'a', value: 1, ts: 0 }, { path: 'b', value: 1, ts: 0 }, { path: 'a', value: 2, ts: 0 }]);
    await r.advanceTo(500);
    await r.send([{ path: 'b', value: 2, ts: 500 }, { path: 'c', value: 1, ts: 500 }]);
    expect(pvt(r.outputs.out)).toEqual([
      ['a', 1, 0],
      ['b', 1, 0],
      ['c', 1, 500],
    ]);
    expect(r.clock.pendingTimers()).toBe(0);
    await r.stop();
  });

  it("keep 'latest': a quiet tag's first sample goes out at once, the newest of the rest at the interval end", async () => {
    const r = await manualRun('rate-limit', { intervalMs: 1000 });
    await r.send([{ value: 'a', ts: 0 }]);
    expect(pvt(r.outputs.out)).toEqual([['tag', 'a', 0]]); // leading
    await r.advanceTo(100);
    await r.send([{ value: 'b', ts: 100 }]);
    await r.advanceTo(200);
    await r.send([{ value: 'c', ts: 200 }]);
    await r.advanceTo(999);
    expect(r.outputs.out).toHaveLength(1);
    await r.advanceTo(1000);
    expect(pvt(r.outputs.out)).toEqual([
      ['tag', 'a', 0],
      ['tag', 'c', 200], // trailing, unchanged sample (its own ts)
    ]);
    // The trailing send opened a new interval [1000, 2000): nothing pending in it, so the tag goes quiet.
    await r.advanceTo(2500);
    await r.send([{ value: 'd', ts: 2500 }]);
    expect(r.outputs.out!.map((s) => s.value)).toEqual(['a', 'c', 'd']); // leading again, no delay
    await r.advanceTo(10_000);
    expect(r.outputs.out).toHaveLength(3);
    expect(r.clock.pendingTimers()).toBe(0);
    await r.stop();
  });

  it("keep 'latest': a steady stream is cut to one sample per interval", async () => {
    const inputs = Array.from({ length: 14 }, (_, i) => ({ value: i, ts: i * 300 })); // 0 .. 3900
    const out = await runNode('rate-limit', { intervalMs: 1000, keep: 'latest' }, inputs, { until: 6000 });
    // 0 at once; at 1000 the newest so far is 900 (3); at 2000: 1800 (6); at 3000: 2700 (9); at 4000: 3900 (13).
    expect(out.out!.map((s) => s.value)).toEqual([0, 3, 6, 9, 13]);
  });

  it("keep 'latest' keeps tags apart and sends the trailing samples due together in one batch", async () => {
    const r = await manualRun('rate-limit', { intervalMs: 1000 });
    const sizes: number[] = [];
    r.run.tap('node', 'out', (b) => sizes.push(b.length));
    await r.send([{ path: 'a', value: 1, ts: 0 }, { path: 'b', value: 1, ts: 0 }, { path: 'a', value: 2, ts: 0 }, { path: 'b', value: 2, ts: 0 }]);
    await r.advanceTo(300);
    await r.send([{ path: 'c', value: 1, ts: 300 }, { path: 'c', value: 2, ts: 300 }]);
    await r.advanceTo(1300);
    expect(pvt(r.outputs.out)).toEqual([
      ['a', 1, 0],
      ['b', 1, 0],
      ['c', 1, 300],
      ['a', 2, 0],
      ['b', 2, 0],
      ['c', 2, 300],
    ]);
    expect(sizes).toEqual([2, 1, 2, 1]);
    await r.stop();
  });

  it("keep 'latest' flushes pending samples on stop and leaks no timer", async () => {
    const r = await manualRun('rate-limit', { intervalMs: 1000 });
    await r.send([{ path: 'a', value: 1, ts: 0 }, { path: 'a', value: 2, ts: 0 }, { path: 'b', value: 1, ts: 0 }]);
    await r.advanceTo(400);
    await r.send([{ path: 'a', value: 3, ts: 400 }]);
    await r.stop();
    expect(pvt(r.outputs.out)).toEqual([
      ['a', 1, 0],
      ['b', 1, 0],
      ['a', 3, 400],
    ]);
    expect(r.run.activeTimers()).toBe(0);
    expect(r.clock.pendingTimers()).toBe(0);
  });

  it('passes any value type and never fails', async () => {
    const out = await runNode('rate-limit', { intervalMs: 10, keep: 'first' }, [
      { value: { a: 1 }, ts: 0 },
      { value: null, ts: 10 },
      { value: [1, 'x'], ts: 20 },
    ]);
    expect(out.out!.map((s) => s.value)).toEqual([{ a: 1 }, null, [1, 'x']]);
    expect(out.error).toEqual([]);
  });
});
