import { z } from 'zod';
import { deviceRef, sinkInputType } from './device-io.ts';
import { defineNode } from './spec.ts';

export const modbusSinkNode = defineNode({
  type: 'modbus-sink',
  title: 'Modbus write',
  category: 'sink',
  protocol: 'modbus',
  summary: "Writes each sample's value to a Modbus tag (registers or coil), encoded with the tag's type and order.",
  config: z.object({ ...deviceRef, tag: z.string().min(1) }).strict(),
  ports: (config, ctx) => ({ inputs: { in: sinkInputType(ctx, config.device, config.tag) }, outputs: {} }),
});
