// Snapshot to simulator: a crawl of a real server → a simulator profile (simulators/<id>.yaml) with
// the variables below Objects, their types, EU, range, access and current values, so an engineer
// who browsed the PLC once can keep working offline. Pure: the UI can show what will be written.
import type { SimulatorFile } from '../model/simulator.ts';
import type { OpcuaCrawlNode, OpcuaCrawlResult } from './opcua.ts';
import { deviceNodes } from './opcua-import.ts';
import { parseBrowsePath } from './opcua-path.ts';

type OpcuaProfile = Extract<SimulatorFile, { protocol: 'opcua' }>;
type SimVariable = OpcuaProfile['variables'][number];
type SimDataType = SimVariable['dataType'];

const SIM_TYPES: ReadonlySet<string> = new Set<SimDataType>([
  'Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double', 'String', 'DateTime',
]);
const NUMERIC: ReadonlySet<string> = new Set(['SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double']);
/** Properties the simulator recreates from a variable's unit and range. */
const RECREATED_PROPERTIES: ReadonlySet<string> = new Set(['EngineeringUnits', 'EURange']);

export interface OpcuaSnapshot {
  readonly profile: OpcuaProfile;
  /** What could not be reproduced, in words for the user (empty when everything was). */
  readonly notes: readonly string[];
}

export interface OpcuaSnapshotOptions {
  /** The simulator id (a file name: lowercase, digits, dashes). */
  readonly id: string;
  readonly name?: string;
  /** The device this simulator stands in for (`run --simulate`). */
  readonly device?: string;
}

function namespaceIndex(nodeId: string): number {
  const m = /^ns=(\d+);/.exec(nodeId);
  return m ? Number(m[1]) : nodeId.startsWith('nsu=') ? -1 : 0;
}

/** The simulator type of a variable: its DataType when the simulator has it, else the built-in type of its value (UtcTime → DateTime, an enumeration → Int32). */
function simType(node: OpcuaCrawlNode): SimDataType | undefined {
  if (node.dataType && SIM_TYPES.has(node.dataType)) return node.dataType as SimDataType;
  const builtIn = node.value?.type;
  return builtIn && SIM_TYPES.has(builtIn) ? (builtIn as SimDataType) : undefined;
}

function plainValue(node: OpcuaCrawlNode): number | string | boolean | undefined {
  const v = node.value?.value;
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : undefined;
}

const count = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * The simulator profile reproducing the crawled variables below Objects. Standard nodes (namespace
 * 0, the Server object) are left out: every server has its own. What the simulator
 * cannot express (arrays, structures and other types, methods, properties of variables other than
 * EngineeringUnits and EURange, non-string node ids) is skipped or adapted, and counted in `notes`.
 */
