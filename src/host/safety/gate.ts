import { hostname, userInfo } from 'node:os';
import { showValue, type DeviceWriteGate, type DeviceWriteIo, type DeviceWriteRequest, type DeviceWriteResult } from '../../engine/device-writes.ts';
import { interlockRefusal, readBackMismatch, readBackOf, type LastWrite } from '../../shared/interlock.ts';
import type { Interlock } from '../../shared/model/device.ts';
import type { ArmingState, RunMode, WritableTag } from '../../shared/rpc/methods/run.ts';
import type { NewAuditEntry } from '../../store/audit.ts';

// The device-write gate of a run (docs/live-safety.md). Every write a sink asks for passes here:
//
//   simulated       writes go to the simulators, within the interlocks; audited as simulated.
//   live-read-only  nothing is ever written: the interlocks and the device's own check run, the old
//                   value is read, and the result is a dry run "would write X to device/tag".
//   live-armed      writes go out only while armed: an arming names the writable tags the user
//                   confirmed and ends by itself (a timer, and a check at each write); disarm() is
//                   the kill switch. Then the interlocks, the device's check, the write, and the
//                   read-back when the interlock asks for one.
//
// Every decision, whatever its outcome, becomes one audit entry.

export const MAX_ARM_MINUTES = 480;

/** Where audit entries go (the workspace DB's AuditStore). */
export interface AuditSink {
  add(entry: NewAuditEntry): unknown;
}

/** A request the gate refuses to act on (arming in the wrong mode, a confirmation that does not match). */
export class ArmingError extends Error {}

export interface SafetyGateOptions {
  readonly mode: RunMode;
  /** The tags the run's sinks write (writableTags()). */
  readonly writable: readonly (WritableTag & { interlock?: Interlock })[];
  readonly audit: AuditSink;
  /** user@host of this process; the OS user and host name unless given. */
  readonly who?: { user: string; host: string };
  readonly now?: () => number;
  /** Armed, disarmed or expired. */
  readonly onChange?: (state: ArmingState) => void;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export function whoAmI(): { user: string; host: string } {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return { user, host: hostname() };
}

const key = (device: string, tag: string): string => `${device}/${tag}`;

export class SafetyGate implements DeviceWriteGate {
  readonly mode: RunMode;
  private readonly options: SafetyGateOptions;
  private readonly targets: Map<string, WritableTag & { interlock?: Interlock }>;
  private readonly who: { user: string; host: string };
  private readonly now: () => number;
  /** The last value accepted per tag (written, or a dry run's would-be write), for the rate check. */
  private readonly last = new Map<string, LastWrite>();
  private armed?: { at: number; until: number; tags: ReadonlySet<string> };
  private reason = 'not armed yet';
  private timer?: NodeJS.Timeout;
  private disposed = false;
  private readonly outcomes: Record<DeviceWriteResult['outcome'], number> = { written: 0, 'dry-run': 0, refused: 0, failed: 0 };

  constructor(options: SafetyGateOptions) {
    this.options = options;
    this.mode = options.mode;
    this.targets = new Map(options.writable.map((t) => [key(t.device, t.tag), t]));
    this.who = options.who ?? whoAmI();
    this.now = options.now ?? Date.now;
  }

  /** Writes decided so far, by outcome. */
  counts(): Readonly<Record<DeviceWriteResult['outcome'], number>> {
    return { ...this.outcomes };
  }

  get by(): string {
    return `${this.who.user}@${this.who.host}`;
  }

  state(): ArmingState {
    const writable = [...this.targets.values()];
    if (this.armed && this.now() >= this.armed.until) this.expire();
    return this.armed
      ? { armed: true, armedAt: this.armed.at, until: this.armed.until, by: this.by, writable }
      : { armed: false, reason: this.reason, writable };
  }

  /**
   * Arms for `minutes`. `confirm` must name exactly the writable tags (what the user was shown);
   * arming again replaces the time limit.
   */
  arm(confirm: readonly { device: string; tag: string }[], minutes: number): ArmingState {
    if (this.disposed) throw new ArmingError('the run has stopped');
    if (this.mode !== 'live-armed') throw new ArmingError(`only a live-armed run can be armed; this run is ${this.mode}`);
    if (!(minutes > 0 && minutes <= MAX_ARM_MINUTES)) throw new ArmingError(`arm for more than 0 and at most ${MAX_ARM_MINUTES} minutes (got ${minutes})`);
    if (this.targets.size === 0) throw new ArmingError('nothing to arm: no pipeline of this run writes to a device');
    const confirmed = new Set(confirm.map((c) => key(c.device, c.tag)));
    const missing = [...this.targets.keys()].filter((k) => !confirmed.has(k));
    const extra = [...confirmed].filter((k) => !this.targets.has(k));
    if (missing.length || extra.length) {
      throw new ArmingError(
        `the confirmation does not match what this run can write${missing.length ? `; not confirmed: ${missing.join(', ')}` : ''}${extra.length ? `; not writable in this run: ${extra.join(', ')}` : ''}. Look at the list again and confirm it as shown.`,
      );
    }
    const at = this.now();
    this.armed = { at, until: at + minutes * 60_000, tags: confirmed };
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.expire(), minutes * 60_000);
    this.timer.unref();
    this.options.log?.('warn', `armed by ${this.by} for ${minutes} min, until ${new Date(this.armed.until).toISOString()}: ${[...confirmed].join(', ')}`);
    return this.changed();
  }

