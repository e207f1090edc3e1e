// OPC UA discovery helpers written against node-opcua's IBasicSession interfaces (ARCHITECTURE §7):
// a client session and an in-memory PseudoSession both do. Every multi-node service call is chunked
// by the server's operation limits; BrowseNext follows continuation points.
import {
  AttributeIds,
  BrowseDirection,
  BrowsePath,
  DataType,
  ObjectIds,
  ReferenceTypeIds,
  StatusCodes,
  VariableIds,
  resolveNodeId,
  sameNodeId,
  type BrowseDescriptionOptions,
  type BrowseResult,
  type DataValue,
  type IBasicSessionBrowseAsyncMultiple,
  type IBasicSessionBrowseNextAsyncMultiple,
  type IBasicSessionReadAsyncMultiple,
  type IBasicSessionTranslateBrowsePathAsyncMultiple,
  type LocalizedText,
  type NodeId,
  type QualifiedName,
  type ReferenceDescription,
} from 'node-opcua';
import {
  accessLevelFlags,
  type OpcuaGotoResult,
  type OpcuaNodeAttributes,
  type OpcuaPathNode,
  type OpcuaReference,
  type OpcuaReferencesResult,
  type OpcuaSessionInfo,
} from '../../../shared/discovery/opcua.ts';
import { BrowsePathError, isNodeIdText, joinBrowsePath, parseBrowsePath } from '../../../shared/discovery/opcua-path.ts';
import { readLimits, readValues } from '../poll.ts';
import { DiscoveryError } from './errors.ts';
import {
  dataValueJson,
  engineeringUnitsOf,
  nodeClassName,
  nodeIdText,
  plainNodeId,
  rangeOf,
  referenceTypeName,
  standardDataTypeName,
  text,
  typeDefinitionName,
} from './format.ts';

export type DiscoverySession = IBasicSessionBrowseAsyncMultiple &
  IBasicSessionBrowseNextAsyncMultiple &
  IBasicSessionReadAsyncMultiple &
  IBasicSessionTranslateBrowsePathAsyncMultiple & { requestedMaxReferencesPerNode: number };

export type Limits = OpcuaSessionInfo['limits'];


/** ReferenceType, IsForward, NodeClass, BrowseName, DisplayName, TypeDefinition. */
export const RESULT_MASK_ALL = 63;
const HIERARCHICAL = resolveNodeId(ReferenceTypeIds.HierarchicalReferences);
const HAS_PROPERTY = resolveNodeId(ReferenceTypeIds.HasProperty);
export const ROOT = resolveNodeId(ObjectIds.RootFolder);
/** A chunk size for a limit that may be 0 ("none given"). */
export const chunkOf = (limit: number, preferred: number): number => (limit > 0 ? Math.min(limit, preferred) : preferred);

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Forward hierarchical references of a node: its children in the address-space tree. */
export function childrenOf(nodeId: NodeId): BrowseDescriptionOptions {
  return { nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: HIERARCHICAL, includeSubtypes: true, nodeClassMask: 0, resultMask: RESULT_MASK_ALL };
}

/**
 * Browse asking for at most `maxReferences` per node. The session property is set before each call: a
 * ClientSession reads it when it builds the request, a PseudoSession on the next turn, so it is not
 * put back.
 */
export function browseMany(session: DiscoverySession, descriptions: BrowseDescriptionOptions[], maxReferences: number): Promise<BrowseResult[]> {
  session.requestedMaxReferencesPerNode = maxReferences;
  return session.browse(descriptions);
}

/** Frees continuation points on the server (BrowseNext with release). */
export async function releaseContinuations(session: DiscoverySession, points: Buffer[]): Promise<void> {
  if (points.length > 0) await session.browseNext(points, true).catch(() => undefined);
}

