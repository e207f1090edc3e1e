import { scaleNode } from '../../shared/nodes/scale.ts';
import type { Sample } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';

export const scaleKind = defineKind(scaleNode, (config, ctx) => {
  const gain = (config.engHigh - config.engLow) / (config.rawHigh - config.rawLow);
  const lo = Math.min(config.engLow, config.engHigh);
  const hi = Math.max(config.engLow, config.engHigh);
  const range = { low: lo, high: hi };
  // Samples without meta share one object; samples are immutable, so sharing is safe.
  const bareMeta = config.unit === undefined ? { range } : { unit: config.unit, range };
  return {
    process(batch) {
      const out: Sample[] = [];
      for (const s of batch) {
        if (typeof s.value !== 'number') {
          ctx.fail(s, `scale needs a number, got ${typeof s.value}`);
          continue;
        }
        let v = config.engLow + (s.value - config.rawLow) * gain;
        if (config.clamp) v = v < lo ? lo : v > hi ? hi : v;
        out.push({
          path: s.path,
          value: v,
          quality: s.quality,
          status: s.status,
          ts: s.ts,
          serverTs: s.serverTs,
          meta: s.meta === undefined ? bareMeta : { ...s.meta, unit: config.unit ?? s.meta.unit, range },
        });
      }
      ctx.emit('out', out);
    },
  };
});
