// Live data of a run, as the host pushes it (run.stats / run.samples / run.log). Incoming events
// are queued and applied at most once per animation frame; every buffer is bounded (ring buffers,
// capped maps), so a firehose costs a fixed amount of memory and one bounded flush per frame.
// Components subscribe to the version counters in `live` and read the buffers from `liveData`.
import type { z } from 'zod';
import type { sample as sampleSchema } from '../../shared/rpc/methods/common.ts';
import type { nodeStats as nodeStatsSchema } from '../../shared/rpc/methods/run.ts';
import { BoundedMap, RingBuffer, SeriesRing } from '../lib/ring.ts';
import { createStore } from '../lib/store.ts';

export type Sample = z.infer<typeof sampleSchema>;
export type NodeStats = z.infer<typeof nodeStatsSchema>;

export interface StatsPayload {
  ts: number;
  pipelines: Record<string, { nodes: Record<string, NodeStats>; edges: { from: string; to: string; count: number; queued: number; last?: Sample; rate?: number }[] }>;
}
export interface SamplesPayload {
  ts: number;
  samples: { pipeline: string; node: string; sample: Sample }[];
  omitted: number;
}
export interface LogEntry {
  ts: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  pipeline: string;
  node?: string;
  message: string;
}

export const LIMITS = {
  /** Rows of the values table (one per pipeline, node and path). */
  rows: 20_000,
  /** Recent points kept with every numeric row, so a value added to Trends shows where it came from. */
  history: 128,
  /** Points kept per trended value (an hour at 10 updates/s), and how many values can be trended at once. */
  trendPoints: 36_000,
  trends: 8,
  log: 5000,
  /** Queued, not yet applied, samples and log entries (only grows while frames are not drawn). */
  pendingSamples: 50_000,
  pendingLog: 10_000,
} as const;

export interface EdgeLive {
  readonly count: number;
  readonly queued: number;
  /** Samples per second. */
  readonly rate: number;
  readonly last?: Sample;
}

export interface ValueRow {
  readonly key: string;
  readonly pipeline: string;
  readonly node: string;
  readonly path: string;
  value: unknown;
  quality: Sample['quality'];
  ts: number;
  unit?: string;
  error?: string;
  count: number;
  rate: number;
  numeric: boolean;
  /** Recent numeric values (created with the first one). */
  history?: SeriesRing;
  bucket: number;
  bucketStart: number;
}

/** Version counters: a component re-renders when the one it reads changes (at most once per frame). */
export interface LiveVersions {
  readonly stats: number;
  readonly rows: number;
  readonly log: number;
  readonly series: number;
}

export const live = createStore<LiveVersions>({ stats: 0, rows: 0, log: 0, series: 0 });

// Animation frames where there are any (the page); plain timers elsewhere (unit tests in Node).
const frameGlobals = globalThis as { requestAnimationFrame?: (cb: () => void) => number; cancelAnimationFrame?: (id: number) => void };
const frames = { request: frameGlobals.requestAnimationFrame?.bind(globalThis), cancel: frameGlobals.cancelAnimationFrame?.bind(globalThis) };

export const rowKey = (pipeline: string, node: string, path: string): string => `${pipeline}\u0000${node}\u0000${path}`;

function numericValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

export class LiveData {
  /** Latest counters per pipeline and node, and per edge ("from.port->to.port"). */
  nodes = new Map<string, Record<string, NodeStats>>();
  edges = new Map<string, Map<string, EdgeLive>>();
  statsTs = 0;
  readonly rows = new BoundedMap<string, ValueRow>(LIMITS.rows);
  /** Long series of the values shown in Trends (by row key). */
  readonly trends = new Map<string, SeriesRing>();
  readonly log = new RingBuffer<LogEntry>(LIMITS.log);
  /** Samples the host left out of its batches, and ones dropped here before a frame applied them. */
  omitted = 0;
  droppedPending = 0;