export function opcuaSnapshot(crawl: OpcuaCrawlResult, options: OpcuaSnapshotOptions): OpcuaSnapshot {
  const byId = new Map(crawl.nodes.map((n) => [n.nodeId, n]));
  // What was skipped, by reason: [singular, plural] → count.
  const skipped = new Map<string, { one: string; many: string; n: number }>();
  const skip = (one: string, many: string): void => {
    const entry = skipped.get(many) ?? { one, many, n: 0 };
    entry.n++;
    skipped.set(many, entry);
  };
  const notes: string[] = [];
  let renamed = 0;
  let nonStringIds = 0;
  let methods = 0;
  const usedIds = new Set<string>();
  const usedPaths = new Set<string>();
  const namespaces = new Map<number, number>();
  const variables: SimVariable[] = [];
  const accepted: { node: OpcuaCrawlNode; variable: SimVariable }[] = [];

  for (const node of deviceNodes(crawl.nodes)) {
    const ns = namespaceIndex(node.nodeId);
    if (node.nodeClass === 'Method') {
      methods++;
      continue;
    }
    if (node.nodeClass !== 'Variable') continue;
    const parent = node.parent === undefined ? undefined : byId.get(node.parent);
    if (parent?.nodeClass === 'Variable') {
      if (!RECREATED_PROPERTIES.has(node.browseName.name)) skip('property or component of a variable', 'properties or components of variables');
      continue;
    }
    if (parent?.nodeClass === 'Method') continue;
    let names: string[];
    try {
      names = parseBrowsePath(node.path);
    } catch {
      skip('variable whose path cannot be read', 'variables whose path cannot be read');
      continue;
    }
    if (names[0] !== 'Objects' || names.length < 2) {
      skip('variable outside the Objects folder', 'variables outside the Objects folder');
      continue;
    }
    const dataType = simType(node);
    if (!dataType) {
      const type = node.dataType ?? node.value?.type ?? 'unknown';
      skip(`variable of type ${type}`, `variables of type ${type}`);
      continue;
    }
    if (node.value?.arrayType !== undefined && node.value.arrayType !== 'Scalar') {
      skip('array', 'arrays');
      continue;
    }
    const parts = names.slice(1).map((n) => {
      const clean = n.replace(/\//g, '_');
      if (clean !== n) renamed++;
      return clean;
    });
    const path = parts.join('/');
    if (usedPaths.has(path)) {
      skip('variable with the same path as another', 'variables with the same path as another');
      continue;
    }
    // The simulator serves string ids in its one namespace: ns=<k>;s=<id> keeps <id>.
    const stringId = /^ns=\d+;s=(.+)$/s.exec(node.nodeId)?.[1];
    if (stringId === undefined) nonStringIds++;
    const id = stringId ?? parts.join('.');
    if (usedIds.has(id)) {
      skip('variable whose node id repeats one of another namespace', 'variables whose node id repeats one of another namespace');
      continue;
    }
    usedPaths.add(path);
    usedIds.add(id);
    namespaces.set(ns, (namespaces.get(ns) ?? 0) + 1);
    const value = plainValue(node);
    const range = node.euRange && NUMERIC.has(dataType) && node.euRange.high > node.euRange.low ? { low: node.euRange.low, high: node.euRange.high } : undefined;
    const unit = node.engineeringUnits?.displayName || undefined;
    const variable: SimVariable = {
      path,
      ...(id !== parts.join('.') ? { nodeId: id } : {}),
      dataType,
      ...(unit && NUMERIC.has(dataType) ? { unit } : {}),
      ...(range ? { range } : {}),
      writable: node.accessLevel?.includes('CurrentWrite') ?? false,
      ...(value !== undefined ? { value } : {}),
      updateMs: 1000,
    };
    variables.push(variable);
    accepted.push({ node, variable });
  }

  // The simulator has one namespace: the one most variables are in.
  const [mainNs] = [...namespaces].sort((a, b) => b[1] - a[1])[0] ?? [1];
  const namespaceUri = crawl.namespaces[mainNs] ?? 'urn:plantbench:simulator';
  const others = accepted.filter((a) => namespaceIndex(a.node.nodeId) !== mainNs).length;

  if (crawl.truncated) notes.push(`The crawl stopped at its node budget: the snapshot holds only the ${count(crawl.nodes.length, 'node')} it reached.`);
  if (crawl.cancelled) notes.push('The crawl was cancelled: the snapshot holds only what it reached.');
  for (const { one, many, n } of skipped.values()) notes.push(`Skipped ${count(n, one, many)}.`);
  if (methods > 0) notes.push(`Skipped ${count(methods, 'method')}: the simulator has none.`);
  if (renamed > 0) notes.push(`${count(renamed, 'browse name')} with "/" became "_" in simulator paths.`);
  if (nonStringIds > 0) notes.push(`${count(nonStringIds, 'variable')} had a numeric, GUID or opaque node id: the simulator serves it as ns=1;s=<path with "." between names>.`);
  if (others > 0) notes.push(`${count(others, 'variable')} came from namespaces other than ${namespaceUri}: the simulator serves them in that one namespace.`);
  const signals = accepted.filter((a) => a.variable.value === undefined).length;
  if (signals > 0) notes.push(`${count(signals, 'variable')} had no readable value: the simulator starts at 0, false or "".`);

  const resourcePath = /^opc\.tcp:\/\/[^/]+(\/.*)?$/.exec(crawl.endpointUrl)?.[1] ?? '/';
  const profile: OpcuaProfile = {
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: options.id,
    ...(options.name ? { name: options.name } : {}),
    description: `Snapshot of ${crawl.endpointUrl}`,
    ...(options.device ? { device: options.device } : {}),
    bind: { host: '127.0.0.1', port: 0 },
    protocol: 'opcua',
    namespaceUri,
    resourcePath,
    variables,
  };
  return { profile, notes };
}
