// The pipeline as the canvas edits it: React Flow nodes and edges plus the file's header, and the
// pure operations on it (load from / write to the pipeline file, ports and connection checks,
// ids, copy and paste). No React and no DOM here; unit-tested in test/unit/renderer.
import type { Edge, Node } from '@xyflow/react';
import { parsePortRef } from '../../../shared/model/pipeline.ts';
import type { DeviceFile } from '../../../shared/model/device.ts';
import { ERROR_PORT, NODE_SPEC_BY_TYPE, type OutputType, type PortContext, type PortType, type Ports } from '../../../shared/nodes/index.ts';

/** What a canvas node carries: one pipeline node as written in the file (config may be invalid while edited). */
export type PbNodeData = {
  kind: string;
  name?: string;
  description?: string;
  config: unknown;
  /** Other node fields (queue, ...) kept as they are. */
  rest: Record<string, unknown>;
};
export type PbNode = Node<PbNodeData>;
export type PbEdge = Edge;

export interface Graph {
  readonly nodes: PbNode[];
  readonly edges: PbEdge[];
}

/** The pipeline file without nodes and edges (apiVersion, kind, id, name, description, ...). */
export type Header = Record<string, unknown>;

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The React Flow node type of a kind: the kind itself, or "unknown" for a type the registry lacks. */
export function flowType(kind: string): string {
  return NODE_SPEC_BY_TYPE.has(kind) ? kind : 'unknown';
}

export function edgeId(source: string, sourceHandle: string, target: string, targetHandle: string): string {
  return `${source}.${sourceHandle}->${target}.${targetHandle}`;
}

export function makeEdge(source: string, sourceHandle: string, target: string, targetHandle: string): PbEdge {
  return { id: edgeId(source, sourceHandle, target, targetHandle), source, sourceHandle, target, targetHandle, type: 'live' };
}

/** Reads a pipeline file as file.get returns it. Nodes without a position are listed in `unplaced`. */
export function graphFromFile(data: unknown): { header: Header; graph: Graph; unplaced: string[] } {
  const file = isObject(data) ? data : {};
  const { nodes: rawNodes, edges: rawEdges, ...header } = file;
  const nodes: PbNode[] = [];
  const unplaced: string[] = [];
  for (const [id, raw] of Object.entries(isObject(rawNodes) ? rawNodes : {})) {
    const n = isObject(raw) ? raw : {};
    const { type, name, description, config, position, ...rest } = n;
    const pos = isObject(position) && typeof position.x === 'number' && typeof position.y === 'number' ? { x: position.x, y: position.y } : undefined;
    if (!pos) unplaced.push(id);
    nodes.push({
      id,
      type: flowType(String(type)),
      position: pos ?? { x: 0, y: 0 },
      data: {
        kind: String(type),
        ...(typeof name === 'string' ? { name } : {}),
        ...(typeof description === 'string' ? { description } : {}),
        config: config === undefined ? {} : config,
        rest,
      },
    });
  }
  const edges: PbEdge[] = [];
  for (const raw of Array.isArray(rawEdges) ? rawEdges : []) {
    if (!isObject(raw) || typeof raw.from !== 'string' || typeof raw.to !== 'string') continue;
    const from = parsePortRef(raw.from, 'out');
    const to = parsePortRef(raw.to, 'in');
    edges.push(makeEdge(from.node, from.port, to.node, to.port));
  }
  return { header, graph: { nodes, edges }, unplaced };
}

/** The pipeline file to save: header, nodes (with rounded positions) and edges ("node" when the port is the default). */
export function fileFromGraph(header: Header, graph: Graph): Record<string, unknown> {
  const nodes: Record<string, unknown> = {};
  for (const n of graph.nodes) {
    const d = n.data;
    nodes[n.id] = {
      type: d.kind,
      ...(d.name ? { name: d.name } : {}),
      ...(d.description ? { description: d.description } : {}),
      config: d.config,
      ...d.rest,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    };
  }
  const edges = graph.edges.map((e) => ({
    from: e.sourceHandle && e.sourceHandle !== 'out' ? `${e.source}.${e.sourceHandle}` : e.source,
    to: e.targetHandle && e.targetHandle !== 'in' ? `${e.target}.${e.targetHandle}` : e.target,
  }));
  return { ...header, nodes, edges };
}

/** Device files by id as the port checks need them; invalid files are known but not usable. */
export interface DeviceIndex {
  readonly valid: ReadonlyMap<string, DeviceFile>;
  readonly invalid: ReadonlySet<string>;
}

export function portContext(devices: DeviceIndex): PortContext {
  return { device: (id) => devices.valid.get(id), deviceFileInvalid: (id) => devices.invalid.has(id) };
}

const FALLBACK_PORTS: Ports = { inputs: { in: 'any' }, outputs: { out: 'any' } };

/**
 * The ports of a node as drawn: its kind's ports for the config as it is (parsed with defaults
 * when valid), plus the error output every node has. An unknown kind or a config the kind cannot
 * read falls back to one untyped input and output, so a half-edited node stays connectable.
 */
export function portsOf(kind: string, config: unknown, ctx: PortContext): { inputs: Record<string, PortType>; outputs: Record<string, OutputType> } {
  const spec = NODE_SPEC_BY_TYPE.get(kind);
  let ports: Ports = FALLBACK_PORTS;
  if (spec) {
    const parsed = spec.config.safeParse(config);
    try {
      ports = spec.ports((parsed.success ? parsed.data : config) as never, ctx);
    } catch {
      ports = spec.category === 'source' ? { inputs: {}, outputs: { out: 'any' } } : spec.category === 'sink' ? { inputs: { in: 'any' }, outputs: {} } : FALLBACK_PORTS;
    }
  }
  return { inputs: { ...ports.inputs }, outputs: { ...ports.outputs, [ERROR_PORT]: 'any' } };
}

