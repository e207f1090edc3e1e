import { getBezierPath, Position, useStoreApi, type ReactFlowState } from '@xyflow/react';
import { useEffect, useMemo, useRef } from 'react';
import { ERROR_PORT, NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import type { PortContext } from '../../../shared/nodes/index.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { portsOf, type Graph, type PbEdge, type PbNode } from './doc.ts';
import { handlePoint, hitTest, nodeBox, nodeGeometry, type Box, type NodeGeometry } from './geometry.ts';
import { problemCounts } from './nodes.tsx';

// The overview: a big pipeline zoomed out below LOD_ZOOM (useOverview in lod.tsx) is drawn into one
// <canvas> — boxes, kind colours, edges, selection and problems — instead of 1,000 DOM nodes and
// 900 SVG edges that Blink would lay out, hit-test and raster on every frame of a pan. React Flow
// keeps the nodes (minimap, fit view, selection box) but renders none of them; the canvas lies
// under its pane, which still pans and zooms, and a click on the pane selects the node under it
// (nodeAt). Zooming in past LOD_ZOOM brings the real nodes back (docs/workbench-ui.md).

/** A node's full-form geometry for the ports it has with these devices (cached, geometry.ts). */
export function geometryOf(n: PbNode, ctx: PortContext): NodeGeometry {
  return nodeGeometry(n, ctx, () => portsOf(n.data.kind, n.data.config, ctx));
}

/** The node under a flow point, as the overview draws it. */
export function nodeAt(graph: Graph, ctx: PortContext, p: { x: number; y: number }): string | undefined {
  return hitTest(
    graph.nodes.map((n) => nodeBox(n, geometryOf(n, ctx))),
    p,
  );
}

interface DrawnNode extends Box {
  readonly name: string;
  readonly category: string;
}

interface Scene {
  readonly nodes: DrawnNode[];
  readonly bodies: Path2D;
  readonly problemBodies: Path2D;
  readonly selected: Path2D;
  readonly edges: Path2D;
  readonly errorEdges: Path2D;
  readonly selectedEdges: Path2D;
}

/** Paths in flow coordinates, built once per change of the graph (not per frame). */
function buildScene(graph: Graph, ctx: PortContext, problems: ReadonlyMap<string, number>): Scene {
  const nodes: DrawnNode[] = [];
  const byId = new Map<string, { box: Box; g: NodeGeometry }>();
  const bodies = new Path2D();
  const problemBodies = new Path2D();
  const selected = new Path2D();
  for (const n of graph.nodes) {
    const g = geometryOf(n, ctx);
    const box = nodeBox(n, g);
    byId.set(n.id, { box, g });
    nodes.push({ ...box, name: n.data.name ?? n.id, category: NODE_SPEC_BY_TYPE.get(n.data.kind)?.category ?? 'unknown' });
    (problems.has(n.id) ? problemBodies : bodies).rect(box.x, box.y, box.width, box.height);
    if (n.selected) selected.rect(box.x, box.y, box.width, box.height);
  }
  const plain: string[] = [];
  const errors: string[] = [];
  const picked: string[] = [];
  for (const e of graph.edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    const sh = s?.g.handles.find((h) => h.type === 'source' && h.id === (e.sourceHandle ?? 'out'));
    const th = t?.g.handles.find((h) => h.type === 'target' && h.id === (e.targetHandle ?? 'in'));
    if (!s || !t || !sh || !th) continue;
    const a = handlePoint(s.box, sh);
    const b = handlePoint(t.box, th);
    const [path] = getBezierPath({ sourceX: a.x, sourceY: a.y, sourcePosition: Position.Right, targetX: b.x, targetY: b.y, targetPosition: Position.Left });
    (e.selected ? picked : e.sourceHandle === ERROR_PORT ? errors : plain).push(path);
  }
  return { nodes, bodies, problemBodies, selected, edges: new Path2D(plain.join(' ')), errorEdges: new Path2D(errors.join(' ')), selectedEdges: new Path2D(picked.join(' ')) };
}

interface Colours {
  readonly panel: string;
  readonly line: string;
  readonly edge: string;
  readonly accent: string;
  readonly bad: string;
  readonly category: Record<string, string>;
}

// The colours of app.css (--panel, --line-strong, --accent, --bad, --source, --transform, --sink and
// React Flow's --xy-edge-stroke), as constants: reading them with getComputedStyle would force a
// style recalculation of the whole page in the middle of opening a pipeline.
const COLOURS: Colours = {
  panel: '#ffffff',
  line: '#b9bfc8',
  edge: '#7d8794',
  accent: '#1f6fd1',
  bad: '#c0262d',
  category: { source: '#2f7d4f', transform: '#3b6fb6', sink: '#9a5b12', unknown: '#c0262d' },
};

/** Names are drawn at 20 flow px (as the compact node), when that is at least this many screen px. */
const NAME_PX = 20;
const MIN_NAME_SCREEN_PX = 6;

function paint(canvas: HTMLCanvasElement, scene: Scene, colours: Colours, [tx, ty, zoom]: ReactFlowState['transform']): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const c = canvas.getContext('2d');
  if (!c) return;
  c.setTransform(1, 0, 0, 1, 0, 0);
  c.clearRect(0, 0, canvas.width, canvas.height);
  c.setTransform(dpr * zoom, 0, 0, dpr * zoom, dpr * tx, dpr * ty);
  const px = 1 / zoom; // one screen pixel in flow units

  c.lineWidth = px;
  c.strokeStyle = colours.edge;
  c.stroke(scene.edges);
  c.strokeStyle = '#d98c8f';
  c.setLineDash([4 * px, 3 * px]);
  c.stroke(scene.errorEdges);
  c.setLineDash([]);
  c.lineWidth = 2 * px;
  c.strokeStyle = colours.accent;
  c.stroke(scene.selectedEdges);

  c.lineWidth = px;
  c.fillStyle = colours.panel;
  c.fill(scene.bodies);
  c.strokeStyle = colours.line;
  c.stroke(scene.bodies);
  c.fillStyle = '#fff7f7';
  c.fill(scene.problemBodies);
  c.strokeStyle = colours.bad;
  c.lineWidth = 2 * px;
  c.stroke(scene.problemBodies);

  // The kind's colour along the top, at least 3 screen px tall so it shows at 10 %; only nodes in view.
  const band = Math.max(4, 3 * px);
  const x0 = -tx / zoom;
  const y0 = -ty / zoom;
  const x1 = x0 + w / zoom;
  const y1 = y0 + h / zoom;
  const inView = scene.nodes.filter((n) => n.x < x1 && n.x + n.width > x0 && n.y < y1 && n.y + n.height > y0);
  const bands = new Map<string, Path2D>();
  for (const n of inView) {
    let p = bands.get(n.category);
    if (!p) bands.set(n.category, (p = new Path2D()));
    p.rect(n.x, n.y, n.width, band);
  }
  for (const [category, p] of bands) {
    c.fillStyle = colours.category[category] ?? colours.bad;
    c.fill(p);
  }

  c.lineWidth = 3 * px;
  c.strokeStyle = colours.accent;
  c.stroke(scene.selected);

  if (zoom * NAME_PX >= MIN_NAME_SCREEN_PX) {
    c.fillStyle = '#1d2430';
    c.font = `700 ${NAME_PX}px system-ui, sans-serif`;
    c.textBaseline = 'middle';
    for (const n of inView) c.fillText(n.name, n.x + 6, n.y + band + (n.height - band) / 2, n.width - 12);
  }
}

