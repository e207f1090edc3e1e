import { z } from 'zod';
import { deviceRef } from './device-io.ts';
import { defineNode } from './spec.ts';

const sparkplugId = z.string().min(1).regex(/^[^/#+]+$/, 'Sparkplug ids may not contain "/", "#" or "+"');

export const mqttSinkNode = defineNode({
  type: 'mqtt-sink',
  title: 'MQTT publish',
  category: 'sink',
  protocol: 'mqtt',
  summary: 'Publishes samples to a broker as a plain value, a JSON object, or as a Sparkplug B edge node.',
  config: z
    .object({
      ...deviceRef,
      /** {path} is the sample path (usually set by a uns-topic node). */
      topic: z.string().min(1).default('{path}'),
      qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
      retain: z.boolean().default(false),
      payload: z
        .discriminatedUnion('format', [
          z.object({ format: z.literal('value') }).strict(),
          z.object({ format: z.literal('json') }).strict(),
          z
            .object({
              format: z.literal('sparkplug'),
              groupId: sparkplugId,
              edgeNodeId: sparkplugId,
              deviceId: sparkplugId.optional(),
            })
            .strict(),
        ])
        .default({ format: 'json' }),
      /** MQTT v5 properties, used when the broker speaks v5. */
      properties: z
        .object({
          messageExpiryInterval: z.number().int().positive().optional(),
          contentType: z.string().optional(),
          userProperties: z.record(z.string(), z.string()).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  ports: () => ({ inputs: { in: 'any' }, outputs: {} }),
});
