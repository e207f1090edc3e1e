import { deadbandNode } from '../../shared/nodes/deadband.ts';
import type { Sample } from '../../shared/sample.ts';
import type { Disposable } from '../clock.ts';
import { defineKind } from '../node-kind.ts';

// Deadband, per tag path:
// - The first sample of a tag always passes.
// - A sample passes when |value - last sent value| is strictly greater than the band:
//   absolute: config.value;
//   percent:  config.value % of config.range (high - low), else of the sample's meta.range, else of
//             |last sent value| (so a last sent value of 0 gives a zero band: any change passes).
// - A sample whose quality differs from the last sent sample's quality also passes (like the OPC UA
//   StatusValue trigger: a tag going bad or coming back is never hidden by the band).
// - maxSilenceMs (heartbeat): when nothing was sent for a tag for maxSilenceMs of clock time, the last
//   sent sample is re-sent with the clock's current time as ts (timer), and an arriving sample inside
//   the band passes when the tag has been silent that long (checked on arrival). A heartbeat counts as a
//   send, so a quiet tag is re-sent every maxSilenceMs; it does not move the band's reference value.
//   Heartbeats due together go out in one batch. Heartbeat checks are at least maxSilenceMs/16 apart, so
//   a heartbeat goes out between maxSilenceMs and 17/16 maxSilenceMs after the last send (exactly at
//   maxSilenceMs unless another tag's heartbeat went out less than maxSilenceMs/16 before).
// - Non-numbers and non-finite numbers go to the error port.
// Passing samples are emitted as they came (same object), never copied.

interface TagState {
  /** The last sample sent; a heartbeat re-sends its value, quality, status and meta. */
  sent: Sample;
  /** Value of `sent`, the band's reference. */
  value: number;
  /** Clock time of the last send (sample or heartbeat). */
  sentAt: number;
}

export const deadbandKind = defineKind(deadbandNode, (config, ctx) => {
  const fraction = config.value / 100;
  // A band that is the same for every sample, or -1 when it depends on the sample or the last value.
  const fixedBand =
    config.mode === 'absolute' ? config.value : config.range !== undefined ? fraction * (config.range.high - config.range.low) : -1;
  const heartbeat = config.maxSilenceMs !== undefined;
  const silenceMs = config.maxSilenceMs ?? 0;
  // Heartbeat checks are spaced at least this far apart, so many quiet tags with staggered
  // schedules cost a bounded number of scans per silence period.
  const minCheckGapMs = silenceMs / 16;
  const tags = new Map<string, TagState>();
  let timer: Disposable | undefined;

  function arm(due: number, now: number): void {
    if (timer === undefined) timer = ctx.setTimeout(beat, Math.max(0, due - now));
  }

  // One timer for all tags, set for the earliest heartbeat due (or minCheckGapMs after the last check).
  // A send only moves a tag's due later, so a new send never needs an earlier timer; when the timer
  // fires early (the tag was sent since), it just finds the next due.
  function beat(): void {
    timer = undefined;
    const now = ctx.clock.now();
    const out: Sample[] = [];
    let next = Infinity;
    for (const st of tags.values()) {
      let due = st.sentAt + silenceMs;
      if (due <= now) {
        const s = st.sent;
        out.push({ path: s.path, value: st.value, quality: s.quality, status: s.status, ts: now, meta: s.meta });
        st.sentAt = now;
        due = now + silenceMs;
      }
      if (due < next) next = due;
    }
    ctx.emit('out', out);
    if (next !== Infinity) arm(Math.max(next, now + minCheckGapMs), now);
  }

  return {
    process(batch) {
      const out: Sample[] = [];
      const now = heartbeat ? ctx.clock.now() : 0;
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        const v = s.value;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          ctx.fail(s, typeof v === 'number' ? `deadband needs a finite number, got ${v}` : `deadband needs a number, got ${v === null ? 'null' : typeof v}`);
          continue;
        }
        const st = tags.get(s.path);
        if (st === undefined) {
          tags.set(s.path, { sent: s, value: v, sentAt: now });
          out.push(s);
          continue;
        }
        let band = fixedBand;
        if (band < 0) {
          const range = s.meta?.range;
          band = range !== undefined ? fraction * (range.high - range.low) : fraction * Math.abs(st.value);
        }
        const diff = v - st.value;
        if (diff > band || -diff > band || s.quality !== st.sent.quality || (heartbeat && now - st.sentAt >= silenceMs)) {
          st.sent = s;
          st.value = v;
          st.sentAt = now;
          out.push(s);
        }
      }
      // Without a timer no tag existed before this batch: the earliest due is a full silence away.
      if (heartbeat && timer === undefined && tags.size > 0) arm(now + silenceMs, now);
      ctx.emit('out', out);
    },
    stop() {
      timer?.dispose();
      timer = undefined;
    },
  };
});