function assignable(from: PortType, to: PortType): boolean {
  return from === to || from === 'any' || to === 'any';
}

/** Resolves what an output carries, following `same` back through the node's inputs. */
export function outputType(graph: Graph, ctx: PortContext, nodeId: string, port: string, seen = new Set<string>()): PortType {
  const node = graph.nodes.find((n) => n.id === nodeId);
  if (!node || seen.has(nodeId)) return 'any';
  const declared = portsOf(node.data.kind, node.data.config, ctx).outputs[port] ?? 'any';
  if (declared !== 'same') return declared;
  seen.add(nodeId);
  const inTypes = new Set(graph.edges.filter((e) => e.target === nodeId).map((e) => outputType(graph, ctx, e.source, e.sourceHandle ?? 'out', seen)));
  return inTypes.size === 1 ? [...inTypes][0]! : 'any';
}

function reaches(graph: Graph, from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const stack = [from];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

export interface ConnectionCheck {
  readonly ok: boolean;
  readonly reason?: string;
}

/** Whether an output may be wired to an input: port types, no duplicates, no cycles. Same rules as analyzeGraph. */
export function checkConnection(
  graph: Graph,
  ctx: PortContext,
  c: { source: string; sourceHandle?: string | null; target: string; targetHandle?: string | null },
): ConnectionCheck {
  const sourcePort = c.sourceHandle ?? 'out';
  const targetPort = c.targetHandle ?? 'in';
  if (c.source === c.target) return { ok: false, reason: 'a node cannot feed itself' };
  const target = graph.nodes.find((n) => n.id === c.target);
  if (!target) return { ok: false, reason: `no node "${c.target}"` };
  const inType = portsOf(target.data.kind, target.data.config, ctx).inputs[targetPort];
  if (inType === undefined) return { ok: false, reason: `"${c.target}" has no input "${targetPort}"` };
  if (graph.edges.some((e) => e.source === c.source && (e.sourceHandle ?? 'out') === sourcePort && e.target === c.target && (e.targetHandle ?? 'in') === targetPort)) {
    return { ok: false, reason: 'these ports are already connected' };
  }
  const outType = outputType(graph, ctx, c.source, sourcePort);
  if (!assignable(outType, inType)) return { ok: false, reason: `${c.source}.${sourcePort} carries ${outType} but ${c.target}.${targetPort} takes ${inType}` };
  if (reaches(graph, c.target, c.source)) return { ok: false, reason: 'this edge would close a cycle; a pipeline must be acyclic' };
  return { ok: true };
}

/** A free node id from a base ("scale" → "scale", "scale-2", ...). */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  let stem = base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56) || 'node';
  if (!/^[a-z0-9]/.test(stem)) stem = `n-${stem}`;
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}-${i}`;
    if (!taken.has(id)) return id;
  }
}

export function isValidId(id: string): boolean {
  return ID.test(id);
}

/** What copy puts on the clipboard: the selected nodes and the edges between them. */
export interface Clip {
  readonly nodes: { id: string; position: { x: number; y: number }; data: PbNodeData }[];
  readonly edges: { source: string; sourceHandle: string; target: string; targetHandle: string }[];
}

export function copySelection(graph: Graph): Clip | undefined {
  const nodes = graph.nodes.filter((n) => n.selected);
  if (!nodes.length) return undefined;
  const ids = new Set(nodes.map((n) => n.id));
  return {
    nodes: nodes.map((n) => ({ id: n.id, position: { ...n.position }, data: structuredClone(n.data) })),
    edges: graph.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ source: e.source, sourceHandle: e.sourceHandle ?? 'out', target: e.target, targetHandle: e.targetHandle ?? 'in' })),
  };
}

/** Adds a clip with fresh ids, shifted by `offset`; the pasted nodes become the selection. */
export function pasteClip(graph: Graph, clip: Clip, offset: { x: number; y: number }): Graph {
  const taken = new Set(graph.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = uniqueId(n.id, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  const pasted: PbNode[] = clip.nodes.map((n) => ({
    id: rename.get(n.id)!,
    type: flowType(n.data.kind),
    position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
    data: structuredClone(n.data),
    selected: true,
  }));
  const edges = clip.edges.map((e) => makeEdge(rename.get(e.source)!, e.sourceHandle, rename.get(e.target)!, e.targetHandle));
  return {
    nodes: [...graph.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted],
    edges: [...graph.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...edges],
  };
}

/** Removes the selected nodes (with their edges) and the selected edges. */
export function deleteSelection(graph: Graph): Graph {
  const gone = new Set(graph.nodes.filter((n) => n.selected).map((n) => n.id));
  return {
    nodes: graph.nodes.filter((n) => !gone.has(n.id)),
    edges: graph.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target)),
  };
}

/** Renames a node id everywhere it is referenced in the graph. */
export function renameNode(graph: Graph, from: string, to: string): Graph {
  return {
    nodes: graph.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
    edges: graph.edges.map((e) => {
      if (e.source !== from && e.target !== from) return e;
      const source = e.source === from ? to : e.source;
      const target = e.target === from ? to : e.target;
      return { ...makeEdge(source, e.sourceHandle ?? 'out', target, e.targetHandle ?? 'in'), selected: e.selected ?? false };
    }),
  };
}
