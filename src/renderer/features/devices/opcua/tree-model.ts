// The OPC UA address space as the browser tree shows it: what each browsed node holds (one page of
// references at a time, plus the continuation for "more…"), which rows are expanded, and the flat
// list of rows to draw. Pure, so it is tested without a server.
//
// A node can appear under several parents (the address space is a graph), so a row is keyed by the
// chain of node ids from Objects down to it, and a node that is its own ancestor is not expanded again.
import { escapeBrowseName } from '../../../../shared/discovery/opcua-path.ts';
import type { OpcuaReference } from '../../../../shared/discovery/opcua.ts';

export const OBJECTS = 'i=85';
export const OBJECTS_PATH = '/Objects';
/** References asked per Browse: a children list grows a page at a time ("more…"). */
export const PAGE_SIZE = 100;

/** What browsing one node gave so far. */
export interface NodeChildren {
  readonly refs: readonly OpcuaReference[];
  /** Set while the server holds more references (BrowseNext). */
  readonly continuation?: string;
  readonly loading: boolean;
  readonly error?: string;
}

export type TreeRow =
  | {
      readonly type: 'node';
      readonly key: string;
      readonly parentKey: string;
      readonly ref: OpcuaReference;
      readonly depth: number;
      /** Absolute browse path, e.g. /Objects/Capper/Speed. */
      readonly path: string;
      readonly expanded: boolean;
      /** Whether to offer the toggle (the server's hint; unknown counts as yes). */
      readonly expandable: boolean;
    }
  | { readonly type: 'more'; readonly key: string; readonly nodeId: string; readonly depth: number; readonly loading: boolean }
  | { readonly type: 'status'; readonly key: string; readonly depth: number; readonly text: string; readonly error: boolean };

const SEP = '\n';

export function childKey(parentKey: string, nodeId: string): string {
  return parentKey === '' ? nodeId : `${parentKey}${SEP}${nodeId}`;
}

/** The node id a row key ends with ('' is Objects itself). */
export function nodeIdOfKey(key: string): string {
  if (key === '') return OBJECTS;
  const at = key.lastIndexOf(SEP);
  return at < 0 ? key : key.slice(at + 1);
}

export function parentKeyOf(key: string): string {
  const at = key.lastIndexOf(SEP);
  return at < 0 ? '' : key.slice(0, at);
}

function ancestors(key: string): string[] {
  return key === '' ? [OBJECTS] : [OBJECTS, ...key.split(SEP)];
}

/**
 * The rows to draw: the children of Objects, and below each expanded row its children, a "more…"
 * row while the server has more, and a status row while loading, on an error or when empty.
 */
export function flattenTree(children: ReadonlyMap<string, NodeChildren>, expanded: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (parentKey: string, nodeId: string, path: string, depth: number): void => {
    const c = children.get(nodeId);
    if (!c || (c.loading && c.refs.length === 0)) {
      rows.push({ type: 'status', key: `${parentKey}${SEP}…`, depth, text: 'loading…', error: false });
      return;
    }
    const seen = new Set(ancestors(parentKey));
    for (const ref of c.refs) {
      const key = childKey(parentKey, ref.nodeId);
      const cycle = seen.has(ref.nodeId);
      const open = !cycle && expanded.has(key);
      const childPath = `${path}/${escapeBrowseName(ref.browseName.name)}`;
      rows.push({ type: 'node', key, parentKey, ref, depth, path: childPath, expanded: open, expandable: !cycle && ref.hasChildren !== false });
      if (open) walk(key, ref.nodeId, childPath, depth + 1);
    }
    if (c.error) rows.push({ type: 'status', key: `${parentKey}${SEP}!`, depth, text: c.error, error: true });
    else if (c.continuation) rows.push({ type: 'more', key: `${parentKey}${SEP}+`, nodeId, depth, loading: c.loading });
    else if (c.refs.length === 0) rows.push({ type: 'status', key: `${parentKey}${SEP}∅`, depth, text: '(no children)', error: false });
  };
  walk('', OBJECTS, OBJECTS_PATH, 0);
  return rows;
}

export type NodeRow = Extract<TreeRow, { type: 'node' }>;

/** Icon class of a node: folders, objects, variables, properties, methods, types and views look different. */
export function nodeIcon(ref: Pick<OpcuaReference, 'nodeClass' | 'referenceType' | 'typeDefinitionName'>): { cls: string; glyph: string; title: string } {
  switch (ref.nodeClass) {
    case 'Object':
      return ref.typeDefinitionName === 'FolderType' ? { cls: 'folder', glyph: 'F', title: 'Folder' } : { cls: 'object', glyph: 'O', title: 'Object' };
    case 'Variable':
      return ref.referenceType === 'HasProperty' ? { cls: 'property', glyph: 'P', title: 'Property' } : { cls: 'variable', glyph: 'V', title: 'Variable' };
    case 'Method':
      return { cls: 'method', glyph: 'M', title: 'Method' };
    case 'View':
      return { cls: 'view', glyph: 'W', title: 'View' };
    case 'ObjectType':
    case 'VariableType':
    case 'ReferenceType':
    case 'DataType':
      return { cls: 'type', glyph: 'T', title: ref.nodeClass };
    default:
      return { cls: 'other', glyph: '?', title: ref.nodeClass };
  }
}

/** A browsed variable, as import and drag need it. */
export interface BrowsedVariable {
  readonly nodeId: string;
  readonly path: string;
  readonly name: string;
}

/**
 * The variables a set of rows stands for: a variable row is itself; an object or folder row is the
 * variables directly below it (those loaded). Each variable once, in row order.
 */
export function variablesOf(rows: readonly NodeRow[], children: ReadonlyMap<string, NodeChildren>): BrowsedVariable[] {
  const out: BrowsedVariable[] = [];
  const seen = new Set<string>();
  const add = (nodeId: string, path: string, name: string): void => {
    if (seen.has(nodeId)) return;
    seen.add(nodeId);
    out.push({ nodeId, path, name });
  };
  for (const row of rows) {
    if (row.ref.nodeClass === 'Variable') add(row.ref.nodeId, row.path, row.ref.browseName.name);
    else if (row.ref.nodeClass === 'Object') {
      for (const ref of children.get(row.ref.nodeId)?.refs ?? []) {
        if (ref.nodeClass === 'Variable') add(ref.nodeId, `${row.path}/${escapeBrowseName(ref.browseName.name)}`, ref.browseName.name);
      }
    }
  }
  return out;
}

/** The row keys from Objects down to a node, for a goto chain (Root … Objects … node); undefined when the chain does not pass Objects. */
export function keysOfChain(chain: readonly { nodeId: string }[]): string[] | undefined {
  const at = chain.findIndex((n) => n.nodeId === OBJECTS);
  if (at < 0) return undefined;
  const keys: string[] = [];
  let key = '';
  for (const n of chain.slice(at + 1)) {
    key = childKey(key, n.nodeId);
    keys.push(key);
  }
  return keys;
}
