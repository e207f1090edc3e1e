import { z } from 'zod';
import { defineNode } from './spec.ts';

export const stateDurationNode = defineNode({
  type: 'state-duration',
  title: 'State duration',
  category: 'transform',
  summary:
    'From a running/fault bit or a state tag, emits the time spent in each state as {path}/{state} when the state ends, and running totals on an interval.',
  config: z
    .object({
      /** Names for raw state values, e.g. { "true": running, "false": stopped, "3": fault }. */
      names: z.record(z.string(), z.string().regex(/^[^/#+]+$/, 'a state name may not contain "/", "#" or "+"')).default({}),
      unit: z.enum(['s', 'ms']).default('s'),
      /** Also emit {path}/{state}/total, the time in each state since the run started, every this often. */
      totalsEveryMs: z.number().int().positive().optional(),
    })
    .strict(),
  ports: () => ({ inputs: { in: 'any' }, outputs: { out: 'number' } }),
});
