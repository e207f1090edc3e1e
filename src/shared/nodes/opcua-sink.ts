import { z } from 'zod';
import { deviceRef } from './device-io.ts';
import { defineNode } from './spec.ts';

export const opcuaSinkNode = defineNode({
  type: 'opcua-sink',
  title: 'OPC UA write',
  category: 'sink',
  protocol: 'opcua',
  summary: "Writes each sample's value to an OPC UA variable, coerced to the variable's DataType.",
  config: z.object({ ...deviceRef, tag: z.string().min(1) }).strict(),
  ports: () => ({ inputs: { in: 'any' }, outputs: {} }),
});
