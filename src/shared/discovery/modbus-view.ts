// The register view of Modbus discovery: a range of 16-bit registers read from a device, shown in
// every reading an engineer might need to recognise what they hold, with the plausible ones flagged.
// Pure (no Node), so the UI computes it from a register read just like the CLI.
//
// - Each register: uint16, int16, hex, and its two bytes as text when both are printable ASCII.
// - Each pair of neighbouring registers (at every address, since the alignment is unknown): int32,
//   uint32 and float32 in the four byte and word orders ABCD, CDAB, BADC, DCBA.
// - Each run of four registers: float64 in the four orders.
//
// Flags, from one read or from two reads a moment apart (`previous`):
//   zero         the registers are all 0 (nothing to tell)
//   plausible    floats: finite, not denormal, 1e-4 ≤ |v| ≤ 1e7 (float64: 1e-6 ≤ |v| ≤ 1e12);
//                32-bit integers: both registers matter (outside the 16-bit range) and |v| ≤ 1e7
//   noise-words  a plausible float whose registers all use their high byte (|int16| ≥ 256): the
//                mantissa of a non-round value, rather than a round float or small integers
//   stable       the same in both reads
//   counting     an integer that went up by 1-255: a counter read in the wrong order steps by 256 or
//                65536 times as much, so only the right order counts
//   drifting     a plausible float both times that changed by less than half its size: a live value
//   changed      (registers) different in the second read
// `likely` marks the readings worth an engineer's first look:
//   float32      plausible, and noise-words (read once) or stable or drifting (read twice: a value
//                that jumps between the reads is a misreading of a live value's changing mantissa)
//   float64      plausible and noise-words, and stable or drifting when read twice
//   int32/uint32 counting, or plausible and stable (plausible alone when read once)
//   uint16       counting
// These are hints: two small integers can make a plausible float and the other way round.
import { decodeRegisters, modiconReference, type ModbusOrder } from '../codec/modbus.ts';

export const VIEW_ORDERS: readonly ModbusOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

export type ViewFlag = 'zero' | 'plausible' | 'noise-words' | 'stable' | 'counting' | 'drifting' | 'changed';
export type ViewType = 'uint16' | 'int16' | 'int32' | 'uint32' | 'float32' | 'float64';

/** One reading of the registers at an address. Non-finite floats are the strings "NaN", "Infinity", "-Infinity" (JSON has no NaN). */
export interface ViewValue {
  readonly address: number;
  readonly type: ViewType;
  /** Absent for 16-bit readings. */
  readonly order?: ModbusOrder;
  readonly value: number | string;
  readonly flags: readonly ViewFlag[];
  readonly likely: boolean;
}

export interface ViewRegister {
  readonly address: number;
  /** Modicon reference: 400001 for holding 0, 300001 for input 0. */
  readonly reference: string;
  readonly uint16: number;
  readonly int16: number;
  /** Four hex digits, upper case. */
  readonly hex: string;
  /** The two bytes as text, high byte first, when both are printable ASCII. */
  readonly ascii?: string;
  readonly flags: readonly ViewFlag[];
}

export interface RegisterView {
  readonly area: 'holding' | 'input';
  readonly start: number;
  readonly count: number;
  /** True when `previous` was given: stable/counting/drifting are known. */
  readonly readTwice: boolean;
  readonly registers: readonly ViewRegister[];
  /** Per start address: int32, uint32, float32 in ABCD, CDAB, BADC, DCBA (12 readings). */
  readonly pairs: readonly { readonly address: number; readonly values: readonly ViewValue[] }[];
  /** Per start address: float64 in ABCD, CDAB, BADC, DCBA. */
  readonly quads: readonly { readonly address: number; readonly values: readonly ViewValue[] }[];
  /** Every reading marked likely, by address (16-bit, then pairs, then quads at the same address). */
  readonly likely: readonly ViewValue[];
}

const FLOAT_RANGE = { float32: [1e-4, 1e7], float64: [1e-6, 1e12] } as const;
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
const FLOAT64_MIN_NORMAL = 2.2250738585072014e-308;
const INT_PLAUSIBLE = 1e7;
const COUNT_STEP = 255;
/** A register whose int16 magnitude is at least this uses its high byte. */
const NOISE_WORD = 256;

