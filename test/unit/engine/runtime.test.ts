import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../../src/engine/clock.ts';
import type { NodeContext, NodeKind } from '../../../src/engine/node-kind.ts';
import { ENGINE_KINDS, kindRegistry } from '../../../src/engine/nodes/index.ts';
import { PipelineRun } from '../../../src/engine/runtime.ts';
import type { Batch, Sample } from '../../../src/shared/sample.ts';
import { pipeline, TEST_PROJECT } from '../../helpers/pipeline.ts';

const sample = (value: unknown, ts = 0, path = 'tag'): Sample => ({ path, value: value as number, quality: 'good', ts });
const batchOf = (n: number, start = 0): Sample[] => Array.from({ length: n }, (_, i) => sample(start + i, start + i));

/** A `log` sink that records what it gets, and can hold each batch until released (a slow device). */
function recordingLog(options: { hold?: boolean } = {}) {
  const received: Batch[] = [];
  const byNode: Record<string, Batch[]> = {};
  const pending: (() => void)[] = [];
  const kind: NodeKind<never> = {
    type: 'log',
    create: (_config, ctx) => ({
      process(batch) {
        received.push(batch);
        (byNode[ctx.nodeId] ??= []).push(batch);
        if (options.hold) return new Promise<void>((resolve) => pending.push(resolve));
      },
    }),
  };
  return { kind, received, byNode, release: () => pending.splice(0).forEach((r) => r()) };
}

const SOURCE = { type: 'signal', config: { path: 'x', intervalMs: 1000, shape: { kind: 'counter', everyMs: 1000 } } };
const SCALE = { type: 'scale', config: { rawLow: 0, rawHigh: 10, engLow: 0, engHigh: 100 } };

function makeRun(nodes: Record<string, unknown>, edges: { from: string; to: string }[], kinds: NodeKind<never>[] = [], clock = new VirtualClock(0)) {
  const run = new PipelineRun({
    pipeline: pipeline(nodes, edges),
    kinds: kindRegistry(ENGINE_KINDS, kinds),
    clock,
    project: TEST_PROJECT,
    scheduling: clock instanceof VirtualClock ? 'manual' : 'auto',
  });
  return { run, clock };
}

