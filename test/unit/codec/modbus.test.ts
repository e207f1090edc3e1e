import { describe, expect, it } from 'vitest';
import {
  applyBit,
  applyScale,
  decodeRegisters,
  describeRange,
  encodeRegisters,
  exceptionText,
  ModbusCodecError,
  modbusAddress,
  modiconReference,
  registerCount,
  removeScale,
  type ModbusOrder,
  type RegisterFormat,
} from '../../../src/shared/codec/modbus.ts';

const ORDERS: ModbusOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

/** Registers of a value given as its big-endian bytes, in each order (the wire layout the order names). */
function wire(hex: string, order: ModbusOrder): number[] {
  const bytes = hex.match(/../g)!.map((b) => parseInt(b, 16));
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const ordered = swapWords ? words.reverse() : words;
  return ordered.map((w) => (swapBytes ? ((w & 0xff) << 8) | (w >> 8) : w));
}

// Known vectors written out by hand: [type, value, registers per order ABCD, CDAB, BADC, DCBA].
const VECTORS: [RegisterFormat['type'], number | string, Record<ModbusOrder, number[]>][] = [
  ['float32', 123.456, { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] }],
  ['float32', -0.1, { ABCD: [0xbdcc, 0xcccd], CDAB: [0xcccd, 0xbdcc], BADC: [0xccbd, 0xcdcc], DCBA: [0xcdcc, 0xccbd] }],
  ['int32', -2, { ABCD: [0xffff, 0xfffe], CDAB: [0xfffe, 0xffff], BADC: [0xffff, 0xfeff], DCBA: [0xfeff, 0xffff] }],
  ['uint32', 0x12345678, { ABCD: [0x1234, 0x5678], CDAB: [0x5678, 0x1234], BADC: [0x3412, 0x7856], DCBA: [0x7856, 0x3412] }],
  ['int16', -2, { ABCD: [0xfffe], CDAB: [0xfffe], BADC: [0xfeff], DCBA: [0xfeff] }],
  ['uint16', 0x1234, { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] }],
  [
    'int64',
    '72623859790382856', // 0x0102030405060708 > 2^53: a decimal string
    {
      ABCD: [0x0102, 0x0304, 0x0506, 0x0708],
      CDAB: [0x0708, 0x0506, 0x0304, 0x0102],
      BADC: [0x0201, 0x0403, 0x0605, 0x0807],
      DCBA: [0x0807, 0x0605, 0x0403, 0x0201],
    },
  ],
  [
    'int64',
    -2,
    {
      ABCD: [0xffff, 0xffff, 0xffff, 0xfffe],
      CDAB: [0xfffe, 0xffff, 0xffff, 0xffff],
      BADC: [0xffff, 0xffff, 0xffff, 0xfeff],
      DCBA: [0xfeff, 0xffff, 0xffff, 0xffff],
    },
  ],
  [
    'uint64',
    '18446744073709551615',
    { ABCD: [0xffff, 0xffff, 0xffff, 0xffff], CDAB: [0xffff, 0xffff, 0xffff, 0xffff], BADC: [0xffff, 0xffff, 0xffff, 0xffff], DCBA: [0xffff, 0xffff, 0xffff, 0xffff] },
  ],
  [
    'uint64',
    4294967296, // 2^32: a safe integer, so a number
    { ABCD: [0, 1, 0, 0], CDAB: [0, 0, 1, 0], BADC: [0, 0x100, 0, 0], DCBA: [0, 0, 0x100, 0] },
  ],
  [
    'float64',
    123.456, // 0x405EDD2F1A9FBE77
    {
      ABCD: [0x405e, 0xdd2f, 0x1a9f, 0xbe77],
      CDAB: [0xbe77, 0x1a9f, 0xdd2f, 0x405e],
      BADC: [0x5e40, 0x2fdd, 0x9f1a, 0x77be],
      DCBA: [0x77be, 0x9f1a, 0x2fdd, 0x5e40],
    },
  ],
];

