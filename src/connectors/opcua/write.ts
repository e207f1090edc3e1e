// Sink writes: a sample value coerced to the variable's DataType (read once per node, walking up
// the type hierarchy for subtypes such as UtcTime or enumerations), with range checks, then one
// Write. Helpers take node-opcua's IBasicSession interfaces, as discovery will.
import {
  AttributeIds,
  DataType,
  NodeIdType,
  VariantArrayType,
  findSuperType,
  type IBasicSessionBrowseAsyncSimple,
  type IBasicSessionReadAsyncMultiple,
  type IBasicSessionWriteAsyncSimple,
  type NodeId,
  type StatusCode,
} from 'node-opcua';
import type { Value } from '../../shared/sample.ts';

/** A built-in DataType, or one of the abstract numeric types a variable may be declared with. */
export type TargetType = DataType | 'Number' | 'Integer' | 'UInteger';

export interface WriteTarget {
  readonly type: TargetType;
  /** ValueRank ≥ 1 (or OneOrMoreDimensions): the variable holds an array. */
  readonly array: boolean;
  /** Why the server will not take a write (AccessLevel or UserAccessLevel without CurrentWrite). */
  readonly notWritable?: string;
}

/** AccessLevel bit 1 (OPC UA Part 3, 8.57). */
const CURRENT_WRITE = 0x02;

/** A value that cannot become the variable's type; the message says why. */
export class CoercionError extends Error {}

const ABSTRACT: Record<number, TargetType> = { 26: 'Number', 27: 'Integer', 28: 'UInteger', 29: DataType.Int32 };

/** The built-in type behind a DataType node id (subtypes are browsed up to their base type). */
export async function builtInType(session: IBasicSessionBrowseAsyncSimple, dataTypeId: NodeId): Promise<TargetType> {
  let id = dataTypeId;
  for (let depth = 0; depth < 16; depth++) {
    if (id.namespace === 0 && id.identifierType === NodeIdType.NUMERIC) {
      const n = id.value as number;
      if (n >= 1 && n <= 25) return n as DataType;
      const abstract = ABSTRACT[n];
      if (abstract !== undefined) return abstract;
    }
    id = await findSuperType(session, id);
  }
  throw new Error(`data type ${dataTypeId.toString()} has no built-in base type`);
}

/** Reads the variable's DataType, ValueRank and access levels. Returns the status when the node cannot be read. */
export async function readWriteTarget(
  session: IBasicSessionReadAsyncMultiple & IBasicSessionBrowseAsyncSimple,
  nodeId: NodeId,
): Promise<WriteTarget | StatusCode> {
  const [dataType, valueRank, access, userAccess] = await session.read([
    { nodeId, attributeId: AttributeIds.DataType },
    { nodeId, attributeId: AttributeIds.ValueRank },
    { nodeId, attributeId: AttributeIds.AccessLevel },
    { nodeId, attributeId: AttributeIds.UserAccessLevel },
  ]);
  if (!dataType!.statusCode.isGood()) return dataType!.statusCode;
  const rank = valueRank!.statusCode.isGood() ? Number(valueRank!.value.value) : -1;
  // A server that does not answer an access level leaves the decision to the Write itself.
  const lacksWrite = (dv: typeof access): boolean => dv!.statusCode.isGood() && (Number(dv!.value.value) & CURRENT_WRITE) === 0;
  const notWritable = lacksWrite(access)
    ? 'BadNotWritable (the AccessLevel has no CurrentWrite)'
    : lacksWrite(userAccess)
      ? 'BadUserAccessDenied (the UserAccessLevel has no CurrentWrite for this session)'
      : undefined;
  return { type: await builtInType(session, dataType!.value.value as NodeId), array: rank >= 1 || rank === 0, ...(notWritable ? { notWritable } : {}) };
}

const INTEGER: Partial<Record<DataType, readonly [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32768, 32767],
  [DataType.UInt16]: [0, 65535],
  [DataType.Int32]: [-2147483648, 2147483647],
  [DataType.UInt32]: [0, 4294967295],
};
const FLOAT_MAX = 3.4028234663852886e38;

const show = (v: Value): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));
const typeName = (t: TargetType): string => (typeof t === 'string' ? t : DataType[t]);

function toNumber(v: Value, t: TargetType): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CoercionError(`${v} cannot be written to ${typeName(t)}`);
    return v;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  throw new CoercionError(`${show(v)} is not a number (${typeName(t)})`);
}

function toInteger(v: Value, t: DataType): number {
  const [lo, hi] = INTEGER[t]!;
  // PLC drivers round: a scaled 12.6 becomes 13.
  const n = Math.round(toNumber(v, t));
  if (n < lo || n > hi) throw new CoercionError(`${show(v)} is out of range for ${DataType[t]} (${lo}..${hi})`);
  return n;
}

