// Sparkplug B payloads over the protobuf types shipped with sparkplug-payload.
// We convert values ourselves instead of using its decodePayload: that one returns 64-bit values as
// Long objects and throws on DataSets with Int8/16/32 or UInt8/16 columns.
import protoRoot from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import type { org } from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import type { Quality, Value } from '../../../shared/sample.ts';
import { shortestFloat32 } from '../../../shared/numbers.ts';

const Payload = protoRoot.org.eclipse.tahu.protobuf.Payload;
type ProtoMetric = org.eclipse.tahu.protobuf.Payload.IMetric;
type ProtoDataSet = org.eclipse.tahu.protobuf.Payload.IDataSet;
type ProtoTemplate = org.eclipse.tahu.protobuf.Payload.ITemplate;
type ProtoPropertySet = org.eclipse.tahu.protobuf.Payload.IPropertySet;

export const DataType = {
  Int8: 1, Int16: 2, Int32: 3, Int64: 4, UInt8: 5, UInt16: 6, UInt32: 7, UInt64: 8,
  Float: 9, Double: 10, Boolean: 11, String: 12, DateTime: 13, Text: 14, UUID: 15,
  DataSet: 16, Bytes: 17, File: 18, Template: 19,
} as const;

export interface SpMetric {
  readonly name?: string;
  readonly alias?: number;
  /** Epoch milliseconds. */
  readonly timestamp?: number;
  readonly datatype?: number;
  readonly value: Value;
  readonly isHistorical?: boolean;
  /** From a "Quality" property (OPC DA codes, as Ignition sends them), when the metric has one. */
  readonly quality?: Quality;
}

export interface SpPayload {
  readonly timestamp?: number;
  readonly seq?: number;
  readonly metrics: readonly SpMetric[];
}

interface LongLike {
  readonly low: number;
  readonly high: number;
}

const TWO_32 = 2 ** 32;

/** Unsigned 64-bit → number when exact, else decimal string. */
function u64(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (v === null || typeof v !== 'object') return 0;
  const hi = (v as LongLike).high >>> 0;
  const lo = (v as LongLike).low >>> 0;
  return hi < 0x200000 ? hi * TWO_32 + lo : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** Signed 64-bit (stored in an unsigned protobuf field) → number when exact, else decimal string. */
function i64(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (v === null || typeof v !== 'object') return 0;
  const hi = (v as LongLike).high | 0;
  const lo = (v as LongLike).low >>> 0;
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_32 + lo;
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo)).toString();
}

const asNumber = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

interface ValueHolder {
  intValue?: number | null;
  longValue?: unknown;
  floatValue?: number | null;
  doubleValue?: number | null;
  booleanValue?: boolean | null;
  stringValue?: string | null;
  bytesValue?: Uint8Array | null;
  datasetValue?: ProtoDataSet | null;
  templateValue?: ProtoTemplate | null;
}

const has = (o: object, key: string): boolean => Object.hasOwn(o, key);

/** A value by its Sparkplug datatype; integers are read from whichever of int/long the sender used. */
function valueOf(datatype: number, h: ValueHolder): Value {
  const int = (): number => (has(h, 'intValue') ? h.intValue! : asNumber(u64(h.longValue)));
  switch (datatype) {
    case DataType.Int8:
      return (int() << 24) >> 24;
    case DataType.Int16:
      return (int() << 16) >> 16;
    case DataType.Int32:
      return int() | 0;
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      return has(h, 'intValue') ? h.intValue! >>> 0 : u64(h.longValue);
    case DataType.Int64:
      return has(h, 'longValue') ? i64(h.longValue) : (h.intValue ?? 0) | 0;
    case DataType.UInt64:
    case DataType.DateTime:
      return has(h, 'longValue') ? u64(h.longValue) : (h.intValue ?? 0) >>> 0;
    case DataType.Float:
      return has(h, 'floatValue') ? shortestFloat32(h.floatValue!) : null;
    case DataType.Double:
      return h.doubleValue ?? null;
    case DataType.Boolean:
      return h.booleanValue ?? null;
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      return h.stringValue ?? null;
    case DataType.Bytes:
    case DataType.File:
      return h.bytesValue ? Buffer.from(h.bytesValue).toString('base64') : null;
    case DataType.DataSet:
      return h.datasetValue ? dataSetValue(h.datasetValue) : null;
    case DataType.Template:
      return h.templateValue ? templateValue(h.templateValue) : null;
    default:
      return anyValue(h);
  }
}

/** Unknown datatype: whatever value field is present. */
function anyValue(h: ValueHolder): Value {
  if (has(h, 'doubleValue')) return h.doubleValue!;
  if (has(h, 'floatValue')) return h.floatValue!;
  if (has(h, 'intValue')) return h.intValue!;
  if (has(h, 'longValue')) return u64(h.longValue);
  if (has(h, 'booleanValue')) return h.booleanValue!;
  if (has(h, 'stringValue')) return h.stringValue!;
  return null;
}

