// Modbus register codec: typed values <-> 16-bit registers, in every byte and word order.
// Pure (no Node APIs) so the UI, the connector, the simulator and discovery share one definition.
//
// Registers are the numbers a Modbus read returns: each is 16 bits, high byte first on the wire.
// A value of N bytes (A = most significant) is spread over N/2 registers; the order names the
// bytes as they appear on the wire:
//
//   order   16-bit  32-bit  64-bit      meaning
//   ABCD    AB      ABCD    ABCDEFGH    big-endian bytes and words (Modbus default)
//   CDAB    AB      CDAB    GHEFCDAB    words reversed, bytes within each word big-endian ("word swap")
//   BADC    BA      BADC    BADCFEHG    words in order, bytes within each word swapped ("byte swap")
//   DCBA    BA      DCBA    HGFEDCBA    little-endian
//
// So an order is two independent switches applied to the big-endian value: reverse the register
// order (CDAB, DCBA) and swap the two bytes inside each register (BADC, DCBA). For 64-bit values
// "word swap" reverses all four registers, the convention of most PLC and gateway vendors.
//
// Other types:
// - bool: one register, true when it is not 0 (encoded 1 / 0). Coils and discrete inputs are bool.
// - bit: bit N (0 = least significant) of one register, as read (the order does not apply).
// - string: `length` registers, two 8-bit characters each, high byte first (BADC/DCBA: low byte
//   first); the text ends at the first NUL, and trailing spaces are trimmed. Encoding pads with NUL.
// - int64/uint64 decode to a number when it is a safe integer (|v| <= 2^53-1), otherwise to its
//   decimal string, because sample values are JSON. Encoding takes a number, a bigint or a decimal string.
// - float32 decodes to the shortest decimal that is the same float32 (123.456, not 123.45600128173828),
//   so a value read and written back gives the same registers. NaN and ±Infinity decode as such; the
//   connector turns them into bad quality, and encoding refuses them.
import type { MODBUS_AREAS, MODBUS_ORDERS, MODBUS_TYPES } from '../model/device.ts';
import { int64Value, shortestFloat32 } from '../numbers.ts';

export type ModbusType = (typeof MODBUS_TYPES)[number];
export type ModbusOrder = (typeof MODBUS_ORDERS)[number];
export type ModbusArea = (typeof MODBUS_AREAS)[number];

/** How a value sits in registers: what a device tag or a simulator point declares. */
export interface RegisterFormat {
  readonly type: ModbusType;
  /** Byte and word order; ABCD when absent. */
  readonly order?: ModbusOrder;
  /** Bit number 0-15, for type bit. */
  readonly bit?: number;
  /** Registers, for type string. */
  readonly length?: number;
}

export type DecodedValue = number | string | boolean;

/** A value cannot be encoded for its format (wrong kind, out of range, not finite, too long). */
export class ModbusCodecError extends Error {
  override readonly name = 'ModbusCodecError';
}

// ---------- sizes ----------

/** Registers a value of this format takes (1 for bool and bit, `length` for string). */
export function registerCount(format: RegisterFormat): number {
  switch (format.type) {
    case 'int16':
    case 'uint16':
    case 'bool':
    case 'bit':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      if (format.length === undefined || !Number.isInteger(format.length) || format.length < 1) {
        throw new ModbusCodecError('a string needs a length of at least 1 register');
      }
      return format.length;
  }
}

/** True for the coil and discrete-input areas, which hold single bits rather than registers. */
export function isBitArea(area: ModbusArea): boolean {
  return area === 'coil' || area === 'discrete-input';
}

/** Largest read per request (Modbus application protocol spec): 125 registers, 2000 bits. */
export function maxReadCount(area: ModbusArea): number {
  return isBitArea(area) ? 2000 : 125;
}

/** Largest write per request: 123 registers (FC16), 1968 coils (FC15). */
export function maxWriteCount(area: ModbusArea): number {
  return isBitArea(area) ? 1968 : 123;
}