/** Every reference of one browse description, following BrowseNext to the end. */
export async function browseAll(session: DiscoverySession, description: BrowseDescriptionOptions, maxReferences = 1000): Promise<ReferenceDescription[]> {
  let [result] = await browseMany(session, [description], maxReferences);
  const refs: ReferenceDescription[] = [];
  for (;;) {
    if (!result || result.statusCode.isNotGood()) {
      throw new DiscoveryError(`${nodeIdText(resolveNodeId(description.nodeId!))}: ${result?.statusCode.name ?? 'no browse result'}`);
    }
    refs.push(...(result.references ?? []));
    if (!result.continuationPoint || result.continuationPoint.length === 0) return refs;
    [result] = await session.browseNext([result.continuationPoint], false);
  }
}

export async function readDiscoveryLimits(session: DiscoverySession): Promise<Limits> {
  const { maxNodesPerRead } = await readLimits(session);
  const ids = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds,
    VariableIds.Server_ServerCapabilities_MaxBrowseContinuationPoints,
  ].map((id) => resolveNodeId(id));
  const values = await readValues(session, ids, maxNodesPerRead).catch(() => [] as DataValue[]);
  const limit = (i: number): number => (values[i]?.statusCode.isGood() ? Number(values[i]!.value.value) || 0 : 0);
  return { maxNodesPerBrowse: limit(0), maxNodesPerRead, maxNodesPerTranslateBrowsePathsToNodeIds: limit(1), maxBrowseContinuationPoints: limit(2) };
}

/** A node id from text (ns=, nsu= with the session's namespace table, i=…). */
export function parseNodeId(textId: string, namespaces: readonly string[]): NodeId {
  const uri = /^nsu=([^;]*);/.exec(textId)?.[1];
  if (uri !== undefined && !namespaces.includes(uri)) throw new DiscoveryError(`${textId}: the server has no namespace "${uri}"`);
  try {
    return resolveNodeId(textId.trim(), { namespaceArray: [...namespaces] });
  } catch (err) {
    throw new DiscoveryError(`"${textId}" is not a node id (${(err as Error).message.split('\n')[0]})`);
  }
}

export function referenceJson(ref: ReferenceDescription): OpcuaReference {
  const typeName = ref.typeDefinition.isEmpty() ? undefined : typeDefinitionName(ref.typeDefinition);
  return {
    nodeId: nodeIdText(ref.nodeId),
    browseName: { namespaceIndex: ref.browseName.namespaceIndex, name: ref.browseName.name ?? '' },
    displayName: text(ref.displayName),
    nodeClass: nodeClassName(ref.nodeClass),
    referenceType: referenceTypeName(ref.referenceTypeId),
    ...(ref.typeDefinition.isEmpty() ? {} : { typeDefinition: nodeIdText(ref.typeDefinition) }),
    ...(typeName ? { typeDefinitionName: typeName } : {}),
  };
}

/**
 * Whether each node has children: one Browse asking for a single reference per node, its
 * continuation points released at once. Undefined where the server gave no answer for a node.
 */
export async function childHints(session: DiscoverySession, limits: Limits, nodeIds: readonly NodeId[]): Promise<(boolean | undefined)[]> {
  // Each node may leave a continuation point until the release: stay within the server's number.
  const size = chunkOf(limits.maxBrowseContinuationPoints > 0 ? Math.min(chunkOf(limits.maxNodesPerBrowse, 1000), limits.maxBrowseContinuationPoints) : limits.maxNodesPerBrowse, 1000);
  const out: (boolean | undefined)[] = [];
  for (const chunk of chunks(nodeIds, size)) {
    const results = await browseMany(session, chunk.map(childrenOf), 1);
    await releaseContinuations(session, results.flatMap((r) => (r.continuationPoint?.length ? [r.continuationPoint] : [])));
    for (const r of results) out.push(r.statusCode.isGood() ? (r.references?.length ?? 0) > 0 : undefined);
  }
  return out;
}

