import { describe, expect, it } from 'vitest';
import { runModeOf } from '../../../src/cli/commands/run.ts';

// How `plantbench run` turns its flags into a run mode: real devices are live read-only unless
// --arm says otherwise, and flags that do not go together are usage errors.

const flags = (f: Partial<Parameters<typeof runModeOf>[0]>) => runModeOf({ simulate: false, arm: false, yesIKnow: false, ...f });

describe('plantbench run flags', () => {
  it('runs real devices live read-only by default; --simulate and --arm choose the others', () => {
    expect(flags({})).toEqual({ mode: 'live-read-only', armMinutes: 15 });
    expect(flags({ simulate: true })).toEqual({ mode: 'simulated', armMinutes: 15 });
    expect(flags({ mode: 'simulated', simulate: true }).mode).toBe('simulated');
    expect(flags({ arm: true, armMinutes: '2.5', yesIKnow: true })).toEqual({ mode: 'live-armed', armMinutes: 2.5 });
    expect(flags({ mode: 'live-armed' }).mode).toBe('live-armed');
  });

  it('refuses flags that do not go together', () => {
    expect(() => flags({ mode: 'live' })).toThrow('--mode is one of simulated, live-read-only, live-armed; got "live"');
    expect(() => flags({ simulate: true, arm: true })).toThrow('--arm is for live-armed runs; it does not go with --simulate');
    expect(() => flags({ mode: 'live-read-only', arm: true })).toThrow('--arm is for live-armed runs; it does not go with --mode live-read-only');
    expect(() => flags({ mode: 'live-armed', simulate: true })).toThrow('--simulate runs simulated; it does not go with --mode live-armed');
    expect(() => flags({ yesIKnow: true })).toThrow('--arm-minutes and --yes-i-know go with --arm');
    expect(() => flags({ arm: true, armMinutes: '0' })).toThrow('--arm-minutes needs a number above 0 and at most 480, got "0"');
    expect(() => flags({ arm: true, armMinutes: 'soon' })).toThrow(/--arm-minutes needs a number/);
  });
});
