import { logNode } from '../../shared/nodes/log.ts';
import { defineKind } from '../node-kind.ts';

export const logKind = defineKind(logNode, (config, ctx) => ({
  process(batch) {
    for (const s of batch) {
      ctx.log('info', config.label ?? 'sample', { path: s.path, value: s.value, quality: s.quality, ts: s.ts, ...(s.meta?.unit ? { unit: s.meta.unit } : {}) });
    }
  },
}));
