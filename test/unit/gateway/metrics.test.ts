import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_KINDS, kindRegistry } from '../../../src/engine/nodes/index.ts';
import type { NodeContext, NodeKind } from '../../../src/engine/node-kind.ts';
import { projectReadiness } from '../../../src/gateway/health.ts';
import { Exposition, prometheusText } from '../../../src/gateway/metrics.ts';
import { ProjectRunner } from '../../../src/host/project-runner.ts';
import { loadProject } from '../../../src/store/project.ts';
import { metricValue, parsePrometheusText } from '../../helpers/prometheus.ts';
import { writeProjectFiles } from '../../helpers/project.ts';

// The Prometheus text of a real ProjectRunner (a project folder on disk, the engine's kinds), read
// back with a strict parser: names, labels (escaped), values and types; and readiness.

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project with one pipeline: source `src` → scale `s` → log sink `out`. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-metrics-'));
  dirs.push(root);
  writeProjectFiles(root, 'Metrics', {
    'pipelines/p1.yaml': `apiVersion: plantbench/v1
kind: Pipeline
id: p1
name: One
nodes:
  src: { type: signal, config: { path: x, intervalMs: 60000, shape: { kind: sine } } }
  s: { type: scale, config: { rawLow: 0, rawHigh: 10, engLow: 0, engHigh: 100 } }
  out: { type: log, config: {} }
edges:
  - { from: src, to: s }
  - { from: s, to: out }
`,
  });
  return root;
}

/** Kinds standing in for a connector: the source reports a connection, the sink a buffer. */
function reporting(status: { src?: Record<string, string | number | boolean>; out?: Record<string, string | number | boolean> }) {
  const contexts: NodeContext[] = [];
  const kinds: NodeKind<never>[] = [
    { type: 'signal', create: (_c, ctx) => (contexts.push(ctx), { start: () => status.src && ctx.report(status.src) }) },
    { type: 'log', create: (_c, ctx) => (contexts.push(ctx), { start: () => status.out && ctx.report(status.out) }) },
  ];
  return { kinds, contexts };
}

function prepare(root: string, kinds: NodeKind<never>[]): ProjectRunner {
  const { runner, problems } = ProjectRunner.prepare(loadProject(root), { kinds: kindRegistry(ENGINE_KINDS, kinds), secrets: () => undefined, log: () => {} });
  expect(problems).toEqual([]);
  return runner!;
}

