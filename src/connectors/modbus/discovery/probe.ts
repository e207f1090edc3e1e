// Modbus discovery over a ModbusSession (TCP or RTU alike): the unit-id sweep, the register-map
// probe (bisect.ts does the planning), and register reads for the register view and snapshots.
// Requests go through the shared connection, so one request is in flight and a connection that
// drops is re-opened; a unit that misbehaves (resets, garbage, silence) becomes that unit's error
// and the probe goes on with the next one.
import { applyScale, decodeRegisters, describeRange, isBitArea, maxReadCount, type ModbusArea } from '../../../shared/codec/modbus.ts';
import {
  modbusMapReadRequest,
  modbusProbeRequest,
  modbusReadRequest,
  type ModbusAreaProbe,
  type ModbusMapReadRequest,
  type ModbusMapValue,
  type ModbusProbeRequest,
  type ModbusProbeResult,
  type ModbusReadRequest,
  type ModbusReadResult,
  type ModbusTarget,
  type ModbusUnitProbe,
  type RegisterMapRow,
  toModbusTags,
} from '../../../shared/discovery/modbus.ts';
import { throttledProgress, type DiscoveryOptions } from '../../../shared/discovery/progress.ts';
import { ConnectionPool, type ModbusSession } from '../connection.ts';
import { errorText, ModbusRequestError } from '../errors.ts';
import { planReads } from '../plan.ts';
import { describeTransport, type ModbusTransport } from '../transport.ts';
import { probeAreas, type AreaReader, type Budget } from './bisect.ts';

/** Exceptions a gateway answers for a unit that is not there (0A path unavailable, 0B no response). */
const GATEWAY_MISS = new Set([10, 11]);
const quiet = (): void => {};

/**
 * Resolves true once the session is connected; false after `ms`, when `signal` fires, or (with
 * `failFast`) as soon as a connection attempt fails, so a refused port is reported at once.
 */
export function waitConnected(session: ModbusSession, ms: number, signal?: AbortSignal, failFast = false): Promise<boolean> {
  if (session.state === 'connected') return Promise.resolve(true);
  if (signal?.aborted || (failFast && session.state === 'disconnected' && session.lastError)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sub.dispose();
      signal?.removeEventListener('abort', aborted);
      resolve(ok);
    };
    const aborted = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    const sub = session.onDidChangeState((state) => {
      if (state === 'connected') done(true);
      else if (failFast && state === 'disconnected') done(false);
    });
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Runs `fn` on a session of a connection of its own to `target`, closed afterwards. When the
 * connection cannot be made, `failed` gives the result instead (with "cancelled" when `signal` fired).
 */
export async function withSession<T>(
  target: ModbusTarget,
  signal: AbortSignal | undefined,
  fn: (session: ModbusSession) => Promise<T>,
  failed: (error: string) => T,
): Promise<T> {
  const pool = new ConnectionPool(quiet);
  const connectMs = Math.max(3000, target.timeoutMs * 3);
  const session = pool.open(target.transport as ModbusTransport, { connectTimeoutMs: connectMs });
  try {
    if (!(await waitConnected(session, connectMs + 500, signal, true))) {
      return failed(signal?.aborted ? 'cancelled' : `cannot connect to ${session.endpoint}: ${session.lastError ?? 'timed out'}`);
    }
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** A request that could not go out because the connection was down is retried once after a reconnect. */
async function onWire<T>(session: ModbusSession, op: () => Promise<T>, reconnectMs: number, signal?: AbortSignal): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!(err instanceof ModbusRequestError) || err.sent || err.kind !== 'connection') throw err;
    if (!(await waitConnected(session, reconnectMs, signal))) throw err;
    return op();
  }
}

/** Values of one read as numbers: registers 0-65535, bits 0/1. */
function readValues(session: ModbusSession, unit: number, area: ModbusArea, start: number, count: number, timeoutMs: number): Promise<number[]> {
  const options = { timeoutMs, retries: 0 };
  if (area === 'coil' || area === 'discrete-input') return session.readBits(unit, area, start, count, options).then((bits) => bits.map((b) => (b ? 1 : 0)));
  return session.readRegisters(unit, area, start, count, options);
}

