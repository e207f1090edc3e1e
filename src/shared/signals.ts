import { z } from 'zod';

// Signal shapes shared by the `signal` source node and the simulators.
// A signal is a pure function of elapsed time (random walk keeps a seeded state).

export const signalShape = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('sine'),
      amplitude: z.number().default(1),
      offset: z.number().default(0),
      periodMs: z.number().positive().default(60_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('ramp'),
      from: z.number().default(0),
      to: z.number().default(100),
      periodMs: z.number().positive().default(60_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('random-walk'),
      start: z.number().default(0),
      step: z.number().positive().default(1),
      min: z.number().default(-Infinity),
      max: z.number().default(Infinity),
      seed: z.number().int().default(1),
    })
    .strict(),
  z
    .object({
      kind: z.literal('sequence'),
      /** Values held in turn for dwellMs each: a step signal or a state sequence. */
      values: z.array(z.union([z.number(), z.string(), z.boolean()])).min(1),
      dwellMs: z.number().positive().default(10_000),
      loop: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      kind: z.literal('counter'),
      start: z.number().int().default(0),
      increment: z.number().int().default(1),
      /** The counter wraps to `start` on reaching this value. */
      wrapAt: z.number().int().optional(),
      everyMs: z.number().positive().default(1000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('csv'),
      /** CSV file with a header row, relative to the project folder. */
      file: z.string().min(1),
      column: z.string().min(1),
      /** Column of elapsed milliseconds; without it, rows are intervalMs apart. */
      timeColumn: z.string().min(1).optional(),
      intervalMs: z.number().positive().default(1000),
      loop: z.boolean().default(true),
    })
    .strict(),
]);
export type SignalShape = z.infer<typeof signalShape>;

export type SignalValue = number | string | boolean;

/** mulberry32: small, fast, seeded, reproducible across runs. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A CSV column already read by the caller (shared code does no I/O): times in ms and values. */
export interface CsvSeries {
  readonly times: readonly number[];
  readonly values: readonly SignalValue[];
}

/** Returns a function from elapsed milliseconds to the signal's value. A csv shape needs its series. */
export function createSignal(shape: SignalShape, series?: CsvSeries): (elapsedMs: number) => SignalValue {
  switch (shape.kind) {
    case 'csv': {
      if (!series || series.values.length === 0) throw new Error(`csv signal ${shape.file}:${shape.column} has no rows`);
      const { times, values } = series;
      // Replay holds each value until the next row's time; the loop restarts one interval after the last row.
      const span = times[times.length - 1]! + (times.length > 1 ? times[times.length - 1]! - times[times.length - 2]! : shape.intervalMs);
      return (t) => {
        const at = shape.loop ? t % span : Math.min(t, times[times.length - 1]!);
        let lo = 0;
        let hi = times.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (times[mid]! <= at) lo = mid;
          else hi = mid - 1;
        }
        return values[lo]!;
      };
    }
    case 'sine':
      return (t) => shape.offset + shape.amplitude * Math.sin((2 * Math.PI * t) / shape.periodMs);
    case 'ramp':
      return (t) => shape.from + ((shape.to - shape.from) * (t % shape.periodMs)) / shape.periodMs;
    case 'random-walk': {
      const random = seededRandom(shape.seed);
      let current = shape.start;
      return () => {
        current = Math.min(shape.max, Math.max(shape.min, current + (random() * 2 - 1) * shape.step));
        return current;
      };
    }
    case 'sequence':
      return (t) => {
        const index = Math.floor(t / shape.dwellMs);
        const values = shape.values;
        return values[shape.loop ? index % values.length : Math.min(index, values.length - 1)]!;
      };
    case 'counter':
      return (t) => {
        const steps = Math.floor(t / shape.everyMs);
        const raw = shape.start + steps * shape.increment;
        if (shape.wrapAt === undefined || shape.wrapAt === shape.start) return raw;
        const span = shape.wrapAt - shape.start;
        return shape.start + (((raw - shape.start) % span) + span) % span;
      };
  }
}
