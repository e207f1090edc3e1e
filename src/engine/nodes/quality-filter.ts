import { qualityFilterNode } from '../../shared/nodes/quality-filter.ts';
import type { Sample } from '../../shared/sample.ts';
import { defineKind } from '../node-kind.ts';

// Quality filter: samples whose quality is in config.allow leave on "out", the others on "rejected",
// both unchanged and in their input order. A batch that passes (or is rejected) whole is forwarded as
// the same array, without copying.

export const qualityFilterKind = defineKind(qualityFilterNode, (config, ctx) => {
  const allowGood = config.allow.includes('good');
  const allowUncertain = config.allow.includes('uncertain');
  const allowBad = config.allow.includes('bad');
  const allowed = (s: Sample): boolean =>
    s.quality === 'good' ? allowGood : s.quality === 'uncertain' ? allowUncertain : s.quality === 'bad' ? allowBad : false;
  return {
    process(batch) {
      let passing = 0;
      for (let i = 0; i < batch.length; i++) if (allowed(batch[i]!)) passing++;
      if (passing === batch.length) {
        ctx.emit('out', batch);
        return;
      }
      if (passing === 0) {
        ctx.emit('rejected', batch);
        return;
      }
      const out: Sample[] = [];
      const rejected: Sample[] = [];
      for (let i = 0; i < batch.length; i++) {
        const s = batch[i]!;
        (allowed(s) ? out : rejected).push(s);
      }
      ctx.emit('out', out);
      ctx.emit('rejected', rejected);
    },
  };
});
