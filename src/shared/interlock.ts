import type { Interlock } from './model/device.ts';
import type { Value } from './sample.ts';

// The checks of a tag's interlock (devices/<id>.yaml, docs/live-safety.md), pure so the write gate,
// the UI and the tests share them. Each returns the reason a write is refused, or undefined.

/** The last value written to a tag in this run, and when (epoch ms). */
export interface LastWrite {
  readonly value: Value;
  readonly at: number;
}

const show = (v: Value): string => (typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)));

/** A number, a numeric string or an on/off as 1/0; undefined for anything else. */
function asNumber(v: Value): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Equal as the device would hold them: 1 and true, "5" and 5. */
function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string') return false;
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  return JSON.stringify(a) === JSON.stringify(b);
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

/** Why the interlock refuses writing `value` now, given the last value written to the tag; undefined when it may be written. */
export function interlockRefusal(lock: Interlock | undefined, value: Value, last: LastWrite | undefined, now: number): string | undefined {
  if (!lock) return undefined;
  if (lock.allowed && !lock.allowed.some((a) => sameValue(a, value))) {
    return `interlock: ${show(value)} is not an allowed value (${lock.allowed.map(show).join(', ')})`;
  }
  if (lock.min === undefined && lock.max === undefined && lock.maxRatePerSecond === undefined) return undefined;
  const n = asNumber(value);
  if (n === undefined) return `interlock: ${show(value)} is not a number, and the tag has numeric limits`;
  if (lock.min !== undefined && n < lock.min) return `interlock: ${n} is below min ${lock.min}`;
  if (lock.max !== undefined && n > lock.max) return `interlock: ${n} is above max ${lock.max}`;
  if (lock.maxRatePerSecond !== undefined && last) {
    const previous = asNumber(last.value);
    const change = previous === undefined ? 0 : Math.abs(n - previous);
    const seconds = (now - last.at) / 1000;
    if (change > 0 && (seconds <= 0 || change / seconds > lock.maxRatePerSecond)) {
      const rate = seconds <= 0 ? 'at once' : `${round(change / seconds)}/s`;
      return `interlock: changing from ${previous} to ${n} in ${round(Math.max(0, seconds))} s (${rate}) is faster than maxRatePerSecond ${lock.maxRatePerSecond}`;
    }
  }
  return undefined;
}

/** The read-back tolerance and delay the interlock asks for, or undefined when it asks for none. */
export function readBackOf(lock: Interlock | undefined): { tolerance: number; delayMs: number } | undefined {
  const rb = lock?.readBack;
  if (rb === undefined || rb === false) return undefined;
  return rb === true ? { tolerance: 0, delayMs: 0 } : { tolerance: rb.tolerance, delayMs: rb.delayMs };
}

/** Why the value read back does not match what was written; undefined when it does. */
export function readBackMismatch(written: Value, readBack: Value, tolerance: number): string | undefined {
  const a = asNumber(written);
  const b = asNumber(readBack);
  const bothText = typeof written === 'string' && typeof readBack === 'string';
  if (!bothText && a !== undefined && b !== undefined) {
    // Float registers and scaling round a little: allow for that beside the tolerance asked for.
    if (Math.abs(a - b) <= tolerance + 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))) return undefined;
  } else if (sameValue(written, readBack)) return undefined;
  return `read-back: the device holds ${show(readBack)} after writing ${show(written)}${tolerance ? ` (tolerance ${tolerance})` : ''}`;
}

/** "0..1200, ≤ 50/s, one of 0, 1, 2, read-back ±0.5": an interlock in a few words (arming confirmation, UI). */
export function describeInterlock(lock: Interlock | undefined): string {
  if (!lock) return 'no interlock';
  const parts: string[] = [];
  if (lock.min !== undefined && lock.max !== undefined) parts.push(`${lock.min}..${lock.max}`);
  else if (lock.min !== undefined) parts.push(`≥ ${lock.min}`);
  else if (lock.max !== undefined) parts.push(`≤ ${lock.max}`);
  if (lock.maxRatePerSecond !== undefined) parts.push(`at most ${lock.maxRatePerSecond}/s`);
  if (lock.allowed) parts.push(`one of ${lock.allowed.map(show).join(', ')}`);
  const rb = readBackOf(lock);
  if (rb) parts.push(`read-back${rb.tolerance ? ` ±${rb.tolerance}` : ''}${rb.delayMs ? ` after ${rb.delayMs} ms` : ''}`);
  return parts.length ? parts.join(', ') : 'no limits';
}