/** A DataSet as { columns, rows }: every column type, Int32 included. */
function dataSetValue(ds: ProtoDataSet): Value {
  const columns = ds.columns ?? [];
  const types = ds.types ?? [];
  const rows = (ds.rows ?? []).map((row) => (row.elements ?? []).map((el, i) => valueOf(types[i] ?? 0, el as ValueHolder)));
  return { columns: [...columns], rows };
}

/** A template instance as { member: value }. */
function templateValue(t: ProtoTemplate): Value {
  const out: Record<string, Value> = {};
  for (const m of t.metrics ?? []) if (m.name) out[m.name] = m.isNull ? null : valueOf(m.datatype ?? 0, m as ValueHolder);
  return out;
}

/** OPC DA quality codes: 192 and up good, 64-191 uncertain, below 64 bad. */
function qualityProperty(props: ProtoPropertySet | null | undefined): Quality | undefined {
  const keys = props?.keys;
  if (!keys) return undefined;
  const i = keys.indexOf('Quality');
  const pv = i >= 0 ? props.values?.[i] : undefined;
  if (!pv) return undefined;
  const code = asNumber(valueOf(pv.type ?? DataType.Int32, pv as ValueHolder) as number | string);
  return code >= 192 ? 'good' : code >= 64 ? 'uncertain' : 'bad';
}

export class SparkplugDecodeError extends Error {}

/** The datatype a birth declared for a metric: DATA messages usually leave it out. */
export type DatatypeLookup = (name: string | undefined, alias: number | undefined) => number | undefined;

export function decodeSparkplug(buf: Uint8Array, lookup?: DatatypeLookup): SpPayload {
  let p: InstanceType<typeof Payload>;
  try {
    p = Payload.decode(buf);
  } catch (err) {
    throw new SparkplugDecodeError(`not a Sparkplug B payload (${(err as Error).message})`);
  }
  const metrics: SpMetric[] = [];
  for (const m of p.metrics ?? []) metrics.push(decodeMetric(m, lookup));
  return {
    ...(has(p, 'timestamp') ? { timestamp: asNumber(u64(p.timestamp)) } : {}),
    ...(has(p, 'seq') ? { seq: asNumber(u64(p.seq)) } : {}),
    metrics,
  };
}

function decodeMetric(m: ProtoMetric, lookup: DatatypeLookup | undefined): SpMetric {
  const name = has(m, 'name') ? (m.name ?? undefined) : undefined;
  const alias = has(m, 'alias') ? asNumber(u64(m.alias)) : undefined;
  const datatype = has(m, 'datatype') ? (m.datatype ?? undefined) : lookup?.(name, alias);
  const quality = qualityProperty(m.properties);
  return {
    ...(name !== undefined ? { name } : {}),
    ...(alias !== undefined ? { alias } : {}),
    ...(has(m, 'timestamp') ? { timestamp: asNumber(u64(m.timestamp)) } : {}),
    ...(datatype !== undefined ? { datatype } : {}),
    ...(m.isHistorical ? { isHistorical: true } : {}),
    ...(quality ? { quality } : {}),
    value: m.isNull ? null : valueOf(datatype ?? 0, m as ValueHolder),
  };
}

// ---------- encoding ----------

/** What an edge node publishes for one metric. */
export interface OutMetric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  value: number | string | boolean | null;
  isHistorical?: boolean;
  /** Set when the sample is not good: a "Quality" property with an OPC DA code. */
  quality?: Quality;
}

const QUALITY_CODE: Record<Quality, number> = { good: 192, uncertain: 64, bad: 0 };

function protoMetric(m: OutMetric, valueType: number): Record<string, unknown> {
  const pm: Record<string, unknown> = {};
  if (m.name !== undefined) pm.name = m.name;
  if (m.alias !== undefined) pm.alias = m.alias;
  if (m.timestamp !== undefined) pm.timestamp = Math.round(m.timestamp);
  if (m.datatype !== undefined) pm.datatype = m.datatype;
  if (m.isHistorical) pm.isHistorical = true;
  if (m.quality !== undefined && m.quality !== 'good') {
    pm.properties = { keys: ['Quality'], values: [{ type: DataType.Int32, intValue: QUALITY_CODE[m.quality] }] };
  }
  const v = m.value;
  if (v === null) pm.isNull = true;
  else
    switch (valueType) {
      case DataType.Double:
        pm.doubleValue = v as number;
        break;
      case DataType.Boolean:
        pm.booleanValue = v as boolean;
        break;
      case DataType.Int64:
      case DataType.UInt64:
        pm.longValue = v as number;
        break;
      default:
        pm.stringValue = String(v);
    }
  return pm;
}

export function encodeSparkplug(p: { timestamp: number; seq?: number; metrics: readonly OutMetric[] }): Uint8Array {
  const msg: Record<string, unknown> = { timestamp: Math.round(p.timestamp), metrics: p.metrics.map((m) => protoMetric(m, m.datatype ?? DataType.String)) };
  if (p.seq !== undefined) msg.seq = p.seq;
  return Payload.encode(msg as never).finish();
}