  private pendingStats: StatsPayload | undefined;
  private pendingSamples: { pipeline: string; node: string; sample: Sample }[] = [];
  private pendingLog: LogEntry[] = [];
  private prevEdges = new Map<string, { count: number; ts: number; rate: number }>();
  private frame: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly versions = { stats: 0, rows: 0, log: 0, series: 0 };

  pushStats(p: StatsPayload): void {
    this.pendingStats = p; // a snapshot: only the newest matters
    this.schedule();
  }

  pushSamples(p: SamplesPayload): void {
    this.omitted += p.omitted;
    for (const s of p.samples) this.pendingSamples.push(s);
    const over = this.pendingSamples.length - LIMITS.pendingSamples;
    if (over > 0) {
      this.pendingSamples.splice(0, over);
      this.droppedPending += over;
    }
    this.schedule();
  }

  pushLog(entries: readonly LogEntry[]): void {
    for (const e of entries) this.pendingLog.push(e);
    const over = this.pendingLog.length - LIMITS.pendingLog;
    if (over > 0) {
      this.pendingLog.splice(0, over);
      this.droppedPending += over;
    }
    this.schedule();
  }

  /** Adds a line of the workbench's own (run started, stopped) to the debug log. */
  note(message: string, level: LogEntry['level'] = 'info'): void {
    this.pushLog([{ ts: Date.now(), level, pipeline: '', message }]);
  }

  /** Forgets counters and values of the previous run (trends and the log stay). */
  resetRun(): void {
    this.nodes = new Map();
    this.edges = new Map();
    this.prevEdges.clear();
    this.rows.clear();
    this.pendingStats = undefined;
    this.pendingSamples = [];
    this.bump('stats');
    this.bump('rows');
  }

  /** Keeps long series for these rows (the Trends selection), seeded with their recent history. */
  setTrended(keys: readonly string[]): void {
    for (const key of [...this.trends.keys()]) if (!keys.includes(key)) this.trends.delete(key);
    for (const key of keys.slice(0, LIMITS.trends)) {
      if (this.trends.has(key)) continue;
      const ring = new SeriesRing(LIMITS.trendPoints);
      const recent = this.rows.get(key)?.history?.since(-Infinity);
      recent?.t.forEach((t, i) => ring.push(t, recent.v[i]!));
      this.trends.set(key, ring);
    }
    this.bump('series');
    live.set({ ...this.versions });
  }

  /** The points of a row for a chart: its long series when trended, else its recent history. */
  seriesOf(key: string): SeriesRing | undefined {
    return this.trends.get(key) ?? this.rows.get(key)?.history;
  }

  clearSeries(): void {
    for (const s of this.trends.values()) s.clear();
    for (const row of this.rows.values()) row.history?.clear();
    this.bump('series');
    live.set({ ...this.versions });
  }

  clearLog(): void {
    this.log.clear();
    this.bump('log');
    live.set({ ...this.versions });
  }

  private schedule(): void {
    if (this.frame !== undefined || this.timer !== undefined) return;
    // requestAnimationFrame does not fire in a hidden tab; the timer keeps the buffers applied (and bounded) there too.
    if (frames.request) this.frame = frames.request(() => this.flush());
    this.timer = setTimeout(() => this.flush(), 250);
  }

  /** Applies everything queued since the last frame. */
  flush(now = Date.now()): void {
    if (this.frame !== undefined) frames.cancel?.(this.frame);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.frame = undefined;
    this.timer = undefined;
    const stats = this.pendingStats;
    this.pendingStats = undefined;
    if (stats) this.applyStats(stats, now);
    if (this.pendingSamples.length) {
      const samples = this.pendingSamples;
      this.pendingSamples = [];
      for (const s of samples) this.applySample(s.pipeline, s.node, s.sample, now);
      this.bump('rows');
      this.bump('series');
    }
    if (this.pendingLog.length) {
      for (const e of this.pendingLog) this.log.push(e);
      this.pendingLog = [];
      this.bump('log');
    }
    live.set({ ...this.versions });
  }