// ---------- unit sweep ----------

export interface UnitAnswer {
  readonly unit: number;
  readonly answer: 'data' | 'exception' | 'error';
  readonly exception?: number;
  readonly error?: string;
}

export interface SweepResult {
  readonly answered: UnitAnswer[];
  readonly silent: number[];
  readonly notSwept: number[];
  readonly cancelled: boolean;
  /** The connection was lost and did not come back: the sweep stopped here. */
  readonly error?: string;
}

export interface SweepOptions {
  /** Answer timeout per unit: short, since most unit ids have nobody behind them. */
  readonly timeoutMs: number;
  /** The holding register read (default 0). Any answer, data or exception, shows a unit is there. */
  readonly address?: number;
  /** Requests spent so far and the limit (shared with the probe that follows). */
  readonly budget?: Budget;
  /** How long to wait for a dropped connection to come back (default 5 s). */
  readonly reconnectMs?: number;
  readonly signal?: AbortSignal;
  readonly onUnit?: (unit: number) => void;
}

/** Which of `units` answer: one read of one holding register each. */
export async function sweepUnits(session: ModbusSession, units: readonly number[], options: SweepOptions): Promise<SweepResult> {
  const budget = options.budget ?? { used: 0, limit: Infinity };
  const answered: UnitAnswer[] = [];
  const silent: number[] = [];
  let error: string | undefined;
  let i = 0;
  for (; i < units.length; i++) {
    if (options.signal?.aborted || budget.used >= budget.limit) break;
    const unit = units[i]!;
    budget.used++;
    try {
      await onWire(session, () => session.readRegisters(unit, 'holding', options.address ?? 0, 1, { timeoutMs: options.timeoutMs, retries: 0 }), options.reconnectMs ?? 5000, options.signal);
      answered.push({ unit, answer: 'data' });
    } catch (err) {
      if (!(err instanceof ModbusRequestError)) throw err;
      if (err.kind === 'exception' && !GATEWAY_MISS.has(err.status.code)) answered.push({ unit, answer: 'exception', exception: err.status.code });
      else if (err.kind === 'exception' || err.kind === 'timeout') silent.push(unit);
      else if (err.kind === 'protocol') answered.push({ unit, answer: 'error', error: `garbled answer: ${err.status.text}` });
      else if (err.kind === 'connection' && err.sent) answered.push({ unit, answer: 'error', error: `the device dropped the connection when asked for unit ${unit}: ${err.status.text}` });
      else {
        error = err.message;
        break;
      }
    } finally {
      options.onUnit?.(unit);
    }
  }
  return { answered, silent, notSwept: units.slice(i), cancelled: Boolean(options.signal?.aborted), ...(error ? { error } : {}) };
}

// ---------- probe ----------

/** The reader bisect.ts works with: exceptions and short answers are refusals; anything else stops the unit. */
function unitReader(session: ModbusSession, unit: number, timeoutMs: number, signal?: AbortSignal): AreaReader {
  return async (area, start, count) => {
    try {
      await onWire(session, () => readValues(session, unit, area, start, count, timeoutMs), Math.max(5000, timeoutMs * 3), signal);
      return { kind: 'data' };
    } catch (err) {
      if (!(err instanceof ModbusRequestError)) throw err;
      const code = err.status.code;
      if (err.kind === 'exception' && code === 1) return { kind: 'unsupported' };
      if (err.kind === 'exception' && !GATEWAY_MISS.has(code)) return { kind: 'refused', reason: String(code) };
      // modbus-serial checks the answer's length: a device that answers only the part it has.
      if (err.kind === 'protocol' && /data length/i.test(err.status.text)) return { kind: 'refused', reason: 'short' };
      const where = `reading ${describeRange(area, start, count)}`;
      if (err.kind === 'timeout') throw new Error(`unit ${unit} stopped answering (${where}: ${err.status.text})`);
      if (err.kind === 'protocol') throw new Error(`unit ${unit} answered garbage (${where}: ${err.status.text})`);
      throw new Error(`${where} of unit ${unit}: ${err.status.text}`);
    }
  };
}

