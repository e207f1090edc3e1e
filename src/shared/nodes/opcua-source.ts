import { z } from 'zod';
import { deviceRef, sourceOutputType, tagList } from './device-io.ts';
import { defineNode } from './spec.ts';

export const opcuaSourceNode = defineNode({
  type: 'opcua-source',
  title: 'OPC UA read',
  category: 'source',
  protocol: 'opcua',
  summary: 'Subscribes to (or polls) OPC UA variables; source timestamps and status codes become sample quality.',
  config: z
    .object({
      ...deviceRef,
      tags: tagList,
      mode: z.enum(['subscribe', 'poll']).default('subscribe'),
      /** Poll interval in poll mode. */
      intervalMs: z.number().int().min(10).default(1000),
    })
    .strict(),
  ports: (config, ctx) => ({ inputs: {}, outputs: { out: sourceOutputType(ctx, config.device, config.tags) } }),
});
