import { describe, expect, it } from 'vitest';
import protoRoot from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import spPayload from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { DataType, decodeSparkplug, encodeSparkplug } from '../../../../src/connectors/mqtt/sparkplug/codec.ts';
import { SparkplugReader } from '../../../../src/connectors/mqtt/sparkplug/reader.ts';
import { dataTypeOf, parseSparkplugTopic } from '../../../../src/connectors/mqtt/sparkplug/topic.ts';

const Payload = protoRoot.org.eclipse.tahu.protobuf.Payload;
const proto = (msg: Record<string, unknown>): Uint8Array => Payload.encode(msg as never).finish();

describe('Sparkplug codec', () => {
  it('decodes 64-bit values to numbers when exact and to decimal strings when not', () => {
    const p = decodeSparkplug(
      proto({
        timestamp: 1_700_000_000_000,
        seq: 255,
        metrics: [
          { name: 'i64', datatype: DataType.Int64, longValue: -5 },
          { name: 'u64max', datatype: DataType.UInt64, longValue: '18446744073709551615' },
          { name: 'i64min', datatype: DataType.Int64, longValue: '-9223372036854775808' },
          { name: 'dt', datatype: DataType.DateTime, longValue: 1_700_000_000_000 },
          { name: 'i8', datatype: DataType.Int8, intValue: 0xff },
          { name: 'i16', datatype: DataType.Int16, intValue: 0xfffe },
          { name: 'i32', datatype: DataType.Int32, intValue: 0xfffffffd },
          { name: 'u32', datatype: DataType.UInt32, intValue: 0xfffffffd },
          { name: 'f', datatype: DataType.Float, floatValue: 0.1 },
          { name: 'bytes', datatype: DataType.Bytes, bytesValue: Buffer.from([1, 2, 3]) },
          { name: 'null', datatype: DataType.Double, isNull: true },
        ],
      }),
    );
    expect([p.timestamp, p.seq]).toEqual([1_700_000_000_000, 255]);
    expect(Object.fromEntries(p.metrics.map((m) => [m.name, m.value]))).toEqual({
      i64: -5,
      u64max: '18446744073709551615',
      i64min: '-9223372036854775808',
      dt: 1_700_000_000_000,
      i8: -1,
      i16: -2,
      i32: -3,
      u32: 4294967293,
      f: 0.1,
      bytes: 'AQID',
      null: null,
    });
  });

  it('decodes DataSets with Int32 columns (which sparkplug-payload’s own decoder cannot)', () => {
    const buf = proto({
      metrics: [
        {
          name: 'Recipe',
          datatype: DataType.DataSet,
          datasetValue: {
            numOfColumns: 3,
            columns: ['step', 'temp', 'name'],
            types: [DataType.Int32, DataType.Double, DataType.String],
            rows: [{ elements: [{ intValue: 0xffffffff }, { doubleValue: 180 }, { stringValue: 'heat' }] }],
          },
        },
      ],
    });
    expect(() => spPayload.decodePayload(buf)).toThrow(/Invalid DataSetValue/);
    expect(decodeSparkplug(buf).metrics[0]!.value).toEqual({ columns: ['step', 'temp', 'name'], rows: [[-1, 180, 'heat']] });
  });

  it('encodes what sparkplug-payload decodes, with Quality properties on bad values', () => {
    const bytes = encodeSparkplug({
      timestamp: 1000,
      seq: 3,
      metrics: [
        { name: 'a', alias: 1, timestamp: 999.6, datatype: DataType.Double, value: 1.5 },
        { alias: 2, datatype: DataType.Boolean, value: true, quality: 'bad' },
        { alias: 3, datatype: DataType.String, value: null },
      ],
    });
    const p = spPayload.decodePayload(bytes);
    expect(Number(p.seq)).toBe(3);
    expect(p.metrics!.map((m) => [m.name, Number(m.alias), m.type, m.value, m.timestamp === undefined ? undefined : Number(m.timestamp)])).toEqual([
      ['a', 1, 'Double', 1.5, 1000],
      [undefined, 2, 'Boolean', true, undefined],
      [undefined, 3, 'String', null, undefined],
    ]);
    expect(p.metrics![1]!.properties).toEqual({ Quality: { type: 'Int32', value: 0 } });
    expect(decodeSparkplug(bytes).metrics[1]!.quality).toBe('bad');
  });

  it('refuses what is not a Sparkplug payload', () => {
    expect(() => decodeSparkplug(Buffer.from('{"json": true}'))).toThrow(/^not a Sparkplug B payload/);
  });
});