/** Reads `attributes` of each node, chunked by MaxNodesPerRead; the results come back node by node. */
export async function readAttributes(session: DiscoverySession, limits: Limits, nodeIds: readonly NodeId[], attributes: readonly number[]): Promise<DataValue[][]> {
  const items = nodeIds.flatMap((nodeId) => attributes.map((attributeId) => ({ nodeId, attributeId })));
  // A node's attributes may straddle two requests: the results are put back together by position.
  const values: DataValue[] = [];
  for (const chunk of chunks(items, chunkOf(limits.maxNodesPerRead, 4000))) values.push(...(await session.read(chunk)));
  return nodeIds.map((_, i) => values.slice(i * attributes.length, (i + 1) * attributes.length));
}

/** Names of data types: standard ones from node-opcua's table, others from their BrowseName. */
export async function dataTypeNames(session: DiscoverySession, limits: Limits, ids: Iterable<NodeId>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const unknown: NodeId[] = [];
  for (const id of ids) {
    const key = id.toString();
    if (names.has(key)) continue;
    const name = standardDataTypeName(id);
    if (name) names.set(key, name);
    else {
      names.set(key, nodeIdText(id));
      unknown.push(id);
    }
  }
  if (unknown.length > 0) {
    const read = await readAttributes(session, limits, unknown, [AttributeIds.BrowseName]);
    read.forEach(([dv], i) => {
      const qn = dv?.statusCode.isGood() ? (dv.value.value as QualifiedName | null) : null;
      if (qn?.name) names.set(unknown[i]!.toString(), qn.name);
    });
  }
  return names;
}

/** EngineeringUnits and EURange of variables: TranslateBrowsePathsToNodeIds to their properties, then one Read. */
export async function euProperties(
  session: DiscoverySession,
  limits: Limits,
  nodeIds: readonly NodeId[],
): Promise<{ engineeringUnits?: OpcuaNodeAttributes['engineeringUnits']; euRange?: OpcuaNodeAttributes['euRange'] }[]> {
  // BrowsePath objects, not plain options: a PseudoSession does not convert them.
  const property = (startingNode: NodeId, name: string): BrowsePath =>
    new BrowsePath({
      startingNode,
      relativePath: { elements: [{ referenceTypeId: HAS_PROPERTY, isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name } }] },
    });
  const paths = nodeIds.flatMap((id) => [property(id, 'EngineeringUnits'), property(id, 'EURange')]);
  const found: (NodeId | undefined)[] = [];
  for (const chunk of chunks(paths, chunkOf(limits.maxNodesPerTranslateBrowsePathsToNodeIds, 2000))) {
    for (const r of await session.translateBrowsePath(chunk)) {
      found.push(r.statusCode.isGood() && r.targets?.[0] ? plainNodeId(r.targets[0].targetId) : undefined);
    }
  }
  const targets = found.filter((id): id is NodeId => id !== undefined);
  const values = targets.length ? await readValues(session, targets, limits.maxNodesPerRead) : [];
  const byTarget = new Map(targets.map((id, i) => [id.toString(), values[i]]));
  return nodeIds.map((_, i) => {
    const eu = found[2 * i] && byTarget.get(found[2 * i]!.toString());
    const range = found[2 * i + 1] && byTarget.get(found[2 * i + 1]!.toString());
    const engineeringUnits = eu?.statusCode.isGood() ? engineeringUnitsOf(eu.value) : undefined;
    const euRange = range?.statusCode.isGood() ? rangeOf(range.value) : undefined;
    return { ...(engineeringUnits ? { engineeringUnits } : {}), ...(euRange ? { euRange } : {}) };
  });
}

const ATTRIBUTES = [
  AttributeIds.NodeClass,
  AttributeIds.BrowseName,
  AttributeIds.DisplayName,
  AttributeIds.Description,
  AttributeIds.DataType,
  AttributeIds.ValueRank,
  AttributeIds.ArrayDimensions,
  AttributeIds.AccessLevel,
  AttributeIds.UserAccessLevel,
  AttributeIds.Value,
  AttributeIds.MinimumSamplingInterval,
];

