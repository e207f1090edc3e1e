// node-opcua objects → the plain JSON shapes of src/shared/discovery/opcua.ts: node ids as text,
// names of standard types, DataValues, EngineeringUnits and EURange.
import {
  DataType,
  DataTypeIds,
  NodeClass,
  NodeId,
  NodeIdType,
  ObjectTypeIds,
  ReferenceTypeIds,
  VariableTypeIds,
  VariantArrayType,
  type DataValue,
  type ExpandedNodeId,
  type LocalizedText,
  type Variant,
} from 'node-opcua';
import type { OpcuaDataValue, OpcuaEngineeringUnits, OpcuaNodeClass } from '../../../shared/discovery/opcua.ts';
import { variantToValue } from '../values.ts';

/** `i=85` in namespace 0, `ns=1;s=Capper.Speed` elsewhere (what node-opcua and every tool print). */
export function nodeIdText(id: NodeId): string {
  // The two common forms directly: a crawl formats every node id it meets.
  if (!(id as ExpandedNodeId).namespaceUri) {
    const ns = id.namespace === 0 ? '' : `ns=${id.namespace};`;
    if (id.identifierType === NodeIdType.NUMERIC) return `${ns}i=${id.value as number}`;
    if (id.identifierType === NodeIdType.STRING) return `${ns}s=${id.value as string}`;
  }
  const text = id.toString();
  return text.startsWith('ns=0;') ? text.slice(5) : text;
}

/** A NodeId for a request: references give ExpandedNodeIds, usable as they are unless they name a namespace URI or a server. */
export function plainNodeId(id: NodeId): NodeId {
  const expanded = id as ExpandedNodeId;
  return expanded.namespaceUri || expanded.serverIndex ? new NodeId(id.identifierType, id.value, id.namespace) : id;
}

export function nodeClassName(nodeClass: number): OpcuaNodeClass {
  return (NodeClass[nodeClass] as OpcuaNodeClass | undefined) ?? 'Unspecified';
}

/** The name of a standard (namespace 0) node of one of these kinds, else undefined. */
function standardName(names: Record<number, string>, id: NodeId): string | undefined {
  return id.namespace === 0 && typeof id.value === 'number' ? names[id.value] : undefined;
}

export const referenceTypeName = (id: NodeId): string => standardName(ReferenceTypeIds as unknown as Record<number, string>, id) ?? nodeIdText(id);
export const standardDataTypeName = (id: NodeId): string | undefined => standardName(DataTypeIds as unknown as Record<number, string>, id);
export const typeDefinitionName = (id: NodeId): string | undefined =>
  standardName(ObjectTypeIds as unknown as Record<number, string>, id) ?? standardName(VariableTypeIds as unknown as Record<number, string>, id);

export function text(localized: LocalizedText | null | undefined): string {
  return localized?.text ?? '';
}

const OPCUA_MIN_DATE = Date.UTC(1601, 0, 2);
function iso(date: Date | null | undefined): string | undefined {
  const t = date?.getTime();
  return t !== undefined && Number.isFinite(t) && t > OPCUA_MIN_DATE ? date!.toISOString() : undefined;
}

export function dataValueJson(dv: DataValue, timestamps = true): OpcuaDataValue {
  const variant = dv.value;
  const source = timestamps ? iso(dv.sourceTimestamp) : undefined;
  const server = timestamps ? iso(dv.serverTimestamp) : undefined;
  const typed = variant.dataType !== DataType.Null;
  return {
    value: variantToValue(variant),
    ...(typed ? { type: DataType[variant.dataType], arrayType: VariantArrayType[variant.arrayType] } : {}),
    status: dv.statusCode.name,
    statusCode: dv.statusCode.value >>> 0,
    ...(source ? { sourceTimestamp: source } : {}),
    ...(server ? { serverTimestamp: server } : {}),
  };
}

/** EngineeringUnits from the value of an EngineeringUnits property (an EUInformation). */
export function engineeringUnitsOf(variant: Variant): OpcuaEngineeringUnits | undefined {
  const eu = variant.value as { displayName?: LocalizedText; unitId?: number; description?: LocalizedText; namespaceUri?: string } | null;
  if (variant.dataType !== DataType.ExtensionObject || !eu || typeof eu !== 'object') return undefined;
  const description = text(eu.description);
  return {
    displayName: text(eu.displayName),
    unitId: eu.unitId ?? -1,
    ...(description ? { description } : {}),
    ...(eu.namespaceUri ? { namespaceUri: eu.namespaceUri } : {}),
  };
}

/** EURange from the value of an EURange property (a Range). */
export function rangeOf(variant: Variant): { low: number; high: number } | undefined {
  const r = variant.value as { low?: number; high?: number } | null;
  if (variant.dataType !== DataType.ExtensionObject || !r || typeof r.low !== 'number' || typeof r.high !== 'number') return undefined;
  return { low: r.low, high: r.high };
}