  private bump(which: keyof LiveVersions): void {
    this.versions[which]++;
  }

  private applyStats(p: StatsPayload, now: number): void {
    this.statsTs = p.ts;
    let sampled = false;
    for (const [pipeline, { nodes, edges }] of Object.entries(p.pipelines)) {
      this.nodes.set(pipeline, nodes);
      const byEdge = new Map<string, EdgeLive>();
      for (const e of edges) {
        const key = `${pipeline}\u0000${e.from}->${e.to}`;
        const prev = this.prevEdges.get(key);
        let rate = e.rate;
        if (rate === undefined) {
          if (prev && p.ts > prev.ts) {
            const instant = (Math.max(0, e.count - prev.count) * 1000) / (p.ts - prev.ts);
            // Smooth over about a second of 20 Hz batches.
            rate = prev.rate + (instant - prev.rate) * Math.min(1, (p.ts - prev.ts) / 1000);
          } else rate = 0;
        }
        this.prevEdges.set(key, { count: e.count, ts: p.ts, rate });
        byEdge.set(`${e.from}->${e.to}`, { count: e.count, queued: e.queued, rate, ...(e.last ? { last: e.last } : {}) });
      }
      this.edges.set(pipeline, byEdge);
      // Every node's last value feeds the values table and trends, not only the tapped ones.
      for (const [node, s] of Object.entries(nodes)) {
        if (s.last) {
          this.applySample(pipeline, node, s.last, now);
          sampled = true;
        }
      }
    }
    this.bump('stats');
    if (sampled) {
      this.bump('rows');
      this.bump('series');
    }
  }

  private applySample(pipeline: string, node: string, sample: Sample, now: number): void {
    const key = rowKey(pipeline, node, sample.path);
    let row = this.rows.get(key);
    if (row && row.ts === sample.ts && Object.is(row.value, sample.value)) return; // the same sample seen again in a snapshot
    const n = numericValue(sample.value);
    if (!row) {
      row = { key, pipeline, node, path: sample.path, value: sample.value, quality: sample.quality, ts: sample.ts, count: 0, rate: 0, numeric: n !== undefined, bucket: 0, bucketStart: now };
    }
    row.value = sample.value;
    row.quality = sample.quality;
    row.ts = sample.ts;
    row.unit = sample.meta?.unit ?? row.unit;
    row.error = sample.error?.message;
    row.numeric = n !== undefined;
    row.count++;
    row.bucket++;
    if (now - row.bucketStart >= 1000) {
      row.rate = (row.bucket * 1000) / (now - row.bucketStart);
      row.bucket = 0;
      row.bucketStart = now;
    }
    this.rows.set(key, row);
    if (n !== undefined) {
      row.history ??= new SeriesRing(LIMITS.history);
      const last = row.history.lastTime();
      // Charts need increasing time: a sample older than the last point is left out of the series.
      if (last === undefined || sample.ts > last) {
        row.history.push(sample.ts, n);
        this.trends.get(key)?.push(sample.ts, n);
      }
    }
  }
}

export const liveData = new LiveData();

/** The live counters and edge values of one pipeline's node / edge (undefined when not running). */
export function nodeLive(pipeline: string, node: string): NodeStats | undefined {
  return liveData.nodes.get(pipeline)?.[node];
}

export function edgeLive(pipeline: string, edgeKey: string): EdgeLive | undefined {
  return liveData.edges.get(pipeline)?.get(edgeKey);
}

export function rowLabel(row: Pick<ValueRow, 'pipeline' | 'node' | 'path'>): string {
  return `${row.path} @ ${row.pipeline}/${row.node}`;
}

export function splitRowKey(key: string): { pipeline: string; node: string; path: string } {
  const [pipeline = '', node = '', path = ''] = key.split('\u0000');
  return { pipeline, node, path };
}
