import { z } from 'zod';
import { describeRange, isBitArea, modbusAddress, registerCount } from './codec/modbus.ts';
import type { DeviceFile } from './model/device.ts';

// Recordings of live samples (workspace DB): what the store lists, what a recorder reports while it
// runs, and what a comparison of two pipeline revisions on a recording finds. Pure, so the UI, the
// RPC contract, the host and the CLI share one definition.

/** The size cap of a recording when none is given: a forgotten recording cannot fill the disk. */
export const DEFAULT_MAX_BYTES = 256e6;

export const RECORDING_STOP_REASONS = ['stopped', 'duration', 'size', 'run-stopped', 'error'] as const;
export type RecordingStopReason = (typeof RECORDING_STOP_REASONS)[number];

/** One recorded tag: its sample path (device/tag) and where it came from on the device. */
export const recordingTag = z.object({
  index: z.number().int(),
  /** The sample path, "device/tag". */
  path: z.string(),
  device: z.string().optional(),
  tag: z.string().optional(),
  protocol: z.enum(['modbus', 'opcua', 'mqtt']).optional(),
  /** Where the tag was read, in words: "holding 0 (400001) float32 CDAB", "ns=1;s=Capper.Speed", "palletizer/pl3/status json:pallets". */
  address: z.string().optional(),
  /** The device tag's type (Modbus), or the type of the values recorded (number, boolean, string, json). */
  dataType: z.string().optional(),
  unit: z.string().optional(),
  samples: z.number().int(),
});
export type RecordingTag = z.infer<typeof recordingTag>;

export const recordingSummary = z.object({
  id: z.number().int(),
  name: z.string(),
  /** recording: samples are being written; complete: it ended; interrupted: its writer went away without ending it. */
  state: z.enum(['recording', 'complete', 'interrupted']),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  /** The run mode it was recorded in: simulated, live-read-only, live-armed. */
  mode: z.string(),
  pipelines: z.array(z.string()),
  /** sha-256 of the project's device and pipeline files when the recording started. */
  projectHash: z.string().optional(),
  /** The newest revision in the workspace DB when the recording started. */
  projectRevision: z.number().int().optional(),
  maxBytes: z.number().int().optional(),
  maxDurationMs: z.number().int().optional(),
  /** Space the samples take in the database (pages the recording added). */
  bytes: z.number().int(),
  samples: z.number().int(),
  /** Source timestamps of the first and last sample, epoch ms. */
  firstTs: z.number().optional(),
  lastTs: z.number().optional(),
  /** Samples per second over the time range. */
  rate: z.number().optional(),
  stopReason: z.enum(RECORDING_STOP_REASONS).optional(),
  /** Why it stopped, in words, when it was not the user (cap reached, disk full). */
  message: z.string().optional(),
  tags: z.array(recordingTag),
});
export type RecordingSummary = z.infer<typeof recordingSummary>;

/** A recorder at work (or just stopped), reported about twice a second. */
export const recordingStatus = z.object({
  state: z.enum(['idle', 'recording', 'stopped']),
  id: z.number().int().optional(),
  name: z.string().optional(),
  startedAt: z.number().optional(),
  samples: z.number().int(),
  /** Samples per second, smoothed over about a second. */
  rate: z.number(),
  bytes: z.number().int(),
  maxBytes: z.number().int().optional(),
  elapsedMs: z.number(),
  maxDurationMs: z.number().int().optional(),
  /** How full the recording is, 0..1: the larger of bytes/maxBytes and elapsed/maxDuration. */
  fill: z.number().optional(),
  tags: z.number().int(),
  stopReason: z.enum(RECORDING_STOP_REASONS).optional(),
  message: z.string().optional(),
});
export type RecordingStatus = z.infer<typeof recordingStatus>;

// ---------- compare ----------

