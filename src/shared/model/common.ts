import { z } from 'zod';

export const API_VERSION = 'plantbench/v1';

export const apiVersion = z.literal(API_VERSION, {
  error: () => `apiVersion must be "${API_VERSION}"`,
});

/** Stable ids: lowercase, digits and dashes. They never change when a thing is renamed. */
export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'id must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit');

export const position = z.object({ x: z.number(), y: z.number() }).strict();

/** A reference resolved at run time, never written back: ${secret:NAME} or ${env:NAME}. */
export const SECRET_REF_PATTERN = /\$\{(secret|env):([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** A string that may hold ${secret:NAME} / ${env:NAME} references. */
export const secretString = z.string();

/** A credential: must be a reference, so no clear-text secret lands in a project file. */
export const secretRef = z
  .string()
  .regex(/^\$\{(secret|env):[A-Za-z_][A-Za-z0-9_.-]*\}$/, 'must be a ${secret:NAME} or ${env:NAME} reference, never a clear-text value');

export const durationMs = z.number().int().nonnegative();
export const positiveMs = z.number().positive();

export const engineeringRange = z
  .object({ low: z.number(), high: z.number() })
  .strict()
  .refine((r) => r.high > r.low, { message: 'range.high must be greater than range.low' });

export const quality = z.enum(['good', 'uncertain', 'bad']);

/** JSON-like value as carried by a sample. */
export const value: z.ZodType<unknown> = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.null(),
  z.array(z.lazy(() => value)),
  z.record(z.string(), z.lazy(() => value)),
]);

export const sampleSchema = z
  .object({
    path: z.string().min(1),
    value,
    quality: quality.default('good'),
    status: z.object({ code: z.number().int(), text: z.string() }).strict().optional(),
    ts: z.number(),
    serverTs: z.number().optional(),
    meta: z
      .object({ unit: z.string().optional(), dataType: z.string().optional(), range: engineeringRange.optional() })
      .strict()
      .optional(),
  })
  .strict();
