// The register-map probe of one unit: which addresses of each area can be read, found with as few
// requests as possible. Pure logic over an `AreaReader` (no sockets here), so it is tested against
// an in-memory device and runs unchanged over TCP and RTU.
//
// What a device tells us: a read of [a, a+n) either answers with data (every address in it is
// readable) or is refused (exception 02/03/04, or a short answer: at least one address is not).
// A refused multi-address read says nothing about which address failed, so empty space can only be
// ruled out address by address. Hence:
// - Sampling: single addresses, coarse to fine. The levels are every 32768th address, 16384, …,
//   4096, 2048, 1024, 1000, 512, 500, 256, 128, 100, 64, 32, 16, 8, 4, 2, 1, interleaved across
//   areas so a budget cut leaves every area at about the same resolution. Register maps like round
//   decimal addresses (1000, 3000, 100): those levels find a short range there early, for about 15 %
//   more samples than powers of two alone (multiples of 50 or 10 would cost far more).
// - Growing: a readable address grows into its range with reads of 125 registers / 2000 bits
//   (the protocol's maximum) in both directions. The read that crosses the range's end is refused,
//   and the end is found by bisecting that read: about 7 requests for registers, 11 for bits.
// - Exception 01 on the first read of an area: the unit does not have that area.
// So a device with a few ranges costs (window ÷ stride) samples plus about 20 requests per range,
// where reading every address costs one request per address.
import { maxReadCount, type ModbusArea } from '../../../shared/codec/modbus.ts';

export type ReadOutcome =
  | { readonly kind: 'data' }
  /** Exception 02/03/04… (`reason` is the code) or "short" (fewer values than asked). */
  | { readonly kind: 'refused'; readonly reason: string }
  /** Exception 01: the unit does not implement this function. */
  | { readonly kind: 'unsupported' };

/**
 * Reads `count` addresses of `area` from `start`. Throws to stop probing the unit (timeouts, a lost
 * connection, garbled answers); the message becomes the area's error.
 */
export type AreaReader = (area: ModbusArea, start: number, count: number) => Promise<ReadOutcome>;

/** Requests spent by the whole probe and its limit; shared by all units. */
export interface Budget {
  used: number;
  limit: number;
}

export interface AreaFindings {
  readonly area: ModbusArea;
  readonly supported: boolean;
  /** [start, count], ascending. */
  readonly ranges: [number, number][];
  readonly resolution: number;
  readonly complete: boolean;
  readonly requests: number;
  readonly refusals: Record<string, number>;
  readonly error?: string;
}

export const SAMPLE_STRIDES: readonly number[] = [32768, 16384, 8192, 4096, 2048, 1024, 1000, 512, 500, 256, 128, 100, 64, 32, 16, 8, 4, 2, 1];

/** Thrown inside the probe when the budget is spent or the signal fired; caught at the top. */
class Stop extends Error {}

class AreaState {
  readonly area: ModbusArea;
  supported = true;
  done = false;
  /** An expansion stopped before it found its range's end. */
  cut = false;
  error: string | undefined;
  requests = 0;
  readonly refusals: Record<string, number> = {};
  /** 1 = tried and not readable, 2 = inside a found range. */
  readonly known = new Uint8Array(65536);
  readonly ranges: [number, number][] = [];

  constructor(area: ModbusArea) {
    this.area = area;
  }

  addRange(start: number, end: number): void {
    this.known.fill(2, start, end);
    this.ranges.push([start, end - start]);
  }

  /** Longest run of untried addresses in the window, plus one. */
  resolution(window: { start: number; end: number }): number {
    let longest = 0;
    let run = 0;
    for (let a = window.start; a <= window.end; a++) {
      if (this.known[a] === 0) longest = Math.max(longest, ++run);
      else run = 0;
    }
    return longest + 1;
  }
}

export interface ProbeAreasOptions {
  readonly window: { readonly start: number; readonly end: number };
  /** Stop refining an area once its resolution is at most this (default 1). */
  readonly resolution?: number;
  readonly budget: Budget;
  readonly signal?: AbortSignal;
  /** Called after every request, e.g. for progress. */
  readonly onRequest?: (area: ModbusArea, start: number, count: number) => void;
}

