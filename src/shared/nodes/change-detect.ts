import { z } from 'zod';
import { defineNode } from './spec.ts';

export const changeDetectNode = defineNode({
  type: 'change-detect',
  title: 'Change / edge',
  category: 'transform',
  summary: 'Passes a sample when its value changes, or only on rising, falling or both edges of a boolean.',
  config: z
    .object({
      mode: z.enum(['change', 'rising', 'falling', 'edges']).default('change'),
      /** Pass the first sample seen for a tag (there is nothing to compare it with). */
      emitFirst: z.boolean().default(false),
    })
    .strict(),
  ports: (config) => ({
    inputs: { in: config.mode === 'change' ? 'any' : 'boolean' },
    outputs: { out: 'same' },
  }),
});