/**
 * Sweeps the unit ids, then probes the readable ranges of each unit that answered. Resolves with
 * what was found also when cancelled or out of budget; `error` is set when the target itself fails
 * (cannot connect). Throws only for an invalid request.
 */
export async function probeModbus(request: ModbusProbeRequest, options: DiscoveryOptions = {}): Promise<ModbusProbeResult> {
  const spec = modbusProbeRequest.parse(request);
  const { signal } = options;
  const started = performance.now();
  const transport = spec.target.transport as ModbusTransport;
  const budget: Budget = { used: 0, limit: spec.budget };
  const progress = throttledProgress(options.onProgress);
  const report = (message: string, final = false): void => progress({ done: budget.used, total: spec.budget, message }, final);
  let exhausted = false;
  const finish = (fields: Partial<ModbusProbeResult>): ModbusProbeResult => {
    report('done', true);
    return {
      endpoint: describeTransport(transport),
      window: spec.window,
      units: [],
      silent: [],
      notSwept: [],
      requests: budget.used,
      budget: spec.budget,
      budgetExhausted: exhausted,
      cancelled: Boolean(signal?.aborted),
      ...fields,
      durationMs: Math.round(performance.now() - started),
    };
  };

  report(`connecting to ${describeTransport(transport)}`, true);
  return withSession(
    spec.target,
    signal,
    async (session) => {
      const sweep = await sweepUnits(session, spec.units, {
        timeoutMs: spec.sweepTimeoutMs,
        address: spec.window.start,
        budget,
        signal,
        onUnit: (unit) => report(`unit ${unit}`),
      });
      const units: ModbusUnitProbe[] = sweep.answered.map((u) => ({ ...u, areas: [] }));
      if (sweep.error) return finish({ units, silent: sweep.silent, notSwept: sweep.notSwept, error: sweep.error });
      exhausted = sweep.notSwept.length > 0 && !sweep.cancelled;

      const probing = units.filter((u) => u.answer !== 'error');
      for (let i = 0; i < probing.length; i++) {
        const unit = probing[i]!;
        if (signal?.aborted || budget.used >= budget.limit) {
          exhausted ||= !signal?.aborted;
          break;
        }
        // Each unit gets an even share of what is left; what it does not use passes on.
        const share: Budget = { used: budget.used, limit: budget.used + Math.floor((budget.limit - budget.used) / (probing.length - i)) };
        const findings = await probeAreas(unitReader(session, unit.unit, spec.target.timeoutMs, signal), spec.areas, {
          window: spec.window,
          resolution: spec.resolution,
          budget: share,
          signal,
          onRequest: (area, start, count) => {
            budget.used = share.used;
            report(`unit ${unit.unit} ${describeRange(area, start, count)}`);
          },
        });
        budget.used = share.used;
        unit.areas = findings.map((f): ModbusAreaProbe => ({ ...f }));
        if (findings.some((f) => !f.complete && !f.error) && share.used >= share.limit && !signal?.aborted) exhausted = true;
        const failed = findings.find((f) => f.error);
        if (failed) unit.error = failed.error;
        // A dropped connection is re-opened by the session; give it a moment before the next unit.
        if (session.state !== 'connected') await waitConnected(session, Math.max(5000, spec.target.timeoutMs * 3), signal);
      }
      return finish({ units, silent: sweep.silent, notSwept: sweep.notSwept });
    },
    (error) => finish({ notSwept: spec.units, ...(signal?.aborted ? {} : { error }) }),
  );
}

// ---------- register reads ----------

export interface ReadOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads `count` registers (or bits) of one unit from `start`, in reads of at most 125 registers /
 * 2000 bits. A failure ends the read: the values so far come back with the error.
 */
