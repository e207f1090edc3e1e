// The discovery helpers are written against node-opcua's IBasicSession interfaces (ARCHITECTURE §7):
// here a PseudoSession over an in-memory address space, built by the simulator's own builder, stands
// in for a server, so continuation points, requests a server refuses and failing connections are
// tried without a network.
import { AddressSpace, PseudoSession, type BrowsePath, generateAddressSpace, nodesets, resolveNodeId, type BrowseDescriptionOptions, type ReadValueIdOptions } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gotoNode, nodeAttributes, type DiscoverySession, type Limits } from '../../../src/connectors/opcua/discovery/browse.ts';
import { crawlAddressSpace, DEFAULT_TUNING, type CrawlTuning } from '../../../src/connectors/opcua/discovery/crawl.ts';
import { buildAddressSpace } from '../../../src/simulators/opcua/address-space.ts';
import { simProfile } from '../../helpers/opcua.ts';

const NO_LIMITS: Limits = { maxNodesPerBrowse: 0, maxNodesPerRead: 0, maxNodesPerTranslateBrowsePathsToNodeIds: 0, maxBrowseContinuationPoints: 0 };

let addressSpace: AddressSpace;

beforeAll(async () => {
  addressSpace = AddressSpace.create();
  await generateAddressSpace(addressSpace, [nodesets.standard]);
  addressSpace.registerNamespace('urn:test:line');
  const variables = [];
  for (let m = 0; m < 4; m++) {
    for (let k = 0; k < 6; k++) variables.push({ path: `Line/Machine${m}/Value${k}`, dataType: 'Int32', value: m * 10 + k });
    variables.push({ path: `Line/Machine${m}/Temp`, dataType: 'Double', value: 20 + m, unit: '°C', range: { low: 0, high: 100 } });
  }
  buildAddressSpace(addressSpace, simProfile({ variables }), { csv: new Map(), packmlTransitionMs: 500 });
});

afterAll(() => addressSpace.dispose());

/** A session that refuses requests above `max` operations (a server whose limits are not what it says) or fails after `failAfter` calls. */
class StrictSession implements DiscoverySession {
  readonly inner = new PseudoSession(addressSpace);
  calls = 0;
  refused = 0;
  private readonly max: number;
  private readonly failAfter: number;
  constructor(max = Infinity, failAfter = Infinity) {
    this.max = max;
    this.failAfter = failAfter;
  }
  get requestedMaxReferencesPerNode(): number {
    return this.inner.requestedMaxReferencesPerNode;
  }
  set requestedMaxReferencesPerNode(n: number) {
    this.inner.requestedMaxReferencesPerNode = n;
  }
  private check(n: number): void {
    if (++this.calls > this.failAfter) throw new Error('connection lost: BadConnectionClosed (0x80ae0000)');
    if (n > this.max) {
      this.refused++;
      throw new Error('serviceResult = BadTooManyOperations (0x80100000)');
    }
  }
  browse(nodes: BrowseDescriptionOptions[]) {
    this.check(nodes.length);
    return this.inner.browse(nodes);
  }
  browseNext(points: Buffer[], release: boolean) {
    this.check(points.length);
    return this.inner.browseNext(points, release);
  }
  read(nodes: ReadValueIdOptions[]) {
    this.check(nodes.length);
    return this.inner.read(nodes);
  }
  translateBrowsePath(paths: Parameters<DiscoverySession['translateBrowsePath']>[0]) {
    this.check(paths.length);
    return this.inner.translateBrowsePath(paths as BrowsePath[]);
  }
}

async function crawlLine(session: DiscoverySession, tuning: Partial<CrawlTuning> = {}, settings: Partial<{ maxDepth: number; budget: number }> = {}) {
  const start = await gotoNode(session, NO_LIMITS, 'Line', []);
  return crawlAddressSpace(
    session,
    NO_LIMITS,
    { id: resolveNodeId(start.node.nodeId), node: { ...start.node, path: start.path, depth: 0 } },
    { maxDepth: 64, budget: 100_000, values: true, ...settings },
    {},
    { ...DEFAULT_TUNING, ...tuning },
  );
}

const summary = (nodes: { path: string; value?: { value: unknown }; euRange?: unknown }[]) => nodes.map((n) => [n.path, n.value?.value, n.euRange]).sort();

describe('crawl over an IBasicSession', () => {
  it('gets the same tree with two references per request (BrowseNext) as with the defaults', async () => {
    const plain = await crawlLine(new StrictSession());
    expect(plain).toMatchObject({ cancelled: false, truncated: false });
    expect(plain.nodes).toHaveLength(1 + 4 + 4 * 7 + 4 * 2);
    expect(plain.requests.browseNext).toBe(0);
    const temp = plain.nodes.find((n) => n.path === '/Objects/Line/Machine2/Temp')!;
    expect(temp).toMatchObject({ dataType: 'Double', value: { value: 22 }, engineeringUnits: { displayName: '°C' }, euRange: { low: 0, high: 100 } });

    const paged = await crawlLine(new StrictSession(), { maxReferences: 2, browseChunk: 3, readChunk: 2 });
    expect(paged.requests.browseNext).toBeGreaterThan(0);
    expect(summary(paged.nodes)).toEqual(summary(plain.nodes));
  });

  it('splits requests a server refuses as too many operations, down to what it takes', async () => {
    const session = new StrictSession(5);
    const result = await crawlLine(session);
    expect(result.error).toBeUndefined();
    expect(session.refused).toBeGreaterThan(0);
    expect(summary(result.nodes)).toEqual(summary((await crawlLine(new StrictSession())).nodes));
  });

  it('stops at the budget and reports children and EU of the nodes it did not browse', async () => {
    // Line, 4 machines and the 7 children of the first: Temp is in, its properties are not.
    const result = await crawlLine(new StrictSession(), {}, { budget: 12 });
    expect(result.truncated).toBe(true);
    expect(result.nodes).toHaveLength(12);
    expect(result.nodes.find((n) => n.path === '/Objects/Line/Machine0/Value0')).toMatchObject({ hasChildren: false, value: { value: 0 } });
    expect(result.nodes.find((n) => n.path === '/Objects/Line/Machine0/Temp')).toMatchObject({ hasChildren: true, engineeringUnits: { displayName: '°C' }, euRange: { low: 0, high: 100 } });
  });

  it('returns what it found, with the reason, when the connection fails midway', async () => {
    const result = await crawlLine(new StrictSession(Infinity, 4));
    expect(result.error).toBe('BadConnectionClosed');
    expect(result.nodes.length).toBeGreaterThan(0);
  });

  it('reads attributes and EU of variables, chunked by MaxNodesPerRead', async () => {
    const session = new StrictSession(7);
    const ids = ['ns=1;s=Line.Machine1.Temp', 'ns=1;s=Line.Machine1.Value3'].map((id) => resolveNodeId(id));
    const [temp, value] = await nodeAttributes(session, { ...NO_LIMITS, maxNodesPerRead: 7, maxNodesPerTranslateBrowsePathsToNodeIds: 7 }, ids);
    expect(temp).toMatchObject({ dataType: 'Double', valueRank: -1, value: { value: 21 }, engineeringUnits: { displayName: '°C' }, euRange: { low: 0, high: 100 } });
    expect(value).toMatchObject({ dataType: 'Int32', value: { value: 13 }, accessLevel: ['CurrentRead'] });
  });
});
