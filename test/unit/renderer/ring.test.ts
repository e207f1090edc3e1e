import { describe, expect, it } from 'vitest';
import { BoundedMap, RingBuffer, SeriesRing } from '../../../src/renderer/lib/ring.ts';

describe('RingBuffer', () => {
  it('keeps the newest entries in order and counts what it overwrote', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
    expect(r.dropped).toBe(2);
    expect(r.at(0)).toBe(3);
    expect(r.at(3)).toBeUndefined();
    r.clear();
    expect(r.toArray()).toEqual([]);
  });

  it('stays at its capacity under a firehose', () => {
    const r = new RingBuffer<{ n: number }>(1000);
    for (let i = 0; i < 100_000; i++) r.push({ n: i });
    expect(r.size).toBe(1000);
    expect(r.at(0)!.n).toBe(99_000);
    expect(r.at(999)!.n).toBe(99_999);
  });

  it('refuses a capacity below one', () => {
    expect(() => new RingBuffer(0)).toThrow(/at least 1/);
  });
});

describe('SeriesRing', () => {
  it('returns the points of a window, oldest first, after wrapping', () => {
    const s = new SeriesRing(4);
    for (let t = 0; t < 6; t++) s.push(t * 1000, t * 10);
    expect(s.size).toBe(4);
    expect(s.lastTime()).toBe(5000);
    expect(s.since(0)).toEqual({ t: [2000, 3000, 4000, 5000], v: [20, 30, 40, 50] });
    expect(s.since(3500)).toEqual({ t: [4000, 5000], v: [40, 50] });
    s.clear();
    expect(s.lastTime()).toBeUndefined();
  });
});

describe('BoundedMap', () => {
  it('forgets the least recently written keys once it holds a tenth more than its limit', () => {
    const m = new BoundedMap<string, number>(10);
    for (let i = 0; i < 11; i++) m.set(`k${i}`, i);
    m.set('k0', 100); // k0 is now the newest write
    expect(m.size).toBe(11);
    m.set('k11', 11); // 12 > 10 + 1: trimmed back to 10
    expect(m.size).toBe(10);
    expect(m.evicted).toBe(2);
    expect([...m.keys()].sort()).toEqual(['k0', 'k10', 'k11', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
    expect(m.get('k0')).toBe(100);
    expect(m.get('k1')).toBeUndefined();
  });
});
