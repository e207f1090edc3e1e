import { describe, expect, it } from 'vitest';
import { runNode } from '../../helpers/pipeline.ts';
import { manualRun, pvt } from '../../helpers/manual-run.ts';

const names = { true: 'running', false: 'stopped' };

describe('state-duration', () => {
  it('emits {path}/{previous state} with the episode duration in seconds when the state changes', async () => {
    const out = await runNode('state-duration', { names }, [
      { path: 'filler/run', value: true, ts: 1000 },
      { path: 'filler/run', value: true, ts: 5000 }, // same state: nothing
      { path: 'filler/run', value: false, ts: 9000 },
      { path: 'filler/run', value: true, ts: 11_500 },
    ]);
    expect(out.out!.map((s) => [s.path, s.value, s.ts, s.quality, s.meta?.unit])).toEqual([
      ['filler/run/running', 8, 9000, 'good', 's'],
      ['filler/run/stopped', 2.5, 11_500, 'good', 's'],
    ]);
    expect(out.error).toEqual([]);
  });

  it('unit ms, numbers and strings as states, names only where given', async () => {
    const out = await runNode('state-duration', { unit: 'ms', names: { '3': 'fault' } }, [
      { path: 'm', value: 1, ts: 0 },
      { path: 'm', value: 3, ts: 250 },
      { path: 'm', value: 'setup', ts: 400 },
      { path: 'm', value: 1, ts: 1000 },
    ]);
    expect(out.out!.map((s) => [s.path, s.value, s.meta?.unit])).toEqual([
      ['m/1', 250, 'ms'],
      ['m/fault', 150, 'ms'],
      ['m/setup', 600, 'ms'],
    ]);
  });

  it('keeps each tag apart', async () => {
    const out = await runNode('state-duration', { names }, [
      { path: 'a', value: true, ts: 0 },
      { path: 'b', value: false, ts: 0 },
      { path: 'b', value: true, ts: 1000 },
      { path: 'a', value: false, ts: 3000 },
    ]);
    expect(pvt(out.out)).toEqual([
      ['b/stopped', 1, 1000],
      ['a/running', 3, 3000],
    ]);
  });

  it('bad-quality samples do not change the state; the episode quality is the worse of its two ends', async () => {
    const out = await runNode('state-duration', { names }, [
      { value: true, ts: 0 },
      { value: false, ts: 1000, quality: 'bad' },
      { value: null, ts: 1500, quality: 'bad' }, // not an error either: bad samples are ignored
      { value: true, ts: 2000 },
      { value: false, ts: 3000, quality: 'uncertain' },
      { value: true, ts: 4000 },
    ]);
    expect(out.out!.map((s) => [s.path, s.value, s.quality])).toEqual([
      ['tag/running', 3, 'uncertain'],
      ['tag/stopped', 1, 'uncertain'],
    ]);
    expect(out.error).toEqual([]);
  });

  it('sends unusable values and state names to the error port', async () => {
    const out = await runNode('state-duration', { names: { '2': 'ok' } }, [
      { value: { a: 1 }, ts: 0 },
      { value: null, ts: 1 },
      { value: 'auto/manual', ts: 2 },
      { value: '', ts: 3 },
      { value: 'idle', ts: 4 },
      { value: 2, ts: 6 },
    ]);
    expect(pvt(out.out)).toEqual([['tag/idle', 0.002, 6]]);
    expect(out.error!.map((s) => s.error?.message)).toEqual([
      'state-duration needs a boolean, number or string state, got object',
      'state-duration needs a boolean, number or string state, got null',
      'state name "auto/manual" cannot be a path level (empty, or has "/", "#" or "+"): map it in names',
      'state name "" cannot be a path level (empty, or has "/", "#" or "+"): map it in names',
    ]);
  });

  it('a raw value that names an Object.prototype key is not looked up on the prototype', async () => {
    const out = await runNode('state-duration', { unit: 'ms' }, [
      { value: 'constructor', ts: 0 },
      { value: 'toString', ts: 10 },
      { value: 'x', ts: 30 },
    ]);
    expect(pvt(out.out)).toEqual([
      ['tag/constructor', 10, 10],
      ['tag/toString', 20, 30],
    ]);
  });

  it('a sample older than the ongoing episode goes to the error port', async () => {
    const r = await manualRun('state-duration', { names, unit: 'ms' });
    await r.advanceTo(1000);
    await r.send([{ value: true, ts: 1000 }]);
    await r.advanceTo(2000);
    await r.send([{ value: false, ts: 500 }, { value: false, ts: 2000 }]);
    await r.stop();
    expect(pvt(r.outputs.out)).toEqual([['tag/running', 1000, 2000]]);
    expect(r.outputs.error!.map((s) => [s.ts, s.error?.message])).toEqual([
      [500, 'sample at ts 500 is older than the current "running" episode, which started at 1000'],
    ]);
  });

  it('totalsEveryMs emits {path}/{state}/total per state seen, including the ongoing episode', async () => {
    const out = await runNode(
      'state-duration',
      { names, totalsEveryMs: 1000 },
      [
        { value: true, ts: 0 },
        { value: false, ts: 1500 },
        { value: true, ts: 2250 },
      ],
      { until: 3000 },
    );
    expect(out.out!.map((s) => [s.path, s.value, s.ts, s.meta?.unit])).toEqual([
      ['tag/running/total', 1, 1000, 's'],
      ['tag/running', 1.5, 1500, 's'],
      ['tag/running/total', 1.5, 2000, 's'],
      ['tag/stopped/total', 0.5, 2000, 's'],
      ['tag/stopped', 0.75, 2250, 's'],
      ['tag/running/total', 2.25, 3000, 's'],
      ['tag/stopped/total', 0.75, 3000, 's'],
    ]);
  });

  it('totals are uncertain while the latest sample was bad, and timers stop with the run', async () => {
    const r = await manualRun('state-duration', { names, unit: 'ms', totalsEveryMs: 500 });
    await r.send([{ value: true, ts: 0 }]);
    await r.advanceTo(400);
    await r.send([{ value: false, ts: 400, quality: 'bad' }]);
    await r.advanceTo(1000);
    await r.send([{ value: true, ts: 1000 }]);
    await r.advanceTo(1500);
    expect(r.outputs.out!.map((s) => [s.path, s.value, s.quality, s.ts])).toEqual([
      ['tag/running/total', 500, 'uncertain', 500],
      ['tag/running/total', 1000, 'uncertain', 1000],
      ['tag/running/total', 1500, 'good', 1500],
    ]);
    await r.stop();
    expect(r.run.activeTimers()).toBe(0);
    expect(r.clock.pendingTimers()).toBe(0);
  });
});
