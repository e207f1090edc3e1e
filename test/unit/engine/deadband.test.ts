import { describe, expect, it } from 'vitest';
import type { Clock, Disposable } from '../../../src/engine/clock.ts';
import { NO_DEVICE_WRITES } from '../../../src/engine/device-writes.ts';
import type { NodeContext } from '../../../src/engine/node-kind.ts';
import { deadbandKind } from '../../../src/engine/nodes/deadband.ts';
import { deadbandNode } from '../../../src/shared/nodes/deadband.ts';
import type { Batch, Sample } from '../../../src/shared/sample.ts';
import { runNode } from '../../helpers/pipeline.ts';
import { manualRun, pvt } from '../../helpers/manual-run.ts';

const values = (samples: readonly Sample[] | undefined): unknown[] => (samples ?? []).map((s) => s.value);

describe('deadband', () => {
  it('passes the first sample, then only moves strictly beyond the absolute band from the last SENT value', async () => {
    const out = await runNode('deadband', { value: 1 }, [
      { value: 10, ts: 0 },
      { value: 10.5, ts: 1 },
      { value: 10.9, ts: 2 }, // 0.9 from 10 (the last sent), not 0.4 from 10.5
      { value: 11, ts: 3 }, // exactly on the band: not beyond it
      { value: 11.2, ts: 4 },
      { value: 12, ts: 5 }, // 0.8 from 11.2
      { value: 9.9, ts: 6 }, // downwards counts too
    ]);
    expect(values(out.out)).toEqual([10, 11.2, 9.9]);
    expect(out.out!.map((s) => s.ts)).toEqual([0, 4, 6]);
    expect(out.error).toEqual([]);
  });

  it('forwards the input sample objects unchanged (path, quality, meta, ts)', async () => {
    const out = await runNode('deadband', { value: 0 }, [
      { value: 1, ts: 0, quality: 'uncertain', meta: { unit: 'bar' } },
      { value: 1, ts: 1, quality: 'uncertain' },
      { value: 2, ts: 2, quality: 'uncertain', meta: { unit: 'bar' } },
    ]);
    // A band of 0 passes every change and drops exact repeats.
    expect(out.out!.map((s) => [s.path, s.value, s.quality, s.ts, s.meta?.unit])).toEqual([
      ['tag', 1, 'uncertain', 0, 'bar'],
      ['tag', 2, 'uncertain', 2, 'bar'],
    ]);
  });

  it('keeps a separate reference per tag path', async () => {
    const out = await runNode('deadband', { value: 5 }, [
      { path: 'a', value: 0, ts: 0 },
      { path: 'b', value: 100, ts: 0 },
      { path: 'a', value: 6, ts: 1 },
      { path: 'b', value: 104, ts: 1 },
      { path: 'b', value: 94, ts: 2 },
    ]);
    expect(pvt(out.out)).toEqual([
      ['a', 0, 0],
      ['b', 100, 0],
      ['a', 6, 1],
      ['b', 94, 2],
    ]);
  });

  it('percent mode uses config.range first', async () => {
    // 1 % of 0..200 = 2, whatever the sample says.
    const out = await runNode('deadband', { mode: 'percent', value: 1, range: { low: 0, high: 200 } }, [
      { value: 50, ts: 0, meta: { range: { low: 0, high: 10 } } },
      { value: 51.9, ts: 1, meta: { range: { low: 0, high: 10 } } },
      { value: 52.5, ts: 2 },
    ]);
    expect(values(out.out)).toEqual([50, 52.5]);
  });

  it('percent mode falls back to the sample meta.range', async () => {
    // 10 % of 0..10 = 1
    const out = await runNode('deadband', { mode: 'percent', value: 10 }, [
      { value: 5, ts: 0, meta: { range: { low: 0, high: 10 } } },
      { value: 5.9, ts: 1, meta: { range: { low: 0, high: 10 } } },
      { value: 6.1, ts: 2, meta: { range: { low: 0, high: 10 } } },
    ]);
    expect(values(out.out)).toEqual([5, 6.1]);
  });

  it('percent mode without any range is a percentage of |last sent value|', async () => {
    const out = await runNode('deadband', { mode: 'percent', value: 10 }, [
      { value: -100, ts: 0 }, // band 10
      { value: -109, ts: 1 },
      { value: -111, ts: 2 }, // passes, band becomes 11.1
      { value: -122, ts: 3 }, // 11 < 11.1
      { value: -122.2, ts: 4 }, // 11.2 > 11.1
      { value: 0, ts: 5 }, // passes, band becomes 0
      { value: 0, ts: 6 },
      { value: 0.001, ts: 7 }, // any change from 0 passes
    ]);
    expect(values(out.out)).toEqual([-100, -111, -122.2, 0, 0.001]);
  });

  it('passes a sample whose quality changed even inside the band', async () => {
    const out = await runNode('deadband', { value: 10 }, [
      { value: 1, ts: 0 },
      { value: 1, ts: 1, quality: 'bad' },
      { value: 2, ts: 2, quality: 'bad' },
      { value: 2, ts: 3 },
    ]);
    expect(out.out!.map((s) => [s.value, s.quality])).toEqual([
      [1, 'good'],
      [1, 'bad'],
      [2, 'good'],
    ]);
  });

  it('sends non-numbers to the error port and goes on', async () => {
    const out = await runNode('deadband', { value: 1 }, [
      { value: 'oops', ts: 0 },
      { value: 1, ts: 1 },
      { value: null, ts: 2 },
      { value: true, ts: 3 },
      { value: 3, ts: 4 },
    ]);
    expect(values(out.out)).toEqual([1, 3]);
    expect(out.error!.map((s) => [s.value, s.error?.message])).toEqual([
      ['oops', 'deadband needs a number, got string'],
      [null, 'deadband needs a number, got null'],
      [true, 'deadband needs a number, got boolean'],
    ]);
  });

  it('sends non-finite numbers to the error port', async () => {
    const r = await manualRun('deadband', { value: 1 });
    await r.send([{ value: Number.NaN, ts: 0 }, { value: Infinity, ts: 0 }, { value: 4, ts: 0 }]);
    expect(values(r.outputs.out)).toEqual([4]);
    expect(r.outputs.error!.map((s) => s.error?.message)).toEqual(['deadband needs a finite number, got NaN', 'deadband needs a finite number, got Infinity']);
    await r.stop();
  });

  it('heartbeat re-sends the last sent value with the clock time when a tag is silent for maxSilenceMs', async () => {
    const out = await runNode(
      'deadband',
      { value: 1, maxSilenceMs: 1000 },
      [
        { value: 5, ts: 0, meta: { unit: 'm' } },
        { value: 5.5, ts: 500 }, // in the band: dropped, and does not reset the silence
        { value: 8, ts: 2500 }, // a real send resets it
      ],
      { until: 4600 },
    );
    expect(pvt(out.out)).toEqual([
      ['tag', 5, 0],
      ['tag', 5, 1000],
      ['tag', 5, 2000],
      ['tag', 8, 2500],
      ['tag', 8, 3500],
      ['tag', 8, 4500],
    ]);
    expect(out.out![1]!.meta?.unit).toBe('m');
    expect(out.out![1]!.quality).toBe('good');
  });

  it('after a heartbeat, in-band samples are still dropped and the silence restarts at the next send', async () => {
    const out = await runNode(
      'deadband',
      { value: 1, maxSilenceMs: 1000 },
      [
        { value: 5, ts: 0 },
        { value: 5.8, ts: 1500 }, // 0.8 from 5: dropped after the heartbeat at 1000
        { value: 6.1, ts: 1600 }, // 1.1 from 5: passes
      ],
      { until: 2700 },
    );
    expect(pvt(out.out)).toEqual([
      ['tag', 5, 0],
      ['tag', 5, 1000],
      ['tag', 6.1, 1600],
      ['tag', 6.1, 2600],
    ]);
  });

  it('heartbeats of several tags due at once go out in one batch, each tag on its own schedule', async () => {
    const r = await manualRun('deadband', { value: 1, maxSilenceMs: 1000 });
    const batches: number[] = [];
    r.run.tap('node', 'out', (b) => batches.push(b.length));
    await r.send([{ path: 'a', value: 1, ts: 0 }, { path: 'b', value: 2, ts: 0 }]);
    await r.advanceTo(300);
    await r.send([{ path: 'c', value: 3, ts: 300 }]);
    await r.advanceTo(2500);
    expect(pvt(r.outputs.out)).toEqual([
      ['a', 1, 0],
      ['b', 2, 0],
      ['c', 3, 300],
      ['a', 1, 1000],
      ['b', 2, 1000],
      ['c', 3, 1300],
      ['a', 1, 2000],
      ['b', 2, 2000],
      ['c', 3, 2300],
    ]);
    expect(batches).toEqual([2, 1, 2, 1, 2, 1]);
    await r.stop();
    expect(r.run.activeTimers()).toBe(0);
    expect(r.clock.pendingTimers()).toBe(0);
  });

  it('heartbeat checks are at least maxSilenceMs/16 apart: a close follower is sent a little late, never early', async () => {
    const r = await manualRun('deadband', { value: 1, maxSilenceMs: 1600 });
    await r.send([{ path: 'a', value: 1, ts: 0 }]);
    await r.advanceTo(10);
    await r.send([{ path: 'b', value: 2, ts: 10 }]);
    await r.advanceTo(3500);
    expect(pvt(r.outputs.out).slice(2)).toEqual([
      ['a', 1, 1600],
      ['b', 2, 1700], // due at 1610, checked 100 ms (1600/16) after the previous check
      ['a', 1, 3200],
      ['b', 2, 3300],
    ]);
    await r.stop();
  });

  it('without maxSilenceMs sets no timer at all', async () => {
    const r = await manualRun('deadband', { value: 1 });
    await r.send([{ value: 1, ts: 0 }]);
    expect(r.clock.pendingTimers()).toBe(0);
    await r.advanceTo(100_000);
    expect(values(r.outputs.out)).toEqual([1]);
    await r.stop();
  });

  it('checks the silence on arrival too, so a late timer still lets an in-band sample through', () => {
    // A clock whose timers never fire: only the arrival check can end the silence.
    let now = 0;
    const clock: Clock = {
      now: () => now,
      setTimeout: (): Disposable => ({ dispose() {} }),
      setInterval: (): Disposable => ({ dispose() {} }),
    };
    const emitted: Batch[] = [];
    const ctx: NodeContext = {
      nodeId: 'node',
      pipelineId: 'p',
      clock,
      project: { uns: { enterprise: 'e', site: 's' } as never },
      device: () => undefined,
      writes: NO_DEVICE_WRITES,
      emit: (_port, batch) => {
        if (batch.length) emitted.push(batch);
        return true;
      },
      canEmit: () => true,
      fail: () => {},
      report: () => {},
      setTimeout: clock.setTimeout,
      setInterval: clock.setInterval,
      log: () => {},
    };
    const node = deadbandKind.create(deadbandNode.config.parse({ value: 1, maxSilenceMs: 1000 }), ctx);
    const s = (value: number, ts: number): Sample => ({ path: 'tag', value, quality: 'good', ts });
    node.process!([s(5, 0)], 'in');
    now = 999;
    node.process!([s(5.1, 999)], 'in');
    now = 1000;
    node.process!([s(5.2, 1000)], 'in');
    now = 1500;
    node.process!([s(5.3, 1500)], 'in'); // the silence restarted at 1000
    expect(emitted.flat().map((x) => [x.value, x.ts])).toEqual([
      [5, 0],
      [5.2, 1000],
    ]);
  });
});
