import { z } from 'zod';
import { checkJsonata } from './expression-syntax.ts';
import { defineNode } from './spec.ts';

export const filterNode = defineNode({
  type: 'filter',
  title: 'Filter',
  category: 'transform',
  summary: 'Passes samples for which a JSONata predicate is true ($ is the sample: path, value, quality, ts, meta).',
  config: z
    .object({ predicate: z.string().min(1) })
    .strict()
    .superRefine((c, ctx) => checkJsonata(c.predicate, ctx, ['predicate'])),
  ports: () => ({ inputs: { in: 'any' }, outputs: { out: 'same', rejected: 'same' } }),
});
