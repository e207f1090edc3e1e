// The simulator's PackML-like state machine, on a hand-driven timer.
import { describe, expect, it } from 'vitest';
import { PACKML_COMMANDS as C, PACKML_STATES as S, PackmlMachine, packmlStateName } from '../../../src/simulators/opcua/packml.ts';

function machine(initial?: keyof typeof S) {
  const timers: { fn: () => void; cancelled: boolean }[] = [];
  const changes: number[] = [];
  const m = new PackmlMachine({
    transitionMs: 100,
    schedule: (fn) => {
      const t = { fn, cancelled: false };
      timers.push(t);
      return () => void (t.cancelled = true);
    },
    onChange: (s) => changes.push(s),
    ...(initial ? { initial } : {}),
  });
  /** Lets every pending acting state complete. */
  const elapse = (): void => {
    while (timers.length) {
      const t = timers.shift()!;
      if (!t.cancelled) t.fn();
    }
  };
  return { m, changes, elapse };
}

describe('PackmlMachine', () => {
  it('starts producing (Execute) and runs a stop, reset, start cycle through the acting states', () => {
    const { m, changes, elapse } = machine();
    expect(packmlStateName(m.state)).toBe('Execute');
    expect(m.command(C.Stop)).toBe('accepted');
    elapse();
    expect(m.command(C.Reset)).toBe('accepted');
    elapse();
    expect(m.command(C.Start)).toBe('accepted');
    elapse();
    expect(changes).toEqual([S.Stopping, S.Stopped, S.Resetting, S.Idle, S.Starting, S.Execute]);
  });

  it('refuses commands the current state does not accept, and unknown codes', () => {
    const { m } = machine('Stopped');
    expect(m.command(C.Start)).toBe('invalid-state');
    expect(m.command(C.Unhold)).toBe('invalid-state');
    expect(m.command(42)).toBe('unknown-command');
    expect(m.state).toBe(S.Stopped);
  });

  it('holds and suspends from Execute, and aborts from anywhere until cleared', () => {
    const { m, changes, elapse } = machine();
    m.command(C.Hold);
    elapse();
    m.command(C.Unhold);
    elapse();
    m.command(C.Suspend);
    elapse();
    m.command(C.Unsuspend);
    elapse();
    expect(changes).toEqual([S.Holding, S.Held, S.Unholding, S.Execute, S.Suspending, S.Suspended, S.Unsuspending, S.Execute]);
    m.command(C.Abort);
    expect(m.command(C.Abort)).toBe('invalid-state');
    elapse();
    expect(m.state).toBe(S.Aborted);
    expect(m.command(C.Reset)).toBe('invalid-state');
    m.command(C.Clear);
    elapse();
    expect(m.state).toBe(S.Stopped);
  });

  it('lets Stop and Abort interrupt an acting state', () => {
    const { m, elapse } = machine('Idle');
    m.command(C.Start);
    expect(m.state).toBe(S.Starting);
    m.command(C.Abort);
    elapse();
    expect(m.state).toBe(S.Aborted);
  });
});
