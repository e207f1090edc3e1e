import { describe, expect, it } from 'vitest';
import { runNode } from '../../helpers/pipeline.ts';

describe('scale', () => {
  it('maps raw 0..27648 onto 0..100 % and keeps path, quality and ts', async () => {
    const out = await runNode('scale', { rawLow: 0, rawHigh: 27648, engLow: 0, engHigh: 100, unit: '%' }, [
      { value: 13824, ts: 1000, quality: 'uncertain' },
      { value: 27648, ts: 2000 },
    ]);
    expect(out.out!.map((s) => [s.path, s.value, s.quality, s.ts, s.meta?.unit])).toEqual([
      ['tag', 50, 'uncertain', 1000, '%'],
      ['tag', 100, 'good', 2000, '%'],
    ]);
  });

  it('clamps to the engineering range only when asked', async () => {
    const config = { rawLow: 4, rawHigh: 20, engLow: 0, engHigh: 10 };
    const loose = await runNode('scale', config, [{ value: 22, ts: 0 }]);
    const clamped = await runNode('scale', { ...config, clamp: true }, [{ value: 22, ts: 0 }, { value: 0, ts: 1 }]);
    expect(loose.out![0]!.value).toBeCloseTo(11.25);
    expect(clamped.out!.map((s) => s.value)).toEqual([10, 0]);
  });

  it('sends non-numbers to the error port with the reason and goes on', async () => {
    const out = await runNode('scale', { rawLow: 0, rawHigh: 10, engLow: 0, engHigh: 1 }, [
      { value: 'oops', ts: 0 },
      { value: 5, ts: 1 },
    ]);
    expect(out.out!.map((s) => s.value)).toEqual([0.5]);
    expect(out.error).toHaveLength(1);
    expect(out.error![0]!.error).toEqual({ node: 'node', message: 'scale needs a number, got string' });
  });
});
