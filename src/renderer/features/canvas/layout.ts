import dagre from '@dagrejs/dagre';
import { getViewportForBounds, type Viewport } from '@xyflow/react';
import type { Graph, PbNode } from './doc.ts';
import type { Box } from './geometry.ts';

const DEFAULT_SIZE = { width: 180, height: 90 };

/**
 * Left-to-right layered layout (dagre). With `only`, just those nodes move: they are placed by
 * the layout of the whole graph, shifted so the already placed nodes keep their positions.
 */
export function autoLayout(graph: Graph, only?: ReadonlySet<string>): PbNode[] {
  if (graph.nodes.length === 0) return graph.nodes;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: 110, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    g.setNode(n.id, { width: n.measured?.width ?? DEFAULT_SIZE.width, height: n.measured?.height ?? DEFAULT_SIZE.height });
  }
  for (const e of graph.edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);

  const placed = (id: string): { x: number; y: number } => {
    const p = g.node(id) as { x: number; y: number; width: number; height: number };
    return { x: p.x - p.width / 2, y: p.y - p.height / 2 };
  };
  if (!only) return graph.nodes.map((n) => ({ ...n, position: placed(n.id) }));

  // Keep the placed nodes where they are: shift the new ones by the mean offset of the others.
  const anchors = graph.nodes.filter((n) => !only.has(n.id));
  let dx = 0;
  let dy = 0;
  if (anchors.length) {
    for (const n of anchors) {
      const p = placed(n.id);
      dx += n.position.x - p.x;
      dy += n.position.y - p.y;
    }
    dx /= anchors.length;
    dy /= anchors.length;
  }
  return graph.nodes.map((n) => {
    if (!only.has(n.id)) return n;
    const p = placed(n.id);
    return { ...n, position: { x: p.x + dx, y: p.y + dy } };
  });
}

/** Below this zoom nodes are drawn compact (lod.tsx): 11 px text would be under 5 px. */
export const LOD_ZOOM = 0.4;

/**
 * Above this many nodes the canvas renders only the nodes in view, hands React Flow each node's
 * geometry up front (geometry.ts) and draws the overview (overview.tsx) when zoomed out.
 */
export const BIG_PIPELINE = 200;

/**
 * The viewport that fits these boxes into a pane of width×height, as React Flow's fitView computes
 * it. The canvas fits big pipelines itself: React Flow's fitView waits until every node is
 * measured, which never happens when it renders only the nodes in view.
 */
export function fitBoxes(boxes: readonly Box[], width: number, height: number, fit: { padding: number; maxZoom: number; minZoom: number }): Viewport | undefined {
  if (!boxes.length || width <= 0 || height <= 0) return undefined;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  }
  return getViewportForBounds({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, width, height, fit.minZoom, fit.maxZoom, fit.padding);
}