const int16 = (u: number): number => (u & 0x8000 ? u - 0x10000 : u);
const noisy = (u: number): boolean => Math.abs(int16(u)) >= NOISE_WORD;

function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function floatPlausible(v: number, type: 'float32' | 'float64'): boolean {
  const a = Math.abs(v);
  const [low, high] = FLOAT_RANGE[type];
  const normal = type === 'float32' ? FLOAT32_MIN_NORMAL : FLOAT64_MIN_NORMAL;
  return Number.isFinite(v) && a >= normal && a >= low && a <= high;
}

function asciiOf(u: number): string | undefined {
  const hi = u >> 8;
  const lo = u & 0xff;
  const printable = (c: number): boolean => c >= 0x20 && c <= 0x7e;
  return printable(hi) && printable(lo) ? String.fromCharCode(hi, lo) : undefined;
}

function isCounting(now: number, before: number, bits: 16 | 32, signed: boolean): boolean {
  const span = 2 ** bits;
  const step = signed ? now - before : (((now - before) % span) + span) % span;
  return step >= 1 && step <= COUNT_STEP;
}

function intValue(regs: number[], at: number, type: 'int32' | 'uint32', order: ModbusOrder, prev: number[] | undefined): ViewValue {
  const value = decodeRegisters(regs, { type, order }, at) as number;
  const before = prev ? (decodeRegisters(prev, { type, order }, at) as number) : undefined;
  const zero = regs[at] === 0 && regs[at + 1] === 0;
  const flags: ViewFlag[] = [];
  if (zero) flags.push('zero');
  const needsBoth = type === 'uint32' ? value > 0xffff : value > 0xffff || value < -0x8000;
  const plausible = !zero && needsBoth && Math.abs(value) <= INT_PLAUSIBLE;
  if (plausible) flags.push('plausible');
  const counting = before !== undefined && isCounting(value, before, 32, type === 'int32');
  if (before !== undefined && before === value) flags.push('stable');
  if (counting) flags.push('counting');
  const likely = counting || (plausible && (before === undefined || before === value));
  return { address: 0, type, order, value, flags, likely };
}

function floatValue(regs: number[], at: number, type: 'float32' | 'float64', order: ModbusOrder, prev: number[] | undefined): ViewValue {
  const words = type === 'float32' ? 2 : 4;
  const value = decodeRegisters(regs, { type, order }, at) as number;
  const before = prev ? (decodeRegisters(prev, { type, order }, at) as number) : undefined;
  const raw = regs.slice(at, at + words);
  const flags: ViewFlag[] = [];
  const zero = raw.every((r) => r === 0);
  if (zero) flags.push('zero');
  const plausible = floatPlausible(value, type);
  if (plausible) flags.push('plausible');
  const noise = plausible && raw.every(noisy);
  if (noise) flags.push('noise-words');
  const stable = before !== undefined && prev!.slice(at, at + words).every((r, i) => r === raw[i]);
  if (stable) flags.push('stable');
  const drifting =
    before !== undefined && !stable && plausible && floatPlausible(before, type) && Math.abs(value - before) <= 0.5 * Math.max(Math.abs(value), Math.abs(before));
  if (drifting) flags.push('drifting');
  const likely =
    type === 'float32'
      ? plausible && (before === undefined ? noise : stable || drifting)
      : plausible && noise && (before === undefined || stable || drifting);
  return { address: 0, type, order, value: jsonNumber(value), flags, likely };
}

/**
 * The register view of `values` (16-bit registers read from `start`), with `previous` the same range
 * read a moment earlier when there is one (it must have the same length).
 */
