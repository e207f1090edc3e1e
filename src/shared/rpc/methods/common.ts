import { z } from 'zod';

// Shapes several method groups share. Ids are the project's stable ids; the UI never passes a
// file path or SQL: the host maps ids to files inside the open project.

export const projectId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an id uses lowercase letters, digits and "-"');

export const problem = z.object({
  file: z.string(),
  line: z.number().int(),
  col: z.number().int(),
  path: z.array(z.union([z.string(), z.number()])).readonly(),
  message: z.string(),
  node: z.string().optional(),
});

const value: z.ZodType<unknown> = z.lazy(() => z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(value), z.record(z.string(), value)]));

export const sample = z.object({
  path: z.string(),
  value,
  quality: z.enum(['good', 'uncertain', 'bad']),
  status: z.object({ code: z.number(), text: z.string() }).optional(),
  ts: z.number(),
  serverTs: z.number().optional(),
  meta: z.object({ unit: z.string().optional(), dataType: z.string().optional(), range: z.object({ low: z.number(), high: z.number() }).optional() }).optional(),
  error: z.object({ node: z.string(), message: z.string() }).optional(),
});
