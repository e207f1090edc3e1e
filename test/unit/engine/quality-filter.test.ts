import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/shared/sample.ts';
import { runNode } from '../../helpers/pipeline.ts';
import { manualRun } from '../../helpers/manual-run.ts';

const mixed = [
  { path: 'a', value: 1, ts: 0, quality: 'good' as const },
  { path: 'b', value: 2, ts: 0, quality: 'uncertain' as const },
  { path: 'c', value: null, ts: 0, quality: 'bad' as const },
  { path: 'd', value: 4, ts: 1, quality: 'good' as const },
];
const ports = ['out', 'rejected', 'error'];

describe('quality-filter', () => {
  it('by default passes good samples and sends the others to "rejected", in order', async () => {
    const out = await runNode('quality-filter', {}, mixed, { ports });
    expect(out.out!.map((s) => s.path)).toEqual(['a', 'd']);
    expect(out.rejected!.map((s) => [s.path, s.quality])).toEqual([
      ['b', 'uncertain'],
      ['c', 'bad'],
    ]);
    expect(out.error).toEqual([]);
  });

  it('allows the listed qualities', async () => {
    const out = await runNode('quality-filter', { allow: ['good', 'uncertain'] }, mixed, { ports });
    expect(out.out!.map((s) => s.path)).toEqual(['a', 'b', 'd']);
    expect(out.rejected!.map((s) => s.path)).toEqual(['c']);
    const onlyBad = await runNode('quality-filter', { allow: ['bad'] }, mixed, { ports });
    expect(onlyBad.out!.map((s) => s.path)).toEqual(['c']);
    expect(onlyBad.rejected!.map((s) => s.path)).toEqual(['a', 'b', 'd']);
  });

  it('forwards samples unchanged, and a whole-batch pass or reject as the same array', async () => {
    const r = await manualRun('quality-filter', {});
    const seen: { port: string; batch: readonly Sample[] }[] = [];
    for (const port of ['out', 'rejected']) r.run.tap('node', port, (batch) => seen.push({ port, batch }));
    const good: Sample[] = [{ path: 'a', value: 1, quality: 'good', ts: 0, meta: { unit: 'kg' } }];
    const bad: Sample[] = [{ path: 'b', value: 1, quality: 'bad', ts: 0 }];
    r.run.inject('node', 'in', good);
    r.run.inject('node', 'in', bad);
    await r.run.settle();
    const split: Sample[] = [good[0]!, bad[0]!];
    r.run.inject('node', 'in', split);
    await r.run.settle();
    await r.stop();
    expect(seen[0]).toEqual({ port: 'out', batch: good });
    expect(seen[0]!.batch).toBe(good);
    expect(seen[1]!.port).toBe('rejected');
    expect(seen[1]!.batch).toBe(bad);
    expect(seen.slice(2).map((x) => [x.port, x.batch.length])).toEqual([
      ['out', 1],
      ['rejected', 1],
    ]);
    expect(seen[2]!.batch[0]).toBe(good[0]);
  });
});
