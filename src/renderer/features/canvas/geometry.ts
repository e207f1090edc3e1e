import { Position, type NodeHandle } from '@xyflow/react';
import { ERROR_PORT } from '../../../shared/nodes/index.ts';

// The full node's box and handle positions as the CSS of `.pb-node` lays them out (styles/app.css,
// "canvas"), in flow pixels relative to the node's top-left corner, as React Flow measures them.
// React Flow uses them for nodes it has not measured yet (docs/workbench-ui.md, "Canvas
// performance"): so it can cull a big pipeline's nodes before rendering any, and edges to nodes
// out of view still end at their ports. A node's first render replaces them with measured ones.
// Keep these numbers in step with the CSS (test/unit/renderer/geometry.test.ts checks the sums).

/** `.pb-node` width (border-box). */
export const NODE_WIDTH = 176;
const BORDER_TOP = 4;
const BORDER = 1;
const HEAD = 3 + 15; // padding-top + line-height
const KIND = 13;
const SUMMARY = 1 + 13 + 2;
const PORTS_TOP = 1 + 2; // border-top + padding-top
const PORTS_BOTTOM = 2;
export const PORT_ROW = 15;
const HANDLE = 9;
const ERROR_HANDLE = 7;
/** Top of the first port row. */
export const FIRST_PORT_TOP = BORDER_TOP + HEAD + KIND + SUMMARY + PORTS_TOP;

export interface NodeGeometry {
  readonly width: number;
  readonly height: number;
  readonly handles: NodeHandle[];
}

/**
 * Size and handles of a full node with these ports (in their order), without the counters and
 * dry-run rows a live run adds below the ports (they do not move the handles).
 */
export function fullNodeGeometry(inputs: readonly string[], outputs: readonly string[]): NodeGeometry {
  const rows = Math.max(inputs.length, outputs.length);
  const height = FIRST_PORT_TOP + rows * PORT_ROW + PORTS_BOTTOM + BORDER;
  const handles: NodeHandle[] = [];
  // A handle is centred on its row's outer edge (React Flow's translate(∓50%, -50%)).
  inputs.forEach((id, i) => {
    handles.push({ id, type: 'target', position: Position.Left, x: BORDER - HANDLE / 2, y: FIRST_PORT_TOP + i * PORT_ROW + (PORT_ROW - HANDLE) / 2, width: HANDLE, height: HANDLE });
  });
  outputs.forEach((id, i) => {
    const size = id === ERROR_PORT ? ERROR_HANDLE : HANDLE;
    handles.push({ id, type: 'source', position: Position.Right, x: NODE_WIDTH - BORDER - size / 2, y: FIRST_PORT_TOP + i * PORT_ROW + (PORT_ROW - size) / 2, width: size, height: size });
  });
  return { width: NODE_WIDTH, height, handles };
}

/** Where an edge meets a handle: the middle of its outer side, as React Flow's getHandlePosition. */
export function handlePoint(node: { x: number; y: number }, h: NodeHandle): { x: number; y: number } {
  const w = h.width ?? 1;
  const hh = h.height ?? 1;
  switch (h.position) {
    case Position.Left:
      return { x: node.x + h.x, y: node.y + h.y + hh / 2 };
    case Position.Right:
      return { x: node.x + h.x + w, y: node.y + h.y + hh / 2 };
    case Position.Top:
      return { x: node.x + h.x + w / 2, y: node.y + h.y };
    default:
      return { x: node.x + h.x + w / 2, y: node.y + h.y + hh };
  }
}

export interface Box {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The node under a flow point: the last one drawn there (React Flow draws later nodes on top). */
export function hitTest(boxes: readonly Box[], p: { x: number; y: number }): string | undefined {
  for (let i = boxes.length - 1; i >= 0; i--) {
    const b = boxes[i]!;
    if (p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height) return b.id;
  }
  return undefined;
}

/** Ports as listed by portsOf (doc.ts): names in order. */
type PortsFn = () => { inputs: object; outputs: object };

const geometryCache = new WeakMap<object, { key: unknown; g: NodeGeometry }>();
/**
 * The full form's geometry of a node, cached per node object and `key` (the port context: a
 * device's tags decide a source's ports). Node objects are immutable, so an edit recomputes only
 * the nodes it changed.
 */
export function nodeGeometry(n: object, key: unknown, ports: PortsFn): NodeGeometry {
  const hit = geometryCache.get(n);
  if (hit && hit.key === key) return hit.g;
  const p = ports();
  const g = fullNodeGeometry(Object.keys(p.inputs), Object.keys(p.outputs));
  geometryCache.set(n, { key, g });
  return g;
}

type Sized = { position: { x: number; y: number }; measured?: { width?: number; height?: number } };

/** A node's box: measured when React Flow has rendered it, else its full form's size. */
export function nodeBox<N extends Sized & { id: string }>(n: N, g: NodeGeometry): Box {
  return { id: n.id, x: n.position.x, y: n.position.y, width: n.measured?.width || g.width, height: n.measured?.height || g.height };
}

const viewCache = new WeakMap<object, { g: NodeGeometry; view: object }>();
/**
 * The node as handed to React Flow: a node it has not measured yet also carries its full form's
 * size and handles (`initialWidth`/`initialHeight`/`handles`), so React Flow can cull it unrendered
 * and draw edges to it. A measured node goes as it is: React Flow keeps the handle positions it
 * measured as long as `handles` is not set (it would re-read them on every change of the node).
 * The same object comes back for the same node and geometry, so React Flow sees it unchanged.
 */
export function withGeometry<N extends Sized>(n: N, g: NodeGeometry): N {
  if (n.measured?.width && n.measured.height) return n;
  const hit = viewCache.get(n);
  if (hit && hit.g === g) return hit.view as N;
  const view = { ...n, initialWidth: g.width, initialHeight: g.height, handles: g.handles };
  viewCache.set(n, { g, view });
  return view;
}
