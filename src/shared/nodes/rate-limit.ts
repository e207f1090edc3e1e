import { z } from 'zod';
import { defineNode } from './spec.ts';

export const rateLimitNode = defineNode({
  type: 'rate-limit',
  title: 'Rate limit',
  category: 'transform',
  summary: 'At most one sample per tag per interval: the first in each interval, or the latest at its end.',
  config: z
    .object({
      intervalMs: z.number().int().positive(),
      keep: z.enum(['first', 'latest']).default('latest'),
    })
    .strict(),
  ports: () => ({ inputs: { in: 'any' }, outputs: { out: 'same' } }),
});
