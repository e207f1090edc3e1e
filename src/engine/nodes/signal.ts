import { signalNode } from '../../shared/nodes/signal.ts';
import { createSignal } from '../../shared/signals.ts';
import { defineKind } from '../node-kind.ts';

export const signalKind = defineKind(signalNode, (config, ctx) => {
  const signal = createSignal(config.shape);
  const meta = config.unit ? { unit: config.unit } : undefined;
  let startedAt = 0;
  return {
    start() {
      startedAt = ctx.clock.now();
      ctx.setInterval(() => {
        // Paced: a poll is skipped, not stacked, while downstream is full.
        if (!ctx.canEmit()) return;
        const ts = ctx.clock.now();
        ctx.emit('out', [{ path: config.path, value: signal(ts - startedAt), quality: 'good', ts, meta }]);
      }, config.intervalMs);
    },
  };
});
