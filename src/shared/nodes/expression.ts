import { z } from 'zod';
import { checkJsonata } from './expression-syntax.ts';
import { defineNode } from './spec.ts';

export const expressionNode = defineNode({
  type: 'expression',
  title: 'Expression',
  category: 'transform',
  summary:
    'Evaluates JSONata over each sample ($ is the sample). target "value" replaces the value; "sample" merges the returned fields into the sample.',
  config: z
    .object({
      expression: z.string().min(1),
      target: z.enum(['value', 'sample']).default('value'),
      /** Declared output type, so the graph can be type-checked before a run. */
      outputType: z.enum(['number', 'boolean', 'string', 'object', 'any']).default('any'),
    })
    .strict()
    .superRefine((c, ctx) => checkJsonata(c.expression, ctx, ['expression'])),
  ports: (config) => ({ inputs: { in: 'any' }, outputs: { out: config.outputType } }),
});
