// OPC UA DataValue → Sample. Values become JSON:
//   Boolean, SByte..UInt32, Double → as is; Float → the shortest decimal that round-trips to float32;
//   Int64/UInt64 → number when it is a safe integer, else a decimal string;
//   DateTime → ISO 8601 string (UTC, ms), the OPC UA null date (1601) → null;
//   ByteString → base64; String, XmlElement, Guid → string; LocalizedText → its text;
//   NodeId, QualifiedName → their string forms; StatusCode → its name; ExtensionObject → its JSON;
//   arrays → arrays (matrices nested by their dimensions); NaN and ±Infinity → null (not JSON).
// Quality follows the StatusCode severity bits; ts is the source timestamp (else the server's, else receipt).
import { DataType, VariantArrayType, type DataValue, type StatusCode, type Variant } from 'node-opcua';
import type { OpcuaTag } from '../../shared/model/device.ts';
import type { ProtocolStatus, Quality, Sample, SampleMeta, Value } from '../../shared/sample.ts';
import { int64Value, shortestFloat32 } from '../../shared/numbers.ts';

export function qualityOf(code: number): Quality {
  const severity = code >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

const statuses = new Map<number, ProtocolStatus>();
/** The sample status for a StatusCode; undefined for plain Good. Objects are shared (samples are immutable). */
export function statusOf(statusCode: StatusCode): ProtocolStatus | undefined {
  const code = statusCode.value >>> 0;
  if (code === 0) return undefined;
  let status = statuses.get(code);
  if (!status) {
    status = { code, text: statusCode.name };
    statuses.set(code, status);
  }
  return status;
}

function int64(parts: unknown, signed: boolean): Value {
  if (!Array.isArray(parts) || parts.length !== 2) return typeof parts === 'number' ? parts : null;
  const bits = (BigInt(parts[0] >>> 0) << 32n) | BigInt(parts[1] >>> 0);
  const n = signed ? BigInt.asIntN(64, bits) : bits;
  return int64Value(n);
}

const OPCUA_MIN_DATE = Date.UTC(1601, 0, 1);

function scalar(dataType: DataType, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (dataType) {
    case DataType.Boolean:
      return Boolean(v);
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Double:
      return Number.isFinite(v as number) ? (v as number) : null;
    case DataType.Float:
      return Number.isFinite(v as number) ? shortestFloat32(v as number) : null;
    case DataType.Int64:
      return int64(v, true);
    case DataType.UInt64:
      return int64(v, false);
    case DataType.String:
    case DataType.XmlElement:
    case DataType.Guid:
      return String(v);
    case DataType.DateTime: {
      const t = (v as Date).getTime();
      return Number.isFinite(t) && t > OPCUA_MIN_DATE ? (v as Date).toISOString() : null;
    }
    case DataType.ByteString:
      return Buffer.isBuffer(v) ? v.toString('base64') : null;
    case DataType.LocalizedText:
      return (v as { text?: string | null }).text ?? null;
    case DataType.StatusCode:
      return (v as StatusCode).name;
    case DataType.ExtensionObject:
      return JSON.parse(JSON.stringify(v)) as Value;
    default:
      return String(v);
  }
}

function nest(flat: Value[], dims: readonly number[], offset: number): Value[] {
  if (dims.length <= 1) return flat.slice(offset, offset + (dims[0] ?? flat.length));
  const [n, ...rest] = dims;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n! }, (_, i) => nest(flat, rest, offset + i * size));
}

export function variantToValue(variant: Variant): Value {
  if (variant.arrayType === VariantArrayType.Scalar) return scalar(variant.dataType, variant.value);
  const source = variant.value as ArrayLike<unknown> | null;
  if (!source) return [];
  const flat = Array.from(source, (v) => scalar(variant.dataType, v));
  if (variant.arrayType === VariantArrayType.Matrix && variant.dimensions?.length) return nest(flat, variant.dimensions, 0);
  return flat;
}

/** Epoch ms of an OPC UA DateTime, with the sub-millisecond part node-opcua keeps in `picoseconds`. */
function epochMs(date: Date | null): number | undefined {
  if (!date) return undefined;
  const t = date.getTime();
  if (!Number.isFinite(t) || t <= OPCUA_MIN_DATE) return undefined;
  const pico = (date as Date & { picoseconds?: number }).picoseconds;
  return pico ? t + pico / 1e9 : t;
}

/** Per tag: the sample path and a meta object shared by its samples (one per data type seen). */
export class TagSampler {
  readonly path: string;
  private readonly unit?: string;
  private readonly metas = new Map<DataType, SampleMeta>();

  constructor(deviceId: string, tag: OpcuaTag) {
    this.path = `${deviceId}/${tag.name}`;
    this.unit = tag.unit;
  }

  private meta(dataType: DataType): SampleMeta {
    let meta = this.metas.get(dataType);
    if (!meta) {
      meta = this.unit === undefined ? { dataType: DataType[dataType] } : { unit: this.unit, dataType: DataType[dataType] };
      this.metas.set(dataType, meta);
    }
    return meta;
  }

  sample(dv: DataValue, receivedAt: number): Sample {
    const serverTs = epochMs(dv.serverTimestamp);
    const code = dv.statusCode.value >>> 0;
    const status = statusOf(dv.statusCode);
    const base = {
      path: this.path,
      value: variantToValue(dv.value),
      quality: qualityOf(code),
      ts: epochMs(dv.sourceTimestamp) ?? serverTs ?? receivedAt,
      meta: this.meta(dv.value.dataType),
    };
    if (serverTs === undefined) return status ? { ...base, status } : base;
    return status ? { ...base, status, serverTs } : { ...base, serverTs };
  }

  /** A sample that carries only a status: the item could not be monitored or read, or the connection is down. */
  bad(status: ProtocolStatus, ts: number): Sample {
    return { path: this.path, value: null, quality: qualityOf(status.code), status, ts, ...(this.unit !== undefined ? { meta: { unit: this.unit } } : {}) };
  }
}
