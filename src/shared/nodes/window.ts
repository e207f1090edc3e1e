import { z } from 'zod';
import { defineNode } from './spec.ts';

export const AGGREGATES = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'stddev'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export const windowNode = defineNode({
  type: 'window',
  title: 'Window',
  category: 'transform',
  summary:
    'Aggregates each tag over tumbling or sliding time windows (by source timestamp). One aggregate keeps the path; several emit {path}/{aggregate}.',
  config: z
    .object({
      mode: z.enum(['tumbling', 'sliding']).default('tumbling'),
      sizeMs: z.number().int().positive(),
      /** Sliding windows start every slideMs; must divide sizeMs. */
      slideMs: z.number().int().positive().optional(),
      aggregates: z.array(z.enum(AGGREGATES)).min(1).default(['avg']),
      /** How long after a window's end late samples are still counted in. */
      graceMs: z.number().int().nonnegative().default(0),
      /** Samples of bad quality are left out of the aggregate unless this is set. */
      includeBad: z.boolean().default(false),
    })
    .strict()
    .superRefine((c, ctx) => {
      if (c.mode === 'sliding') {
        if (c.slideMs === undefined) ctx.addIssue({ code: 'custom', path: ['slideMs'], message: 'a sliding window needs slideMs' });
        else if (c.sizeMs % c.slideMs !== 0 || c.slideMs > c.sizeMs) {
          ctx.addIssue({ code: 'custom', path: ['slideMs'], message: 'slideMs must divide sizeMs' });
        }
      } else if (c.slideMs !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['slideMs'], message: 'slideMs is only for sliding windows' });
      }
    }),
  ports: () => ({ inputs: { in: 'number' }, outputs: { out: 'number' } }),
});
