import type { DeviceFile } from '../shared/model/device.ts';
import type { PipelineFile } from '../shared/model/pipeline.ts';
import type { QueueConfig, UnsHierarchy } from '../shared/model/project.ts';
import { ERROR_PORT, NODE_SPEC_BY_TYPE, type NodeCategory } from '../shared/nodes/index.ts';
import type { Batch, Sample } from '../shared/sample.ts';
import type { Clock, Disposable } from './clock.ts';
import { NO_DEVICE_WRITES, type DeviceWriteGate } from './device-writes.ts';
import { analyzeGraph } from '../shared/graph.ts';
import type { NodeContext, NodeEvaluator, NodeKindRegistry, StatusValue } from './node-kind.ts';

export interface LogEntry {
  readonly ts: number;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly pipeline: string;
  readonly node?: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export interface RunOptions {
  readonly pipeline: PipelineFile;
  readonly kinds: NodeKindRegistry;
  readonly clock: Clock;
  readonly project: { readonly uns: UnsHierarchy; readonly topicTemplate?: string; readonly queue?: Partial<QueueConfig> };
  /** Devices with secrets resolved. */
  readonly devices?: (id: string) => DeviceFile | undefined;
  /** The gate device writes go through; without one every write is refused (NO_DEVICE_WRITES). */
  readonly writes?: DeviceWriteGate;
  readonly log?: (entry: LogEntry) => void;
  /**
   * auto: work is drained as soon as it arrives (real runs).
   * manual: only settle() drains, so a virtual-clock test decides when work happens.
   */
  readonly scheduling?: 'auto' | 'manual';
}

export interface LatencyStats {
  /** Processing time per batch, microseconds. */
  lastUs: number;
  avgUs: number;
  maxUs: number;
}

export interface NodeStats {
  in: number;
  out: number;
  dropped: number;
  errors: number;
  /** Samples waiting in this node's input queues. */
  queued: number;
  last?: Sample;
  lastError?: { message: string; at: number };
  latency: LatencyStats;
  /** Node-specific status a node reports (connection, queue depth, staleness, ...). */
  status?: Record<string, StatusValue>;
}

export interface EdgeStats {
  readonly from: string;
  readonly to: string;
  count: number;
  queued: number;
  last?: Sample;
}

export class EngineError extends Error {}

const DEFAULT_QUEUE: QueueConfig = { capacity: 10_000, overflow: 'block' };
const EWMA = 0.1;
/** A failing node logs at most this often; the rest is counted. */
const ERROR_LOG_INTERVAL_MS = 1000;

/** A bounded FIFO of batches between two ports. Batches are shared, never copied. */
class EdgeQueue {
  private batches: Batch[] = [];
  private head = 0;
  size = 0;
  readonly stats: EdgeStats;

  readonly target: RuntimeNode;
  readonly port: string;
  readonly capacity: number;
  readonly dropOldest: boolean;

  constructor(target: RuntimeNode, port: string, capacity: number, dropOldest: boolean, from: string) {
    this.target = target;
    this.port = port;
    this.capacity = capacity;
    this.dropOldest = dropOldest;
    this.stats = { from, to: `${target.id}.${port}`, count: 0, queued: 0 };
  }

  get full(): boolean {
    return !this.dropOldest && this.size >= this.capacity;
  }

  push(batch: Batch): void {
    this.stats.count += batch.length;
    this.stats.last = batch[batch.length - 1];
    if (this.dropOldest && this.size + batch.length > this.capacity) this.makeRoom(batch.length);
    if (batch.length > this.capacity && this.dropOldest) {
      this.target.stats.dropped += batch.length - this.capacity;
      batch = batch.slice(batch.length - this.capacity);
    }
    this.batches.push(batch);
    this.size += batch.length;
    this.target.stats.queued += batch.length;
  }

  shift(): Batch | undefined {
    if (this.head >= this.batches.length) return undefined;
    const batch = this.batches[this.head]!;
    this.batches[this.head++] = undefined as unknown as Batch;
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
    this.size -= batch.length;
    this.target.stats.queued -= batch.length;
    return batch;
  }

