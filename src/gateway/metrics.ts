// Prometheus metrics of a running project (docs/health-and-metrics.md): the engine's node counters,
// queue depths, the status that connector nodes report (connection state, reconnects, device
// queue, store-and-forward buffer) and the process's CPU and memory.
//
// A small writer of the text exposition format 0.0.4 rather than prom-client: every figure here is
// read from the engine's stats at scrape time, and prom-client's Counter can only be incremented
// (mirroring an absolute total means a custom collector anyway), its registry renders
// asynchronously, and it would bring @opentelemetry/api and tdigest into the gateway bundle.
import type { ProjectRunner } from '../host/project-runner.ts';
import { NODE_SPEC_BY_TYPE } from '../shared/nodes/index.ts';

export type MetricType = 'counter' | 'gauge';
export type Labels = Readonly<Record<string, string>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values: backslash, double quote and line feed are escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * Metric families in the text exposition format: one HELP and one TYPE line per family, then all
 * its samples together (a family's samples must not be split).
 */
export class Exposition {
  private readonly families = new Map<string, { type: MetricType; help: string; lines: string[] }>();

  add(name: string, type: MetricType, help: string, labels: Labels, value: number): void {
    let family = this.families.get(name);
    if (!family) {
      if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
      family = { type, help, lines: [] };
      this.families.set(name, family);
    } else if (family.type !== type) {
      throw new Error(`metric ${name} is a ${family.type}, not a ${type}`);
    }
    const pairs = Object.entries(labels).map(([k, v]) => {
      if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new Error(`invalid label name "${k}" on ${name}`);
      return `${k}="${escapeLabelValue(v)}"`;
    });
    family.lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
  }

  text(): string {
    let out = '';
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`;
    }
    return out;
  }
}

export interface MetricsExtra {
  /** Store-and-forward capacity (gateway.yaml buffer.maxEntries): adds the buffer fill ratio. */
  readonly bufferCapacity?: number;
  /** Hot reloads of the gateway so far. */
  readonly reloads?: { readonly applied: number; readonly rejected: number };
  /** Labels of plantbench_info, e.g. { version, bundle }. */
  readonly info?: Labels;
}

/** Status fields rendered as metrics of their own; other numeric ones go to plantbench_node_status. */
const NAMED_FIELDS = new Set(['connection', 'reconnects', 'queueDepth', 'stalenessMs', 'queued', 'dropped', 'oldestAgeMs', 'lastError']);

/** Prometheus text of every pipeline of `runner` (none while no run is up) and of the process. */
export function prometheusText(runner: ProjectRunner | undefined, extra: MetricsExtra = {}): string {
  const x = new Exposition();
  x.add('plantbench_info', 'gauge', 'Always 1; labels describe the running build and bundle.', extra.info ?? {}, 1);
  for (const run of runner?.runs ?? []) {
    x.add('plantbench_pipeline_running', 'gauge', '1 while the pipeline runs.', { pipeline: run.id }, run.running ? 1 : 0);
  }
  for (const run of runner?.runs ?? []) {
    const stats = run.stats().nodes;
    for (const [node, s] of Object.entries(stats)) {
      const type = run.pipeline.nodes[node]?.type ?? 'unknown';
      const category = NODE_SPEC_BY_TYPE.get(type)?.category;
      const l = { pipeline: run.id, node, type };
      x.add('plantbench_node_samples_in_total', 'counter', 'Samples a node took from its input queues.', l, s.in);
      x.add('plantbench_node_samples_out_total', 'counter', 'Samples a node emitted.', l, s.out);
      x.add('plantbench_node_samples_dropped_total', 'counter', 'Samples dropped at a node (a full queue with drop-oldest, or a refused source batch).', l, s.dropped);
      x.add('plantbench_node_errors_total', 'counter', 'Samples a node sent to its error port, and node failures.', l, s.errors);
      x.add('plantbench_node_queued_samples', 'gauge', "Samples waiting in the node's input queues.", l, s.queued);
      x.add('plantbench_node_latency_avg_seconds', 'gauge', 'Processing time per batch, moving average.', l, s.latency.avgUs / 1e6);
      x.add('plantbench_node_latency_max_seconds', 'gauge', 'Longest processing time of one batch.', l, s.latency.maxUs / 1e6);

      const st = s.status ?? {};
      if (typeof st.connection === 'string') {
        x.add('plantbench_connection_up', 'gauge', "1 while the node's device or broker connection is connected.", l, st.connection === 'connected' ? 1 : 0);
        x.add('plantbench_connection_state', 'gauge', "The node's connection state: 1 on the series of the current state.", { ...l, state: st.connection }, 1);
      }
      if (typeof st.reconnects === 'number') x.add('plantbench_connection_reconnects_total', 'counter', 'Reconnect attempts since the connection was opened.', l, st.reconnects);
      if (typeof st.queueDepth === 'number') x.add('plantbench_device_queue_depth', 'gauge', 'Requests waiting for their turn on the device connection.', l, st.queueDepth);
      if (typeof st.stalenessMs === 'number') x.add('plantbench_source_staleness_seconds', 'gauge', 'Age of the oldest last-good value of a polled source.', l, st.stalenessMs / 1000);
      // Store-and-forward: only sinks report these (a source's `dropped` is its node counter).
      if (category === 'sink') {
        if (typeof st.queued === 'number') {
          x.add('plantbench_buffer_queued_samples', 'gauge', 'Samples held in the store-and-forward buffer.', l, st.queued);
          if (extra.bufferCapacity) x.add('plantbench_buffer_fill_ratio', 'gauge', 'Store-and-forward buffer fill, 0 to 1.', l, Math.min(1, st.queued / extra.bufferCapacity));
        }
        if (typeof st.dropped === 'number') x.add('plantbench_buffer_dropped_total', 'counter', 'Samples the store-and-forward buffer dropped (full or too old).', l, st.dropped);
        if (typeof st.oldestAgeMs === 'number') x.add('plantbench_buffer_oldest_age_seconds', 'gauge', 'Age of the oldest sample in the store-and-forward buffer.', l, st.oldestAgeMs / 1000);
      }
      for (const [field, value] of Object.entries(st)) {
        if (NAMED_FIELDS.has(field) || !LABEL_NAME.test(field)) continue;
        if (typeof value === 'number' || typeof value === 'boolean') {
          x.add('plantbench_node_status', 'gauge', 'Other numeric status a node reports, as reported (field label; booleans as 0/1).', { ...l, field }, Number(value));
        }
      }
    }
  }
  if (extra.reloads) {
    x.add('plantbench_reloads_total', 'counter', 'Hot reloads of the bundle, by result.', { result: 'applied' }, extra.reloads.applied);
    x.add('plantbench_reloads_total', 'counter', 'Hot reloads of the bundle, by result.', { result: 'rejected' }, extra.reloads.rejected);
  }
  processMetrics(x);
  return x.text();
}

/** The standard process_* names Prometheus client libraries use, so dashboards work as they are. */
function processMetrics(x: Exposition): void {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  x.add('process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds.', {}, cpu.user / 1e6);
  x.add('process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds.', {}, cpu.system / 1e6);
  x.add('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', {}, (cpu.user + cpu.system) / 1e6);
  x.add('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', {}, mem.rss);
  x.add('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', {}, Math.round(Date.now() / 1000 - process.uptime()));
  x.add('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, in bytes.', {}, mem.heapUsed);
  x.add('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap allocated, in bytes.', {}, mem.heapTotal);
  x.add('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript (buffers), in bytes.', {}, mem.external);
}