export function registerView(area: 'holding' | 'input', start: number, values: readonly number[], previous?: readonly number[]): RegisterView {
  if (previous && previous.length !== values.length) throw new Error(`previous read has ${previous.length} registers, this one ${values.length}`);
  const regs = values.map((v) => v & 0xffff);
  const prev = previous?.map((v) => v & 0xffff);
  const registers: ViewRegister[] = regs.map((u, i) => {
    const flags: ViewFlag[] = [];
    if (u === 0) flags.push('zero');
    const before = prev?.[i];
    if (before !== undefined) {
      if (before === u) flags.push('stable');
      else {
        flags.push('changed');
        if (isCounting(u, before, 16, false)) flags.push('counting');
      }
    }
    const ascii = asciiOf(u);
    return {
      address: start + i,
      reference: modiconReference(area, start + i),
      uint16: u,
      int16: int16(u),
      hex: u.toString(16).toUpperCase().padStart(4, '0'),
      ...(ascii ? { ascii } : {}),
      flags,
    };
  });
  const at = (v: ViewValue, address: number): ViewValue => ({ ...v, address });
  const pairs = [];
  for (let i = 0; i + 2 <= regs.length; i++) {
    const values: ViewValue[] = [];
    for (const order of VIEW_ORDERS) {
      values.push(at(intValue(regs, i, 'int32', order, prev), start + i));
      values.push(at(intValue(regs, i, 'uint32', order, prev), start + i));
      values.push(at(floatValue(regs, i, 'float32', order, prev), start + i));
    }
    pairs.push({ address: start + i, values });
  }
  const quads = [];
  for (let i = 0; i + 4 <= regs.length; i++) {
    quads.push({ address: start + i, values: VIEW_ORDERS.map((order) => at(floatValue(regs, i, 'float64', order, prev), start + i)) });
  }
  const likely: ViewValue[] = [];
  for (let i = 0; i < regs.length; i++) {
    const r = registers[i]!;
    if (r.flags.includes('counting')) likely.push({ address: r.address, type: 'uint16', value: r.uint16, flags: r.flags, likely: true });
    likely.push(...(pairs[i]?.values.filter((v) => v.likely) ?? []), ...(quads[i]?.values.filter((v) => v.likely) ?? []));
  }
  return { area, start, count: regs.length, readTwice: prev !== undefined, registers, pairs, quads, likely };
}

/** "float32 CDAB", "uint16". */
export function describeReading(v: Pick<ViewValue, 'type' | 'order'>): string {
  return v.order ? `${v.type} ${v.order}` : v.type;
}

/** Registers each reading type takes. */
export function readingWidth(type: ViewType): number {
  return type === 'float64' ? 4 : type === 'uint16' || type === 'int16' ? 1 : 2;
}

/**
 * A best guess at what the range holds, without overlaps: from the lowest address up, the first
 * likely reading there (float64, then float32, then 32-bit integers; orders ABCD, CDAB, BADC, DCBA)
 * takes its registers, and a register no likely reading covers stays uint16 (int16 when negative
 * as int16 and small). Meant as the start of a register map the engineer then corrects.
 */
export function guessReadings(view: RegisterView): ViewValue[] {
  // Among integers, uint32 unless the value is negative as int32 (then the same bits as int32).
  const rank = (v: ViewValue): number => ({ float64: 0, float32: 1, uint32: 2, int32: typeof v.value === 'number' && v.value < 0 ? 1.5 : 3, uint16: 4, int16: 5 })[v.type];
  const byAddress = new Map<number, ViewValue[]>();
  for (const v of view.likely) {
    if (v.type === 'uint16') continue;
    const list = byAddress.get(v.address) ?? [];
    list.push(v);
    byAddress.set(v.address, list);
  }
  const out: ViewValue[] = [];
  const end = view.start + view.count;
  for (let a = view.start; a < end; ) {
    const candidates = (byAddress.get(a) ?? []).filter((v) => a + readingWidth(v.type) <= end).sort((x, y) => rank(x) - rank(y));
    const pick = candidates[0];
    if (pick) {
      out.push(pick);
      a += readingWidth(pick.type);
      continue;
    }
    const r = view.registers[a - view.start]!;
    const signed = r.int16 < 0 && r.int16 > -10_000;
    out.push({ address: a, type: signed ? 'int16' : 'uint16', value: signed ? r.int16 : r.uint16, flags: r.flags, likely: false });
    a++;
  }
  return out;
}