  private makeRoom(incoming: number): void {
    let excess = this.size + incoming - this.capacity;
    while (excess > 0 && this.head < this.batches.length) {
      const oldest = this.batches[this.head]!;
      if (oldest.length <= excess) {
        this.shift();
        this.target.stats.dropped += oldest.length;
        excess -= oldest.length;
      } else {
        this.batches[this.head] = oldest.slice(excess);
        this.size -= excess;
        this.target.stats.queued -= excess;
        this.target.stats.dropped += excess;
        excess = 0;
      }
    }
  }
}

class RuntimeNode {
  readonly inputs: EdgeQueue[] = [];
  readonly outputs = new Map<string, EdgeQueue[]>();
  /** Output queues that pace this node when full. */
  blocking: EdgeQueue[] = [];
  readonly timers = new Set<Disposable>();
  readonly taps = new Map<string, Set<(batch: Batch) => void>>();
  readonly stats: NodeStats = { in: 0, out: 0, dropped: 0, errors: 0, queued: 0, latency: { lastUs: 0, avgUs: 0, maxUs: 0 } };
  evaluator: NodeEvaluator = {};
  busy = false;
  private nextInput = 0;
  lastErrorLog = -Infinity;
  suppressedErrors = 0;

  readonly id: string;
  readonly category: NodeCategory;
  readonly declaredOutputs: ReadonlySet<string>;

  constructor(id: string, category: NodeCategory, declaredOutputs: Iterable<string>) {
    this.id = id;
    this.category = category;
    this.declaredOutputs = new Set(declaredOutputs);
  }

  hasRoom(): boolean {
    for (const q of this.blocking) if (q.full) return false;
    return true;
  }

  /** The next batch, taking input edges in turn so no input starves another. */
  take(): { batch: Batch; port: string } | undefined {
    const n = this.inputs.length;
    for (let i = 0; i < n; i++) {
      const q = this.inputs[(this.nextInput + i) % n]!;
      const batch = q.shift();
      if (batch) {
        this.nextInput = (this.nextInput + i + 1) % n;
        return { batch, port: q.port };
      }
    }
    return undefined;
  }

  recordLatency(us: number): void {
    const l = this.stats.latency;
    l.lastUs = us;
    l.avgUs = l.avgUs === 0 ? us : l.avgUs + EWMA * (us - l.avgUs);
    if (us > l.maxUs) l.maxUs = us;
  }
}

/**
 * One running pipeline: a DAG of nodes joined by bounded queues. Nodes run in topological order;
 * a node runs only while its blocking output queues have room, so back-pressure reaches the sources.
 * A node that throws sends the batch to its error port; the pipeline keeps running.
 */
export class PipelineRun {
  readonly id: string;
  /** The pipeline this run executes (node types for metrics and readiness). */
  readonly pipeline: PipelineFile;
  private readonly nodes = new Map<string, RuntimeNode>();
  private readonly order: RuntimeNode[] = [];
  private readonly edgeQueues: EdgeQueue[] = [];
  private readonly injectQueues = new Map<string, EdgeQueue>();
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private draining = false;
  private scheduled = false;
  private progressWaiters: (() => void)[] = [];
  private immediate?: NodeJS.Immediate;

  private readonly options: RunOptions;

  constructor(options: RunOptions) {
    this.options = options;
    const { pipeline } = options;
    this.id = pipeline.id;
    this.pipeline = pipeline;
    const devices = options.devices ?? (() => undefined);
    const { graph, problems } = analyzeGraph(pipeline, { device: devices });
    if (!graph) {
      throw new EngineError(`pipeline ${pipeline.id} is invalid: ${problems.map((p) => p.message).join('; ')}`);
    }
    for (const id of graph.order) {
      const spec = NODE_SPEC_BY_TYPE.get(pipeline.nodes[id]!.type)!;
      const node = new RuntimeNode(id, spec.category, Object.keys(graph.ports.get(id)!.outputs));
      this.nodes.set(id, node);
      this.order.push(node);
    }
    const defaults = { ...DEFAULT_QUEUE, ...options.project.queue };
    for (const edge of graph.edges) {
      const from = this.nodes.get(edge.from.node)!;
      const to = this.nodes.get(edge.to.node)!;
      const queue = { ...defaults, ...pipeline.nodes[to.id]!.queue };
      const q = new EdgeQueue(to, edge.to.port, queue.capacity, queue.overflow === 'drop-oldest', `${from.id}.${edge.from.port}`);
      to.inputs.push(q);
      from.outputs.set(edge.from.port, [...(from.outputs.get(edge.from.port) ?? []), q]);
      if (!q.dropOldest) from.blocking.push(q);
      this.edgeQueues.push(q);
    }
    for (const node of this.order) {
      const def = pipeline.nodes[node.id]!;
      const kind = options.kinds.get(def.type);
      if (!kind) {
        throw new EngineError(`node "${node.id}": no runtime for node type "${def.type}" in this build`);
      }
      node.evaluator = kind.create(def.config as never, this.contextFor(node));
    }
  }

