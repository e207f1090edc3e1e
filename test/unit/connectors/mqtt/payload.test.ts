import { describe, expect, it } from 'vitest';
import { compileFieldPath, encodeJson, encodeValue, jsonQuality, jsonTimestamp, parseJson, pickField, rawValue } from '../../../../src/connectors/mqtt/payload.ts';

const buf = (s: string | number[]): Buffer => (typeof s === 'string' ? Buffer.from(s) : Buffer.from(s));

describe('source payloads', () => {
  it('raw: JSON-number text becomes a number, true/false booleans, the rest stays text', () => {
    expect(['23.5', '-4', '1e3', '0', 'true', 'false', 'ON', '1,5', ' 7', '007', ''].map((t) => rawValue(buf(t)))).toEqual([23.5, -4, 1000, 0, true, false, 'ON', '1,5', ' 7', '007', '']);
    expect(() => rawValue(buf([0xff, 0xfe]))).toThrow('payload is not UTF-8 text (2 bytes)');
  });

  it('json: dot paths into objects and arrays; a missing field is undefined', () => {
    const root = parseJson(buf('{"a":{"b":[10,{"c":"x"}]},"n":null}'));
    expect(pickField(root, compileFieldPath('a.b.0'))?.value).toBe(10);
    expect(pickField(root, compileFieldPath('a.b.1.c'))?.value).toBe('x');
    expect(pickField(root, compileFieldPath('n'))?.value).toBeNull();
    expect(pickField(root, compileFieldPath('a.z'))).toBeUndefined();
    expect(pickField(root, compileFieldPath('a.b.0.deeper'))).toBeUndefined();
    expect(pickField(root, undefined)?.value).toEqual(root);
    expect(() => parseJson(buf('{"a":'))).toThrow(/^invalid JSON \(.+\): "\{\\"a\\":"$/);
  });

  it('json: ts/timestamp from the field’s object, else the root; seconds, milliseconds and ISO 8601', () => {
    const at = (json: string, field?: string) => {
      const root = parseJson(buf(json));
      return jsonTimestamp(pickField(root, field ? compileFieldPath(field) : undefined)!, root, 42);
    };
    expect(at('{"v":1,"ts":1700000000123}', 'v')).toBe(1_700_000_000_123);
    expect(at('{"v":1,"ts":1700000000.5}', 'v')).toBe(1_700_000_000_500);
    expect(at('{"v":1,"timestamp":"2024-01-02T03:04:05Z"}', 'v')).toBe(Date.parse('2024-01-02T03:04:05Z'));
    expect(at('{"m":{"v":1,"ts":2000000000000},"ts":1700000000000}', 'm.v')).toBe(2_000_000_000_000);
    expect(at('{"m":{"v":1},"ts":1700000000000}', 'm.v')).toBe(1_700_000_000_000);
    expect(at('{"v":1,"ts":"soon"}', 'v')).toBe(42);
    expect(at('{"v":1}', 'v')).toBe(42);
    expect(at('5')).toBe(42);
  });

  it('json: a quality next to the field is kept (Plantbench’s own JSON reads back as it was)', () => {
    const root = parseJson(buf(encodeJson({ path: 'p', value: 3, quality: 'uncertain', ts: 1_700_000_000_005 })));
    const picked = pickField(root, compileFieldPath('value'))!;
    expect([picked.value, jsonQuality(picked), jsonTimestamp(picked, root, 0)]).toEqual([3, 'uncertain', 1_700_000_000_005]);
  });
});

describe('sink payloads', () => {
  it('value: the value alone as text', () => {
    expect([52.5, true, 'Execute', null, { a: 1 }, [1, 2], Number.NaN].map((v) => encodeValue(v))).toEqual(['52.5', 'true', 'Execute', 'null', '{"a":1}', '[1,2]', 'NaN']);
  });

  it('json: value, quality, ts, unit when known, status when not good', () => {
    expect(JSON.parse(encodeJson({ path: 'p', value: 1.5, quality: 'good', ts: 1000.25, meta: { unit: '°C' } }))).toEqual({ value: 1.5, quality: 'good', ts: 1000.25, unit: '°C' });
    expect(JSON.parse(encodeJson({ path: 'p', value: 'x', quality: 'bad', ts: 1, status: { code: 2, text: 'Illegal data address' } }))).toEqual({
      value: 'x',
      quality: 'bad',
      ts: 1,
      status: { code: 2, text: 'Illegal data address' },
    });
    expect(JSON.parse(encodeJson({ path: 'p', value: Number.POSITIVE_INFINITY, quality: 'good', ts: 1 })).value).toBeNull();
  });
});
