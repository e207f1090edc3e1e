// Pure helpers of the Recordings panel: what the running pipelines read (the tags a recording can
// pick), how a recording's time range and fill level read, trim offsets, and the side-by-side rows
// of a comparison. No React, so unit tests run them in Node.
import type { CompareOutput, RecordingStatus, RecordingSummary } from '../../../shared/recording.ts';
import { NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import type { DeviceIndex } from '../canvas/doc.ts';

/** device → the tags the given pipeline files read through their device sources (tags: [] = every tag of the device). */
export function tagsRead(pipelines: readonly unknown[], devices: DeviceIndex): Map<string, Set<string>> {
  const read = new Map<string, Set<string>>();
  for (const data of pipelines) {
    const nodes = (data as { nodes?: Record<string, { type?: unknown; config?: unknown }> } | undefined)?.nodes ?? {};
    for (const node of Object.values(nodes)) {
      if (typeof node?.type !== 'string' || NODE_SPEC_BY_TYPE.get(node.type)?.category !== 'source') continue;
      const config = (node.config ?? {}) as { device?: unknown; tags?: unknown };
      if (typeof config.device !== 'string') continue; // a signal reads no device
      const named = Array.isArray(config.tags) ? config.tags.map(String) : [];
      const tags = named.length ? named : (devices.valid.get(config.device)?.tags.map((t) => t.name) ?? []);
      const set = read.get(config.device) ?? new Set<string>();
      for (const t of tags) set.add(t);
      read.set(config.device, set);
    }
  }
  return read;
}

/** 0..1 of the cap reached (the larger of size and duration), undefined without a cap. */
export function fillOf(status: Pick<RecordingStatus, 'fill' | 'bytes' | 'maxBytes' | 'elapsedMs' | 'maxDurationMs'>): number | undefined {
  if (status.fill !== undefined) return Math.min(1, Math.max(0, status.fill));
  const parts = [status.maxBytes ? status.bytes / status.maxBytes : undefined, status.maxDurationMs ? status.elapsedMs / status.maxDurationMs : undefined].filter((x): x is number => x !== undefined);
  return parts.length ? Math.min(1, Math.max(...parts)) : undefined;
}

/** 12.3 s, 4 min 05 s, 1 h 02 min. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The source-time span of a recording, in ms (0 without samples). */
export const spanOf = (r: Pick<RecordingSummary, 'firstTs' | 'lastTs'>): number => (r.firstTs !== undefined && r.lastTs !== undefined ? r.lastTs - r.firstTs : 0);

/** Trim bounds from offsets in seconds after the first sample; a message when they do not fit. */
export function trimRange(r: Pick<RecordingSummary, 'firstTs' | 'lastTs'>, fromS: string, toS: string): { from: number; to: number } | { problem: string } {
  if (r.firstTs === undefined || r.lastTs === undefined) return { problem: 'the recording has no samples' };
  const from = Number(fromS);
  const to = Number(toS);
  const span = (r.lastTs - r.firstTs) / 1000;
  if (fromS.trim() === '' || toS.trim() === '' || !Number.isFinite(from) || !Number.isFinite(to)) return { problem: 'from and to are seconds after the first sample' };
  if (from < 0 || to > span + 0.0005) return { problem: `from and to lie within 0 … ${span.toFixed(3)} s` };
  if (to <= from) return { problem: 'to comes after from' };
  return { from: r.firstTs + Math.round(from * 1000), to: r.firstTs + Math.round(to * 1000) };
}

/** The recording's tags in a few words: "filler/level, filler/bottles +3". */
export function tagList(r: Pick<RecordingSummary, 'tags'>, shown = 3): string {
  const paths = r.tags.map((t) => t.path);
  return paths.length <= shown ? paths.join(', ') : `${paths.slice(0, shown).join(', ')} +${paths.length - shown}`;
}

/** The devices a recording holds tags of: what "Make simulator" can stand in for. */
export function recordedDevices(r: Pick<RecordingSummary, 'tags'>): string[] {
  return [...new Set(r.tags.flatMap((t) => (t.device !== undefined ? [t.device] : [])))].sort();
}

export interface SideBySideRow {
  readonly key: string;
  readonly ts: number;
  readonly path: string;
  readonly kind: CompareOutput['differences'][number]['kind'];
  readonly a?: { index?: number; value: string; quality?: string };
  readonly b?: { index?: number; value: string; quality?: string };
}

/** Values as JSON text (so "12" and 12 read apart); numbers to 12 significant digits, dropping float noise (104.59562800000002). */
const show = (v: unknown): string => (v === undefined ? '' : typeof v === 'number' ? String(Number(v.toPrecision(12))) : (JSON.stringify(v) ?? String(v)));

/** A comparison's differing samples as rows: A on the left, B on the right, empty where only the other has it. */
export function sideBySide(output: CompareOutput): SideBySideRow[] {
  return output.differences.map((d, i) => ({
    key: `${i}`,
    ts: d.ts,
    path: d.path,
    kind: d.kind,
    ...(d.kind !== 'only-b' ? { a: { ...(d.indexA !== undefined ? { index: d.indexA } : {}), value: show(d.valueA), ...(d.qualityA ? { quality: d.qualityA } : {}) } } : {}),
    ...(d.kind !== 'only-a' ? { b: { ...(d.indexB !== undefined ? { index: d.indexB } : {}), value: show(d.valueB), ...(d.qualityB ? { quality: d.qualityB } : {}) } } : {}),
  }));
}
