import { rateLimitNode } from '../../shared/nodes/rate-limit.ts';
import type { Sample } from '../../shared/sample.ts';
import type { Disposable } from '../clock.ts';
import { defineKind } from '../node-kind.ts';

// Rate limit, per tag path, on the run clock (arrival time, not sample ts). Samples go out unchanged.
// - keep 'first': a sample passes when no sample of its path passed in the last intervalMs, i.e. the
//   one that passes at time t opens a window [t, t + intervalMs) in which the others are dropped.
// - keep 'latest' (leading + trailing):
//   - a sample of a quiet path (no window open) goes out at once and opens a window of intervalMs;
//   - samples arriving while the window is open replace one pending sample (the newest wins);
//   - when the window ends, the pending sample, if any, goes out and opens the next window; if none
//     is pending, the path is quiet again.
//   So a path sends at most one sample per intervalMs, the first of a burst without delay and the
//   last of it at most intervalMs late. On stop, pending samples are flushed.
// All windows have the same length, so they end in the order they were opened: 'latest' keeps open
// windows in a Map in that order and needs a single timer, set for the earliest end.

interface Slot {
  readonly path: string;
  /** Clock time at which this path's window ends. */
  end: number;
  pending: Sample | undefined;
}

export const rateLimitKind = defineKind(rateLimitNode, (config, ctx) => {
  const interval = config.intervalMs;

  if (config.keep === 'first') {
    const passedAt = new Map<string, number>();
    return {
      process(batch) {
        const now = ctx.clock.now();
        const out: Sample[] = [];
        for (let i = 0; i < batch.length; i++) {
          const s = batch[i]!;
          const t = passedAt.get(s.path);
          if (t === undefined || now - t >= interval) {
            passedAt.set(s.path, now);
            out.push(s);
          }
        }
        ctx.emit('out', out);
      },
    };
  }

  /** Open windows, in the order they end. */
  const open = new Map<string, Slot>();
  let timer: Disposable | undefined;

  function arm(now: number): void {
    if (timer !== undefined) return;
    const front = open.values().next();
    if (front.done) return;
    timer = ctx.setTimeout(onTimer, Math.max(0, front.value.end - now));
  }

  function onTimer(): void {
    timer = undefined;
    const now = ctx.clock.now();
    const ended: Slot[] = [];
    for (const slot of open.values()) {
      if (slot.end > now) break;
      ended.push(slot);
    }
    const out: Sample[] = [];
    for (const slot of ended) {
      open.delete(slot.path);
      if (slot.pending !== undefined) {
        out.push(slot.pending);
        slot.pending = undefined;
        slot.end = now + interval;
        open.set(slot.path, slot);
      }
    }
    ctx.emit('out', out);
    arm(now);
  }

  return {
    process(batch) {
      const now = ctx.clock.now();
      const out: Sample[] = [];
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        const slot = open.get(s.path);
        if (slot === undefined) {
          open.set(s.path, { path: s.path, end: now + interval, pending: undefined });
          out.push(s);
        } else {
          slot.pending = s;
        }
      }
      arm(now);
      ctx.emit('out', out);
    },
    stop() {
      timer?.dispose();
      timer = undefined;
      const out: Sample[] = [];
      for (const slot of open.values()) if (slot.pending !== undefined) out.push(slot.pending);
      open.clear();
      ctx.emit('out', out);
    },
  };
});
