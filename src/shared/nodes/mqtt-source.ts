import { z } from 'zod';
import { deviceRef, tagList } from './device-io.ts';
import { defineNode } from './spec.ts';

export const mqttSourceNode = defineNode({
  type: 'mqtt-source',
  title: 'MQTT subscribe',
  category: 'source',
  protocol: 'mqtt',
  summary: "Subscribes to a broker's topics as declared by the device's tags (JSON field, raw, or Sparkplug B).",
  config: z.object({ ...deviceRef, tags: tagList, qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1) }).strict(),
  ports: () => ({ inputs: {}, outputs: { out: 'any' } }),
});
