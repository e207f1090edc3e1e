import { z } from 'zod';
import { engineeringRange } from '../model/common.ts';
import { defineNode } from './spec.ts';

export const deadbandNode = defineNode({
  type: 'deadband',
  title: 'Deadband',
  category: 'transform',
  summary: 'Passes a value only when it moves beyond a band (absolute or percent); re-sends the last value after a silence.',
  config: z
    .object({
      mode: z.enum(['absolute', 'percent']).default('absolute'),
      value: z.number().nonnegative(),
      /** Percent of this range; without it, percent of the sample's meta.range, else of the last sent value. */
      range: engineeringRange.optional(),
      /** Heartbeat: re-send the last value when nothing was sent for this long. */
      maxSilenceMs: z.number().int().positive().optional(),
    })
    .strict(),
  ports: () => ({ inputs: { in: 'number' }, outputs: { out: 'number' } }),
});