  /** The kill switch: from now on every write is refused. Harmless when not armed. */
  disarm(reason = `disarmed by ${this.who.user}`): ArmingState {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.armed) return this.state();
    this.armed = undefined;
    this.reason = reason;
    this.options.log?.('warn', `disarmed: ${reason}`);
    return this.changed();
  }

  /** Disarms and stops the timer; a stopped run writes no more. */
  dispose(): void {
    if (this.armed) this.disarm('the run stopped');
    this.disposed = true;
    clearTimeout(this.timer);
  }

  async write(request: DeviceWriteRequest, io: DeviceWriteIo): Promise<DeviceWriteResult> {
    const at = this.now();
    let result: DeviceWriteResult;
    try {
      result = await this.decide(request, io, at);
    } catch (err) {
      result = { outcome: 'failed', status: err instanceof Error ? err.message : String(err) };
    }
    this.outcomes[result.outcome]++;
    this.record(request, result, at);
    return result;
  }

  private async decide(request: DeviceWriteRequest, io: DeviceWriteIo, at: number): Promise<DeviceWriteResult> {
    const k = key(request.device, request.tag);
    const target = this.targets.get(k);
    if (!target) return { outcome: 'refused', status: `not written: ${k} is not a writable tag of this run` };
    const notArmed = this.notArmed(k);
    if (notArmed) return { outcome: 'refused', status: notArmed };
    const refusal = interlockRefusal(target.interlock, request.value, this.last.get(k), at);
    if (refusal) return { outcome: 'refused', status: refusal };
    const check = await io.check();
    if (!check.ok) return { outcome: 'refused', status: check.status };
    const old = await io.read();
    const oldValue = old.ok ? { oldValue: old.value } : {};
    if (this.mode === 'live-read-only') {
      this.last.set(k, { value: request.value, at });
      const now = old.ok ? ` (it holds ${showValue(old.value)})` : ` (its value cannot be read: ${old.status})`;
      return { outcome: 'dry-run', status: `would write ${showValue(request.value)} to ${k}${now}`, ...oldValue };
    }
    // The kill switch may have been thrown while the device answered: ask again right before sending.
    const disarmed = this.notArmed(k);
    if (disarmed) return { outcome: 'refused', status: disarmed, ...oldValue };
    const sent = await io.write();
    if (!sent.ok) return { outcome: 'failed', status: sent.status, ...oldValue };
    this.last.set(k, { value: request.value, at });
    const readBack = readBackOf(target.interlock);
    if (!readBack) return { outcome: 'written', status: sent.status, ...oldValue };
    if (readBack.delayMs) await new Promise((resolve) => setTimeout(resolve, readBack.delayMs));
    const back = await io.read();
    if (!back.ok) return { outcome: 'failed', status: `written, but the read-back failed: ${back.status}`, ...oldValue };
    const mismatch = readBackMismatch(request.value, back.value, readBack.tolerance);
    return mismatch
      ? { outcome: 'failed', status: mismatch, ...oldValue, readBack: back.value }
      : { outcome: 'written', status: `${sent.status}, read back ${showValue(back.value)}`, ...oldValue, readBack: back.value };
  }

  /** Why a live-armed run may not write this tag now; undefined in other modes and while armed for it. */
  private notArmed(k: string): string | undefined {
    if (this.mode !== 'live-armed') return undefined;
    if (this.armed && this.now() >= this.armed.until) this.expire();
    if (!this.armed) return `not written: not armed (${this.reason})`;
    if (!this.armed.tags.has(k)) return `not written: ${k} was not in the arming confirmation`;
    return undefined;
  }

  private expire(): void {
    if (!this.armed) return;
    this.disarm(`the arming expired at ${new Date(this.armed.until).toISOString()}`);
  }

  private changed(): ArmingState {
    const state = this.state();
    this.options.onChange?.(state);
    return state;
  }

  private record(request: DeviceWriteRequest, result: DeviceWriteResult, at: number): void {
    try {
      this.options.audit.add({
        at,
        mode: this.mode,
        pipeline: request.pipeline,
        node: request.node,
        device: request.device,
        tag: request.tag,
        ...(result.oldValue !== undefined ? { oldValue: result.oldValue } : {}),
        newValue: request.value,
        ...(result.readBack !== undefined ? { readBack: result.readBack } : {}),
        result: result.outcome,
        status: result.status,
        user: this.who.user,
        host: this.who.host,
      });
    } catch (err) {
      // An armed run that cannot keep its audit log writes no more.
      const message = `the audit log cannot be written: ${err instanceof Error ? err.message : String(err)}`;
      this.options.log?.('error', message);
      if (this.armed) this.disarm(message);
    }
  }
}