/** The attributes an engineer looks at, for each node (variables: value, type, access, EU, range). */
export async function nodeAttributes(session: DiscoverySession, limits: Limits, nodeIds: readonly NodeId[]): Promise<OpcuaNodeAttributes[]> {
  const read = await readAttributes(session, limits, nodeIds, ATTRIBUTES);
  const good = (dv: DataValue | undefined): dv is DataValue => dv !== undefined && dv.statusCode.isGood();
  const dataTypes = await dataTypeNames(session, limits, read.flatMap((r) => (good(r[4]) ? [r[4].value.value as NodeId] : [])));
  const variables = nodeIds.filter((_, i) => good(read[i]![0]) && read[i]![0]!.value.value === 2);
  const eus = variables.length ? await euProperties(session, limits, variables) : [];
  const euOf = new Map(variables.map((id, i) => [id.toString(), eus[i]]));
  return nodeIds.map((id, i) => {
    const [nodeClass, browseName, displayName, description, dataType, valueRank, arrayDimensions, access, userAccess, value, sampling] = read[i]!;
    if (!nodeClass?.statusCode.isGood()) return { nodeId: nodeIdText(id), error: nodeClass?.statusCode.name ?? 'no answer' };
    const qn = good(browseName) ? (browseName.value.value as QualifiedName) : undefined;
    const descriptionText = good(description) ? text(description.value.value as LocalizedText) : '';
    const dims = good(arrayDimensions) && arrayDimensions.value.value ? Array.from(arrayDimensions.value.value as ArrayLike<number>) : undefined;
    const typeId = good(dataType) ? (dataType.value.value as NodeId) : undefined;
    return {
      nodeId: nodeIdText(id),
      nodeClass: nodeClassName(nodeClass.value.value as number),
      ...(qn ? { browseName: { namespaceIndex: qn.namespaceIndex, name: qn.name ?? '' } } : {}),
      ...(good(displayName) ? { displayName: text(displayName.value.value as LocalizedText) } : {}),
      ...(descriptionText ? { description: descriptionText } : {}),
      ...(typeId ? { dataType: dataTypes.get(typeId.toString())!, dataTypeId: nodeIdText(typeId) } : {}),
      ...(good(valueRank) ? { valueRank: valueRank.value.value as number } : {}),
      ...(dims && dims.length ? { arrayDimensions: dims } : {}),
      ...(good(access) ? { accessLevel: accessLevelFlags(access.value.value as number) } : {}),
      ...(good(userAccess) ? { userAccessLevel: accessLevelFlags(userAccess.value.value as number) } : {}),
      // A Value that fails (BadUserAccessDenied, BadSensorFailure …) is still shown, with its status.
      ...(value && !value.statusCode.equals(StatusCodes.BadAttributeIdInvalid) ? { value: dataValueJson(value) } : {}),
      ...(good(sampling) && sampling.value.dataType !== DataType.Null ? { minimumSamplingInterval: sampling.value.value as number } : {}),
      ...euOf.get(id.toString()),
    };
  });
}

/** Every reference of a node, both directions, with reference type names. */
export async function nodeReferences(session: DiscoverySession, limits: Limits, nodeId: NodeId): Promise<OpcuaReferencesResult> {
  const refs = await browseAll(session, { nodeId, browseDirection: BrowseDirection.Both, includeSubtypes: true, nodeClassMask: 0, resultMask: RESULT_MASK_ALL });
  const custom = refs.map((r) => r.referenceTypeId).filter((id) => id.namespace !== 0);
  const names = custom.length ? await dataTypeNames(session, limits, custom) : new Map<string, string>();
  return {
    nodeId: nodeIdText(nodeId),
    references: refs.map((r) => ({
      direction: r.isForward ? ('forward' as const) : ('inverse' as const),
      referenceType: names.get(r.referenceTypeId.toString()) ?? referenceTypeName(r.referenceTypeId),
      nodeId: nodeIdText(r.nodeId),
      browseName: { namespaceIndex: r.browseName.namespaceIndex, name: r.browseName.name ?? '' },
      displayName: text(r.displayName),
      nodeClass: nodeClassName(r.nodeClass),
      ...(r.typeDefinition.isEmpty() ? {} : { typeDefinition: nodeIdText(r.typeDefinition) }),
    })),
  };
}