  get running(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new EngineError(`pipeline ${this.id} was already started`);
    this.state = 'running';
    // Sinks first, sources last, so nothing is emitted into a node that is not ready.
    for (const node of [...this.order].reverse()) {
      try {
        await node.evaluator.start?.();
      } catch (err) {
        this.nodeFailed(node, undefined, `start failed: ${errorMessage(err)}`);
      }
    }
    this.schedule();
  }

  /** Stops sources, lets queued samples drain through, flushes every node, and disposes all timers. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    if (wasRunning) {
      for (const node of this.order.filter((n) => n.category === 'source')) await this.stopNode(node);
      await this.settle();
      for (const node of this.order.filter((n) => n.category !== 'source')) {
        await this.stopNode(node);
        await this.settle();
      }
    }
    for (const node of this.order) this.disposeTimers(node);
    if (this.immediate) clearImmediate(this.immediate);
    this.state = 'stopped';
  }

  /** Feeds a batch into a node as if it had arrived on `port` (a source emits it on its output). */
  inject(nodeId: string, port: string | undefined, batch: Batch): void {
    const node = this.nodes.get(nodeId);
    if (!node) throw new EngineError(`no node "${nodeId}" in pipeline ${this.id}`);
    if (node.category === 'source') {
      this.emit(node, port ?? 'out', batch, true);
      return;
    }
    const inPort = port ?? 'in';
    let q = this.injectQueues.get(`${nodeId}.${inPort}`);
    if (!q) {
      q = new EdgeQueue(node, inPort, Number.MAX_SAFE_INTEGER, false, 'inject');
      node.inputs.push(q);
      this.injectQueues.set(`${nodeId}.${inPort}`, q);
    }
    q.push(batch);
    this.schedule();
  }

  /** Calls `fn` with every batch a node emits on a port (live view, tests). */
  tap(nodeId: string, port: string, fn: (batch: Batch) => void): Disposable {
    const node = this.nodes.get(nodeId);
    if (!node) throw new EngineError(`no node "${nodeId}" in pipeline ${this.id}`);
    const set = node.taps.get(port) ?? new Set();
    node.taps.set(port, set);
    set.add(fn);
    return { dispose: () => set.delete(fn) };
  }

  stats(): { nodes: Record<string, NodeStats>; edges: EdgeStats[] } {
    const nodes: Record<string, NodeStats> = {};
    for (const node of this.order) {
      const { status, latency } = node.stats;
      nodes[node.id] = { ...node.stats, latency: { ...latency }, ...(status ? { status: { ...status } } : {}) };
    }
    const edges = this.edgeQueues.map((q) => ({ ...q.stats, queued: q.size }));
    return { nodes, edges };
  }

  /** Timers that nodes still hold (0 after stop). */
  activeTimers(): number {
    let n = 0;
    for (const node of this.order) n += node.timers.size;
    return n;
  }

  /** Runs queued work until every queue is empty and no node is busy. */
  async settle(): Promise<void> {
    for (;;) {
      this.drain();
      if (!this.order.some((n) => n.busy)) return;
      await new Promise<void>((resolve) => this.progressWaiters.push(resolve));
    }
  }

