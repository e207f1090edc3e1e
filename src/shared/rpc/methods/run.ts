import { z } from 'zod';
import { event, method } from '../define.ts';
import { interlock } from '../../model/device.ts';
import { problem, projectId, sample } from './common.ts';

// Running the project's pipelines from the workbench, with live counters, values and logs pushed
// as batched events (at most 20 per second each, never one message per sample).

export const RUN_MODES = ['simulated', 'live-read-only', 'live-armed'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** A topic prefix for sandboxed MQTT sinks: topic levels without wildcards, not starting with $. */
export const mqttSandboxPrefix = z
  .string()
  .regex(/^(?!\$)[^#+/\u0000]+(\/[^#+/\u0000]+)*$/, 'an MQTT sandbox prefix is one or more topic levels (sandbox, test/ann), without + # or a leading $');

/** A device tag the run's sinks can write, with its interlock (docs/live-safety.md). */
export const writableTag = z.object({
  device: z.string(),
  tag: z.string(),
  /** The sink nodes that write it, as pipeline/node. */
  nodes: z.array(z.string()),
  interlock: interlock.optional(),
  /** The interlock in a few words ("0..1200, at most 50/s, read-back"), or "no interlock". */
  limits: z.string(),
});
export type WritableTag = z.infer<typeof writableTag>;

/** Arming of a live-armed run: writes go out only while armed, until the time limit or a disarm. */
export const armingState = z.object({
  armed: z.boolean(),
  armedAt: z.number().optional(),
  /** When the arming ends by itself, epoch ms. */
  until: z.number().optional(),
  /** Who armed it: user@host. */
  by: z.string().optional(),
  /** Why the run is not armed: not armed yet, expired, disarmed. */
  reason: z.string().optional(),
  /** What arming allows to be written: confirm exactly this list with run.arm. */
  writable: z.array(writableTag),
});
export type ArmingState = z.infer<typeof armingState>;

export const runStatus = z.object({
  state: z.enum(['stopped', 'starting', 'running', 'stopping']),
  mode: z.enum(RUN_MODES).optional(),
  pipelines: z.array(z.string()),
  simulators: z.array(z.object({ id: z.string(), protocol: z.string(), endpoint: z.string() })),
  startedAt: z.number().optional(),
  problems: z.array(problem),
  /** Present while a live-armed run is starting or running. */
  arming: armingState.optional(),
  /** The topic prefix MQTT sinks publish under instead of the real UNS, when the run asked for one. */
  mqttSandbox: z.string().optional(),
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
      'Starts pipelines (all when none named). simulated: starts the simulators and points devices at them. live-read-only: real devices; device-writing sinks run dry ("would write X to Y"). live-armed: real devices; writes go out only while armed (run.arm), within the interlocks, and every one is audited.',
    request: z
      .object({
        pipelines: z.array(projectId).default([]),
        mode: z.enum(RUN_MODES).default('simulated'),
        /** MQTT sinks publish under this prefix instead of the real UNS (meant for live read-only). */
        mqttSandbox: mqttSandboxPrefix.optional(),
      })
      .strict(),
    response: runStatus,
  }),
  'run.arm': method({
    summary:
      'Arms the live-armed run for `minutes` (at most 480). `confirm` must list exactly the device/tag pairs of arming.writable that the user saw; a different list is refused (the project changed).',
    request: z
      .object({
        minutes: z.number().positive().max(480),
        confirm: z.array(z.object({ device: z.string(), tag: z.string() }).strict()),
      })
      .strict(),
    response: armingState,
  }),
  'run.disarm': method({ summary: 'The kill switch: disarms at once; writes are refused from now on. Harmless when not armed.', request: z.object({}).strict(), response: armingState }),
  'run.stop': method({ summary: 'Drains and stops the run.', request: z.object({}).strict(), response: runStatus }),
  'run.status': method({ summary: 'The current run.', request: z.object({}).strict(), response: runStatus }),
};

export const runEvents = {
  'run.state': event({ summary: 'The run started, stopped or failed, or its arming changed (armed, disarmed, expired).', payload: runStatus }),
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