/** The overview of a big zoomed-out pipeline; a child of <ReactFlow>. */
export function Overview({ graph, ctx }: { graph: Graph; ctx: PortContext }) {
  const problems = useStore(workbench, problemCounts);
  const store = useStoreApi<PbNode, PbEdge>();
  const ref = useRef<HTMLCanvasElement>(null);
  const scene = useMemo(() => buildScene(graph, ctx, problems), [graph, ctx, problems]);

  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    let raf = 0;
    let drawn: unknown;
    const draw = (): void => {
      raf = 0;
      const s = store.getState();
      drawn = s.transform;
      paint(canvas, scene, COLOURS, s.transform);
      canvas.dataset.drawn = String(scene.nodes.length);
    };
    // Redraw once per frame when the viewport moves (the pane's pan and zoom set the transform).
    const schedule = (): void => {
      if (!raf) raf = requestAnimationFrame(draw);
    };
    draw();
    const unsubscribe = store.subscribe((s) => {
      if (s.transform !== drawn) schedule();
    });
    const resize = new ResizeObserver(schedule);
    resize.observe(canvas);
    return () => {
      unsubscribe();
      resize.disconnect();
      cancelAnimationFrame(raf);
    };
  }, [scene, store]);

  return <canvas ref={ref} className="pb-overview" data-testid="canvas-overview" aria-hidden="true" />;
}
