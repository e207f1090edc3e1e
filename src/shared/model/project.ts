import { z } from 'zod';
import { apiVersion, id } from './common.ts';

/** ISA-95 segment: used verbatim in topics, so no MQTT wildcards or separators. */
const unsSegment = z
  .string()
  .min(1)
  .regex(/^[^/#+\s]+$/, 'a UNS level may not contain "/", "#", "+" or spaces');

export const unsHierarchy = z
  .object({
    enterprise: unsSegment,
    site: unsSegment,
    area: unsSegment.optional(),
    line: unsSegment.optional(),
    cell: unsSegment.optional(),
  })
  .strict();
export type UnsHierarchy = z.infer<typeof unsHierarchy>;

export const queueConfig = z
  .object({
    /** Samples an input edge may hold before the overflow policy applies. */
    capacity: z.number().int().min(1).max(10_000_000).default(10_000),
    /** block: upstream is paced; drop-oldest: the oldest samples are dropped and counted. */
    overflow: z.enum(['block', 'drop-oldest']).default('block'),
  })
  .strict();
export type QueueConfig = z.infer<typeof queueConfig>;

export const projectFile = z
  .object({
    apiVersion,
    kind: z.literal('Project'),
    name: z.string().min(1),
    description: z.string().optional(),
    uns: unsHierarchy,
    defaults: z
      .object({
        queue: queueConfig.optional(),
        /** Template used by uns-topic nodes that set none of their own. */
        topicTemplate: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ProjectFile = z.infer<typeof projectFile>;

export const DEFAULT_TOPIC_TEMPLATE = '{enterprise}/{site}/{area}/{line}/{cell}/{tag}';

export { id };
