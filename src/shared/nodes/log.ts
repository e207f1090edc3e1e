import { z } from 'zod';
import { defineNode } from './spec.ts';

export const logNode = defineNode({
  type: 'log',
  title: 'Log',
  category: 'sink',
  summary: 'Writes samples to the run log (JSON lines on the CLI, the debug log in the app).',
  config: z.object({ label: z.string().optional() }).strict(),
  ports: () => ({ inputs: { in: 'any' }, outputs: {} }),
});