export async function readRegisters(session: ModbusSession, unit: number, area: ModbusArea, start: number, count: number, options: ReadOptions): Promise<ModbusReadResult> {
  const values: number[] = [];
  let requests = 0;
  let error: string | undefined;
  const max = maxReadCount(area);
  while (values.length < count && !options.signal?.aborted) {
    const at = start + values.length;
    const n = Math.min(max, count - values.length);
    requests++;
    try {
      values.push(...(await onWire(session, () => readValues(session, unit, area, at, n, options.timeoutMs), Math.max(5000, options.timeoutMs * 3), options.signal)));
    } catch (err) {
      error = errorText(err);
      break;
    }
  }
  if (!error && values.length < count) error = 'cancelled';
  return { unit, area, start, values, requests, readAt: Date.now(), ...(error ? { error } : {}) };
}

/** readRegisters on a connection of its own: for the host and one-off reads. */
export function readModbusRegisters(request: ModbusReadRequest, options: DiscoveryOptions = {}): Promise<ModbusReadResult> {
  const spec = modbusReadRequest.parse(request);
  return withSession(
    spec.target,
    options.signal,
    (session) => readRegisters(session, spec.unit, spec.area, spec.start, spec.count, { timeoutMs: spec.target.timeoutMs, signal: options.signal }),
    (error) => ({ unit: spec.unit, area: spec.area, start: spec.start, values: [], requests: 0, readAt: Date.now(), error }),
  );
}

// ---------- register maps ----------

/**
 * Reads the value of every register-map row of one unit, decoded with the shared codec and scaled.
 * Neighbouring rows share a read (the poll planner, without gaps: a map's gaps are often not
 * readable); a shared read that fails is repeated row by row, so one bad row spoils only itself.
 */
export async function readRegisterMap(session: ModbusSession, unit: number, rows: readonly RegisterMapRow[], options: ReadOptions): Promise<ModbusMapValue[]> {
  const tags = toModbusTags(rows);
  const byName = new Map<string, ModbusMapValue>();
  const readPlan = async (list: typeof tags, split: boolean): Promise<void> => {
    const plan = planReads(list, { unit, addressBase: 0, maxGap: 0 });
    for (const p of plan.problems) byName.set(p.tag.name, { name: p.tag.name, error: p.message });
    for (const read of plan.reads) {
      if (options.signal?.aborted) return;
      const result = await readRegisters(session, unit, read.area, read.offset, read.count, options);
      if (result.error && split && read.tags.length > 1) {
        for (const { tag } of read.tags) await readPlan([tag], false);
        continue;
      }
      for (const { tag, index } of read.tags) {
        try {
          if (result.error) throw new Error(result.error);
          const raw = isBitArea(tag.area) ? result.values[index] === 1 : decodeRegisters(result.values, tag, index);
          const value = applyScale(raw, tag.scale);
          byName.set(tag.name, { name: tag.name, value: typeof value === 'number' && !Number.isFinite(value) ? String(value) : value });
        } catch (err) {
          byName.set(tag.name, { name: tag.name, error: errorText(err) });
        }
      }
    }
  };
  await readPlan(tags, true);
  // In the rows' order, with the row's own name (tags may have been renamed to be valid).
  return tags.map((t, i) => ({ ...(byName.get(t.name) ?? { name: t.name, error: 'cancelled' }), name: rows[i]!.name }));
}

/** readRegisterMap on a connection of its own: for the host. */
export function readModbusMap(request: ModbusMapReadRequest, options: DiscoveryOptions = {}): Promise<ModbusMapValue[]> {
  const spec = modbusMapReadRequest.parse(request);
  return withSession(
    spec.target,
    options.signal,
    (session) => readRegisterMap(session, spec.unit, spec.rows, { timeoutMs: spec.target.timeoutMs, signal: options.signal }),
    (error) => spec.rows.map((r) => ({ name: r.name, error })),
  );
}
