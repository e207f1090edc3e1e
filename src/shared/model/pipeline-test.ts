import { z } from 'zod';
import { apiVersion, id, quality, sampleSchema, value } from './common.ts';
import { portRef } from './pipeline.ts';

/** A sample fed into a node on the virtual clock; it is delivered at its `ts`. */
const inputSample = sampleSchema.extend({ quality: quality.default('good') });

/** Only the fields given are compared. */
export const expectedSample = z
  .object({
    path: z.string().optional(),
    value: value.optional(),
    quality: quality.optional(),
    ts: z.number().optional(),
    unit: z.string().optional(),
    error: z.string().optional(),
  })
  .strict();
export type ExpectedSample = z.infer<typeof expectedSample>;

export const testCase = z
  .object({
    name: z.string().min(1),
    /** Virtual clock start, epoch ms. Defaults to the earliest input ts. */
    start: z.number().optional(),
    /** Run the clock up to this time. Defaults to the last input ts. */
    until: z.number().optional(),
    /** node (its default port) or node.port -> samples, delivered in ts order. */
    inputs: z.record(portRef, z.array(inputSample)),
    /** node (its "out" port, or the samples a sink received) or node.port -> expected samples, in order. */
    expect: z.record(portRef, z.array(expectedSample)),
    /** Absolute tolerance for numbers. */
    tolerance: z.number().nonnegative().optional(),
  })
  .strict();
export type TestCase = z.infer<typeof testCase>;

export const pipelineTestFile = z
  .object({
    apiVersion,
    kind: z.literal('PipelineTest'),
    pipeline: id,
    tolerance: z.number().nonnegative().default(1e-9),
    cases: z.array(testCase).min(1),
  })
  .strict();
export type PipelineTestFile = z.infer<typeof pipelineTestFile>;
