import { z } from 'zod';
import { signalShape } from '../signals.ts';
import { defineNode } from './spec.ts';

export const signalNode = defineNode({
  type: 'signal',
  title: 'Signal',
  category: 'source',
  summary: 'Generates a test signal (sine, ramp, random walk, sequence, counter) on the run clock.',
  config: z
    .object({
      path: z.string().min(1),
      intervalMs: z.number().int().min(1).default(1000),
      shape: signalShape,
      unit: z.string().optional(),
    })
    .strict()
    .refine((c) => c.shape.kind !== 'csv', { path: ['shape', 'kind'], message: 'csv replay runs in a simulator (simulators/*.yaml), not in a signal node' }),
  ports: (config) => ({
    inputs: {},
    outputs: { out: config.shape.kind === 'sequence' ? 'any' : 'number' },
  }),
});
