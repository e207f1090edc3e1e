// DataValue → Sample: JSON values, quality from the status code, timestamps, meta.
import { DataType, DataValue, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { qualityOf, TagSampler, variantToValue } from '../../../src/connectors/opcua/values.ts';

const v = (dataType: DataType, value: unknown, arrayType = VariantArrayType.Scalar, dimensions?: number[]) =>
  variantToValue(new Variant({ dataType, value, arrayType, ...(dimensions ? { dimensions } : {}) }));

describe('variantToValue', () => {
  it('keeps numbers, booleans and strings; shortens Float to the decimal that was meant', () => {
    expect(v(DataType.Double, 1234.5678)).toBe(1234.5678);
    expect(v(DataType.Int16, -3)).toBe(-3);
    expect(v(DataType.Boolean, true)).toBe(true);
    expect(v(DataType.String, 'Läuft')).toBe('Läuft');
    expect(v(DataType.Float, Math.fround(23.4))).toBe(23.4);
    expect(v(DataType.Float, Math.fround(0.1))).toBe(0.1);
    expect(v(DataType.Double, Number.NaN)).toBeNull();
  });

  it('turns 64-bit integers into numbers when exact, else decimal strings', () => {
    expect(v(DataType.Int64, [0xffffffff, 0xfffffffe])).toBe(-2);
    expect(v(DataType.UInt64, [0, 42])).toBe(42);
    expect(v(DataType.UInt64, [0xffffffff, 0xffffffff])).toBe('18446744073709551615');
    expect(v(DataType.Int64, [0x80000000, 0])).toBe('-9223372036854775808');
  });

  it('writes dates as ISO strings (the OPC UA null date as null), bytes as base64', () => {
    expect(v(DataType.DateTime, new Date('2024-05-06T07:08:09.123Z'))).toBe('2024-05-06T07:08:09.123Z');
    expect(v(DataType.DateTime, new Date(Date.UTC(1601, 0, 1)))).toBeNull();
    expect(v(DataType.ByteString, Buffer.from([1, 2, 3]))).toBe('AQID');
    expect(v(DataType.LocalizedText, { text: 'Running', locale: 'en' })).toBe('Running');
    expect(v(DataType.StatusCode, StatusCodes.BadTimeout)).toBe('BadTimeout');
  });

  it('turns arrays into arrays and matrices into nested arrays', () => {
    expect(v(DataType.Double, new Float64Array([1, 2, 3]), VariantArrayType.Array)).toEqual([1, 2, 3]);
    expect(v(DataType.Int32, new Int32Array([1, 2, 3, 4, 5, 6]), VariantArrayType.Matrix, [2, 3])).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(v(DataType.Null, null)).toBeNull();
  });
});

describe('quality', () => {
  it('follows the severity bits of the status code', () => {
    expect(qualityOf(StatusCodes.Good.value)).toBe('good');
    expect(qualityOf(StatusCodes.GoodClamped.value)).toBe('good');
    expect(qualityOf(StatusCodes.UncertainLastUsableValue.value)).toBe('uncertain');
    expect(qualityOf(StatusCodes.BadSensorFailure.value)).toBe('bad');
  });
});

describe('TagSampler', () => {
  const sampler = new TagSampler('capper', { name: 'speed', nodeId: 'ns=1;s=Capper.Speed', unit: 'caps/min', writable: false });

  it('uses the source timestamp, keeps the server timestamp and names the status', () => {
    const sample = sampler.sample(
      new DataValue({
        value: { dataType: DataType.Double, value: 120 },
        statusCode: StatusCodes.UncertainSensorNotAccurate,
        sourceTimestamp: new Date(1000),
        serverTimestamp: new Date(2000),
      }),
      3000,
    );
    expect(sample).toEqual({
      path: 'capper/speed',
      value: 120,
      quality: 'uncertain',
      status: { code: StatusCodes.UncertainSensorNotAccurate.value, text: 'UncertainSensorNotAccurate' },
      ts: 1000,
      serverTs: 2000,
      meta: { unit: 'caps/min', dataType: 'Double' },
    });
  });

  it('falls back to the server timestamp, then to the time of receipt, and leaves status out when Good', () => {
    const dv = (source: Date | null, server: Date | null) =>
      new DataValue({ value: { dataType: DataType.Double, value: 1 }, sourceTimestamp: source, serverTimestamp: server });
    expect(sampler.sample(dv(null, new Date(2000)), 3000)).toMatchObject({ ts: 2000, serverTs: 2000 });
    const bare = sampler.sample(dv(null, null), 3000);
    expect(bare.ts).toBe(3000);
    expect(bare).not.toHaveProperty('serverTs');
    expect(bare).not.toHaveProperty('status');
  });

  it('shares one meta object per data type between samples', () => {
    const a = sampler.sample(new DataValue({ value: { dataType: DataType.Double, value: 1 } }), 0);
    const b = sampler.sample(new DataValue({ value: { dataType: DataType.Double, value: 2 } }), 0);
    expect(a.meta).toBe(b.meta);
  });
});
