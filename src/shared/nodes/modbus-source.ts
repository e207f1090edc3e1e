import { z } from 'zod';
import { deviceRef, sourceOutputType, tagList } from './device-io.ts';
import { defineNode } from './spec.ts';

export const modbusSourceNode = defineNode({
  type: 'modbus-source',
  title: 'Modbus read',
  category: 'source',
  protocol: 'modbus',
  summary: "Polls a Modbus device's tags in its poll groups, coalesced into the fewest requests.",
  config: z.object({ ...deviceRef, tags: tagList }).strict(),
  ports: (config, ctx) => ({ inputs: {}, outputs: { out: sourceOutputType(ctx, config.device, config.tags) } }),
});
