// The register-map probe's planning against an in-memory device: which ranges it finds, how many
// requests it needs, and how budget, cancellation, unsupported areas and failures end it.
import { describe, expect, it } from 'vitest';
import type { ModbusArea } from '../../../src/shared/codec/modbus.ts';
import { candidates, probeAreas, SAMPLE_STRIDES, type AreaReader, type ReadOutcome } from '../../../src/connectors/modbus/discovery/bisect.ts';

type Ranges = Partial<Record<ModbusArea, [number, number][]>>;

/**
 * A device with readable [start, count] ranges per area. "strict": a read touching any unreadable
 * address is refused with exception 2 (our simulator, pymodbus); "short": it answers the readable
 * prefix, which a client sees as a short answer. Areas not listed answer exception 1.
 */
function device(ranges: Ranges, mode: 'strict' | 'short' = 'strict'): { read: AreaReader; log: [ModbusArea, number, number][] } {
  const readable = new Map<ModbusArea, Uint8Array>();
  for (const [area, list] of Object.entries(ranges) as [ModbusArea, [number, number][]][]) {
    const map = new Uint8Array(65536);
    for (const [start, count] of list) map.fill(1, start, start + count);
    readable.set(area, map);
  }
  const log: [ModbusArea, number, number][] = [];
  const read: AreaReader = async (area, start, count): Promise<ReadOutcome> => {
    log.push([area, start, count]);
    const map = readable.get(area);
    if (!map) return { kind: 'unsupported' };
    let ok = 0;
    while (ok < count && map[start + ok] === 1) ok++;
    if (ok === count) return { kind: 'data' };
    return mode === 'short' && ok > 0 ? { kind: 'refused', reason: 'short' } : { kind: 'refused', reason: '2' };
  };
  return { read, log };
}

const FIVE: [number, number][] = [
  [0, 20],
  [1000, 50],
  [12_288, 300],
  [40_000, 64],
  [65_500, 36],
];

describe('sampling levels', () => {
  it('start at the window start, then every stride from coarse to fine, down to every address', () => {
    expect(candidates({ start: 5, end: 9000 }, Infinity)).toEqual([5]);
    expect(candidates({ start: 5, end: 9000 }, 4096)).toEqual([4096, 8192]);
    expect(candidates({ start: 0, end: 2500 }, 1000)).toEqual([0, 1000, 2000]);
    expect(SAMPLE_STRIDES.at(-1)).toBe(1);
    expect([...SAMPLE_STRIDES].sort((a, b) => b - a)).toEqual(SAMPLE_STRIDES);
  });
});

