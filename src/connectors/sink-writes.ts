// What the device-writing sinks (opcua-sink, modbus-sink) share: each sample goes through the run's
// write gate; a refusal or failure goes to the error port as "<device>/<tag>: <status>", a dry run
// is counted, shown in the node status and logged (at most once a second), never as an error.
import type { DeviceWriteIo, DeviceWriteResult } from '../engine/device-writes.ts';
import type { NodeContext, StatusValue } from '../engine/node-kind.ts';
import type { Sample, Value } from '../shared/sample.ts';

const DRY_RUN_LOG_MS = 1000;

export interface SinkWriter {
  /** Samples the device took. */
  readonly written: number;
  /** Samples that went to the error port (refused or failed). */
  readonly errors: number;
  /** The last refusal or failure. */
  readonly lastError: string | undefined;
  /** Sends one sample's value through the gate and handles the outcome. */
  write(sample: Sample, value: Value, io: DeviceWriteIo): Promise<DeviceWriteResult>;
  /** Refuses a sample without asking the gate (a bad sample, a sink that did not start). */
  fail(sample: Sample, message: string): void;
  /** Dry-run fields for the node status (none until a dry run happened). */
  status(): Record<string, StatusValue | undefined>;
}

export function sinkWriter(ctx: NodeContext, device: string, tag: string): SinkWriter {
  let written = 0;
  let errors = 0;
  let dryRuns = 0;
  let lastError: string | undefined;
  let wouldWrite: string | undefined;
  let lastLog = -Infinity;
  let unlogged = 0;

  const fail = (sample: Sample, message: string): void => {
    errors++;
    lastError = message;
    ctx.fail(sample, message);
  };

  return {
    get written() {
      return written;
    },
    get errors() {
      return errors;
    },
    get lastError() {
      return lastError;
    },
    fail,
    async write(sample, value, io) {
      const result = await ctx.writes.write({ pipeline: ctx.pipelineId, node: ctx.nodeId, device, tag, value, sample }, io);
      if (result.outcome === 'written') written++;
      else if (result.outcome === 'dry-run') {
        dryRuns++;
        wouldWrite = result.status;
        const now = ctx.clock.now();
        if (now - lastLog >= DRY_RUN_LOG_MS) {
          ctx.log('info', result.status, unlogged ? { alsoNotLogged: unlogged } : undefined);
          lastLog = now;
          unlogged = 0;
        } else unlogged++;
      } else fail(sample, `${device}/${tag}: ${result.status}`);
      return result;
    },
    status: () => (dryRuns ? { dryRuns, wouldWrite } : {}),
  };
}
