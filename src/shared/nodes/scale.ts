import { z } from 'zod';
import { defineNode } from './spec.ts';

export const scaleNode = defineNode({
  type: 'scale',
  title: 'Scale',
  category: 'transform',
  summary: 'Maps a raw range linearly onto an engineering range, optionally clamped.',
  config: z
    .object({
      rawLow: z.number(),
      rawHigh: z.number(),
      engLow: z.number(),
      engHigh: z.number(),
      clamp: z.boolean().default(false),
      unit: z.string().optional(),
    })
    .strict()
    .refine((c) => c.rawHigh !== c.rawLow, { message: 'rawHigh must differ from rawLow', path: ['rawHigh'] }),
  ports: () => ({ inputs: { in: 'number' }, outputs: { out: 'number' } }),
});
