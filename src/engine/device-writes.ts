// The one gate every device write goes through (OPC UA and Modbus sinks). The engine only defines
// it: whoever composes a run (host, CLI, gateway) supplies the implementation that knows the run
// mode, the arming session, the tag's interlocks and the audit log (src/host/safety). A run started
// without one gets NO_DEVICE_WRITES, which refuses every write and says why: an engine-only run
// never reaches a machine by accident.
import type { Sample, Value } from '../shared/sample.ts';

/** What a sink asks to write: one sample's value to one tag of one device. */
export interface DeviceWriteRequest {
  readonly pipeline: string;
  readonly node: string;
  readonly device: string;
  readonly tag: string;
  /** The value as the sink would write it (engineering value, before scaling or encoding). */
  readonly value: Value;
  readonly sample: Sample;
}

/** Answers from the device, in its own words (an OPC UA status name, a Modbus exception text). */
export type DeviceReadResult = { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly status: string };

/** How the gate reaches the device for this one request; the sink binds it to the device and tag. */
export interface DeviceWriteIo {
  /**
   * Asks whether this value can be written to the tag, without writing: a Modbus input register or
   * discrete input, an OPC UA variable without CurrentWrite in its AccessLevel, a node the server
   * does not know, a value the tag's type cannot hold. ok: false carries the device's status.
   */
  check(): Promise<{ readonly ok: boolean; readonly status: string }>;
  /** Reads the tag's current value (the old value before a write, the read-back after it). */
  read(): Promise<DeviceReadResult>;
  /** Sends the write. ok: false carries the device's status; a throw is a failure too. */
  write(): Promise<{ readonly ok: boolean; readonly status: string }>;
}

/**
 * written: the device took it (and the read-back matched, when asked).
 * dry-run: nothing was sent; status says "would write X to device/tag" (live read-only).
 * refused: not sent, because of the mode, the arming, an interlock or the device's own check.
 * failed: the device could not be reached, it refused the write, or the read-back differed.
 */
export type DeviceWriteOutcome = 'written' | 'dry-run' | 'refused' | 'failed';

export interface DeviceWriteResult {
  readonly outcome: DeviceWriteOutcome;
  /** For people, without the device/tag prefix: the reason, the device's status, or what a dry run would have done. */
  readonly status: string;
  readonly oldValue?: Value;
  readonly readBack?: Value;
}

export interface DeviceWriteGate {
  /** Decides about one write, does it through `io` when allowed, and records it. Never throws. */
  write(request: DeviceWriteRequest, io: DeviceWriteIo): Promise<DeviceWriteResult>;
}

/** The gate of a run nobody gave one: every write is refused, with the reason. */
export const NO_DEVICE_WRITES: DeviceWriteGate = {
  write: async () => ({
    outcome: 'refused',
    status: 'not written: this run has no device-write gate (only plantbench run, serve and the workbench write to devices)',
  }),
};

/**
 * Writes straight through, without arming, interlocks or audit. Only for connector tests and
 * benchmarks against simulators; a run that can reach a real device never uses it.
 */
export const UNGUARDED_WRITES: DeviceWriteGate = {
  async write(_request, io) {
    try {
      const result = await io.write();
      return { outcome: result.ok ? 'written' : 'failed', status: result.status };
    } catch (err) {
      return { outcome: 'failed', status: err instanceof Error ? err.message : String(err) };
    }
  },
};

/** "12.5", "true", "\"text\"": a value as the audit log and the messages show it. */
export function showValue(value: Value | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}
