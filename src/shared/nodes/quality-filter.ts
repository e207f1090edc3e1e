import { z } from 'zod';
import { quality } from '../model/common.ts';
import { defineNode } from './spec.ts';

export const qualityFilterNode = defineNode({
  type: 'quality-filter',
  title: 'Quality filter',
  category: 'transform',
  summary: 'Passes samples whose quality is allowed; the others leave on the "rejected" port.',
  config: z.object({ allow: z.array(quality).min(1).default(['good']) }).strict(),
  ports: () => ({ inputs: { in: 'any' }, outputs: { out: 'same', rejected: 'same' } }),
});
