// A full crawl of an address space, breadth first, as fast as the server allows: many nodes per
// Browse request, BrowseNext for the rest, variables read in large batches, and a few requests in
// flight at once so the server never waits for the client. A node budget, a depth limit, progress
// and cancellation; a cancelled or failed crawl returns what it found.
import { AttributeIds, NodeClass, StatusCodes, type BrowseResult, type DataValue, type NodeId, type ReferenceDescription } from 'node-opcua';
import { throttledProgress, type DiscoveryOptions, type DiscoveryProgress } from '../../../shared/discovery/progress.ts';
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
/** Times a node refused with BadNoContinuationPoints is browsed again. */
const MAX_RETRIES = 10;

interface Entry {
  readonly node: OpcuaCrawlNode;
  readonly id: NodeId;
  /** Index of the parent entry; -1 for the root. */
  readonly parent: number;
  dataTypeId?: NodeId;
  retries: number;
}

export interface CrawlStart {
  readonly id: NodeId;
  readonly node: OpcuaCrawlNode;
}

export interface CrawlSettings {
  readonly maxDepth: number;
  readonly budget: number;
  readonly values: boolean;
}

export type CrawlOutcome = Omit<OpcuaCrawlResult, 'endpointUrl' | 'namespaces'>;

export function crawlAddressSpace(
  session: DiscoverySession,
  limits: Limits,
  start: CrawlStart,
  settings: CrawlSettings,
  options: DiscoveryOptions = {},
  tuning: CrawlTuning = DEFAULT_TUNING,
): Promise<CrawlOutcome> {
  return new Crawl(session, limits, start, settings, options, tuning).run();
}

class Crawl {
  private readonly started = performance.now();
  /** Every node found, parents first; queues hold indices into it. */
  private readonly entries: Entry[];
  private readonly seen: Set<string>;
  private readonly toBrowse: number[];
  private browseHead = 0;
  private readonly continuations: { point: Buffer; parent: number }[] = [];
  private readonly toRead: number[];
  private readHead = 0;
  /** Nodes that are not browsed (at maxDepth): they get a hasChildren hint. */
  private readonly leaves: number[];
  private readonly requests = { browse: 0, browseNext: 0, read: 0 };
  private browseChunk: number;
  private readonly browsesInFlight: number;
  /** Attributes per Read request. */
  private readItems: number;
  private truncated = false;
  private cancelled = false;
  private failure: string | undefined;
  private browsing = 0;
  private reading = 0;
  private readonly inflight = new Set<Promise<void>>();
  private readonly progress: (p: DiscoveryProgress, final?: boolean) => void;
  /** Few distinct type definitions and access levels: their text is made once. */
  private readonly types = new Map<string, { nodeId: string; name?: string }>();
  private readonly accessLevels = new Map<number, string[]>();

  private readonly session: DiscoverySession;
  private readonly limits: Limits;
  private readonly settings: CrawlSettings;
  private readonly options: DiscoveryOptions;
  private readonly tuning: CrawlTuning;

  constructor(session: DiscoverySession, limits: Limits, start: CrawlStart, settings: CrawlSettings, options: DiscoveryOptions, tuning: CrawlTuning) {
    this.session = session;
    this.limits = limits;
    this.settings = settings;
    this.options = options;
    this.tuning = tuning;
    this.entries = [{ node: start.node, id: start.id, parent: -1, retries: 0 }];
    this.seen = new Set([start.node.nodeId]);
    this.toBrowse = settings.maxDepth > 0 ? [0] : [];
    this.leaves = settings.maxDepth > 0 ? [] : [0];
    this.toRead = settings.values && start.node.nodeClass === 'Variable' ? [0] : [];
    // A server with few continuation points: no more nodes per Browse than it has points, one Browse
    // at a time, and BrowseNext (which frees them) before the next Browse.
    const points = limits.maxBrowseContinuationPoints;
    this.browseChunk = chunkOf(limits.maxNodesPerBrowse, tuning.browseChunk);
    if (points > 0) this.browseChunk = Math.min(this.browseChunk, points);
    this.browsesInFlight = points > 0 ? 1 : tuning.browsesInFlight;
    this.readItems = chunkOf(limits.maxNodesPerRead, tuning.readChunk * VARIABLE_ATTRIBUTES.length);
    this.progress = throttledProgress(options.onProgress, 100);
  }

  async run(): Promise<CrawlOutcome> {
    for (;;) {
      if (this.options.signal?.aborted) this.cancelled = true;
      if (!this.cancelled && this.failure === undefined) while (this.startNext());
      if (this.inflight.size === 0) break;
      await Promise.race(this.inflight);
      this.report();
    }
    await releaseContinuations(this.session, this.continuations.splice(0).map((c) => c.point));
    if (!this.cancelled && this.failure === undefined) await this.finishUnbrowsed();
    await this.nameDataTypes();
    this.report(true);
    return {
      root: this.entries[0]!.node.nodeId,
      nodes: this.entries.map((e) => e.node),
      cancelled: this.cancelled,
      truncated: this.truncated,
      ...(this.failure !== undefined ? { error: this.failure } : {}),
      durationMs: Math.round(performance.now() - this.started),
      requests: this.requests,
    };
  }