describe('prometheusText', () => {
  it('renders node counters, connection and buffer status, and process figures in valid exposition format', async () => {
    const { kinds } = reporting({
      src: { connection: 'reconnecting', reconnects: 3, queueDepth: 7, stalenessMs: 1500, polls: 12, unitAnswering: false, lastError: 'ECONNREFUSED' },
      out: { connection: 'connected', queued: 40, dropped: 2, oldestAgeMs: 2500 },
    });
    const runner = prepare(project(), kinds);
    await runner.start();
    const run = runner.runs[0]!;
    run.inject('src', undefined, [
      { path: 'x', value: 1, quality: 'good', ts: 1 },
      { path: 'x', value: 'text', quality: 'good', ts: 2 },
      { path: 'x', value: 5, quality: 'good', ts: 3 },
    ]);
    await run.settle();

    const text = prometheusText(runner, { bufferCapacity: 100, reloads: { applied: 2, rejected: 1 }, info: { version: '0.1.0', bundle: 'a "b"\\c\nd' } });
    const m = parsePrometheusText(text);
    const node = (n: string, type: string) => ({ pipeline: 'p1', node: n, type });

    expect(m.get('plantbench_node_samples_in_total')!.type).toBe('counter');
    expect(metricValue(m, 'plantbench_node_samples_in_total', node('s', 'scale'))).toBe(3);
    expect(metricValue(m, 'plantbench_node_samples_out_total', node('s', 'scale'))).toBe(2);
    expect(metricValue(m, 'plantbench_node_errors_total', node('s', 'scale'))).toBe(1);
    expect(metricValue(m, 'plantbench_node_samples_in_total', node('out', 'log'))).toBe(2);
    expect(metricValue(m, 'plantbench_node_samples_dropped_total', node('out', 'log'))).toBe(0);
    expect(metricValue(m, 'plantbench_node_queued_samples', node('out', 'log'))).toBe(0);
    expect(m.get('plantbench_node_queued_samples')!.type).toBe('gauge');
    expect(metricValue(m, 'plantbench_pipeline_running', { pipeline: 'p1' })).toBe(1);

    expect(metricValue(m, 'plantbench_connection_up', node('src', 'signal'))).toBe(0);
    expect(metricValue(m, 'plantbench_connection_state', { ...node('src', 'signal'), state: 'reconnecting' })).toBe(1);
    expect(metricValue(m, 'plantbench_connection_up', node('out', 'log'))).toBe(1);
    expect(metricValue(m, 'plantbench_connection_reconnects_total', node('src', 'signal'))).toBe(3);
    expect(metricValue(m, 'plantbench_device_queue_depth', node('src', 'signal'))).toBe(7);
    expect(metricValue(m, 'plantbench_source_staleness_seconds', node('src', 'signal'))).toBe(1.5);
    expect(metricValue(m, 'plantbench_node_status', { ...node('src', 'signal'), field: 'polls' })).toBe(12);
    expect(metricValue(m, 'plantbench_node_status', { ...node('src', 'signal'), field: 'unitAnswering' })).toBe(0);
    // Strings other than the connection state are not metrics.
    expect(text).not.toContain('ECONNREFUSED');

    expect(metricValue(m, 'plantbench_buffer_queued_samples', node('out', 'log'))).toBe(40);
    expect(metricValue(m, 'plantbench_buffer_fill_ratio', node('out', 'log'))).toBe(0.4);
    expect(metricValue(m, 'plantbench_buffer_dropped_total', node('out', 'log'))).toBe(2);
    expect(metricValue(m, 'plantbench_buffer_oldest_age_seconds', node('out', 'log'))).toBe(2.5);
    expect(metricValue(m, 'plantbench_reloads_total', { result: 'applied' })).toBe(2);
    expect(metricValue(m, 'plantbench_reloads_total', { result: 'rejected' })).toBe(1);
    // Label values come back unescaped exactly.
    expect(m.get('plantbench_info')!.samples[0]!.labels).toEqual({ version: '0.1.0', bundle: 'a "b"\\c\nd' });

    expect(m.get('process_cpu_seconds_total')!.type).toBe('counter');
    expect(metricValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(metricValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    expect(metricValue(m, 'process_start_time_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    for (const family of m.values()) expect(family.help.length, family.name).toBeGreaterThan(0);

    await runner.stop();
    expect(metricValue(parsePrometheusText(prometheusText(runner)), 'plantbench_pipeline_running', { pipeline: 'p1' })).toBe(0);
  });

  it('renders the process figures alone while no run is up', () => {
    const m = parsePrometheusText(prometheusText(undefined));
    expect([...m.keys()].filter((k) => k.startsWith('plantbench_'))).toEqual(['plantbench_info']);
    expect(metricValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('escapes HELP text and label values, keeps a family together, and refuses bad names', () => {
    const x = new Exposition();
    x.add('a_total', 'counter', 'line\none \\ two', { k: 'v' }, 1);
    x.add('b', 'gauge', 'b', {}, NaN);
    x.add('a_total', 'counter', 'ignored', { k: 'w"\\\n' }, Infinity);
    expect(x.text()).toBe(
      '# HELP a_total line\\none \\\\ two\n# TYPE a_total counter\na_total{k="v"} 1\na_total{k="w\\"\\\\\\n"} +Inf\n' + '# HELP b b\n# TYPE b gauge\nb NaN\n',
    );
    const m = parsePrometheusText(x.text());
    expect(m.get('a_total')!.help).toBe('line\none \\ two');
    expect(m.get('a_total')!.samples.map((s) => s.labels.k)).toEqual(['v', 'w"\\\n']);
    expect(() => x.add('b', 'counter', 'b', {}, 1)).toThrow('metric b is a gauge, not a counter');
    expect(() => x.add('1bad', 'gauge', 'x', {}, 1)).toThrow('invalid metric name "1bad"');
    expect(() => x.add('ok', 'gauge', 'x', { 'bad-label': 'v' }, 1)).toThrow('invalid label name "bad-label"');
  });

  it('the test parser rejects what Prometheus would reject', () => {
    expect(() => parsePrometheusText('a 1\n')).toThrow('no HELP/TYPE');
    expect(() => parsePrometheusText('# TYPE a gauge\na{k="v} 1\n')).toThrow('unterminated label value');
    expect(() => parsePrometheusText('# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n')).toThrow('interrupted');
    expect(() => parsePrometheusText('# TYPE a gauge\na 1\na 1\n')).toThrow('appears twice');
  });
});

describe('projectReadiness', () => {
  it('is ready once every pipeline runs and every source reports connected', async () => {
    expect(projectReadiness(undefined)).toEqual({ ready: false, reason: 'no pipeline is running' });
    const status: { src: Record<string, string> } = { src: { connection: 'connecting' } };
    const { kinds, contexts } = reporting(status);
    const runner = prepare(project(), kinds);
    expect(projectReadiness(runner)).toEqual({ ready: false, reason: 'pipeline p1 is not running' });
    await runner.start();
    expect(projectReadiness(runner)).toEqual({ ready: false, reason: 'sources not connected: p1/src (connecting)' });
    contexts.find((c) => c.nodeId === 'src')!.report({ connection: 'connected' });
    // The sink's state does not count (store-and-forward holds its samples).
    contexts.find((c) => c.nodeId === 'out')!.report({ connection: 'reconnecting' });
    expect(projectReadiness(runner)).toEqual({ ready: true });
    await runner.stop();
    expect(projectReadiness(runner).ready).toBe(false);
  });

  it('a source without a device is ready once started', async () => {
    const runner = prepare(project(), []);
    await runner.start();
    expect(projectReadiness(runner)).toEqual({ ready: true });
    await runner.stop();
  });
});