function toInt64(v: Value, signed: boolean): [number, number] {
  const name = signed ? 'Int64' : 'UInt64';
  let n: bigint;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) n = BigInt(v.trim());
  else {
    const x = Math.round(toNumber(v, signed ? DataType.Int64 : DataType.UInt64));
    if (!Number.isSafeInteger(x)) throw new CoercionError(`${show(v)} is not exact as a number: write ${name} values above 2^53 as decimal strings`);
    n = BigInt(x);
  }
  const [lo, hi] = signed ? [-(1n << 63n), (1n << 63n) - 1n] : [0n, (1n << 64n) - 1n];
  if (n < lo || n > hi) throw new CoercionError(`${show(v)} is out of range for ${name}`);
  const bits = BigInt.asUintN(64, n);
  return [Number(bits >> 32n), Number(bits & 0xffffffffn)];
}

function toBoolean(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw new CoercionError(`${show(v)} is not a boolean (true/false, 1/0)`);
}

function toDate(v: Value): Date {
  const d = typeof v === 'number' ? new Date(v) : typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new CoercionError(`${show(v)} is not a date (epoch ms or ISO 8601)`);
  return d;
}

function scalar(v: Value, t: TargetType): { dataType: DataType; value: unknown } {
  if (v === null) throw new CoercionError('null cannot be written');
  switch (t) {
    case 'Number':
      return { dataType: DataType.Double, value: toNumber(v, t) };
    case 'Integer': {
      const n = Math.round(toNumber(v, t));
      return Math.abs(n) <= 2147483647 ? { dataType: DataType.Int32, value: n } : { dataType: DataType.Int64, value: toInt64(n, true) };
    }
    case 'UInteger': {
      const n = Math.round(toNumber(v, t));
      return n >= 0 && n <= 4294967295 ? { dataType: DataType.UInt32, value: n } : { dataType: DataType.UInt64, value: toInt64(n, false) };
    }
    case DataType.Boolean:
      return { dataType: t, value: toBoolean(v) };
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
      return { dataType: t, value: toInteger(v, t) };
    case DataType.Int64:
    case DataType.UInt64:
      return { dataType: t, value: toInt64(v, t === DataType.Int64) };
    case DataType.Float: {
      const n = toNumber(v, t);
      if (Math.abs(n) > FLOAT_MAX) throw new CoercionError(`${show(v)} is out of range for Float`);
      return { dataType: t, value: n };
    }
    case DataType.Double:
      return { dataType: t, value: toNumber(v, t) };
    case DataType.String:
      return { dataType: t, value: typeof v === 'object' ? JSON.stringify(v) : String(v) };
    case DataType.DateTime:
      return { dataType: t, value: toDate(v) };
    case DataType.ByteString:
      if (typeof v !== 'string') throw new CoercionError(`${show(v)} is not base64 text (ByteString)`);
      return { dataType: t, value: Buffer.from(v, 'base64') };
    case DataType.LocalizedText:
      return { dataType: t, value: { text: String(v) } };
    case DataType.Variant:
      // BaseDataType: the value's own type.
      if (typeof v === 'boolean') return { dataType: DataType.Boolean, value: v };
      if (typeof v === 'number') return { dataType: DataType.Double, value: toNumber(v, t) };
      if (typeof v === 'string') return { dataType: DataType.String, value: v };
      return { dataType: DataType.String, value: JSON.stringify(v) };
    default:
      throw new CoercionError(`variables of type ${DataType[t]} cannot be written from a sample`);
  }
}

/** The Variant (as options) to write `value` into a variable of this target type. */
export function coerceValue(value: Value, target: WriteTarget): { dataType: DataType; arrayType: VariantArrayType; value: unknown } {
  if (target.array) {
    if (!Array.isArray(value)) throw new CoercionError(`the variable holds an array of ${typeName(target.type)}; ${show(value)} is not an array`);
    const items = (value as readonly Value[]).map((v) => scalar(v, target.type));
    const dataType = items[0]?.dataType ?? (typeof target.type === 'number' ? target.type : DataType.Double);
    return { dataType, arrayType: VariantArrayType.Array, value: items.map((i) => i.value) };
  }
  if (Array.isArray(value)) throw new CoercionError(`the variable holds one ${typeName(target.type)}, not an array`);
  return { ...scalar(value, target.type), arrayType: VariantArrayType.Scalar };
}

export async function writeVariant(
  session: IBasicSessionWriteAsyncSimple,
  nodeId: NodeId,
  variant: ReturnType<typeof coerceValue>,
): Promise<StatusCode> {
  return session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: variant } });
}