  private schedule(): void {
    if (this.options.scheduling === 'manual' || this.scheduled || this.draining) return;
    this.scheduled = true;
    this.immediate = setImmediate(() => {
      this.scheduled = false;
      this.immediate = undefined;
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const node of this.order) {
          while (!node.busy && node.stats.queued > 0 && node.hasRoom()) {
            const next = node.take();
            if (!next) break;
            progressed = true;
            this.invoke(node, next.batch, next.port);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private invoke(node: RuntimeNode, batch: Batch, port: string): void {
    node.stats.in += batch.length;
    const started = performance.now();
    let result: void | Promise<void>;
    try {
      result = node.evaluator.process?.(batch, port);
    } catch (err) {
      this.failBatch(node, batch, err);
      node.recordLatency((performance.now() - started) * 1000);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      node.busy = true;
      (result as Promise<void>).then(
        () => this.finished(node, started),
        (err: unknown) => {
          this.failBatch(node, batch, err);
          this.finished(node, started);
        },
      );
    } else {
      node.recordLatency((performance.now() - started) * 1000);
    }
  }

  private finished(node: RuntimeNode, started: number): void {
    node.busy = false;
    node.recordLatency((performance.now() - started) * 1000);
    const waiters = this.progressWaiters;
    this.progressWaiters = [];
    for (const w of waiters) w();
    this.schedule();
  }

  private emit(node: RuntimeNode, port: string, batch: Batch, injected = false): boolean {
    if (batch.length === 0) return true;
    if (port !== ERROR_PORT && node.category === 'source' && !injected && !node.hasRoom()) {
      node.stats.dropped += batch.length;
      return false;
    }
    const queues = node.outputs.get(port);
    if (port !== ERROR_PORT) {
      if (!queues && !node.declaredOutputs.has(port)) {
        throw new EngineError(`node "${node.id}" emitted on unknown port "${port}"`);
      }
      node.stats.out += batch.length;
      node.stats.last = batch[batch.length - 1];
    }
    if (queues) for (const q of queues) q.push(batch);
    const taps = node.taps.get(port);
    if (taps) for (const fn of taps) fn(batch);
    if (queues) this.schedule();
    return true;
  }

  private failBatch(node: RuntimeNode, batch: Batch, err: unknown): void {
    const message = errorMessage(err);
    this.nodeFailed(node, batch[0], message, batch);
  }

  /** Counts the failure, sends the samples to the error port with the reason, logs (rate-limited). */
  private nodeFailed(node: RuntimeNode, sample: Sample | undefined, message: string, batch?: Batch): void {
    const now = this.options.clock.now();
    const samples = batch ?? (sample ? [sample] : []);
    node.stats.errors += Math.max(1, samples.length);
    node.stats.lastError = { message, at: now };
    const errorSamples: Sample[] = samples.map((s) => ({ ...s, error: { node: node.id, message } }));
    if (samples.length === 0) {
      errorSamples.push({ path: node.id, value: null, quality: 'bad', ts: now, error: { node: node.id, message } });
    }
    this.emit(node, ERROR_PORT, errorSamples);
    if (now - node.lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
      const suppressed = node.suppressedErrors;
      node.lastErrorLog = now;
      node.suppressedErrors = 0;
      this.log('warn', node.id, message, suppressed ? { suppressed } : undefined);
    } else node.suppressedErrors++;
  }

  private async stopNode(node: RuntimeNode): Promise<void> {
    try {
      await node.evaluator.stop?.();
    } catch (err) {
      this.nodeFailed(node, undefined, `stop failed: ${errorMessage(err)}`);
    }
    this.disposeTimers(node);
  }

  private disposeTimers(node: RuntimeNode): void {
    for (const t of node.timers) t.dispose();
    node.timers.clear();
  }

  private log(level: LogEntry['level'], node: string | undefined, message: string, fields?: Record<string, unknown>): void {
    this.options.log?.({ ts: this.options.clock.now(), level, pipeline: this.id, node, message, fields });
  }

  private contextFor(node: RuntimeNode): NodeContext {
    const { clock, project } = this.options;
    const track = (make: (fn: () => void) => Disposable, fn: () => void): Disposable => {
      const guarded = (): void => {
        if (this.state !== 'running' && this.state !== 'stopping') return;
        try {
          fn();
        } catch (err) {
          this.nodeFailed(node, undefined, `timer failed: ${errorMessage(err)}`);
        }
        this.schedule();
      };
      const inner = make(guarded);
      const handle: Disposable = {
        dispose: () => {
          inner.dispose();
          node.timers.delete(handle);
        },
      };
      node.timers.add(handle);
      return handle;
    };
    return {
      nodeId: node.id,
      pipelineId: this.id,
      clock,
      project,
      device: (id) => this.options.devices?.(id),
      writes: this.options.writes ?? NO_DEVICE_WRITES,
      emit: (port, batch) => this.emit(node, port, batch),
      canEmit: () => node.hasRoom(),
      fail: (sample, message) => this.nodeFailed(node, sample, message),
      report: (fields) => {
        const status = (node.stats.status ??= {});
        for (const [key, value] of Object.entries(fields)) {
          if (value === undefined) delete status[key];
          else status[key] = value;
        }
      },
      setTimeout: (fn, ms) => {
        let handle: Disposable | undefined = undefined;
        handle = track((g) => clock.setTimeout(() => {
          handle?.dispose();
          g();
        }, ms), fn);
        return handle;
      },
      setInterval: (fn, ms) => track((g) => clock.setInterval(g, ms), fn),
      log: (level, message, fields) => this.log(level, node.id, message, fields),
    };
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
