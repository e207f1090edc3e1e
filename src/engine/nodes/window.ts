import type { Aggregate } from '../../shared/nodes/window.ts';
import { windowNode } from '../../shared/nodes/window.ts';
import { worstQuality, type Quality, type Sample, type SampleMeta } from '../../shared/sample.ts';
import type { Disposable } from '../clock.ts';
import { defineKind } from '../node-kind.ts';

// Window, per tag path, in event time (each sample is placed by its ts):
// - Windows are aligned to epoch 0. Tumbling: [k*size, (k+1)*size). Sliding: windows of sizeMs start
//   every slideMs, so a sample is in sizeMs/slideMs windows. Samples are kept in "panes" of slideMs
//   (for tumbling, one pane is one window), and a window is the merge of the panes it covers.
// - A window [start, end) closes when the run clock reaches end + graceMs (a timer set for the earliest
//   pending window, and also checked when a batch arrives). It is then emitted, once, with ts = end and
//   quality = the worst quality of the samples in it. Windows without samples emit nothing.
// - One aggregate: the output keeps the tag path. Several: one sample per aggregate at {path}/{aggregate},
//   in the order of config.aggregates. `count` carries no unit; the others keep the last sample's unit.
// - Aggregates: avg = sum / count; first / last = the value with the smallest / largest ts (ties: the one
//   that arrived first / last); stddev is the POPULATION standard deviation (divides by n, so a window
//   of one sample gives 0), computed with Welford's update per sample and Chan's merge across panes.
// - Late samples: a sample counts in every window containing it that is still open. When every window
//   containing it is already closed (emitted, or its end + grace passed), it goes to the error port.
// - Bad-quality samples are skipped silently unless includeBad; a non-number (or non-finite) sample
//   that would be counted goes to the error port.
// - On stop, windows already due are emitted; windows still open are discarded (a partial window's
//   aggregate would look like a complete one).

interface Pane {
  readonly start: number;
  count: number;
  sum: number;
  mean: number;
  /** Sum of squared deviations from the mean (Welford). */
  m2: number;
  min: number;
  max: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
  quality: Quality;
  unit: string | undefined;
}

interface TagWindows {
  readonly path: string;
  /** Panes with samples, by start; panes before nextWindow are dropped. */
  readonly panes: Pane[];
  /** Start of the earliest window not yet closed for this tag. */
  nextWindow: number;
}

function newPane(start: number, v: number, ts: number, quality: Quality, unit: string | undefined): Pane {
  return { start, count: 1, sum: v, mean: v, m2: 0, min: v, max: v, firstTs: ts, first: v, lastTs: ts, last: v, quality, unit };
}

