import { describe, expect, it } from 'vitest';
import { runNode } from '../../helpers/pipeline.ts';
import { manualRun } from '../../helpers/manual-run.ts';

const fields = { speed: 'line1/filler/speed', state: 'line1/filler/state' };

describe('join', () => {
  it('on-change with requireAll: waits for every field, then emits on each value change', async () => {
    const out = await runNode('join', { path: 'line1/filler', fields }, [
      { path: 'line1/filler/speed', value: 120, ts: 0 },
      { path: 'line1/filler/speed', value: 125, ts: 50 }, // still waiting for state
      { path: 'line1/filler/state', value: 'running', ts: 100 },
      { path: 'line1/filler/speed', value: 130, ts: 200 },
      { path: 'line1/filler/speed', value: 130, ts: 300 }, // same value: nothing
      { path: 'line1/filler/state', value: 'running', ts: 400 }, // same value: nothing
    ]);
    expect(out.out!.map((s) => [s.path, s.value, s.quality, s.ts])).toEqual([
      ['line1/filler', { speed: 125, state: 'running' }, 'good', 100],
      ['line1/filler', { speed: 130, state: 'running' }, 'good', 200],
    ]);
    expect(out.error).toEqual([]);
  });

  it('emits once per batch, with the last value of each field in it', async () => {
    const out = await runNode('join', { path: 'asset', fields }, [
      { path: 'line1/filler/speed', value: 1, ts: 10 },
      { path: 'line1/filler/state', value: 'idle', ts: 10 },
      { path: 'line1/filler/speed', value: 2, ts: 10 },
      { path: 'line1/filler/speed', value: 3, ts: 20 },
      { path: 'line1/filler/state', value: 'run', ts: 20 },
    ]);
    expect(out.out!.map((s) => s.value)).toEqual([
      { speed: 2, state: 'idle' },
      { speed: 3, state: 'run' },
    ]);
  });

  it('a quality change is a change; quality is the worst field, ts the newest field ts', async () => {
    const out = await runNode('join', { path: 'asset', fields }, [
      { path: 'line1/filler/state', value: 'run', ts: 50 },
      { path: 'line1/filler/speed', value: 1, ts: 100 },
      { path: 'line1/filler/state', value: 'run', ts: 200, quality: 'uncertain' },
      { path: 'line1/filler/speed', value: 1, ts: 300, quality: 'bad' },
      { path: 'line1/filler/speed', value: 1, ts: 400 },
    ]);
    expect(out.out!.map((s) => [s.quality, s.ts])).toEqual([
      ['good', 100],
      ['uncertain', 200],
      ['bad', 300],
      ['uncertain', 400],
    ]);
  });

  it('without requireAll emits the fields seen so far', async () => {
    const out = await runNode('join', { path: 'asset', fields, requireAll: false }, [
      { path: 'line1/filler/state', value: 'idle', ts: 0 },
      { path: 'line1/filler/speed', value: 7, ts: 10 },
    ]);
    expect(out.out!.map((s) => s.value)).toEqual([{ state: 'idle' }, { speed: 7, state: 'idle' }]);
    // Fields keep the order of config.fields.
    expect(Object.keys(out.out![1]!.value as object)).toEqual(['speed', 'state']);
  });

  it('ignores paths that are not fields, and compares objects deeply', async () => {
    const out = await runNode('join', { path: 'asset', fields: { recipe: 'r', count: 'c' } }, [
      { path: 'r', value: { name: 'A', temps: [1, 2] }, ts: 0 },
      { path: 'c', value: 1, ts: 0 },
      { path: 'other', value: 99, ts: 10 },
      { path: 'r', value: { temps: [1, 2], name: 'A' }, ts: 20 }, // equal: nothing
      { path: 'r', value: { temps: [1, 3], name: 'A' }, ts: 30 },
    ]);
    expect(out.out!.map((s) => [s.value, s.ts])).toEqual([
      [{ recipe: { name: 'A', temps: [1, 2] }, count: 1 }, 0],
      [{ recipe: { temps: [1, 3], name: 'A' }, count: 1 }, 30],
    ]);
  });

  it('one tag may feed several fields', async () => {
    const out = await runNode('join', { path: 'asset', fields: { a: 't', b: 't' } }, [{ path: 't', value: 5, ts: 0 }]);
    expect(out.out!.map((s) => s.value)).toEqual([{ a: 5, b: 5 }]);
  });

  it('each emitted payload is a fresh object; earlier outputs do not change', async () => {
    const out = await runNode('join', { path: 'asset', fields: { a: 'a' } }, [
      { path: 'a', value: 1, ts: 0 },
      { path: 'a', value: 2, ts: 1 },
    ]);
    expect(out.out!.map((s) => s.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(out.out![0]!.value).not.toBe(out.out![1]!.value);
  });

  it('interval mode emits the current payload on every tick, changed or not, once all fields are seen', async () => {
    const out = await runNode(
      'join',
      { path: 'asset', fields, emit: { mode: 'interval', intervalMs: 1000 } },
      [
        { path: 'line1/filler/speed', value: 1, ts: 0 },
        { path: 'line1/filler/state', value: 'run', ts: 1500 },
        { path: 'line1/filler/speed', value: 2, ts: 2200 },
        { path: 'line1/filler/speed', value: 3, ts: 2300 },
      ],
      { until: 4000 },
    );
    // Nothing at 1000 (state not seen yet), nothing at input time.
    expect(out.out!.map((s) => [s.value, s.ts])).toEqual([
      [{ speed: 1, state: 'run' }, 1500],
      [{ speed: 3, state: 'run' }, 2300],
      [{ speed: 3, state: 'run' }, 2300],
    ]);
  });

  it('interval ticks follow the run clock and stop with the run', async () => {
    const r = await manualRun('join', { path: 'asset', fields: { a: 'a' }, emit: { mode: 'interval', intervalMs: 500 } }, 10_000);
    await r.send([{ path: 'a', value: 1, ts: 10_000 }]);
    expect(r.outputs.out).toEqual([]);
    await r.advanceTo(11_600);
    expect(r.outputs.out!.length).toBe(3); // 10500, 11000, 11500
    await r.stop();
    expect(r.run.activeTimers()).toBe(0);
    expect(r.clock.pendingTimers()).toBe(0);
  });
});