// ---------- byte order ----------

const scratch = new DataView(new ArrayBuffer(8));

function swaps(order: ModbusOrder | undefined): { words: boolean; bytes: boolean } {
  switch (order) {
    case 'CDAB':
      return { words: true, bytes: false };
    case 'BADC':
      return { words: false, bytes: true };
    case 'DCBA':
      return { words: true, bytes: true };
    default:
      return { words: false, bytes: false };
  }
}

const swap16 = (r: number): number => ((r & 0xff) << 8) | (r >>> 8);

function checkRegisters(registers: ArrayLike<number>, offset: number, count: number): void {
  if (offset < 0 || offset + count > registers.length) {
    throw new ModbusCodecError(`need ${count} register(s) at index ${offset}, got ${registers.length}`);
  }
}

/** Loads `words` registers into the scratch view as the big-endian value. */
function load(registers: ArrayLike<number>, offset: number, words: number, order: ModbusOrder | undefined): void {
  checkRegisters(registers, offset, words);
  const s = swaps(order);
  for (let i = 0; i < words; i++) {
    const reg = registers[offset + (s.words ? words - 1 - i : i)]! & 0xffff;
    scratch.setUint16(i * 2, s.bytes ? swap16(reg) : reg);
  }
}

/** Reads the big-endian value in the scratch view out as registers in `order`. */
function store(words: number, order: ModbusOrder | undefined): number[] {
  const s = swaps(order);
  const out = new Array<number>(words);
  for (let i = 0; i < words; i++) {
    const word = scratch.getUint16(i * 2);
    out[s.words ? words - 1 - i : i] = s.bytes ? swap16(word) : word;
  }
  return out;
}

// ---------- decode ----------

/**
 * Decodes one value from `registers` starting at `offset` (the index in the array, not a Modbus
 * address). Throws ModbusCodecError when the array is too short.
 */
export function decodeRegisters(registers: ArrayLike<number>, format: RegisterFormat, offset = 0): DecodedValue {
  const order = format.order;
  switch (format.type) {
    case 'int16':
      load(registers, offset, 1, order);
      return scratch.getInt16(0);
    case 'uint16':
      load(registers, offset, 1, order);
      return scratch.getUint16(0);
    case 'int32':
      load(registers, offset, 2, order);
      return scratch.getInt32(0);
    case 'uint32':
      load(registers, offset, 2, order);
      return scratch.getUint32(0);
    case 'float32':
      load(registers, offset, 2, order);
      return shortestFloat32(scratch.getFloat32(0));
    case 'int64':
      load(registers, offset, 4, order);
      return int64Value(scratch.getBigInt64(0));
    case 'uint64':
      load(registers, offset, 4, order);
      return int64Value(scratch.getBigUint64(0));
    case 'float64':
      load(registers, offset, 4, order);
      return scratch.getFloat64(0);
    case 'bool':
      checkRegisters(registers, offset, 1);
      return (registers[offset]! & 0xffff) !== 0;
    case 'bit': {
      checkRegisters(registers, offset, 1);
      const bit = checkBit(format.bit);
      return ((registers[offset]! >>> bit) & 1) === 1;
    }
    case 'string': {
      const length = registerCount(format);
      checkRegisters(registers, offset, length);
      const lowFirst = swaps(order).bytes;
      let text = '';
      for (let i = 0; i < length; i++) {
        const reg = registers[offset + i]! & 0xffff;
        const first = lowFirst ? reg & 0xff : reg >>> 8;
        const second = lowFirst ? reg >>> 8 : reg & 0xff;
        if (first === 0) break;
        text += String.fromCharCode(first);
        if (second === 0) break;
        text += String.fromCharCode(second);
      }
      return text.replace(/ +$/, '');
    }
  }
}

function checkBit(bit: number | undefined): number {
  if (bit === undefined || !Number.isInteger(bit) || bit < 0 || bit > 15) {
    throw new ModbusCodecError(`a bit tag needs a bit number 0-15, got ${String(bit)}`);
  }
  return bit;
}