export const compareDifference = z.object({
  /** Index of the sample among the output's samples in A and in B (absent when only the other has it). */
  indexA: z.number().int().optional(),
  indexB: z.number().int().optional(),
  ts: z.number(),
  path: z.string(),
  /** What differs: value, quality, or the sample exists in one revision only. */
  kind: z.enum(['value', 'quality', 'only-a', 'only-b']),
  valueA: z.unknown().optional(),
  valueB: z.unknown().optional(),
  qualityA: z.string().optional(),
  qualityB: z.string().optional(),
});
export type CompareDifference = z.infer<typeof compareDifference>;

export const compareOutput = z.object({
  /** The node (a sink: what it received; otherwise node.port). */
  output: z.string(),
  countA: z.number().int(),
  countB: z.number().int(),
  same: z.number().int(),
  differing: z.number().int(),
  /** The differences, ordered by time; at most `limit` of them. */
  differences: z.array(compareDifference),
  truncated: z.boolean(),
});
export type CompareOutput = z.infer<typeof compareOutput>;

export const compareResult = z.object({
  recording: z.number().int(),
  pipeline: z.string(),
  /** "revision 12" or "pipelines/p.yaml (now)". */
  a: z.string(),
  b: z.string(),
  inputs: z.number().int(),
  outputs: z.array(compareOutput),
  /** Errors of a revision that could not run, and recorded tags the pipeline reads but the recording lacks. */
  notes: z.array(z.string()),
});
export type CompareResult = z.infer<typeof compareResult>;

// ---------- sizes ----------

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** "50MB", "64 kB", "1GiB" or a plain number of bytes; undefined when it is none of these. kB/MB/GB are powers of 1000. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
  return bytes > 0 ? bytes : undefined;
}

/** 1234567 → "1.2 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const [unit, size] = bytes < 1e6 ? ['kB', 1e3] : bytes < 1e9 ? ['MB', 1e6] : ['GB', 1e9];
  return `${(bytes / (size as number)).toFixed(1)} ${unit as string}`;
}

// ---------- tags ----------

/** "holding 0 (400001) float32 CDAB", "ns=1;s=Capper.Speed", "palletizer/pl3/status json:pallets". */
export function describeDeviceTag(device: DeviceFile, tagName: string): { protocol: DeviceFile['protocol']; address: string; source: unknown; dataType?: string } | undefined {
  switch (device.protocol) {
    case 'modbus': {
      const tag = device.tags.find((t) => t.name === tagName);
      if (!tag) return undefined;
      let where: string;
      try {
        const { offset } = modbusAddress(tag.area, tag.address, device.addressBase);
        where = describeRange(tag.area, offset, isBitArea(tag.area) ? 1 : registerCount(tag));
      } catch (err) {
        where = `${tag.area} ${tag.address} (${(err as Error).message})`;
      }
      const type = tag.type === 'bit' ? `bit ${tag.bit}` : tag.type === 'string' ? `string[${tag.length}]` : tag.type;
      const order = ['int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'].includes(tag.type) ? ` ${tag.order}` : '';
      return { protocol: 'modbus', address: `unit ${device.unitId} ${where} ${type}${order}`, source: { unitId: device.unitId, addressBase: device.addressBase, ...tag }, dataType: tag.type };
    }
    case 'opcua': {
      const tag = device.tags.find((t) => t.name === tagName);
      return tag && { protocol: 'opcua', address: tag.nodeId, source: tag };
    }
    case 'mqtt': {
      const tag = device.tags.find((t) => t.name === tagName);
      if (!tag) return undefined;
      const field = tag.payload.format === 'json' && tag.payload.field ? `:${tag.payload.field}` : tag.payload.format === 'sparkplug' && tag.payload.metric ? `:${tag.payload.metric}` : '';
      return { protocol: 'mqtt', address: `${tag.topic} ${tag.payload.format}${field}`, source: tag };
    }
  }
}

/** The type of a recorded value when the device does not declare one. */
export function valueType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value) || typeof value === 'object') return 'json';
  return typeof value;
}

/** "device/tag" → its device and tag (device ids hold no "/", tag names may). */
export function splitTagPath(path: string): { device: string; tag: string } | undefined {
  const at = path.indexOf('/');
  return at > 0 && at < path.length - 1 ? { device: path.slice(0, at), tag: path.slice(at + 1) } : undefined;
}
