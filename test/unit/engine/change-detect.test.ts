import { describe, expect, it } from 'vitest';
import { valuesEqual } from '../../../src/engine/nodes/change-detect.ts';
import { runNode } from '../../helpers/pipeline.ts';
import { manualRun, pvt, type InputSample } from '../../helpers/manual-run.ts';

/** Edge modes take booleans, which the numeric test source of runNode cannot feed: inject by hand. */
async function edges(config: Record<string, unknown>, samples: InputSample[]) {
  const r = await manualRun('change-detect', config);
  for (const s of samples) {
    await r.advanceTo(s.ts);
    await r.send([s]);
  }
  await r.stop();
  return r.outputs;
}

const bits = (...values: (boolean | number | string)[]): InputSample[] => values.map((value, i) => ({ value, ts: i * 10 }));

describe('change-detect', () => {
  it('change: passes a sample when its value differs from the previous one of that tag', async () => {
    const out = await runNode('change-detect', {}, [
      { value: 1, ts: 0 },
      { value: 1, ts: 1 },
      { value: 2, ts: 2 },
      { value: 2, ts: 3, quality: 'bad' }, // only the value counts
      { value: 1, ts: 4 },
    ]);
    expect(pvt(out.out)).toEqual([
      ['tag', 2, 2],
      ['tag', 1, 4],
    ]);
  });

  it('change with emitFirst passes the first sample of each tag', async () => {
    const out = await runNode('change-detect', { emitFirst: true }, [
      { path: 'a', value: 1, ts: 0 },
      { path: 'b', value: 1, ts: 0 },
      { path: 'a', value: 1, ts: 1 },
      { path: 'b', value: 2, ts: 1 },
    ]);
    expect(pvt(out.out)).toEqual([
      ['a', 1, 0],
      ['b', 1, 0],
      ['b', 2, 1],
    ]);
  });

  it('change compares objects and arrays deeply, and handles null and type changes', async () => {
    const out = await runNode('change-detect', {}, [
      { value: { a: 1, b: [1, 2] }, ts: 0 },
      { value: { b: [1, 2], a: 1 }, ts: 1 }, // same content, other key order
      { value: { b: [1, 2], a: 1, c: null }, ts: 2 },
      { value: { b: [2, 1], a: 1, c: null }, ts: 3 },
      { value: null, ts: 4 },
      { value: null, ts: 5 },
      { value: '1', ts: 6 },
      { value: 1, ts: 7 },
    ]);
    expect(out.out!.map((s) => s.ts)).toEqual([2, 3, 4, 6, 7]);
  });

  it('valuesEqual covers the corner cases', () => {
    expect(valuesEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(valuesEqual([1, [2, { x: 'y' }]], [1, [2, { x: 'y' }]])).toBe(true);
    expect(valuesEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(valuesEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(valuesEqual({ a: null }, {})).toBe(false);
    expect(valuesEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(valuesEqual(0, false)).toBe(false);
    expect(valuesEqual(null, {})).toBe(false);
  });

  it('rising passes false -> true only', async () => {
    const out = await edges({ mode: 'rising' }, bits(false, true, true, false, true, false));
    expect(pvt(out.out)).toEqual([
      ['tag', true, 10],
      ['tag', true, 40],
    ]);
  });

  it('falling passes true -> false only', async () => {
    const out = await edges({ mode: 'falling' }, bits(false, true, true, false, true, false));
    expect(pvt(out.out)).toEqual([
      ['tag', false, 30],
      ['tag', false, 50],
    ]);
  });

  it('edges passes both directions', async () => {
    const out = await edges({ mode: 'edges' }, bits(false, true, true, false, false, true));
    expect(out.out!.map((s) => [s.value, s.ts])).toEqual([
      [true, 10],
      [false, 30],
      [true, 50],
    ]);
  });

  it('emitFirst in an edge mode passes the first sample only in the edge direction', async () => {
    expect(pvt((await edges({ mode: 'rising', emitFirst: true }, bits(true, false, true))).out)).toEqual([
      ['tag', true, 0],
      ['tag', true, 20],
    ]);
    expect(pvt((await edges({ mode: 'rising', emitFirst: true }, bits(false, true))).out)).toEqual([['tag', true, 10]]);
    expect(pvt((await edges({ mode: 'falling', emitFirst: true }, bits(false, true))).out)).toEqual([['tag', false, 0]]);
    expect(pvt((await edges({ mode: 'edges', emitFirst: true }, bits(true))).out)).toEqual([['tag', true, 0]]);
    // Without emitFirst the first sample only sets the state, even when it is true.
    expect((await edges({ mode: 'rising' }, bits(true))).out).toEqual([]);
  });

  it('edge modes send non-booleans to the error port without touching the state', async () => {
    const out = await edges({ mode: 'rising' }, bits(false, 1, 'true', true));
    expect(pvt(out.out)).toEqual([['tag', true, 30]]);
    expect(out.error!.map((s) => [s.value, s.error?.message])).toEqual([
      [1, 'rising edge detection needs a boolean, got number'],
      ['true', 'rising edge detection needs a boolean, got string'],
    ]);
  });

  it('edge state is per tag', async () => {
    const r = await manualRun('change-detect', { mode: 'rising' });
    await r.send([
      { path: 'a', value: false, ts: 0 },
      { path: 'b', value: true, ts: 0 },
      { path: 'a', value: true, ts: 0 },
      { path: 'b', value: true, ts: 0 },
    ]);
    await r.stop();
    expect(pvt(r.outputs.out)).toEqual([['a', true, 0]]);
  });
});