  private report(final = false): void {
    const toBrowse = (this.toBrowse.length - this.browseHead).toLocaleString('en-US');
    const toRead = (this.toRead.length - this.readHead).toLocaleString('en-US');
    this.progress({ done: this.entries.length, message: `${toBrowse} to browse, ${toRead} to read` }, final);
  }

  /** Starts the next request if one is due and allowed; false when there is none. */
  private startNext(): boolean {
    if (this.browsing < this.browsesInFlight) {
      if (this.truncated && this.continuations.length > 0) {
        return this.track('browse', releaseContinuations(this.session, this.continuations.splice(0).map((c) => c.point)));
      }
      // Continuation points first: they hold server memory.
      if (!this.truncated && this.continuations.length > 0) return this.track('browse', this.browseNext());
      if (!this.truncated && this.browseHead < this.toBrowse.length) return this.track('browse', this.browse());
    }
    const pending = this.toRead.length - this.readHead;
    const browsed = this.browsing === 0 && (this.truncated || (this.browseHead >= this.toBrowse.length && this.continuations.length === 0));
    // Reads go out full, except the last ones.
    const full = pending * VARIABLE_ATTRIBUTES.length >= this.readItems;
    if (this.reading < this.tuning.readsInFlight && pending > 0 && (full || browsed)) return this.track('read', this.read());
    return false;
  }

  private track(kind: 'browse' | 'read', job: Promise<void>): true {
    if (kind === 'browse') this.browsing++;
    else this.reading++;
    const done: Promise<void> = job
      .catch((err: unknown) => void (this.failure ??= serviceError(err)))
      .finally(() => {
        if (kind === 'browse') this.browsing--;
        else this.reading--;
        this.inflight.delete(done);
      });
    this.inflight.add(done);
    return true;
  }

  /** A failed request: one too big is split by halving its size and sent again; any other ends the crawl. */
  private retryOrFail(err: unknown, shrink: () => boolean, retry: () => void): void {
    const status = serviceError(err);
    if (TOO_BIG.test(status) && shrink()) retry();
    else this.failure ??= status;
  }

  private readonly shrinkBrowse = (): boolean => {
    if (this.browseChunk <= 1) return false;
    this.browseChunk = Math.ceil(this.browseChunk / 2);
    return true;
  };

  private readonly shrinkRead = (): boolean => {
    if (this.readItems <= 1) return false;
    this.readItems = Math.ceil(this.readItems / 2);
    return true;
  };

  private async browse(): Promise<void> {
    const parents = this.toBrowse.slice(this.browseHead, this.browseHead + this.browseChunk);
    this.browseHead += parents.length;
    this.requests.browse++;
    try {
      const results = await browseMany(this.session, parents.map((p) => childrenOf(this.entries[p]!.id)), this.tuning.maxReferences);
      this.take(parents, results);
    } catch (err) {
      this.retryOrFail(err, this.shrinkBrowse, () => this.toBrowse.push(...parents));
    }
  }

  private async browseNext(): Promise<void> {
    const batch = this.continuations.splice(0, this.browseChunk);
    this.requests.browseNext++;
    try {
      const results = await this.session.browseNext(batch.map((c) => c.point), false);
      this.take(batch.map((c) => c.parent), results);
    } catch (err) {
      this.retryOrFail(err, this.shrinkBrowse, () => this.continuations.push(...batch));
    }
  }

  private take(parents: readonly number[], results: readonly BrowseResult[]): void {
    results.forEach((r, i) => {
      const parent = parents[i]!;
      if (r.statusCode.equals(StatusCodes.BadNoContinuationPoints)) {
        // The server ran out of continuation points: browse the node again once some are free.
        if (this.entries[parent]!.retries++ < MAX_RETRIES) this.toBrowse.push(parent);
        else this.failure ??= `BadNoContinuationPoints browsing ${this.entries[parent]!.node.path}`;
        return;
      }
      for (const ref of r.references ?? []) this.add(parent, ref);
      if (r.continuationPoint?.length) this.continuations.push({ point: r.continuationPoint, parent });
    });
  }