describe('modbus register codec', () => {
  describe.each(VECTORS)('%s %s', (type, value, byOrder) => {
    it.each(ORDERS)('%s decodes and encodes the known registers', (order) => {
      const format = { type, order };
      expect(decodeRegisters(byOrder[order], format)).toEqual(value);
      expect(encodeRegisters(value, format)).toEqual(byOrder[order]);
    });
  });

  it('matches the generic byte-order definition for 32- and 64-bit values', () => {
    for (const order of ORDERS) {
      expect(encodeRegisters(-1.5e300, { type: 'float64', order })).toEqual(wire('fe41eb2d66005835', order));
      expect(encodeRegisters(0x0a0b0c0d, { type: 'uint32', order })).toEqual(wire('0a0b0c0d', order));
      expect(encodeRegisters('-81985529216486896', { type: 'int64', order })).toEqual(wire('fedcba9876543210', order));
    }
  });

  it('round-trips every numeric type × order over edge values', () => {
    const cases: [RegisterFormat['type'], (number | string)[]][] = [
      ['int16', [-32768, -1, 0, 1, 32767]],
      ['uint16', [0, 1, 255, 256, 65535]],
      ['int32', [-2147483648, -1, 0, 65536, 2147483647]],
      ['uint32', [0, 1, 65535, 65536, 4294967295]],
      ['int64', ['-9223372036854775808', -9007199254740991, -1, 0, 9007199254740991, '9007199254740992', '9223372036854775807']],
      ['uint64', [0, 1, 9007199254740991, '9007199254740992', '18446744073709551615']],
      ['float32', [0, -0.5, 1, 123.456, 3.4028234663852886e38, 1.1754943508222875e-38, -9.99]],
      ['float64', [0, -0.5, Math.PI, 1e308, -5e-324, 123.456]],
    ];
    for (const [type, values] of cases) {
      for (const order of ORDERS) {
        for (const value of values) {
          const regs = encodeRegisters(value, { type, order });
          expect(regs).toHaveLength(registerCount({ type }));
          for (const r of regs) expect(r >= 0 && r <= 0xffff && Number.isInteger(r)).toBe(true);
          const decoded = decodeRegisters(regs, { type, order });
          if (type === 'float32') expect(Math.fround(decoded as number)).toBe(Math.fround(value as number));
          else expect(decoded).toEqual(value);
          // What is read writes back to the same registers.
          expect(encodeRegisters(decoded, { type, order })).toEqual(regs);
        }
      }
    }
  });

  it('gives float32 as the shortest decimal that is the same float32', () => {
    expect(decodeRegisters([0x42f6, 0xe979], { type: 'float32' })).toBe(123.456);
    expect(decodeRegisters(encodeRegisters(0.1, { type: 'float32' }), { type: 'float32' })).toBe(0.1);
    expect(decodeRegisters(encodeRegisters(16777217, { type: 'float32' }), { type: 'float32' })).toBe(16777216);
    expect(Number.isNaN(decodeRegisters([0x7fc0, 0], { type: 'float32' }))).toBe(true);
    expect(decodeRegisters([0x7f80, 0], { type: 'float32' })).toBe(Infinity);
  });

  it('decodes bool (register != 0) and bit N of a register', () => {
    expect(decodeRegisters([0], { type: 'bool' })).toBe(false);
    expect(decodeRegisters([0x8000], { type: 'bool' })).toBe(true);
    expect(encodeRegisters(true, { type: 'bool' })).toEqual([1]);
    expect(encodeRegisters('false', { type: 'bool' })).toEqual([0]);
    for (let bit = 0; bit < 16; bit++) {
      expect(decodeRegisters([1 << bit], { type: 'bit', bit })).toBe(true);
      expect(decodeRegisters([~(1 << bit) & 0xffff], { type: 'bit', bit })).toBe(false);
    }
    expect(encodeRegisters(true, { type: 'bit', bit: 4 })).toEqual([0x10]);
    expect(applyBit(0xff00, 0, true)).toBe(0xff01);
    expect(applyBit(0xff00, 15, false)).toBe(0x7f00);
  });

  it('decodes strings high byte first, ending at NUL and trimming trailing spaces', () => {
    expect(decodeRegisters([0x4845, 0x4c4c, 0x4f00], { type: 'string', length: 3 })).toBe('HELLO');
    expect(decodeRegisters([0x4142, 0x2020, 0x2020], { type: 'string', length: 3 })).toBe('AB');
    expect(decodeRegisters([0x4142, 0x0043, 0x4400], { type: 'string', length: 3 })).toBe('AB');
    expect(decodeRegisters([0x4548, 0x4c4c, 0x004f], { type: 'string', length: 3, order: 'BADC' })).toBe('HELLO');
    expect(encodeRegisters('HELLO', { type: 'string', length: 3 })).toEqual([0x4845, 0x4c4c, 0x4f00]);
    expect(encodeRegisters('HELLO', { type: 'string', length: 4, order: 'DCBA' })).toEqual([0x4548, 0x4c4c, 0x004f, 0]);
    expect(encodeRegisters('', { type: 'string', length: 2 })).toEqual([0, 0]);
    expect(decodeRegisters(encodeRegisters('Grüße 1', { type: 'string', length: 4 }), { type: 'string', length: 4 })).toBe('Grüße 1');
  });

  it('decodes at an index inside a longer response', () => {
    const regs = [0xdead, 0x42f6, 0xe979, 0xbeef];
    expect(decodeRegisters(regs, { type: 'float32' }, 1)).toBe(123.456);
    expect(decodeRegisters(regs, { type: 'uint16' }, 3)).toBe(0xbeef);
    expect(() => decodeRegisters(regs, { type: 'float64' }, 1)).toThrow(/need 4 register\(s\) at index 1, got 4/);
  });

  it('counts registers per type', () => {
    expect(['int16', 'uint16', 'bool', 'bit'].map((type) => registerCount({ type } as RegisterFormat))).toEqual([1, 1, 1, 1]);
    expect(['int32', 'uint32', 'float32'].map((type) => registerCount({ type } as RegisterFormat))).toEqual([2, 2, 2]);
    expect(['int64', 'uint64', 'float64'].map((type) => registerCount({ type } as RegisterFormat))).toEqual([4, 4, 4]);
    expect(registerCount({ type: 'string', length: 10 })).toBe(10);
    expect(() => registerCount({ type: 'string' })).toThrow(ModbusCodecError);
  });

  it('reports encode errors clearly', () => {
    const err = (value: unknown, format: RegisterFormat): string => {
      try {
        encodeRegisters(value, format);
      } catch (e) {
        expect(e).toBeInstanceOf(ModbusCodecError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(70000, { type: 'int16' })).toBe('cannot write 70000 as int16: out of range -32768..32767');
    expect(err(-1, { type: 'uint32' })).toBe('cannot write -1 as uint32: out of range 0..4294967295');
    expect(err(1.5, { type: 'int32' })).toBe('cannot write 1.5 as int32: not an integer');
    expect(err(NaN, { type: 'float32' })).toBe('cannot write NaN as float32: not a number');
    expect(err(Infinity, { type: 'float64' })).toBe('cannot write Infinity as float64: not a finite number');
    expect(err(1e39, { type: 'float32' })).toMatch(/cannot write 1e\+39 as float32: out of range/);
    expect(err('abc', { type: 'uint16' })).toBe('cannot write "abc" as uint16: not a number');
    expect(err({ a: 1 }, { type: 'uint16' })).toBe('cannot write an object as uint16: not a number');
    expect(err('18446744073709551616', { type: 'uint64' })).toBe('cannot write "18446744073709551616" as uint64: out of range 0..18446744073709551615');
    expect(err(-1, { type: 'uint64' })).toMatch(/out of range 0\.\./);
    expect(err(2, { type: 'bool' })).toBe('cannot write 2 as bool: expected true/false or 1/0');
    expect(err('HELLO!', { type: 'string', length: 2 })).toBe('cannot write "HELLO!": 6 characters do not fit 2 register(s) (4 characters)');
    expect(err('€', { type: 'string', length: 2 })).toMatch(/not an 8-bit character/);
    expect(err(true, { type: 'bit' })).toMatch(/needs a bit number 0-15/);
  });

  it('accepts numeric strings and booleans for numbers', () => {
    expect(encodeRegisters(' 42 ', { type: 'uint16' })).toEqual([42]);
    expect(encodeRegisters(true, { type: 'int16' })).toEqual([1]);
    expect(encodeRegisters(2 ** 60, { type: 'uint64' })).toEqual([0x1000, 0, 0, 0]);
  });

  it('scales on read and unscales (rounded for integer types) on write', () => {
    expect(applyScale(123, { factor: 0.1, offset: -5 })).toBeCloseTo(7.3);
    expect(applyScale('9007199254740993', { factor: 1, offset: 0 })).toBe(9007199254740992);
    expect(applyScale(true, { factor: 10, offset: 1 })).toBe(true);
    expect(removeScale(12.3, { factor: 0.1, offset: 0 }, 'int16')).toBe(123);
    expect(removeScale(7.5, { factor: 0.5, offset: 1 }, 'float32')).toBe(13);
    expect(() => removeScale(1, { factor: 0, offset: 0 }, 'int16')).toThrow(/factor 0/);
  });

  it('gives the wire offset and the Modicon reference', () => {
    expect(modbusAddress('holding', 0, 0)).toEqual({ offset: 0, reference: '400001' });
    expect(modbusAddress('holding', 1, 1)).toEqual({ offset: 0, reference: '400001' });
    expect(modbusAddress('coil', 0, 0).reference).toBe('000001');
    expect(modbusAddress('discrete-input', 0, 0).reference).toBe('100001');
    expect(modbusAddress('input', 99, 0).reference).toBe('300100');
    expect(modbusAddress('holding', 65536, 1)).toEqual({ offset: 65535, reference: '465536' });
    expect(() => modbusAddress('holding', 0, 1)).toThrow('holding register address 0 (base 1) is outside the wire range 0..65535');
    expect(() => modbusAddress('coil', 65536, 0)).toThrow(/outside the wire range/);
    expect(modiconReference('input', 9)).toBe('300010');
    expect(describeRange('holding', 100, 10)).toBe('holding registers 100-109 (400101-400110)');
    expect(describeRange('coil', 3)).toBe('coil 3 (000004)');
  });

  it('names exception codes', () => {
    expect(exceptionText(2)).toBe('Illegal data address (exception 2)');
    expect(exceptionText(11)).toBe('Gateway target device failed to respond (exception 11)');
    expect(exceptionText(99)).toBe('Unknown exception (exception 99)');
  });
});