/** Probes the areas of one unit. Never throws for the device's behaviour; a stop is in the findings. */
export async function probeAreas(read: AreaReader, areas: readonly ModbusArea[], options: ProbeAreasOptions): Promise<AreaFindings[]> {
  const { window, budget, signal } = options;
  const target = options.resolution ?? 1;
  const states = areas.map((a) => new AreaState(a));
  let unitError: string | undefined;

  const request = async (s: AreaState, start: number, count: number): Promise<ReadOutcome> => {
    if (signal?.aborted || budget.used >= budget.limit) throw new Stop();
    budget.used++;
    s.requests++;
    try {
      const outcome = await read(s.area, start, count);
      if (outcome.kind === 'refused') s.refusals[outcome.reason] = (s.refusals[outcome.reason] ?? 0) + 1;
      return outcome;
    } finally {
      options.onRequest?.(s.area, start, count);
    }
  };

  /**
   * Largest m < n such that the m addresses from `first(m)` read, given that n of them are refused:
   * the boundary, by halving the refused read.
   */
  const bisect = async (s: AreaState, n: number, first: (m: number) => number): Promise<number> => {
    let lo = 0;
    let hi = n;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((await request(s, first(mid), mid)).kind === 'data') lo = mid;
      else hi = mid;
    }
    return lo;
  };

  /** Grows the readable address p into its range; records what is known even when stopped. */
  const grow = async (s: AreaState, p: number): Promise<void> => {
    const max = maxReadCount(s.area);
    let start = p;
    let end = p + 1;
    // Grow up to the next known address (a found range or a refused one) or the window's edge.
    let upper = window.end + 1;
    for (let a = p + 1; a <= window.end; a++) {
      if (s.known[a] !== 0) {
        upper = a;
        break;
      }
    }
    let lower = window.start;
    for (let a = p - 1; a >= window.start; a--) {
      if (s.known[a] !== 0) {
        lower = a + 1;
        break;
      }
    }
    try {
      while (end < upper) {
        const n = Math.min(max, upper - end);
        if ((await request(s, end, n)).kind === 'data') {
          end += n;
          continue;
        }
        const from = end;
        end += await bisect(s, n, () => from);
        s.known[end] = 1;
        break;
      }
      while (start > lower) {
        const n = Math.min(max, start - lower);
        if ((await request(s, start - n, n)).kind === 'data') {
          start -= n;
          continue;
        }
        const to = start;
        start -= await bisect(s, n, (m) => to - m);
        s.known[start - 1] = 1;
        break;
      }
    } catch (err) {
      s.cut = true;
      throw err;
    } finally {
      s.addRange(start, end);
    }
  };

  const sample = async (s: AreaState, a: number): Promise<void> => {
    if (s.done || s.known[a] !== 0) return;
    const outcome = await request(s, a, 1);
    if (outcome.kind === 'data') await grow(s, a);
    else if (outcome.kind === 'unsupported' && s.ranges.length === 0) {
      s.supported = false;
      s.done = true;
    } else s.known[a] = 1;
  };

  try {
    for (const stride of [Infinity, ...SAMPLE_STRIDES]) {
      const active = states.filter((s) => !s.done);
      if (active.length === 0) break;
      const lists = active.map((s) => ({ s, addresses: candidates(window, stride).filter((a) => s.known[a] === 0) }));
      const longest = Math.max(...lists.map((l) => l.addresses.length));
      for (let i = 0; i < longest; i++) {
        for (const { s, addresses } of lists) if (i < addresses.length) await sample(s, addresses[i]!);
      }
      for (const s of active) if (s.supported && s.resolution(window) <= target) s.done = true;
    }
  } catch (err) {
    if (!(err instanceof Stop)) unitError = err instanceof Error ? err.message : String(err);
  }

  return states.map((s) => {
    const resolution = s.supported ? s.resolution(window) : 1;
    return {
      area: s.area,
      supported: s.supported,
      ranges: s.ranges.sort((x, y) => x[0] - y[0]),
      resolution,
      complete: !s.supported || (resolution <= target && !s.cut),
      requests: s.requests,
      refusals: s.refusals,
      ...(unitError && !s.done ? { error: unitError } : {}),
    };
  });
}

/** Addresses of one sampling level: the window's start for the first (Infinity), else the multiples of `stride` in the window. */
export function candidates(window: { readonly start: number; readonly end: number }, stride: number): number[] {
  if (stride === Infinity) return [window.start];
  const out: number[] = [];
  for (let a = Math.ceil(window.start / stride) * stride; a <= window.end; a += stride) out.push(a);
  return out;
}
