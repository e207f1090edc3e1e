import { z } from 'zod';
import { defineNode } from './spec.ts';

export const joinNode = defineNode({
  type: 'join',
  title: 'Join',
  category: 'transform',
  summary: 'Combines several tags into one asset payload { field: value }, emitted on change or on an interval.',
  config: z
    .object({
      /** Path of the joined sample. */
      path: z.string().min(1),
      /** field name -> tag path */
      fields: z.record(z.string().min(1), z.string().min(1)).refine((f) => Object.keys(f).length > 0, 'join needs at least one field'),
      emit: z
        .discriminatedUnion('mode', [
          z.object({ mode: z.literal('on-change') }).strict(),
          z.object({ mode: z.literal('interval'), intervalMs: z.number().int().positive() }).strict(),
        ])
        .default({ mode: 'on-change' }),
      /** Wait until every field has a value before the first emit. */
      requireAll: z.boolean().default(true),
    })
    .strict(),
  ports: () => ({ inputs: { in: 'any' }, outputs: { out: 'object' } }),
});
