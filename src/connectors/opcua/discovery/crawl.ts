// A full crawl of an address space, breadth first, as fast as the server allows: many nodes per
// Browse request, BrowseNext for the rest, variables read in large batches, and a few requests in
// flight at once so the server never waits for the client. A node budget, a depth limit, progress
// and cancellation; a cancelled or failed crawl returns what it found.
import { AttributeIds, NodeClass, StatusCodes, type BrowseResult, type DataValue, type NodeId, type ReferenceDescription } from 'node-opcua';
import { throttledProgress, type DiscoveryOptions } from '../../../shared/discovery/progress.ts';
import { accessLevelFlags, type OpcuaCrawlNode, type OpcuaCrawlResult } from '../../../shared/discovery/opcua.ts';
import { escapeBrowseName } from '../../../shared/discovery/opcua-path.ts';
import { serviceError } from '../connection.ts';
import { browseMany, childHints, childrenOf, chunkOf, dataTypeNames, euProperties, releaseContinuations, type DiscoverySession, type Limits } from './browse.ts';
import { dataValueJson, engineeringUnitsOf, nodeClassName, nodeIdText, plainNodeId, rangeOf, referenceTypeName, text, typeDefinitionName } from './format.ts';

export interface CrawlTuning {
  /** Nodes per Browse / continuation points per BrowseNext request. */
  readonly browseChunk: number;
  /** References asked per node; more come through BrowseNext. */
  readonly maxReferences: number;
  /** Variables per Read request (each reads three attributes, a property one). */
  readonly readChunk: number;
  /** Browse and Read requests in flight at once (each). */
  readonly browsesInFlight: number;
  readonly readsInFlight: number;
}

export const DEFAULT_TUNING: CrawlTuning = { browseChunk: 500, maxReferences: 1000, readChunk: 1000, browsesInFlight: 2, readsInFlight: 2 };

/**
 * Value, DataType and AccessLevel: what a variable shows in a tree and what a snapshot needs (the
 * value tells scalar from array). Properties of variables (EURange, EngineeringUnits, …) only need
 * their value: on a server every attribute read costs about the same, so this is a third of the work.
 */
const VARIABLE_ATTRIBUTES = [AttributeIds.Value, AttributeIds.DataType, AttributeIds.AccessLevel];
const VALUE_ONLY = [AttributeIds.Value];
/** Status codes that mean "this request was too big": halve it and try again. */
const TOO_BIG = /BadTooManyOperations|BadResponseTooLarge|BadRequestTooLarge|BadEncodingLimitsExceeded/;
const MAX_RETRIES = 10;

interface Entry {
  readonly node: OpcuaCrawlNode;
  readonly id: NodeId;
  readonly parent: number;
  dataTypeId?: NodeId;
  retries: number;
}

export interface CrawlStart {
  readonly id: NodeId;
  readonly node: OpcuaCrawlNode;
}

export type CrawlOutcome = Omit<OpcuaCrawlResult, 'endpointUrl' | 'namespaces'>;

export interface CrawlSettings {
  readonly maxDepth: number;
  readonly budget: number;
  readonly values: boolean;
}

