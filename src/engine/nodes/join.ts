import { joinNode } from '../../shared/nodes/join.ts';
import { worstQuality, type Quality, type Sample, type Value } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';
import { valuesEqual } from './change-detect.ts';

// Join: keeps the latest sample of each field's tag (exact path match; other paths are ignored) and
// emits one sample at config.path with value { field: value }.
// - quality = the worst quality of the fields present, ts = the newest ts among them; no meta.
// - Fields keep the order of config.fields. Without requireAll, fields not seen yet are left out.
// - requireAll (default): nothing is emitted until every field has been seen once.
// - on-change: after a batch in which a field was seen for the first time or its value (deep equality) or
//   quality changed, one sample is emitted for the whole batch (several changes in a batch: one emit,
//   with the last value of each field).
// - interval: every intervalMs of clock time the current payload is emitted, changed or not (nothing
//   while no field, or with requireAll not every field, has been seen).
// - One tag may feed several fields. Samples of any quality count, bad ones make the payload bad.

export const joinKind = defineKind(joinNode, (config, ctx) => {
  const names = Object.keys(config.fields);
  const n = names.length;
  const byPath = new Map<string, number[]>();
  names.forEach((name, i) => {
    const path = config.fields[name]!;
    const list = byPath.get(path);
    if (list) list.push(i);
    else byPath.set(path, [i]);
  });
  const values: Value[] = new Array<Value>(n).fill(null);
  const qualities: Quality[] = new Array<Quality>(n).fill('good');
  const tss: number[] = new Array<number>(n).fill(-Infinity);
  const seen: boolean[] = new Array<boolean>(n).fill(false);
  let seenCount = 0;

  function snapshot(): Sample | undefined {
    if (seenCount === 0 || (config.requireAll && seenCount < n)) return undefined;
    const value: Record<string, Value> = {};
    let quality: Quality = 'good';
    let ts = -Infinity;
    for (let i = 0; i < n; i++) {
      if (!seen[i]) continue;
      value[names[i]!] = values[i]!;
      quality = worstQuality(quality, qualities[i]!);
      if (tss[i]! > ts) ts = tss[i]!;
    }
    return { path: config.path, value, quality, ts };
  }

  const onChange = config.emit.mode === 'on-change';
  const intervalMs = config.emit.mode === 'interval' ? config.emit.intervalMs : 0;

  return {
    start() {
      if (!onChange) {
        ctx.setInterval(() => {
          const s = snapshot();
          if (s) ctx.emit('out', [s]);
        }, intervalMs);
      }
    },
    process(batch) {
      let changed = false;
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        const fields = byPath.get(s.path);
        if (fields === undefined) continue;
        for (const f of fields) {
          if (!seen[f]) {
            seen[f] = true;
            seenCount++;
            changed = true;
          } else if (!changed && (qualities[f] !== s.quality || !valuesEqual(values[f]!, s.value))) {
            changed = true;
          }
          values[f] = s.value;
          qualities[f] = s.quality;
          tss[f] = s.ts;
        }
      }
      if (onChange && changed) {
        const s = snapshot();
        if (s) ctx.emit('out', [s]);
      }
    },
  };
});