describe('Sparkplug topics and reader', () => {
  it('parses the namespace and ignores what is not spBv1.0 data', () => {
    expect(parseSparkplugTopic('spBv1.0/g/DDATA/e/d')).toEqual({ group: 'g', type: 'DDATA', edgeNode: 'e', device: 'd' });
    expect(parseSparkplugTopic('spBv1.0/g/NBIRTH/e')).toEqual({ group: 'g', type: 'NBIRTH', edgeNode: 'e' });
    expect(parseSparkplugTopic('spBv1.0/g/NBIRTH/e/d')).toBeUndefined();
    expect(parseSparkplugTopic('spBv1.0/STATE/host')).toBeUndefined();
    expect(parseSparkplugTopic('spAv1.0/g/DDATA/e/d')).toBeUndefined();
    expect([dataTypeOf('DBIRTH'), dataTypeOf('NDEATH'), dataTypeOf('NCMD')]).toEqual(['DDATA', 'NDATA', undefined]);
  });

  it('names aliases from births, reads datatypes it was told, and drops aliases on a new NBIRTH', () => {
    const reader = new SparkplugReader();
    const nbirth = encodeSparkplug({ timestamp: 1, seq: 0, metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: 4 }] });
    const dbirth = encodeSparkplug({ timestamp: 2, seq: 1, metrics: [{ name: 'count', alias: 7, timestamp: 2, datatype: DataType.Int64, value: 1 }] });
    // DATA without datatype: the birth's Int64 decides how the value is read (a negative number here).
    const ddata = proto({ timestamp: 3, seq: 2, metrics: [{ alias: 7, longValue: -2 }, { alias: 8, doubleValue: 1 }] });
    expect(reader.read({ group: 'g', type: 'NBIRTH', edgeNode: 'e' }, nbirth, 0)).toMatchObject({ kind: 'values', unresolved: 0 });
    expect(reader.read({ group: 'g', type: 'DBIRTH', edgeNode: 'e', device: 'd' }, dbirth, 0)).toEqual({ kind: 'values', unresolved: 0, values: [{ name: 'count', value: 1, ts: 2, quality: 'good' }] });
    expect(reader.read({ group: 'g', type: 'DDATA', edgeNode: 'e', device: 'd' }, ddata, 0)).toEqual({ kind: 'values', unresolved: 1, values: [{ name: 'count', value: -2, ts: 3, quality: 'good' }] });
    // A death from an older session (other bdSeq) is ignored; this session's marks its metrics.
    const staleDeath = encodeSparkplug({ timestamp: 4, metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: 3 }] });
    expect(reader.read({ group: 'g', type: 'NDEATH', edgeNode: 'e' }, staleDeath, 0)).toEqual({ kind: 'none' });
    const death = encodeSparkplug({ timestamp: 5, metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: 4 }] });
    const dead = reader.read({ group: 'g', type: 'NDEATH', edgeNode: 'e' }, death, 0);
    expect(dead.kind).toBe('death');
    if (dead.kind === 'death') expect(dead.scopes.map((s) => [s.device, [...s.last]])).toEqual([[undefined, [['bdSeq', 4]]], ['d', [['count', -2]]]]);
    expect(reader.read({ group: 'g', type: 'DDATA', edgeNode: 'e', device: 'd' }, ddata, 0)).toMatchObject({ unresolved: 2 });
  });
});