describe('PipelineRun', () => {
  it('fans a batch out to every edge without copying it', async () => {
    const sink = recordingLog();
    const { run } = makeRun({ src: SOURCE, a: { type: 'log', config: {} }, b: { type: 'log', config: {} } }, [
      { from: 'src', to: 'a' },
      { from: 'src', to: 'b' },
    ], [sink.kind]);
    await run.start();
    const batch = batchOf(3);
    run.inject('src', undefined, batch);
    await run.settle();
    expect(sink.received).toHaveLength(2);
    expect(sink.received[0]).toBe(batch);
    expect(sink.received[1]).toBe(batch);
    await run.stop();
  });

  it('counts in/out/errors per node and keeps the last value and latency', async () => {
    const sink = recordingLog();
    const { run } = makeRun({ src: SOURCE, s: SCALE, out: { type: 'log', config: {} } }, [
      { from: 'src', to: 's' },
      { from: 's', to: 'out' },
    ], [sink.kind]);
    await run.start();
    run.inject('src', undefined, [sample(1), sample('x'), sample(5)]);
    await run.settle();
    const stats = run.stats();
    expect(stats.nodes.s).toMatchObject({ in: 3, out: 2, errors: 1, dropped: 0, queued: 0 });
    expect(stats.nodes.s!.last?.value).toBe(50);
    expect(stats.nodes.s!.lastError?.message).toBe('scale needs a number, got string');
    expect(stats.nodes.s!.latency.maxUs).toBeGreaterThan(0);
    expect(stats.edges.map((e) => [e.from, e.to, e.count])).toEqual([
      ['src.out', 's.in', 3],
      ['s.out', 'out.in', 2],
    ]);
    await run.stop();
  });

  it('isolates a node that throws: the batch goes to its error port and the pipeline goes on', async () => {
    const sink = recordingLog();
    const thrower: NodeKind<never> = {
      type: 'scale',
      create: (_c, ctx) => ({
        process(batch) {
          if (batch.some((s) => s.value === 13)) throw new Error('unlucky batch');
          ctx.emit('out', batch);
        },
      }),
    };
    const { run } = makeRun({ src: SOURCE, s: SCALE, out: { type: 'log', config: {} }, errors: { type: 'log', config: {} } }, [
      { from: 'src', to: 's' },
      { from: 's', to: 'out' },
      { from: 's.error', to: 'errors' },
    ], [thrower, sink.kind]);
    await run.start();
    run.inject('src', undefined, [sample(12)]);
    run.inject('src', undefined, [sample(13), sample(14)]);
    run.inject('src', undefined, [sample(15)]);
    await run.settle();
    const values = (node: string) => sink.byNode[node]!.map((b) => b.map((s) => [s.value, s.error?.message]));
    expect(values('out')).toEqual([[[12, undefined]], [[15, undefined]]]);
    expect(values('errors')).toEqual([[[13, 'unlucky batch'], [14, 'unlucky batch']]]);
    expect(run.stats().nodes.s).toMatchObject({ in: 4, out: 2, errors: 2 });
    await run.stop();
  });

  it('paces sources when a blocking queue is full, and counts what a source could not emit', async () => {
    const slow = recordingLog({ hold: true });
    let source: NodeContext | undefined;
    const capturingSource: NodeKind<never> = { type: 'signal', create: (_c, ctx) => ((source = ctx), {}) };
    const { run } = makeRun(
      { src: SOURCE, s: { ...SCALE, queue: { capacity: 10, overflow: 'block' } }, out: { type: 'log', config: {}, queue: { capacity: 10 } } },
      [
        { from: 'src', to: 's' },
        { from: 's', to: 'out' },
      ],
      [capturingSource, slow.kind],
    );
    await run.start();
    const accepted: boolean[] = [];
    // The sink holds its first batch; its queue fills, then the scale's, then the source is refused.
    for (let i = 0; i < 6; i++) {
      accepted.push(source!.canEmit() && source!.emit('out', batchOf(5, i * 5)));
      void run.settle();
      await Promise.resolve();
    }
    const stats = run.stats();
    expect(accepted).toEqual([true, true, true, true, true, false]);
    expect(source!.emit('out', batchOf(5, 100))).toBe(false);
    expect(stats.nodes.out!.queued).toBe(10);
    expect(stats.nodes.s!.queued).toBe(10);
    expect(run.stats().nodes.src).toMatchObject({ out: 25, dropped: 5 });
    while (slow.received.flat().length < 25) {
      slow.release();
      await new Promise((r) => setImmediate(r));
    }
    slow.release();
    await run.settle();
    expect(slow.received.flat().map((s) => s.value)).toEqual(batchOf(25).map((s) => (s.value as number) * 10));
    expect(source!.canEmit()).toBe(true);
    await run.stop();
  });

  it('drops the oldest samples, counted, where a node declares drop-oldest', async () => {
    const slow = recordingLog({ hold: true });
    const { run } = makeRun(
      { src: SOURCE, out: { type: 'log', config: {}, queue: { capacity: 4, overflow: 'drop-oldest' } } },
      [{ from: 'src', to: 'out' }],
      [slow.kind],
    );
    await run.start();
    run.inject('src', undefined, batchOf(1, 0));
    void run.settle();
    await Promise.resolve(); // the sink now holds sample 0
    run.inject('src', undefined, batchOf(3, 1));
    run.inject('src', undefined, batchOf(3, 4));
    expect(run.stats().nodes.out).toMatchObject({ queued: 4, dropped: 2 });
    for (let i = 0; i < 5; i++) {
      slow.release();
      await new Promise((r) => setImmediate(r));
    }
    slow.release();
    await run.settle();
    expect(slow.received.flat().map((s) => s.value)).toEqual([0, 3, 4, 5, 6]);
    await run.stop();
  });

  it('runs sources on the virtual clock and leaves no timer after stop', async () => {
    const sink = recordingLog();
    const { run, clock } = makeRun({ src: SOURCE, out: { type: 'log', config: {} } }, [{ from: 'src', to: 'out' }], [sink.kind]);
    await run.start();
    await clock.advanceTo(3500, () => run.settle());
    expect(sink.received.flat().map((s) => [s.ts, s.value])).toEqual([
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ]);
    expect(run.activeTimers()).toBe(1);
    await run.stop();
    expect(run.activeTimers()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('redeploys cleanly: the old run is silent after stop, the new one runs its new config', async () => {
    const sink = recordingLog();
    const clock = new VirtualClock(0);
    const first = makeRun({ src: SOURCE, out: { type: 'log', config: {} } }, [{ from: 'src', to: 'out' }], [sink.kind], clock).run;
    await first.start();
    await clock.advanceTo(1000, () => first.settle());
    await first.stop();
    const faster = { ...SOURCE, config: { ...SOURCE.config, intervalMs: 250 } };
    const second = makeRun({ src: faster, out: { type: 'log', config: {} } }, [{ from: 'src', to: 'out' }], [sink.kind], clock).run;
    await second.start();
    await clock.advanceTo(2000, () => second.settle());
    await second.stop();
    expect(sink.received.flat().map((s) => s.ts)).toEqual([1000, 1250, 1500, 1750, 2000]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('on the real clock, drains queued samples on stop and leaks no timer or immediate', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const sink = recordingLog();
    const fast = { ...SOURCE, config: { ...SOURCE.config, intervalMs: 5 } };
    const { run } = makeRun({ src: fast, s: SCALE, out: { type: 'log', config: {} } }, [
      { from: 'src', to: 's' },
      { from: 's', to: 'out' },
    ], [sink.kind], new RealClock() as unknown as VirtualClock);
    await run.start();
    await new Promise((r) => setTimeout(r, 40));
    run.inject('src', undefined, batchOf(100, 1000));
    await run.stop();
    const values = sink.received.flat();
    expect(values.filter((s) => s.path === 'tag')).toHaveLength(100);
    expect(values.length).toBeGreaterThan(100);
    await new Promise((r) => setImmediate(r));
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    // A timer of the worker that was pending at the start may have fired since: fewer is fine, more is a leak.
    expect(after).toBeLessThanOrEqual(before);
  });

  it('refuses to build an invalid graph, naming the problem', () => {
    expect(() => makeRun({ src: SOURCE, s: SCALE }, [{ from: 'src', to: 'nope' }])).toThrow(/edge ends at node "nope", which does not exist/);
  });

  it('refuses a node type without a runtime', () => {
    expect(
      () =>
        new PipelineRun({
          pipeline: pipeline({ src: SOURCE }),
          kinds: kindRegistry([]),
          clock: new VirtualClock(),
          project: TEST_PROJECT,
        }),
    ).toThrow('node "src": no runtime for node type "signal" in this build');
  });
});
