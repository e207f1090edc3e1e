import { z } from 'zod';
import { event, method } from '../define.ts';
import { problem, projectId, sample } from './common.ts';

// Running the project's pipelines from the workbench, with live counters, values and logs pushed
// as batched events (at most 20 per second each, never one message per sample).

export const RUN_MODES = ['simulated', 'live-read-only', 'live-armed'] as const;

export const runStatus = z.object({
  state: z.enum(['stopped', 'starting', 'running', 'stopping']),
  mode: z.enum(RUN_MODES).optional(),
  pipelines: z.array(z.string()),
  simulators: z.array(z.object({ id: z.string(), protocol: z.string(), endpoint: z.string() })),
  startedAt: z.number().optional(),
  problems: z.array(problem),
});
export type RunStatus = z.infer<typeof runStatus>;

export const nodeStats = z.object({
  in: z.number(),
  out: z.number(),
  dropped: z.number(),
  errors: z.number(),
  queued: z.number(),
  last: sample.optional(),
  lastError: z.object({ message: z.string(), at: z.number() }).optional(),
  latency: z.object({ lastUs: z.number(), avgUs: z.number(), maxUs: z.number() }),
  status: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  /** Samples out per second, smoothed over about a second. */
  rate: z.number().optional(),
});

/** from/to are "node.port"; rate is samples per second, smoothed over about a second. */
export const edgeStats = z.object({ from: z.string(), to: z.string(), count: z.number(), queued: z.number(), last: sample.optional(), rate: z.number().optional() });

export const runMethods = {
  'run.start': method({
    summary:
      'Starts pipelines (all when none named). simulated: starts the simulators and points devices at them. live-read-only: real devices; refused while a pipeline has a sink that writes to a device. live-armed: refused until the safety work lands.',
    request: z.object({ pipelines: z.array(projectId).default([]), mode: z.enum(RUN_MODES).default('simulated') }).strict(),
    response: runStatus,
  }),
  'run.stop': method({ summary: 'Drains and stops the run.', request: z.object({}).strict(), response: runStatus }),
  'run.status': method({ summary: 'The current run.', request: z.object({}).strict(), response: runStatus }),
};

export const runEvents = {
  'run.state': event({ summary: 'The run started, stopped or failed.', payload: runStatus }),
  'run.stats': event({
    summary: 'Per-node counters and per-edge last values, at most 20 per second.',
    payload: z.object({ ts: z.number(), pipelines: z.record(z.string(), z.object({ nodes: z.record(z.string(), nodeStats), edges: z.array(edgeStats) })) }),
  }),
  'run.samples': event({
    summary: 'Samples that sources emitted and that reached sinks since the last batch (node = the source or the sink); bounded per batch, with a count of what was left out.',
    payload: z.object({ ts: z.number(), samples: z.array(z.object({ pipeline: z.string(), node: z.string(), sample })), omitted: z.number().int() }),
  }),
  'run.log': event({
    summary: 'Log entries since the last batch.',
    payload: z.object({
      entries: z.array(
        z.object({
          ts: z.number(),
          level: z.enum(['debug', 'info', 'warn', 'error']),
          /** "plantbench" for the run itself (simulators, connections). */
          pipeline: z.string(),
          node: z.string().optional(),
          message: z.string(),
          fields: z.record(z.string(), z.unknown()).optional(),
        }),
      ),
      /** Entries left out of this batch (a flood beyond the per-batch bound). */
      omitted: z.number().int(),
    }),
  }),
};
