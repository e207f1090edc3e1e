import type { DeviceFile } from '../../shared/model/device.ts';
import { parsePortRef, type PipelineFile } from '../../shared/model/pipeline.ts';
import type { ExpectedSample, TestCase } from '../../shared/model/pipeline-test.ts';
import type { QueueConfig, UnsHierarchy } from '../../shared/model/project.ts';
import { NODE_SPECS, NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import type { Batch, Sample } from '../../shared/sample.ts';
import { VirtualClock } from '../clock.ts';
import type { NodeKind, NodeKindRegistry } from '../node-kind.ts';
import { errorMessage, PipelineRun } from '../runtime.ts';

// Runs a pipeline test case on the virtual clock with the same engine as a live run. Sources are
// replaced by the case's inputs and sinks record what reaches them; transforms run for real.

export interface TestContext {
  readonly kinds: NodeKindRegistry;
  readonly project: { readonly uns: UnsHierarchy; readonly topicTemplate?: string; readonly queue?: Partial<QueueConfig> };
  readonly devices?: (id: string) => DeviceFile | undefined;
}

export interface Mismatch {
  /** node.port */
  readonly ref: string;
  /** Human-readable diff lines, "-" expected, "+" actual. */
  readonly diff: string[];
}

export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  readonly mismatches: Mismatch[];
  /** Set when the case could not run at all. */
  readonly error?: string;
  readonly outputs: Record<string, Sample[]>;
}

/** Sources do nothing on their own in a test; the case's inputs are injected instead. */
const inertSource: NodeKind<never> = { type: 'inert-source', create: () => ({}) };

function recordingSink(received: Map<string, Sample[]>): NodeKind<never> {
  return {
    type: 'recording-sink',
    create: (_config, ctx) => ({
      process(batch: Batch) {
        const list = received.get(ctx.nodeId) ?? [];
        received.set(ctx.nodeId, list);
        for (const s of batch) list.push(s);
      },
    }),
  };
}

/** The kinds used in a test: real transforms, inert sources, recording sinks. */
function testKinds(kinds: NodeKindRegistry, received: Map<string, Sample[]>): NodeKindRegistry {
  const map = new Map(kinds);
  const sink = recordingSink(received);
  for (const spec of NODE_SPECS) {
    if (spec.category === 'source') map.set(spec.type, inertSource);
    if (spec.category === 'sink') map.set(spec.type, sink);
  }
  return map;
}

export async function runTestCase(pipeline: PipelineFile, tc: TestCase, ctx: TestContext, defaultTolerance = 1e-9): Promise<CaseResult> {
  const received = new Map<string, Sample[]>();
  const outputs: Record<string, Sample[]> = {};
  const inputs = Object.entries(tc.inputs).flatMap(([ref, samples], order) =>
    samples.map((s, i) => ({ ref, sample: s as Sample, key: order * 1e9 + i })),
  );
  inputs.sort((a, b) => a.sample.ts - b.sample.ts || a.key - b.key);
  const start = tc.start ?? inputs[0]?.sample.ts ?? 0;
  const until = tc.until ?? inputs[inputs.length - 1]?.sample.ts ?? start;
  const clock = new VirtualClock(start);
  let run: PipelineRun;
  try {
    run = new PipelineRun({
      pipeline,
      kinds: testKinds(ctx.kinds, received),
      clock,
      project: ctx.project,
      devices: ctx.devices,
      scheduling: 'manual',
    });
  } catch (err) {
    return { name: tc.name, passed: false, mismatches: [], error: errorMessage(err), outputs };
  }

  const taps = Object.keys(tc.expect).flatMap((ref) => {
    const { node, port } = parsePortRef(ref, 'out');
    const type = pipeline.nodes[node]?.type;
    if (type && NODE_SPEC_BY_TYPE.get(type)?.category === 'sink' && !ref.includes('.')) return [];
    const list: Sample[] = [];
    outputs[`${node}.${port}`] = list;
    return [run.tap(node, port, (batch) => list.push(...batch))];
  });

  const settle = (): Promise<void> => run.settle();
  try {
    await run.start();
    for (let i = 0; i < inputs.length; ) {
      const { ref, sample } = inputs[i]!;
      const batch: Sample[] = [];
      while (i < inputs.length && inputs[i]!.ref === ref && inputs[i]!.sample.ts === sample.ts) batch.push(inputs[i++]!.sample);
      await clock.advanceTo(sample.ts, settle);
      const { node, port } = parsePortRef(ref, '');
      run.inject(node, port || undefined, batch);
      await settle();
    }
    await clock.advanceTo(until, settle);
  } catch (err) {
    return { name: tc.name, passed: false, mismatches: [], error: errorMessage(err), outputs };
  } finally {
    for (const t of taps) t.dispose();
    await run.stop();
  }

  for (const [node, samples] of received) outputs[node] = samples;
  const mismatches: Mismatch[] = [];
  for (const [ref, expected] of Object.entries(tc.expect)) {
    const key = ref in outputs ? ref : `${parsePortRef(ref, 'out').node}.${parsePortRef(ref, 'out').port}`;
    const actual = outputs[key] ?? outputs[ref] ?? [];
    const diff = compareSamples(expected, actual, tc.tolerance ?? defaultTolerance);
    if (diff) mismatches.push({ ref, diff });
  }
  return { name: tc.name, passed: mismatches.length === 0, mismatches, outputs };
}

