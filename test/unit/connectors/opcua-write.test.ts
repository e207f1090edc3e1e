// Sink coercion: sample values → the Variant a variable of a given DataType accepts.
import { DataType, VariantArrayType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { CoercionError, coerceValue, type TargetType } from '../../../src/connectors/opcua/write.ts';

const to = (type: TargetType, value: unknown, array = false) => coerceValue(value as never, { type, array });
const fails = (type: TargetType, value: unknown, message: string): void => {
  expect(() => to(type, value)).toThrow(CoercionError);
  expect(() => to(type, value)).toThrow(message);
};

describe('coerceValue', () => {
  it('rounds numbers into integer types and checks their range', () => {
    expect(to(DataType.Int16, 12.6)).toEqual({ dataType: DataType.Int16, arrayType: VariantArrayType.Scalar, value: 13 });
    expect(to(DataType.Int16, '-7')).toMatchObject({ value: -7 });
    expect(to(DataType.Byte, true)).toMatchObject({ dataType: DataType.Byte, value: 1 });
    expect(to(DataType.UInt32, 4294967295)).toMatchObject({ value: 4294967295 });
    fails(DataType.Int16, 32768, '32768 is out of range for Int16 (-32768..32767)');
    fails(DataType.SByte, -129, 'out of range for SByte (-128..127)');
    fails(DataType.UInt16, -1, 'out of range for UInt16 (0..65535)');
    fails(DataType.Int32, 'abc', '"abc" is not a number (Int32)');
    fails(DataType.Int32, Number.NaN, 'NaN cannot be written to Int32');
  });

  it('writes 64-bit integers as [high, low] words, from numbers or decimal strings', () => {
    expect(to(DataType.Int64, -1)).toMatchObject({ dataType: DataType.Int64, value: [0xffffffff, 0xffffffff] });
    expect(to(DataType.UInt64, '18446744073709551615')).toMatchObject({ value: [0xffffffff, 0xffffffff] });
    expect(to(DataType.UInt64, 2 ** 32 + 5)).toMatchObject({ value: [1, 5] });
    fails(DataType.UInt64, -1, 'out of range for UInt64');
    fails(DataType.Int64, 2 ** 60, 'write Int64 values above 2^53 as decimal strings');
  });

  it('checks the Float range and passes Doubles through', () => {
    expect(to(DataType.Float, '1.5')).toMatchObject({ dataType: DataType.Float, value: 1.5 });
    fails(DataType.Float, 1e39, 'out of range for Float');
    expect(to(DataType.Double, 1e39)).toMatchObject({ dataType: DataType.Double, value: 1e39 });
  });

  it('accepts true/false, 1/0 and their strings for Boolean', () => {
    expect(to(DataType.Boolean, 1)).toMatchObject({ dataType: DataType.Boolean, value: true });
    expect(to(DataType.Boolean, 'false')).toMatchObject({ value: false });
    expect(to(DataType.Boolean, ' TRUE ')).toMatchObject({ value: true });
    fails(DataType.Boolean, 2, '2 is not a boolean');
  });

  it('takes epoch ms or ISO 8601 for DateTime, text for String, base64 for ByteString', () => {
    expect(to(DataType.DateTime, 0).value).toEqual(new Date(0));
    expect(to(DataType.DateTime, '2024-01-02T03:04:05Z').value).toEqual(new Date('2024-01-02T03:04:05Z'));
    fails(DataType.DateTime, 'soon', '"soon" is not a date');
    expect(to(DataType.String, 42)).toMatchObject({ dataType: DataType.String, value: '42' });
    expect(to(DataType.String, { a: 1 })).toMatchObject({ value: '{"a":1}' });
    expect((to(DataType.ByteString, 'AQI=').value as Buffer).equals(Buffer.from([1, 2]))).toBe(true);
  });

  it('uses the value’s own type for BaseDataType and a fitting one for abstract numeric types', () => {
    expect(to(DataType.Variant, true)).toMatchObject({ dataType: DataType.Boolean });
    expect(to(DataType.Variant, 1.5)).toMatchObject({ dataType: DataType.Double });
    expect(to('Number', '3')).toMatchObject({ dataType: DataType.Double, value: 3 });
    expect(to('Integer', -3.2)).toMatchObject({ dataType: DataType.Int32, value: -3 });
    expect(to('UInteger', 2 ** 33)).toMatchObject({ dataType: DataType.UInt64 });
  });

  it('writes arrays to array variables only', () => {
    expect(to(DataType.Int16, [1, 2.4], true)).toEqual({ dataType: DataType.Int16, arrayType: VariantArrayType.Array, value: [1, 2] });
    expect(() => to(DataType.Int16, 1, true)).toThrow('holds an array of Int16; 1 is not an array');
    expect(() => to(DataType.Int16, [1])).toThrow('holds one Int16, not an array');
  });

  it('refuses null and types a sample cannot carry', () => {
    fails(DataType.Double, null, 'null cannot be written');
    fails(DataType.NodeId, 'i=85', 'variables of type NodeId cannot be written from a sample');
  });
});