export const windowKind = defineKind(windowNode, (config, ctx) => {
  const size = config.sizeMs;
  const slide = config.mode === 'sliding' ? (config.slideMs ?? size) : size;
  const grace = config.graceMs;
  const aggregates: readonly Aggregate[] = config.aggregates;
  const single = aggregates.length === 1;
  const tags = new Map<string, TagWindows>();
  const metaByUnit = new Map<string, SampleMeta>();
  let nextDue = Infinity;
  let timer: Disposable | undefined;
  let timerDue = Infinity;

  /** Start of the earliest window still open at `now` (end + grace > now). */
  function minOpen(now: number): number {
    return (Math.floor((now - grace - size) / slide) + 1) * slide;
  }

  function metaFor(unit: string | undefined): SampleMeta | undefined {
    if (unit === undefined) return undefined;
    let meta = metaByUnit.get(unit);
    if (meta === undefined) {
      meta = { unit };
      metaByUnit.set(unit, meta);
    }
    return meta;
  }

  /** Emits the window starting at `start`, made of panes[i..] that start before its end. */
  function emitWindow(tw: TagWindows, start: number, i: number, out: Sample[]): void {
    const panes = tw.panes;
    const end = start + size;
    const p0 = panes[i]!;
    let count = p0.count;
    let sum = p0.sum;
    let mean = p0.mean;
    let m2 = p0.m2;
    let min = p0.min;
    let max = p0.max;
    let quality = p0.quality;
    let last = p0;
    for (let k = i + 1; k < panes.length && panes[k]!.start < end; k++) {
      const p = panes[k]!;
      // Chan et al.: merge (count, mean, m2) of two parts.
      const n = count + p.count;
      const delta = p.mean - mean;
      mean += (delta * p.count) / n;
      m2 += p.m2 + (delta * delta * count * p.count) / n;
      count = n;
      sum += p.sum;
      if (p.min < min) min = p.min;
      if (p.max > max) max = p.max;
      quality = worstQuality(quality, p.quality);
      last = p;
    }
    const meta = metaFor(last.unit);
    for (const agg of aggregates) {
      let value: number;
      switch (agg) {
        case 'avg':
          value = sum / count;
          break;
        case 'min':
          value = min;
          break;
        case 'max':
          value = max;
          break;
        case 'sum':
          value = sum;
          break;
        case 'count':
          value = count;
          break;
        case 'first':
          value = p0.first;
          break;
        case 'last':
          value = last.last;
          break;
        case 'stddev':
          value = Math.sqrt(Math.max(0, m2 / count));
          break;
      }
      out.push({
        path: single ? tw.path : `${tw.path}/${agg}`,
        value,
        quality,
        ts: end,
        meta: agg === 'count' ? undefined : meta,
      });
    }
  }

  /** Emits every window that has closed by `now`, and finds the next one due. */
  function closeDue(now: number, out: Sample[]): void {
    const limit = now - grace;
    const open = minOpen(now);
    const start = out.length;
    nextDue = Infinity;
    for (const tw of tags.values()) {
      const panes = tw.panes;
      let s = tw.nextWindow;
      let i = 0;
      for (;;) {
        while (i < panes.length && panes[i]!.start < s) i++;
        if (i >= panes.length) break;
        // Skip windows without samples: jump to the first window that contains pane i.
        const first = panes[i]!.start - size + slide;
        if (first > s) s = first;
        if (s + size > limit) break;
        emitWindow(tw, s, i, out);
        s += slide;
      }
      tw.nextWindow = s > open ? s : open;
      let drop = 0;
      while (drop < panes.length && panes[drop]!.start < tw.nextWindow) drop++;
      if (drop > 0) panes.splice(0, drop);
      if (panes.length === 0) {
        // Nothing pending: a new sample for this tag starts over at the first open window.
        tags.delete(tw.path);
        continue;
      }
      const first = panes[0]!.start - size + slide;
      const due = (first > tw.nextWindow ? first : tw.nextWindow) + size + grace;
      if (due < nextDue) nextDue = due;
    }
    // Across tags, windows come out in time order (stable: per tag, aggregates keep their order).
    if (out.length - start > 1) {
      const closed = out.splice(start).sort((a, b) => a.ts - b.ts);
      for (const s of closed) out.push(s);
    }
  }

  function schedule(now: number): void {
    if (nextDue === Infinity) {
      timer?.dispose();
      timer = undefined;
      timerDue = Infinity;
      return;
    }
    if (timer !== undefined && timerDue === nextDue) return;
    timer?.dispose();
    timerDue = nextDue;
    timer = ctx.setTimeout(onTimer, Math.max(0, nextDue - now));
  }

  function onTimer(): void {
    timer = undefined;
    timerDue = Infinity;
    const now = ctx.clock.now();
    const out: Sample[] = [];
    closeDue(now, out);
    ctx.emit('out', out);
    schedule(now);
  }

  return {
    process(batch) {
      const now = ctx.clock.now();
      const out: Sample[] = [];
      if (now >= nextDue) closeDue(now, out);
      const open = minOpen(now);
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        if (s.quality === 'bad' && !config.includeBad) continue;
        const v = s.value;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          ctx.fail(s, typeof v === 'number' ? `window needs a finite number, got ${v}` : `window needs a number, got ${v === null ? 'null' : typeof v}`);
          continue;
        }
        const p = Math.floor(s.ts / slide) * slide;
        let tw = tags.get(s.path);
        if (tw === undefined) {
          tw = { path: s.path, panes: [], nextWindow: open };
          tags.set(s.path, tw);
        } else if (tw.nextWindow < open) {
          // Safe: windows before `open` that held samples were closed above.
          tw.nextWindow = open;
        }
        if (p < tw.nextWindow) {
          ctx.fail(s, `late sample: every window containing ts ${s.ts} was already closed (the last ended at ${p + size}, grace ${grace} ms)`);
          continue;
        }
        const panes = tw.panes;
        let k = panes.length - 1;
        while (k >= 0 && panes[k]!.start > p) k--;
        const pane = k >= 0 ? panes[k]! : undefined;
        if (pane !== undefined && pane.start === p) {
          pane.count++;
          pane.sum += v;
          const d = v - pane.mean;
          pane.mean += d / pane.count;
          pane.m2 += d * (v - pane.mean);
          if (v < pane.min) pane.min = v;
          if (v > pane.max) pane.max = v;
          if (s.ts < pane.firstTs) {
            pane.firstTs = s.ts;
            pane.first = v;
          }
          if (s.ts >= pane.lastTs) {
            pane.lastTs = s.ts;
            pane.last = v;
            pane.unit = s.meta?.unit;
          }
          if (s.quality !== 'good') pane.quality = worstQuality(pane.quality, s.quality);
        } else {
          panes.splice(k + 1, 0, newPane(p, v, s.ts, s.quality, s.meta?.unit));
          const first = p - size + slide;
          const due = (first > tw.nextWindow ? first : tw.nextWindow) + size + grace;
          if (due < nextDue) nextDue = due;
        }
      }
      schedule(now);
      ctx.emit('out', out);
    },
    stop() {
      const out: Sample[] = [];
      closeDue(ctx.clock.now(), out);
      ctx.emit('out', out);
      timer?.dispose();
      timer = undefined;
      tags.clear();
    },
  };
});