export function valuesMatch(expected: unknown, actual: unknown, tolerance: number): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') {
    return expected === actual || Math.abs(expected - actual) <= tolerance || (Number.isNaN(expected) && Number.isNaN(actual));
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => valuesMatch(e, actual[i], tolerance));
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = new Set([...Object.keys(e), ...Object.keys(a).filter((k) => a[k] !== undefined)]);
    return [...keys].every((k) => valuesMatch(e[k], a[k], tolerance));
  }
  return expected === actual;
}

function sampleMatches(e: ExpectedSample, a: Sample, tolerance: number): boolean {
  if (e.path !== undefined && e.path !== a.path) return false;
  if ('value' in e && !valuesMatch(e.value, a.value, tolerance)) return false;
  if (e.quality !== undefined && e.quality !== a.quality) return false;
  if (e.ts !== undefined && !valuesMatch(e.ts, a.ts, tolerance)) return false;
  if (e.unit !== undefined && e.unit !== a.meta?.unit) return false;
  if (e.error !== undefined && !a.error?.message.includes(e.error)) return false;
  return true;
}

/** Only the fields the expectation names, so the diff shows what was compared. */
function project(e: ExpectedSample, a: Sample): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(e).length > 0 ? Object.keys(e) : ['path', 'value', 'quality', 'ts'];
  for (const k of keys) {
    if (k === 'unit') out.unit = a.meta?.unit;
    else if (k === 'error') out.error = a.error?.message;
    else out[k] = (a as unknown as Record<string, unknown>)[k];
  }
  return out;
}

const show = (v: unknown): string => JSON.stringify(v);

/** A line-per-sample diff, or undefined when everything matches. */
export function compareSamples(expected: readonly ExpectedSample[], actual: readonly Sample[], tolerance: number): string[] | undefined {
  const lines: string[] = [];
  let ok = expected.length === actual.length;
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e && a && sampleMatches(e, a, tolerance)) {
      lines.push(`  #${i + 1} ${show(project(e, a))}`);
    } else {
      ok = false;
      if (e) lines.push(`- #${i + 1} ${show(e)}`);
      if (a) lines.push(`+ #${i + 1} ${show(e ? project(e, a) : { path: a.path, value: a.value, quality: a.quality, ts: a.ts })}`);
    }
  }
  if (ok) return undefined;
  lines.unshift(`expected ${expected.length} sample(s), got ${actual.length} (tolerance ${tolerance})`);
  return lines;
}