describe('probeAreas', () => {
  it('finds 5 disjoint ranges in 0-65535 with far fewer requests than reading every address', async () => {
    const { read } = device({ holding: FIVE });
    const budget = { used: 0, limit: 100_000 };
    const [hr] = await probeAreas(read, ['holding'], { window: { start: 0, end: 65535 }, resolution: 16, budget });
    expect(hr!.ranges).toEqual(FIVE);
    expect(hr!.complete).toBe(true);
    expect(hr!.resolution).toBeLessThanOrEqual(16);
    expect(hr!.requests).toBe(budget.used);
    // At most one read per sampled address (levels down to 16) plus growth and two bisections per range.
    const sampled = new Set(SAMPLE_STRIDES.filter((s) => s >= 16).flatMap((s) => candidates({ start: 0, end: 65535 }, s)));
    expect(budget.used).toBeLessThanOrEqual(sampled.size + FIVE.length * 30);
    expect(budget.used).toBeLessThan(65_536 / 10);
  });

  it('finds the same ranges from devices that refuse straddling reads and from those that answer short', async () => {
    for (const mode of ['strict', 'short'] as const) {
      const { read } = device({ holding: FIVE }, mode);
      const [hr] = await probeAreas(read, ['holding'], { window: { start: 0, end: 65535 }, resolution: 64, budget: { used: 0, limit: 100_000 } });
      expect(hr!.ranges, mode).toEqual(FIVE);
      expect(Object.keys(hr!.refusals), mode).toEqual(mode === 'strict' ? ['2'] : expect.arrayContaining(['short']));
    }
  });

  it('bisects each boundary in about log2(125) reads', async () => {
    const { read, log } = device({ holding: [[100, 37]] });
    const [hr] = await probeAreas(read, ['holding'], { window: { start: 100, end: 199 }, resolution: 100, budget: { used: 0, limit: 1000 } });
    expect(hr!.ranges).toEqual([[100, 37]]);
    // 1 sample + upward: 1 refused block read of 99 + 7 bisection reads; downward: nothing (window start).
    expect(log.length).toBeLessThanOrEqual(1 + 1 + 7);
  });

  it('tries every address at resolution 1 and then finds even single-register ranges', async () => {
    const ranges: [number, number][] = [
      [3, 1],
      [10, 5],
      [17, 1],
    ];
    const { read } = device({ input: ranges });
    const [ir] = await probeAreas(read, ['input'], { window: { start: 0, end: 31 }, budget: { used: 0, limit: 10_000 } });
    expect(ir!.ranges).toEqual(ranges);
    expect(ir!.resolution).toBe(1);
    expect(ir!.complete).toBe(true);
  });

  it('grows bit areas with reads of 2000 bits', async () => {
    const { read, log } = device({ coil: [[0, 5000]] });
    const [co] = await probeAreas(read, ['coil'], { window: { start: 0, end: 65535 }, resolution: 8192, budget: { used: 0, limit: 1000 } });
    expect(co!.ranges).toEqual([[0, 5000]]);
    expect(Math.max(...log.map((l) => l[2]))).toBe(2000);
  });

  it('marks an area answered with exception 1 as unsupported after one request', async () => {
    const { read } = device({ holding: [[0, 10]] });
    const [hr, co] = await probeAreas(read, ['holding', 'coil'], { window: { start: 0, end: 999 }, resolution: 100, budget: { used: 0, limit: 1000 } });
    expect(co).toMatchObject({ area: 'coil', supported: false, ranges: [], requests: 1, complete: true });
    expect(hr!.ranges).toEqual([[0, 10]]);
  });

  it('stops at the budget with what it found, spread evenly over the areas', async () => {
    const { read } = device({ holding: FIVE, input: FIVE });
    const budget = { used: 0, limit: 200 };
    const [hr, ir] = await probeAreas(read, ['holding', 'input'], { window: { start: 0, end: 65535 }, budget });
    expect(budget.used).toBe(200);
    expect(hr!.complete).toBe(false);
    expect(Math.abs(hr!.requests - ir!.requests)).toBeLessThan(40);
    // Every 4096th address is sampled early: 12288-12587 starts on one.
    expect(hr!.ranges).toContainEqual([12_288, 300]);
    expect(hr!.resolution).toBeGreaterThan(1);
  });

  it('stops when cancelled and keeps the ranges found so far', async () => {
    const controller = new AbortController();
    const { read } = device({ holding: FIVE });
    let n = 0;
    const [hr] = await probeAreas(read, ['holding'], {
      window: { start: 0, end: 65535 },
      budget: { used: 0, limit: 100_000 },
      signal: controller.signal,
      onRequest: () => {
        if (++n === 60) controller.abort();
      },
    });
    expect(n).toBe(60);
    expect(hr!.ranges.length).toBeGreaterThan(0);
    expect(hr!.complete).toBe(false);
    expect(hr!.error).toBeUndefined();
  });

  it('turns a reader failure into the error of the unfinished areas, keeping what was found', async () => {
    const { read: inner } = device({ holding: [[0, 300]] });
    let calls = 0;
    const read: AreaReader = async (area, start, count) => {
      if (++calls === 4) throw new Error('unit 1 stopped answering');
      return inner(area, start, count);
    };
    const [hr] = await probeAreas(read, ['holding'], { window: { start: 0, end: 65535 }, budget: { used: 0, limit: 1000 } });
    expect(hr!.error).toBe('unit 1 stopped answering');
    expect(hr!.ranges).toEqual([[0, 251]]);
    expect(hr!.complete).toBe(false);
  });
});
