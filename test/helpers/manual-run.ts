// A one-node run driven by hand on the virtual clock, for what runNode cannot express: samples that
// arrive after their ts (late data), boolean-typed inputs, several batches at one instant, and
// what a node emits while it stops (runNode stops taping before the run stops).
import { VirtualClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun } from '../../src/engine/runtime.ts';
import type { Quality, Sample, SampleMeta, Value } from '../../src/shared/sample.ts';
import { pipeline, TEST_PROJECT } from './pipeline.ts';

export interface InputSample {
  path?: string;
  value: Value;
  ts: number;
  quality?: Quality;
  meta?: SampleMeta;
}

export interface ManualRun {
  readonly clock: VirtualClock;
  readonly run: PipelineRun;
  /** Everything emitted so far, per port (out, error, rejected). */
  readonly outputs: Record<string, Sample[]>;
  /** Injects one batch at the current clock time and lets it run. */
  send(samples: InputSample[]): Promise<void>;
  /** Moves the clock to `t`, firing timers on the way. */
  advanceTo(t: number): Promise<void>;
  stop(): Promise<void>;
}

export async function manualRun(type: string, config: unknown, start = 0, ports = ['out', 'error', 'rejected']): Promise<ManualRun> {
  const clock = new VirtualClock(start);
  const run = new PipelineRun({
    pipeline: pipeline({ node: { type, config } }),
    kinds: kindRegistry(ENGINE_KINDS),
    clock,
    project: TEST_PROJECT,
    scheduling: 'manual',
  });
  const outputs: Record<string, Sample[]> = {};
  for (const port of ports) {
    const list: Sample[] = [];
    outputs[port] = list;
    run.tap('node', port, (batch) => list.push(...batch));
  }
  await run.start();
  const settle = (): Promise<void> => run.settle();
  return {
    clock,
    run,
    outputs,
    async send(samples) {
      run.inject('node', 'in', samples.map((s) => ({ path: 'tag', quality: 'good' as const, ...s })));
      await settle();
    },
    advanceTo: (t) => clock.advanceTo(t, settle),
    stop: () => run.stop(),
  };
}

/** [path, value, ts] of each sample, the usual thing to compare. */
export const pvt = (samples: readonly Sample[] | undefined): [string, Value, number][] =>
  (samples ?? []).map((s) => [s.path, s.value, s.ts]);
