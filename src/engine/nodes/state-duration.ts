import { stateDurationNode } from '../../shared/nodes/state-duration.ts';
import { worstQuality, type Quality, type Sample } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';

// State duration, per tag path:
// - A sample's value (boolean, finite number or string) is its raw state; its name is
//   config.names[String(value)], else String(value). Other values, and names that are empty or contain
//   "/", "#" or "+", go to the error port.
// - Episodes are timed with the samples' source timestamps: the first sample of a path starts an episode
//   at its ts. A sample with another state ends it: `${path}/${previous state}` is emitted with the
//   episode's duration (change ts - start ts) in config.unit, ts = the change ts, meta.unit = config.unit,
//   and quality = the worse of the samples that started and ended the episode. A sample repeating the
//   state changes nothing.
// - Bad-quality samples never change the state (the state is then unknown, not changed).
// - A sample older than the start of the current episode goes to the error port (it cannot be placed).
// - totalsEveryMs: every that often (run clock), for each path and each state seen so far, in the order
//   first seen, `${path}/${state}/total` = time spent in that state since the run started, including
//   the ongoing episode up to the clock's now (never negative), ts = now. Quality is good, or uncertain
//   when the path's latest sample was bad (the ongoing state is then assumed, not known).

interface TagState {
  readonly path: string;
  state: string;
  /** ts of the sample that started the ongoing episode. */
  since: number;
  quality: Quality;
  /** The latest sample was bad: the ongoing state is assumed. */
  stale: boolean;
  /** Milliseconds of finished episodes per state, in the order states were first seen. */
  readonly totals: Map<string, number>;
}

const INVALID_NAME = /[/#+]/;

export const stateDurationKind = defineKind(stateDurationNode, (config, ctx) => {
  const names = config.names;
  const divisor = config.unit === 's' ? 1000 : 1;
  const meta = { unit: config.unit };
  const tags = new Map<string, TagState>();

  function emitTotals(): void {
    const now = ctx.clock.now();
    const out: Sample[] = [];
    for (const st of tags.values()) {
      const quality: Quality = st.stale ? 'uncertain' : 'good';
      for (const [state, ms] of st.totals) {
        const total = state === st.state ? ms + Math.max(0, now - st.since) : ms;
        out.push({ path: `${st.path}/${state}/total`, value: total / divisor, quality, ts: now, meta });
      }
    }
    ctx.emit('out', out);
  }

  return {
    start() {
      if (config.totalsEveryMs !== undefined) ctx.setInterval(emitTotals, config.totalsEveryMs);
    },
    process(batch) {
      const out: Sample[] = [];
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        const st = tags.get(s.path);
        if (s.quality === 'bad') {
          if (st !== undefined) st.stale = true;
          continue;
        }
        const v = s.value;
        if (typeof v !== 'boolean' && typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
          ctx.fail(s, `state-duration needs a boolean, number or string state, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? v : typeof v}`);
          continue;
        }
        const raw = String(v);
        const name = Object.hasOwn(names, raw) ? names[raw]! : raw;
        if (name === '' || INVALID_NAME.test(name)) {
          ctx.fail(s, `state name ${JSON.stringify(name)} cannot be a path level (empty, or has "/", "#" or "+"): map it in names`);
          continue;
        }
        if (st === undefined) {
          tags.set(s.path, { path: s.path, state: name, since: s.ts, quality: s.quality, stale: false, totals: new Map([[name, 0]]) });
          continue;
        }
        if (s.ts < st.since) {
          ctx.fail(s, `sample at ts ${s.ts} is older than the current "${st.state}" episode, which started at ${st.since}`);
          continue;
        }
        st.stale = false;
        if (name === st.state) continue;
        const ms = s.ts - st.since;
        st.totals.set(st.state, (st.totals.get(st.state) ?? 0) + ms);
        out.push({ path: `${s.path}/${st.state}`, value: ms / divisor, quality: worstQuality(st.quality, s.quality), ts: s.ts, meta });
        st.state = name;
        st.since = s.ts;
        st.quality = s.quality;
        if (!st.totals.has(name)) st.totals.set(name, 0);
      }
      ctx.emit('out', out);
    },
  };
});