export async function crawlAddressSpace(
  session: DiscoverySession,
  limits: Limits,
  start: CrawlStart,
  settings: CrawlSettings,
  options: DiscoveryOptions = {},
  tuning: CrawlTuning = DEFAULT_TUNING,
): Promise<CrawlOutcome> {
  const started = performance.now();
  const entries: Entry[] = [{ node: start.node, id: start.id, parent: -1, retries: 0 }];
  const seen = new Set([start.node.nodeId]);
  const toBrowse: number[] = settings.maxDepth > 0 ? [0] : [];
  let browseHead = 0;
  const continuations: { point: Buffer; parent: number }[] = [];
  const toRead: number[] = settings.values && start.node.nodeClass === 'Variable' ? [0] : [];
  let readHead = 0;
  const leaves: number[] = settings.maxDepth === 0 ? [0] : [];
  const requests = { browse: 0, browseNext: 0, read: 0 };
  // A server with few continuation points: no more nodes per Browse than it has points, one request
  // at a time, and BrowseNext (which frees them) before the next Browse.
  const cpLimit = limits.maxBrowseContinuationPoints;
  let browseChunk = cpLimit > 0 ? Math.min(cpLimit, chunkOf(limits.maxNodesPerBrowse, tuning.browseChunk)) : chunkOf(limits.maxNodesPerBrowse, tuning.browseChunk);
  const browsesInFlight = cpLimit > 0 ? 1 : tuning.browsesInFlight;
  /** Attributes per Read request. */
  let readItems = chunkOf(limits.maxNodesPerRead, tuning.readChunk * VARIABLE_ATTRIBUTES.length);
  const attributesOf = (index: number): readonly number[] => {
    const entry = entries[index]!;
    return entry.node.referenceType === 'HasProperty' && entries[entry.parent]?.node.nodeClass === 'Variable' ? VALUE_ONLY : VARIABLE_ATTRIBUTES;
  };
  let truncated = false;
  let cancelled = false;
  let failure: string | undefined;
  let browsing = 0;
  let reading = 0;
  const progress = throttledProgress(options.onProgress, 100);
  const report = (final = false): void =>
    progress({ done: entries.length, message: `${(toBrowse.length - browseHead).toLocaleString('en-US')} to browse, ${(toRead.length - readHead).toLocaleString('en-US')} to read` }, final);

  // Few distinct type definitions and access levels: their text is made once.
  const types = new Map<string, { nodeId: string; name?: string }>();
  const typeOf = (id: NodeId): { nodeId: string; name?: string } => {
    const key = `${id.namespace}:${String(id.value)}`;
    let type = types.get(key);
    if (!type) {
      const name = typeDefinitionName(id);
      types.set(key, (type = { nodeId: nodeIdText(id), ...(name ? { name } : {}) }));
    }
    return type;
  };
  const accessLevels = new Map<number, string[]>();
  const accessOf = (level: number): string[] => {
    let flags = accessLevels.get(level);
    if (!flags) accessLevels.set(level, (flags = accessLevelFlags(level)));
    return flags;
  };

  const add = (parent: number, ref: ReferenceDescription): void => {
    if (ref.nodeId.serverIndex) return; // on another server
    const key = nodeIdText(ref.nodeId);
    if (seen.has(key)) return;
    if (entries.length >= settings.budget) {
      truncated = true;
      return;
    }
    seen.add(key);
    const up = entries[parent]!.node;
    const name = ref.browseName.name ?? '';
    const depth = up.depth + 1;
    const node: OpcuaCrawlNode = {
      nodeId: key,
      parent: up.nodeId,
      path: `${up.path === '/' ? '' : up.path}/${escapeBrowseName(name)}`,
      depth,
      browseName: { namespaceIndex: ref.browseName.namespaceIndex, name },
      displayName: text(ref.displayName),
      nodeClass: nodeClassName(ref.nodeClass),
      referenceType: referenceTypeName(ref.referenceTypeId),
    };
    if (!ref.typeDefinition.isEmpty()) {
      const type = typeOf(ref.typeDefinition);
      node.typeDefinition = type.nodeId;
      if (type.name) node.typeDefinitionName = type.name;
    }
    const index = entries.push({ node, id: plainNodeId(ref.nodeId), parent, retries: 0 }) - 1;
    if (depth < settings.maxDepth) toBrowse.push(index);
    else leaves.push(index);
    if (settings.values && ref.nodeClass === NodeClass.Variable) toRead.push(index);
  };

  const takeResults = (parents: readonly number[], results: readonly BrowseResult[]): void => {
    results.forEach((r, i) => {
      const parent = parents[i]!;
      if (r.statusCode.equals(StatusCodes.BadNoContinuationPoints)) {
        // The server ran out of continuation points: browse it again once some are free.
        if (entries[parent]!.retries++ < MAX_RETRIES) toBrowse.push(parent);
        else failure ??= `BadNoContinuationPoints browsing ${entries[parent]!.node.path}`;
        return;
      }
      for (const ref of r.references ?? []) add(parent, ref);
      if (r.continuationPoint?.length) continuations.push({ point: r.continuationPoint, parent });
    });
  };

  /** A failed request: too big ones are split by halving the chunk and retrying, others end the crawl. */
  const retryOrFail = (err: unknown, retry: () => void, shrink: () => boolean): void => {
    const status = serviceError(err);
    if (TOO_BIG.test(status) && shrink()) retry();
    else failure ??= status;
  };

  const browseJob = async (): Promise<void> => {
    const parents = toBrowse.slice(browseHead, browseHead + browseChunk);
    browseHead += parents.length;
    requests.browse++;
    try {
      takeResults(parents, await browseMany(session, parents.map((p) => childrenOf(entries[p]!.id)), tuning.maxReferences));
    } catch (err) {
      retryOrFail(err, () => toBrowse.push(...parents), () => (browseChunk > 1 ? ((browseChunk = Math.ceil(browseChunk / 2)), true) : false));
    }
  };

  const browseNextJob = async (): Promise<void> => {
    const batch = continuations.splice(0, browseChunk);
    requests.browseNext++;
    try {
      takeResults(batch.map((c) => c.parent), await session.browseNext(batch.map((c) => c.point), false));
    } catch (err) {
      retryOrFail(err, () => continuations.push(...batch), () => (browseChunk > 1 ? ((browseChunk = Math.ceil(browseChunk / 2)), true) : false));
    }
  };

  const readJob = async (): Promise<void> => {
    const batch: number[] = [];
    let items = 0;
    while (readHead < toRead.length) {
      const n = attributesOf(toRead[readHead]!).length;
      if (batch.length > 0 && items + n > readItems) break;
      batch.push(toRead[readHead++]!);
      items += n;
    }
    requests.read++;
    let values: DataValue[];
    try {
      values = await session.read(batch.flatMap((i) => attributesOf(i).map((attributeId) => ({ nodeId: entries[i]!.id, attributeId }))));
    } catch (err) {
      retryOrFail(err, () => toRead.push(...batch), () => (readItems > 1 ? ((readItems = Math.ceil(readItems / 2)), true) : false));
      return;
    }
    let at = 0;
    for (const index of batch) {
      const property = attributesOf(index) === VALUE_ONLY;
      const value = values[at];
      const dataType = property ? undefined : values[at + 1];
      const access = property ? undefined : values[at + 2];
      at += property ? 1 : VARIABLE_ATTRIBUTES.length;
      const entry = entries[index]!;
      const node = entry.node;
      // Timestamps are left out: on 50k nodes their text costs more than the rest of the value.
      if (value) node.value = dataValueJson(value, false);
      if (dataType?.statusCode.isGood()) entry.dataTypeId = dataType.value.value as NodeId;
      if (access?.statusCode.isGood()) node.accessLevel = accessOf(access.value.value as number);
      // EngineeringUnits and EURange are properties of their variable: the values go to the parent.
      const owner = entries[entry.parent]?.node;
      if (owner?.nodeClass === 'Variable' && value?.statusCode.isGood()) {
        if (node.browseName.name === 'EngineeringUnits') {
          const eu = engineeringUnitsOf(value.value);
          if (eu) owner.engineeringUnits = eu;
        } else if (node.browseName.name === 'EURange') {
          const range = rangeOf(value.value);
          if (range) owner.euRange = range;
        }
      }
    }
  };

  const nextJob = (): Promise<void> | undefined => {
    const stopBrowsing = truncated;
    if (stopBrowsing && continuations.length > 0 && browsing < browsesInFlight) {
      const points = continuations.splice(0).map((c) => c.point);
      return track('browse', releaseContinuations(session, points));
    }
    if (!stopBrowsing && browsing < browsesInFlight) {
      // Continuation points first: they hold server memory.
      if (continuations.length > 0) return track('browse', browseNextJob());
      if (browseHead < toBrowse.length) return track('browse', browseJob());
    }
    const pendingReads = toRead.length - readHead;
    const browseDone = browsing === 0 && (stopBrowsing || (browseHead >= toBrowse.length && continuations.length === 0));
    const fullRead = pendingReads * VARIABLE_ATTRIBUTES.length >= readItems;
    if (reading < tuning.readsInFlight && pendingReads > 0 && (fullRead || browseDone)) return track('read', readJob());
    return undefined;
  };

  const inflight = new Set<Promise<void>>();
  function track(kind: 'browse' | 'read', job: Promise<void>): Promise<void> {
    if (kind === 'browse') browsing++;
    else reading++;
    const done: Promise<void> = job
      .catch((err: unknown) => void (failure ??= serviceError(err)))
      .finally(() => {
        if (kind === 'browse') browsing--;
        else reading--;
        inflight.delete(done);
      });
    inflight.add(done);
    return done;
  }

  for (;;) {
    if (options.signal?.aborted) cancelled = true;
    if (!cancelled && failure === undefined) while (nextJob());
    if (inflight.size === 0) break;
    await Promise.race(inflight);
    report();
  }
  if (continuations.length > 0) await releaseContinuations(session, continuations.splice(0).map((c) => c.point));

  // Nodes at the depth limit, or left when the budget ran out, were not browsed: whether they have
  // children, and EU/EURange of variables (their properties were not reached).
  if (truncated) leaves.push(...toBrowse.slice(browseHead));
  if (!cancelled && failure === undefined && leaves.length > 0) {
    try {
      const hints = await childHints(session, limits, leaves.map((i) => entries[i]!.id));
      leaves.forEach((i, k) => {
        if (hints[k] !== undefined) entries[i]!.node.hasChildren = hints[k];
      });
      const variables = settings.values ? leaves.filter((i) => entries[i]!.node.nodeClass === 'Variable') : [];
      if (variables.length > 0) {
        const eus = await euProperties(session, limits, variables.map((i) => entries[i]!.id));
        variables.forEach((i, k) => Object.assign(entries[i]!.node, eus[k]));
      }
    } catch (err) {
      failure = serviceError(err);
    }
  }

  const typeIds = entries.flatMap((e) => (e.dataTypeId ? [e.dataTypeId] : []));
  if (typeIds.length > 0) {
    const names = await dataTypeNames(session, limits, typeIds).catch((err: unknown) => {
      failure ??= serviceError(err);
      return new Map<string, string>();
    });
    for (const e of entries) {
      if (e.dataTypeId) e.node.dataType = names.get(e.dataTypeId.toString()) ?? nodeIdText(e.dataTypeId);
    }
  }
  report(true);
  return {
    root: start.node.nodeId,
    nodes: entries.map((e) => e.node),
    cancelled,
    truncated,
    ...(failure !== undefined ? { error: failure } : {}),
    durationMs: Math.round(performance.now() - started),
    requests,
  };
}