  private add(parent: number, ref: ReferenceDescription): void {
    if (ref.nodeId.serverIndex) return; // on another server
    const key = nodeIdText(ref.nodeId);
    if (this.seen.has(key)) return;
    if (this.entries.length >= this.settings.budget) {
      this.truncated = true;
      return;
    }
    this.seen.add(key);
    const up = this.entries[parent]!.node;
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
      const type = this.typeOf(ref.typeDefinition);
      node.typeDefinition = type.nodeId;
      if (type.name) node.typeDefinitionName = type.name;
    }
    const index = this.entries.push({ node, id: plainNodeId(ref.nodeId), parent, retries: 0 }) - 1;
    if (depth < this.settings.maxDepth) this.toBrowse.push(index);
    else this.leaves.push(index);
    if (this.settings.values && ref.nodeClass === NodeClass.Variable) this.toRead.push(index);
  }

  private typeOf(id: NodeId): { nodeId: string; name?: string } {
    const key = `${id.namespace}:${String(id.value)}`;
    let type = this.types.get(key);
    if (!type) {
      const name = typeDefinitionName(id);
      this.types.set(key, (type = { nodeId: nodeIdText(id), ...(name ? { name } : {}) }));
    }
    return type;
  }

  private accessOf(level: number): string[] {
    let flags = this.accessLevels.get(level);
    if (!flags) this.accessLevels.set(level, (flags = accessLevelFlags(level)));
    return flags;
  }

  private attributesOf(index: number): readonly number[] {
    const entry = this.entries[index]!;
    const property = entry.node.referenceType === 'HasProperty' && this.entries[entry.parent]?.node.nodeClass === 'Variable';
    return property ? VALUE_ONLY : VARIABLE_ATTRIBUTES;
  }

  private async read(): Promise<void> {
    const batch: number[] = [];
    let items = 0;
    while (this.readHead < this.toRead.length) {
      const n = this.attributesOf(this.toRead[this.readHead]!).length;
      if (batch.length > 0 && items + n > this.readItems) break;
      batch.push(this.toRead[this.readHead++]!);
      items += n;
    }
    this.requests.read++;
    let values: DataValue[];
    try {
      values = await this.session.read(batch.flatMap((i) => this.attributesOf(i).map((attributeId) => ({ nodeId: this.entries[i]!.id, attributeId }))));
    } catch (err) {
      this.retryOrFail(err, this.shrinkRead, () => this.toRead.push(...batch));
      return;
    }
    let at = 0;
    for (const index of batch) {
      const property = this.attributesOf(index) === VALUE_ONLY;
      const [value, dataType, access] = property ? [values[at]] : [values[at], values[at + 1], values[at + 2]];
      at += property ? 1 : VARIABLE_ATTRIBUTES.length;
      const entry = this.entries[index]!;
      // Timestamps are left out: on 50k nodes their text costs more than the rest of the value.
      if (value) entry.node.value = dataValueJson(value, false);
      if (dataType?.statusCode.isGood()) entry.dataTypeId = dataType.value.value as NodeId;
      if (access?.statusCode.isGood()) entry.node.accessLevel = this.accessOf(access.value.value as number);
      if (property && value?.statusCode.isGood()) this.giveToOwner(entry, value);
    }
  }

  /** EngineeringUnits and EURange are properties of their variable: their values go to it. */
  private giveToOwner(entry: Entry, value: DataValue): void {
    const owner = this.entries[entry.parent]!.node;
    if (entry.node.browseName.name === 'EngineeringUnits') {
      const eu = engineeringUnitsOf(value.value);
      if (eu) owner.engineeringUnits = eu;
    } else if (entry.node.browseName.name === 'EURange') {
      const range = rangeOf(value.value);
      if (range) owner.euRange = range;
    }
  }

  /**
   * Nodes at the depth limit, or left when the budget ran out, were not browsed: whether they have
   * children, and the EngineeringUnits and EURange of variables (their properties were not reached).
   */
  private async finishUnbrowsed(): Promise<void> {
    const unbrowsed = [...new Set([...this.leaves, ...(this.truncated ? this.toBrowse.slice(this.browseHead) : [])])];
    if (unbrowsed.length === 0) return;
    try {
      const hints = await childHints(this.session, this.limits, unbrowsed.map((i) => this.entries[i]!.id));
      unbrowsed.forEach((i, k) => {
        if (hints[k] !== undefined) this.entries[i]!.node.hasChildren = hints[k];
      });
      const variables = this.settings.values ? unbrowsed.filter((i) => this.entries[i]!.node.nodeClass === 'Variable') : [];
      if (variables.length > 0) {
        const eus = await euProperties(this.session, this.limits, variables.map((i) => this.entries[i]!.id));
        variables.forEach((i, k) => Object.assign(this.entries[i]!.node, eus[k]));
      }
    } catch (err) {
      this.failure = serviceError(err);
    }
  }

  /** DataType names: standard ones from node-opcua's table, others read in one go. */
  private async nameDataTypes(): Promise<void> {
    const typed = this.entries.filter((e) => e.dataTypeId);
    if (typed.length === 0) return;
    const names = await dataTypeNames(this.session, this.limits, typed.map((e) => e.dataTypeId!)).catch((err: unknown) => {
      this.failure ??= serviceError(err);
      return new Map<string, string>();
    });
    for (const e of typed) e.node.dataType = names.get(e.dataTypeId!.toString()) ?? nodeIdText(e.dataTypeId!);
  }
}