function pathNode(ref: ReferenceDescription): OpcuaPathNode {
  return {
    nodeId: nodeIdText(ref.nodeId),
    browseName: { namespaceIndex: ref.browseName.namespaceIndex, name: ref.browseName.name ?? '' },
    displayName: text(ref.displayName),
    nodeClass: nodeClassName(ref.nodeClass),
  };
}

const ROOT_NODE: OpcuaPathNode = { nodeId: 'i=84', browseName: { namespaceIndex: 0, name: 'Root' }, displayName: 'Root', nodeClass: 'Object' };
const MAX_LEVELS = 100;

function chainResult(chain: OpcuaPathNode[], rooted: boolean): OpcuaGotoResult {
  const names = (rooted ? chain.slice(1) : chain).map((n) => n.browseName.name);
  return { node: chain[chain.length - 1]!, chain, path: names.length ? joinBrowsePath(names) : '/', rooted };
}

/**
 * A node by node id (ns=, nsu=, i=…) or by browse path (/Objects/Capper/Speed, or Capper/Speed
 * below Objects), with the chain of nodes from Root down to it. A path is walked level by level
 * (names match without their namespace index); a node id is walked up by inverse hierarchical
 * references.
 */
export async function gotoNode(session: DiscoverySession, limits: Limits, target: string, namespaces: readonly string[]): Promise<OpcuaGotoResult> {
  if (!isNodeIdText(target)) {
    let names: string[];
    try {
      names = parseBrowsePath(target);
    } catch (err) {
      throw new DiscoveryError((err as BrowsePathError).message);
    }
    const chain: OpcuaPathNode[] = [ROOT_NODE];
    let current = ROOT;
    for (const name of names) {
      const children = await browseAll(session, childrenOf(current));
      const match = children.find((r) => r.browseName.name === name);
      if (!match) {
        const here = chainResult(chain, true).path;
        const some = children.slice(0, 12).map((r) => r.browseName.name).join(', ');
        throw new DiscoveryError(`${target}: no "${name}" below ${here} (${children.length ? `it has ${some}${children.length > 12 ? ', …' : ''}` : 'it has no children'})`);
      }
      chain.push(pathNode(match));
      current = plainNodeId(match.nodeId);
    }
    return chainResult(chain, true);
  }

  const nodeId = parseNodeId(target, namespaces);
  const [[nodeClass, browseName, displayName] = []] = await readAttributes(session, limits, [nodeId], [AttributeIds.NodeClass, AttributeIds.BrowseName, AttributeIds.DisplayName]);
  if (!nodeClass?.statusCode.isGood()) throw new DiscoveryError(`${target}: ${nodeClass?.statusCode.name ?? 'no answer'}`);
  const qn = browseName?.value.value as QualifiedName | null;
  const chain: OpcuaPathNode[] = [
    {
      nodeId: nodeIdText(nodeId),
      browseName: { namespaceIndex: qn?.namespaceIndex ?? 0, name: qn?.name ?? '' },
      displayName: text(displayName?.value.value as LocalizedText | null),
      nodeClass: nodeClassName(nodeClass.value.value as number),
    },
  ];
  const seen = new Set([nodeId.toString()]);
  let current = nodeId;
  for (let level = 0; level < MAX_LEVELS && !sameNodeId(current, ROOT); level++) {
    const parents = await browseAll(session, { ...childrenOf(current), browseDirection: BrowseDirection.Inverse });
    const parent = parents.find((r) => !seen.has(plainNodeId(r.nodeId).toString()));
    if (!parent) break;
    current = plainNodeId(parent.nodeId);
    seen.add(current.toString());
    chain.unshift(pathNode(parent));
  }
  return chainResult(chain, sameNodeId(current, ROOT));
}
