import { z } from 'zod';
import { compareResult, recordingStatus, recordingSummary } from '../../recording.ts';
import { event, method } from '../define.ts';
import { projectId } from './common.ts';

// Recordings (docs/recording.md): record what a running pipeline reads into the workspace DB, with a
// size or duration cap and a fill level; list, export as CSV, trim and delete recordings; turn one
// into a simulator that replays it at a device's addresses, or into a pipeline test; compare two
// revisions of a pipeline on it. Recordings are named by their number, never by a path.

const recordingId = z.number().int().positive();
/** "device/tag", as samples name them. */
const tagPath = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}\/.+$/, 'a tag is device/tag, e.g. filler/level');
/** Source timestamps, epoch ms (inclusive). */
const range = { from: z.number().optional(), to: z.number().optional() };

export const recordingMethods = {
  'recording.start': method({
    summary:
      'Records what the running pipelines read: every sample of their sources (or of the named pipelines), or only the named device/tag paths. Needs a running run; stops by itself at maxBytes (256 MB unless given) or maxDurationMs, when the run stops, or on a write error (the run goes on).',
    request: z
      .object({
        name: z.string().min(1).max(200).optional(),
        tags: z.array(tagPath).default([]),
        pipelines: z.array(projectId).default([]),
        maxBytes: z.number().int().positive().optional(),
        maxDurationMs: z.number().int().positive().optional(),
      })
      .strict(),
    response: recordingStatus,
  }),
  'recording.stop': method({ summary: 'Stops the recording; what was recorded is kept.', request: z.object({}).strict(), response: recordingStatus }),
  'recording.status': method({ summary: 'The recorder: idle, recording (samples, rate, fill level) or just stopped, and why.', request: z.object({}).strict(), response: recordingStatus }),
  'recording.list': method({
    summary: 'The recordings, newest first, with their tags, time range, rate and size.',
    request: z.object({}).strict(),
    response: z.object({ recordings: z.array(recordingSummary) }),
  }),
  'recording.get': method({ summary: 'One recording.', request: z.object({ id: recordingId }).strict(), response: recordingSummary }),
  'recording.export': method({
    summary: 'The samples as CSV text (time,ts,server_ts,path,value,quality,status_code,status_text), optionally of a time range; refused above 16 MiB (plantbench recordings export has no limit).',
    request: z.object({ id: recordingId, ...range }).strict(),
    response: z.object({ csv: z.string(), samples: z.number().int() }),
  }),
  'recording.trim': method({
    summary: 'Keeps only the samples from `from` to `to` (source time, epoch ms).',
    request: z.object({ id: recordingId, from: z.number(), to: z.number() }).strict(),
    response: recordingSummary,
  }),
  'recording.delete': method({ summary: 'Deletes a recording and its samples.', request: z.object({ id: recordingId }).strict(), response: z.object({ deleted: z.boolean() }) }),
  'recording.toSimulator': method({
    summary:
      'Writes simulators/<simulator>.yaml standing in for a device: the recorded values at the device\'s addresses (Modbus registers, OPC UA node ids, MQTT topics), at `speed`, looped or once. Recorded tags the device no longer has are listed in `gone`.',
    request: z
      .object({
        id: recordingId,
        device: projectId,
        /** Default <device>-replay; naming the simulator that stands in for the device replaces it. */
        simulator: projectId.optional(),
        speed: z.number().positive().max(1000).optional(),
        loop: z.boolean().optional(),
      })
      .strict(),
    response: z.object({
      file: z.string(),
      simulator: z.string(),
      replaced: z.boolean(),
      replayed: z.array(z.string()),
      gone: z.array(z.string()),
      unrecorded: z.array(z.string()),
      notes: z.array(z.string()),
    }),
  }),
  'recording.toTest': method({
    summary:
      "Adds a case to pipelines/<pipeline>.test.yaml: the recorded samples at the pipeline's sources as inputs, what the pipeline outputs now (virtual clock) as the expectation. The case is run again from the file: `passes` says it does.",
    request: z
      .object({ id: recordingId, pipeline: projectId, caseName: z.string().min(1).max(200).optional(), ...range, limit: z.number().int().positive().max(1_000_000).optional() })
      .strict(),
    response: z.object({
      file: z.string(),
      caseName: z.string(),
      created: z.boolean(),
      replaced: z.boolean(),
      inputs: z.number().int(),
      expected: z.record(z.string(), z.number().int()),
      passes: z.boolean(),
      notes: z.array(z.string()),
    }),
  }),
  'recording.compare': method({
    summary:
      'Runs two revisions of a pipeline on a recording (virtual clock) and lists per output the samples that differ. revisionA defaults to the newest saved revision that differs from B; revisionB to the file as it is now.',
    request: z
      .object({
        id: recordingId,
        pipeline: projectId,
        revisionA: z.number().int().positive().optional(),
        revisionB: z.number().int().positive().optional(),
        ...range,
        maxDifferences: z.number().int().min(0).max(100_000).default(1000),
      })
      .strict(),
    response: compareResult,
  }),
};

export const recordingEvents = {
  'recording.status': event({ summary: 'The recorder while it records (about twice a second) and once when it stops, with the reason.', payload: recordingStatus }),
};
