import dagre from '@dagrejs/dagre';
import { getNodesBounds, getViewportForBounds, type Viewport } from '@xyflow/react';
import type { Graph, PbNode } from './doc.ts';

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

/** Above this many nodes the canvas opens at roughFit's viewport (and renders only the nodes in view). */
export const BIG_PIPELINE = 200;

/**
 * The viewport to open a big pipeline with, before anything is measured: the fit view of its nodes
 * taken as 180×100 (`DEFAULT_SIZE`-ish) in a pane of width×height. The real pane is smaller than the
 * window passed in, so this zoom is an upper bound of the fit's; the canvas still fits afterwards.
 * It lets the first render already draw compact nodes (lod.tsx). Undefined for small pipelines.
 */
export function roughFit(graph: Graph, width: number, height: number, fit: { padding: number; maxZoom: number }): Viewport | undefined {
  if (graph.nodes.length <= BIG_PIPELINE) return undefined;
  const bounds = getNodesBounds(graph.nodes.map((n) => ({ ...n, width: n.measured?.width ?? 180, height: n.measured?.height ?? 100 })));
  return getViewportForBounds(bounds, width, height, 0.05, fit.maxZoom, fit.padding);
}