// ---------- encode ----------

const INT_RANGES = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
} as const;

const BIG_RANGES = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const;

const FLOAT32_MAX = 3.4028234663852886e38;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** Numbers, booleans (1/0) and numeric strings become a number; anything else is refused. */
function toNumber(value: unknown, type: ModbusType): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'boolean') n = value ? 1 : 0;
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value);
  else throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: not a number`);
  if (Number.isNaN(n)) throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: not a number`);
  if (!Number.isFinite(n)) throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: not a finite number`);
  return n;
}

function toBigInt(value: unknown, type: 'int64' | 'uint64'): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return BigInt(value.trim());
  const n = toNumber(value, type);
  if (!Number.isInteger(n)) throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: not an integer`);
  return BigInt(n);
}

function toBoolean(value: unknown, type: ModbusType): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: expected true/false or 1/0`);
}

/**
 * Encodes a value into registers in the format's order. Throws ModbusCodecError with the reason
 * (not a number, not an integer, out of range with the range, not finite, string too long).
 * For type bit this gives the register with only that bit set or clear: to change one bit of a live
 * register, read it and use applyBit.
 */
export function encodeRegisters(value: unknown, format: RegisterFormat): number[] {
  const { type, order } = format;
  switch (type) {
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const n = toNumber(value, type);
      if (!Number.isInteger(n)) throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: not an integer`);
      const [low, high] = INT_RANGES[type];
      if (n < low || n > high) throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: out of range ${low}..${high}`);
      const words = type === 'int16' || type === 'uint16' ? 1 : 2;
      if (words === 1) scratch.setUint16(0, n & 0xffff);
      else scratch.setUint32(0, n >>> 0);
      return store(words, order);
    }
    case 'int64':
    case 'uint64': {
      const n = toBigInt(value, type);
      const [low, high] = BIG_RANGES[type];
      if (n < low || n > high) throw new ModbusCodecError(`cannot write ${show(value)} as ${type}: out of range ${low}..${high}`);
      scratch.setBigUint64(0, BigInt.asUintN(64, n));
      return store(4, order);
    }
    case 'float32': {
      const n = toNumber(value, type);
      // Values that round to the largest float32 are fine; beyond that, float32 would be Infinity.
      if (!Number.isFinite(Math.fround(n))) throw new ModbusCodecError(`cannot write ${show(value)} as float32: out of range ±${FLOAT32_MAX}`);
      scratch.setFloat32(0, n);
      return store(2, order);
    }
    case 'float64':
      scratch.setFloat64(0, toNumber(value, type));
      return store(4, order);
    case 'bool':
      return [toBoolean(value, type) ? 1 : 0];
    case 'bit':
      return [toBoolean(value, type) ? 1 << checkBit(format.bit) : 0];
    case 'string': {
      const length = registerCount(format);
      const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
      if (text === undefined) throw new ModbusCodecError(`cannot write ${show(value)} as string: not text`);
      if (text.length > length * 2) {
        throw new ModbusCodecError(`cannot write ${show(value)}: ${text.length} characters do not fit ${length} register(s) (${length * 2} characters)`);
      }
      const lowFirst = swaps(order).bytes;
      const out = new Array<number>(length).fill(0);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0xff) throw new ModbusCodecError(`cannot write ${show(value)}: character ${JSON.stringify(text[i])} is not an 8-bit character`);
        const high = (i % 2 === 0) !== lowFirst;
        out[i >> 1]! |= high ? c << 8 : c;
      }
      return out;
    }
  }
}

/** A register with bit `bit` set to `value`, the other bits kept (read-modify-write of a bit tag). */
export function applyBit(register: number, bit: number, value: boolean): number {
  const mask = 1 << checkBit(bit);
  return value ? (register | mask) & 0xffff : register & ~mask & 0xffff;
}

// ---------- scaling ----------

export interface Scale {
  readonly factor: number;
  readonly offset: number;
}

/** raw * factor + offset for numbers (64-bit strings become numbers); other values unchanged. */
export function applyScale(value: DecodedValue, scale: Scale | undefined): DecodedValue {
  if (!scale || typeof value === 'boolean') return value;
  const n = typeof value === 'number' ? value : Number(value);
  if (Number.isNaN(n)) return value;
  return n * scale.factor + scale.offset;
}

/**
 * The raw value for an engineering value: (value - offset) / factor. For integer types it is rounded
 * to the nearest integer, so 12.3 with factor 0.1 writes 123 rather than failing on 122.99999999999999.
 */
export function removeScale(value: unknown, scale: Scale | undefined, type: ModbusType): unknown {
  if (!scale || type === 'bool' || type === 'bit' || type === 'string') return value;
  if (scale.factor === 0) throw new ModbusCodecError('cannot write through a scale with factor 0');
  const raw = (toNumber(value, type) - scale.offset) / scale.factor;
  return type === 'float32' || type === 'float64' ? raw : Math.round(raw);
}

// ---------- addresses ----------

const REFERENCE_PREFIX: Record<ModbusArea, string> = { coil: '0', 'discrete-input': '1', input: '3', holding: '4' };
const AREA_NAMES: Record<ModbusArea, string> = { coil: 'coil', 'discrete-input': 'discrete input', input: 'input register', holding: 'holding register' };

export interface ModbusAddress {
  /** The 0-based offset sent on the wire (the PDU address). */
  readonly offset: number;
  /** The 6-digit Modicon reference: 000001 coil, 100001 discrete input, 300001 input, 400001 holding. */
  readonly reference: string;
}

/** The Modicon reference of a wire offset: holding 0 -> 400001, coil 0 -> 000001. */
export function modiconReference(area: ModbusArea, offset: number): string {
  return REFERENCE_PREFIX[area] + String(offset + 1).padStart(5, '0');
}

/**
 * The wire offset and Modicon reference of an address given in a device's address base
 * (base 1: address N is offset N-1). Throws when the address falls outside 0..65535 on the wire.
 */
export function modbusAddress(area: ModbusArea, address: number, addressBase: 0 | 1): ModbusAddress {
  const offset = address - addressBase;
  if (!Number.isInteger(offset) || offset < 0 || offset > 65535) {
    throw new ModbusCodecError(`${AREA_NAMES[area]} address ${address} (base ${addressBase}) is outside the wire range 0..65535`);
  }
  return { offset, reference: modiconReference(area, offset) };
}

/** "holding registers 100-109 (400101-400110)", "coil 3 (000004)": for messages that name addresses. */
export function describeRange(area: ModbusArea, offset: number, count = 1): string {
  const name = AREA_NAMES[area];
  if (count <= 1) return `${name} ${offset} (${modiconReference(area, offset)})`;
  const last = offset + count - 1;
  return `${name}s ${offset}-${last} (${modiconReference(area, offset)}-${modiconReference(area, last)})`;
}

// ---------- status ----------

/** Names of the Modbus exception codes (Modbus application protocol v1.1b3, §7). */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'Illegal function',
  2: 'Illegal data address',
  3: 'Illegal data value',
  4: 'Server device failure',
  5: 'Acknowledge',
  6: 'Server device busy',
  8: 'Memory parity error',
  10: 'Gateway path unavailable',
  11: 'Gateway target device failed to respond',
};

/**
 * Status codes of samples from Modbus: 1-255 are the exception code the device answered; the rest
 * are failures without an answer.
 */
export const MODBUS_STATUS = {
  timeout: 0x100,
  connection: 0x101,
  protocol: 0x102,
  badValue: 0x103,
} as const;

/** "Illegal data address (exception 2)" */
export function exceptionText(code: number): string {
  return `${MODBUS_EXCEPTIONS[code] ?? 'Unknown exception'} (exception ${code})`;
}
