import { describe, expect, it } from 'vitest';
import { describeInterlock, interlockRefusal, readBackMismatch, readBackOf } from '../../../src/shared/interlock.ts';
import { deviceFile, interlock, type Interlock } from '../../../src/shared/model/device.ts';

// Interlock checks (range, rate of change against the last write, allowed values, read-back) and the
// validation of their bounds.

const lock = (fields: Record<string, unknown>): Interlock => interlock.parse(fields);

describe('interlock checks', () => {
  it('refuses values outside min..max, and non-numbers when there are numeric limits', () => {
    const l = lock({ min: 0, max: 100 });
    expect(interlockRefusal(l, 0, undefined, 0)).toBeUndefined();
    expect(interlockRefusal(l, 100, undefined, 0)).toBeUndefined();
    expect(interlockRefusal(l, '55.5', undefined, 0)).toBeUndefined();
    expect(interlockRefusal(l, -0.5, undefined, 0)).toBe('interlock: -0.5 is below min 0');
    expect(interlockRefusal(l, 100.1, undefined, 0)).toBe('interlock: 100.1 is above max 100');
    expect(interlockRefusal(l, 'fast', undefined, 0)).toBe('interlock: "fast" is not a number, and the tag has numeric limits');
    expect(interlockRefusal(lock({ max: 10 }), null, undefined, 0)).toMatch(/null is not a number/);
  });

  it('limits the rate of change against the last value written and its time', () => {
    const l = lock({ maxRatePerSecond: 10 });
    expect(interlockRefusal(l, 500, undefined, 0)).toBeUndefined();
    const last = { value: 100, at: 10_000 };
    expect(interlockRefusal(l, 120, last, 12_000)).toBeUndefined(); // 10/s
    expect(interlockRefusal(l, 80, last, 12_000)).toBeUndefined(); // down as fast
    expect(interlockRefusal(l, 121, last, 12_000)).toBe('interlock: changing from 100 to 121 in 2 s (10.5/s) is faster than maxRatePerSecond 10');
    expect(interlockRefusal(l, 101, last, 10_000)).toBe('interlock: changing from 100 to 101 in 0 s (at once) is faster than maxRatePerSecond 10');
    expect(interlockRefusal(l, 100, last, 10_000)).toBeUndefined(); // no change
  });

  it('allows only the listed values; 1 and true, "2" and 2 are the same to a device', () => {
    expect(interlockRefusal(lock({ allowed: [0, 1, 2] }), 2, undefined, 0)).toBeUndefined();
    expect(interlockRefusal(lock({ allowed: [0, 1, 2] }), '2', undefined, 0)).toBeUndefined();
    expect(interlockRefusal(lock({ allowed: [0, 1, 2] }), 3, undefined, 0)).toBe('interlock: 3 is not an allowed value (0, 1, 2)');
    expect(interlockRefusal(lock({ allowed: [true] }), 1, undefined, 0)).toBeUndefined();
    expect(interlockRefusal(lock({ allowed: ['auto', 'manual'] }), 'Auto', undefined, 0)).toBe('interlock: "Auto" is not an allowed value ("auto", "manual")');
  });

  it('compares a read-back within the tolerance, and exactly for text and on/off', () => {
    expect(readBackOf(lock({ readBack: true }))).toEqual({ tolerance: 0, delayMs: 0 });
    expect(readBackOf(lock({ readBack: { tolerance: 0.5 } }))).toEqual({ tolerance: 0.5, delayMs: 0 });
    expect(readBackOf(lock({ readBack: false }))).toBeUndefined();
    expect(readBackOf(lock({ min: 1 }))).toBeUndefined();
    expect(readBackMismatch(12.3, 12.3, 0)).toBeUndefined();
    expect(readBackMismatch(0.1 + 0.2, 0.3, 0)).toBeUndefined();
    expect(readBackMismatch(12.34, 12.3, 0.05)).toBeUndefined();
    expect(readBackMismatch(12.34, 12.3, 0)).toBe('read-back: the device holds 12.3 after writing 12.34');
    expect(readBackMismatch(15, 12, 0.5)).toBe('read-back: the device holds 12 after writing 15 (tolerance 0.5)');
    expect(readBackMismatch(true, 1, 0)).toBeUndefined();
    expect(readBackMismatch('run', 'run', 0)).toBeUndefined();
    expect(readBackMismatch('10', '10.0', 0)).toBe('read-back: the device holds "10.0" after writing "10"');
  });

  it('describes an interlock in a few words', () => {
    expect(describeInterlock(undefined)).toBe('no interlock');
    expect(describeInterlock(lock({ min: 0, max: 1200, maxRatePerSecond: 50, readBack: { tolerance: 0.5, delayMs: 200 } }))).toBe('0..1200, at most 50/s, read-back ±0.5 after 200 ms');
    expect(describeInterlock(lock({ allowed: [0, 1], readBack: true }))).toBe('one of 0, 1, read-back');
    expect(describeInterlock(lock({ max: 5 }))).toBe('≤ 5');
  });
});

describe('interlock validation', () => {
  const device = (tag: Record<string, unknown>) =>
    deviceFile.safeParse({ apiVersion: 'plantbench/v1', kind: 'Device', id: 'plc', protocol: 'modbus', transport: { kind: 'tcp', host: '127.0.0.1' }, tags: [{ name: 't', area: 'holding', address: 0, writable: true, ...tag }] });
  const issues = (tag: Record<string, unknown>) => {
    const r = device(tag);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('rejects bad bounds with the field path', () => {
    expect(issues({ interlock: { min: 10, max: 5 } })).toEqual(['tags.0.interlock.max: max (5) is below min (10)']);
    expect(issues({ interlock: { maxRatePerSecond: -1 } })).toEqual(['tags.0.interlock.maxRatePerSecond: maxRatePerSecond must be above 0 (got -1)']);
    expect(issues({ interlock: { maxRatePerSecond: 0 } })).toEqual(['tags.0.interlock.maxRatePerSecond: maxRatePerSecond must be above 0 (got 0)']);
    expect(issues({ interlock: { allowed: [] } })).toEqual(['tags.0.interlock.allowed: allowed needs at least one value (leave it out to allow any value)']);
    expect(issues({ interlock: { min: 0, max: 10, allowed: [5, 11] } })).toEqual(['tags.0.interlock.allowed.1: allowed value 11 is outside min..max, so it could never be written']);
    expect(issues({ interlock: { readBack: { tolerance: -1 } } })).toHaveLength(1);
    expect(issues({ interlock: { maximum: 3 } })).toEqual([expect.stringMatching(/^tags\.0\.interlock: Unrecognized key: "maximum"/)]);
  });

  it('rejects limits the tag type cannot hold', () => {
    expect(issues({ area: 'coil', type: 'bool', interlock: { max: 1 } })).toEqual(['tags.0.interlock.max: max needs a numeric tag; this one is bool']);
    expect(issues({ type: 'int16', interlock: { allowed: [1, 'two'] } })).toEqual(['tags.0.interlock.allowed.1: "two" is not a number, as the int16 tag holds']);
    expect(issues({ area: 'coil', type: 'bool', interlock: { allowed: [true], readBack: true } })).toEqual([]);
  });

  it('accepts a full interlock', () => {
    expect(device({ type: 'float32', interlock: { min: 0, max: 1200, maxRatePerSecond: 50, allowed: [0, 600, 1200], readBack: { tolerance: 0.5, delayMs: 100 } } }).success).toBe(true);
  });
});
