import { createHash } from 'node:crypto';
import type { Disposable } from '../../engine/clock.ts';
import { ERROR_PORT, NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import { describeDeviceTag, formatBytes, splitTagPath, valueType, type RecordingStatus, type RecordingStopReason } from '../../shared/recording.ts';
import type { Batch, Sample } from '../../shared/sample.ts';
import type { LoadedProject } from '../../store/project.ts';
import type { RecordedSample, RecordingStore, TagDefinition } from '../../store/recordings.ts';
import type { ProjectRunner } from '../project-runner.ts';

// Records what a run's sources read into the workspace DB: every sample of the chosen pipelines'
// source nodes (or only the chosen device/tag paths), with its source timestamp, quality and
// status. Samples are buffered and written in batches (a transaction each) every FLUSH_MS, or
// sooner when FLUSH_SAMPLES are waiting, so memory stays bounded whatever the rate.
//
// Caps: a size cap (bytes in the database) and a duration cap. Reaching one stops the recording
// cleanly: what fits is written, the recording is ended with the reason. A write error (disk full,
// I/O error) stops the recording with a message and leaves the run alone: the taps are removed and
// the pipelines go on.

export const FLUSH_MS = 250;
export const FLUSH_SAMPLES = 2000;
export const STATUS_MS = 500;

export interface RecorderOptions {
  readonly store: RecordingStore;
  /** The project as the run loaded it (its devices describe the recorded tags). */
  readonly loaded: LoadedProject;
  readonly mode: string;
  readonly name?: string;
  /** Pipelines whose sources are recorded; every pipeline of the run when empty. */
  readonly pipelines?: readonly string[];
  /** Only these sample paths ("device/tag"); everything the sources read when absent. */
  readonly tags?: readonly string[];
  readonly maxBytes?: number;
  readonly maxDurationMs?: number;
  /** Called every STATUS_MS while recording. */
  readonly onStatus?: (status: RecordingStatus) => void;
  /** Called once when the recording stops, whatever the reason. */
  readonly onStop?: (status: RecordingStatus) => void;
  readonly flushMs?: number;
  readonly statusMs?: number;
}

/** Why a write failed, in words a user can act on. */
export function writeErrorText(err: unknown): string {
  const code = String((err as { code?: unknown }).code ?? '');
  if (code === 'SQLITE_FULL') return 'the disk is full (or the database reached its size limit)';
  if (code.startsWith('SQLITE_IOERR')) return `the database could not be written (${code}: ${(err as Error).message})`;
  if (code === 'SQLITE_READONLY') return 'the database is read-only';
  return (err as Error).message ?? String(err);
}

/** sha-256 over the device and pipeline files (name and text), in name order: which project state samples go with. */
export function projectHash(loaded: LoadedProject): string {
  const hash = createHash('sha256');
  const entries = [...loaded.devices.values(), ...loaded.pipelines.values()].sort((a, b) => a.file.localeCompare(b.file));
  for (const e of entries) hash.update(`${e.file}\0${e.source.text}\0`);
  return hash.digest('hex');
}

/** The output ports of a pipeline's source nodes (error ports excepted). */
function sourcePorts(loaded: LoadedProject, pipelineId: string): { node: string; port: string }[] {
  const pipeline = loaded.pipelines.get(pipelineId)?.model;
  if (!pipeline) return [];
  const device = (id: string) => loaded.devices.get(id)?.model;
  return Object.entries(pipeline.nodes).flatMap(([node, def]) => {
    const spec = NODE_SPEC_BY_TYPE.get(def.type);
    if (spec?.category !== 'source') return [];
    return Object.keys(spec.ports(def.config as never, { device }).outputs)
      .filter((port) => port !== ERROR_PORT)
      .map((port) => ({ node, port }));
  });
}

export class Recorder {
  readonly id: number;
  readonly name: string;
  private readonly options: RecorderOptions;
  private readonly store: RecordingStore;
  private readonly startedAt = Date.now();
  private endedAt?: number;
  private readonly tagIndex = new Map<string, number>();
  /** The last sample kept per tag, to drop the copies two source nodes reading one tag both deliver. */
  private readonly lastKept = new Map<number, Sample>();
  private readonly wanted?: ReadonlySet<string>;
  private buffer: RecordedSample[] = [];
  private taps: Disposable[] = [];
  private timers: NodeJS.Timeout[] = [];
  private samples = 0;
  private bytes = 0;
  private rate = 0;
  private rateAt = Date.now();
  private rateCount = 0;
  private lastHeard = Date.now();
  private state: 'recording' | 'stopped' = 'recording';
  private stopReason?: RecordingStopReason;
  private message?: string;

  private constructor(id: number, name: string, options: RecorderOptions) {
    this.id = id;
    this.name = name;
    this.options = options;
    this.store = options.store;
    if (options.tags?.length) this.wanted = new Set(options.tags);
  }

  /** Creates the recording and taps the run's sources. Call before runner.start() to catch the first sample. */
  static start(runner: ProjectRunner, options: RecorderOptions): Recorder {
    const pipelines = options.pipelines?.length ? options.pipelines : runner.runs.map((r) => r.id);
    const name = options.name ?? `recording ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
    const id = options.store.create({
      name,
      mode: options.mode,
      pipelines,
      projectHash: projectHash(options.loaded),
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
      ...(options.maxDurationMs !== undefined ? { maxDurationMs: options.maxDurationMs } : {}),
    });
    const recorder = new Recorder(id, name, options);
    for (const run of runner.runs) {
      if (!pipelines.includes(run.id)) continue;
      for (const { node, port } of sourcePorts(options.loaded, run.id)) recorder.taps.push(run.tap(node, port, (batch) => recorder.take(batch)));
    }
    recorder.timers.push(setInterval(() => recorder.flush(), options.flushMs ?? FLUSH_MS));
    recorder.timers.push(setInterval(() => options.onStatus?.(recorder.status()), options.statusMs ?? STATUS_MS));
    if (options.maxDurationMs !== undefined) {
      recorder.timers.push(setTimeout(() => recorder.stop('duration', `the duration cap of ${options.maxDurationMs! / 1000} s was reached`), options.maxDurationMs));
    }
    return recorder;
  }

  get recording(): boolean {
    return this.state === 'recording';
  }

  status(now = Date.now()): RecordingStatus {
    const elapsedMs = (this.endedAt ?? now) - this.startedAt;
    const { maxBytes, maxDurationMs } = this.options;
    const ratios = [maxBytes ? this.bytes / maxBytes : undefined, maxDurationMs ? Math.min(1, elapsedMs / maxDurationMs) : undefined].filter((r) => r !== undefined);
    return {
      state: this.state,
      id: this.id,
      name: this.name,
      startedAt: this.startedAt,
      samples: this.samples + this.buffer.length,
      rate: this.state === 'recording' ? Math.round(this.updateRate(now) * 10) / 10 : 0,
      bytes: this.bytes,
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      elapsedMs,
      ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
      ...(ratios.length ? { fill: Math.round(Math.max(...ratios) * 1000) / 1000 } : {}),
      tags: this.tagIndex.size,
      ...(this.stopReason ? { stopReason: this.stopReason } : {}),
      ...(this.message ? { message: this.message } : {}),
    };
  }

  /** Writes what is buffered and ends the recording. Safe to call more than once. */
  stop(reason: RecordingStopReason = 'stopped', message?: string): RecordingStatus {
    if (this.state === 'stopped') return this.status();
    for (const t of this.taps) t.dispose();
    this.taps = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.flush();
    // A write error while flushing already ended the recording with its own reason.
    if (this.state === 'recording') this.end(reason, message);
    return this.status();
  }

  private take(batch: Batch): void {
    if (this.state !== 'recording') return;
    for (const s of batch) {
      if (this.wanted && !this.wanted.has(s.path)) continue;
      const tag = this.tagIndex.get(s.path) ?? this.addTag(s);
      if (tag === undefined) return;
      const last = this.lastKept.get(tag);
      if (last && last.ts === s.ts && last.value === s.value && last.quality === s.quality) continue;
      this.lastKept.set(tag, s);
      this.buffer.push({ tag, sample: s });
    }
    if (this.buffer.length >= FLUSH_SAMPLES) this.flush();
  }

  private addTag(first: Sample): number | undefined {
    const where = splitTagPath(first.path);
    const device = where && this.options.loaded.devices.get(where.device)?.model;
    const described = device && describeDeviceTag(device, where.tag);
    const def: TagDefinition = {
      path: first.path,
      ...(where && device ? { device: where.device, tag: where.tag } : {}),
      ...(described ? { protocol: described.protocol, address: described.address, source: described.source } : {}),
      dataType: described?.dataType ?? valueType(first.value),
      ...(first.meta ? { meta: first.meta } : {}),
    };
    try {
      const index = this.store.addTag(this.id, def);
      this.tagIndex.set(first.path, index);
      return index;
    } catch (err) {
      this.failed(err);
      return undefined;
    }
  }

  private flush(): void {
    if (this.state !== 'recording') return;
    const now = Date.now();
    const batch = this.buffer;
    this.buffer = [];
    const { maxBytes } = this.options;
    let written = batch.length;
    try {
      if (batch.length > 0) {
        const result = this.store.append(this.id, batch, maxBytes === undefined ? Infinity : maxBytes - this.bytes, now);
        this.bytes += result.bytes;
        this.samples += result.count;
        written = result.count;
        this.lastHeard = now;
      } else if (now - this.lastHeard >= 1000) {
        this.store.heartbeat(this.id, now);
        this.lastHeard = now;
      }
    } catch (err) {
      this.failed(err);
      return;
    }
    // What did not fit in the size cap ends the recording: the cap is reached.
    if (written < batch.length) this.end('size', `the size cap of ${formatBytes(maxBytes!)} was reached`);
  }

  /** A write failed: the recording ends with the reason; the run is not touched. */
  private failed(err: unknown): void {
    const kept = this.samples;
    this.buffer = [];
    this.end('error', `recording ${this.id} stopped: ${writeErrorText(err)}; the run goes on. ${kept.toLocaleString('en-US')} samples were kept.`);
  }

  private end(reason: RecordingStopReason, message?: string): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.endedAt = Date.now();
    this.stopReason = reason;
    if (message) this.message = message;
    for (const t of this.taps) t.dispose();
    this.taps = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    try {
      this.store.finish(this.id, { stopReason: reason, ...(message ? { message } : {}) });
    } catch {
      // The database cannot even take the end mark (still full): the list shows it as interrupted.
    }
    this.options.onStop?.(this.status());
  }

  /** Samples per second, smoothed with a time constant of about a second. */
  private updateRate(now: number): number {
    const count = this.samples + this.buffer.length;
    const dt = now - this.rateAt;
    if (dt >= 100) {
      const instant = ((count - this.rateCount) * 1000) / dt;
      this.rate += (1 - Math.exp(-dt / 1000)) * (instant - this.rate);
      this.rateAt = now;
      this.rateCount = count;
    }
    return this.rate;
  }
}
