import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
  type ReactFlowInstance,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, type DragEvent } from 'react';
import { NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import { checkpoint, edit, notify, registerCanvas } from '../../state/actions.ts';
import { activeDoc, workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { checkConnection, makeEdge, portContext, type Graph, type PbEdge, type PbNode } from './doc.ts';
import { hasNodeDrag, placeNodeDrop, readNodeDrag } from './dnd.ts';
import { BIG_PIPELINE, roughFit } from './layout.ts';
import { edgeTypes } from './edges.tsx';
import { nodeTypes } from './nodes.tsx';

const CATEGORY_COLOURS: Record<string, string> = { source: '#2f7d4f', transform: '#3b6fb6', sink: '#9a5b12' };
const minimapColour = (n: PbNode): string => CATEGORY_COLOURS[NODE_SPEC_BY_TYPE.get(n.data.kind)?.category ?? ''] ?? '#888';
const FIT = { padding: 0.15, maxZoom: 1.2 } as const;
const EMPTY: Graph = { nodes: [], edges: [] };

/** Centres the view on a node, zooming in to at least 100 %. */
function centreOn(rf: ReactFlowInstance<PbNode, PbEdge>, id: string): void {
  const n = rf.getInternalNode(id);
  if (!n) return;
  const w = n.measured.width ?? 180;
  const h = n.measured.height ?? 60;
  void rf.setCenter(n.internals.positionAbsolute.x + w / 2, n.internals.positionAbsolute.y + h / 2, { zoom: Math.max(rf.getZoom(), 1), duration: 250 });
}

export function Canvas() {
  const doc = useStore(workbench, activeDoc);
  const devices = useStore(workbench, (s) => s.devices);
  const focus = useStore(workbench, (s) => s.focus);
  const rf = useReactFlow<PbNode, PbEdge>();
  const wrapper = useRef<HTMLDivElement>(null);
  const graph = doc?.graph ?? EMPTY;
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const ctx = useMemo(() => portContext(devices), [devices]);
  // Fit the view when a pipeline opens; an empty one keeps the default viewport, so the first
  // node dropped stays where it was dropped.
  const docId = doc?.id;
  const fitOnOpen = useMemo(() => graphRef.current.nodes.length > 0, [docId]);
  // Start a big pipeline near the zoom its fit will have, so that its first render already draws
  // compact nodes (lod.tsx) when zoomed out, instead of rendering every full node and then again.
  const openViewport = useMemo(() => (typeof window === 'undefined' ? undefined : roughFit(graphRef.current, window.innerWidth, window.innerHeight, FIT)), [docId]);
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;

  useEffect(() => {
    registerCanvas({
      center: () => {
        const box = wrapper.current?.getBoundingClientRect();
        if (!box) return { x: 0, y: 0 };
        const p = rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
        return { x: Math.round(p.x - 90), y: Math.round(p.y - 30) };
      },
      fitView: () => void rf.fitView(FIT),
      centreOn: (id) => centreOn(rf, id),
    });
    return () => registerCanvas(undefined);
  }, [rf]);

  useEffect(() => {
    if (!focus) return;
    // Wait a frame: the node may have just been rendered (pipeline switched).
    const raf = requestAnimationFrame(() => centreOn(rf, focus.node));
    return () => cancelAnimationFrame(raf);
  }, [focus, rf]);

  const onNodesChange = useCallback((changes: NodeChange<PbNode>[]) => {
    // Deleting goes through the workbench's own Delete handler (one undo step for nodes and edges).
    const kept = changes.filter((c) => c.type !== 'remove');
    if (!kept.length) return;
    const moves = kept.some((c) => c.type === 'position');
    edit((g) => ({ nodes: applyNodeChanges(kept, g.nodes), edges: g.edges }), { record: false, dirty: moves });
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<PbEdge>[]) => {
    const kept = changes.filter((c) => c.type !== 'remove');
    if (kept.length) edit((g) => ({ nodes: g.nodes, edges: applyEdgeChanges(kept, g.edges) }), { record: false, dirty: false });
  }, []);

  const onConnect = useCallback((c: Connection) => {
    const check = checkConnection(graphRef.current, ctxRef.current, c);
    if (!check.ok) {
      notify(`Not connected: ${check.reason}`, 'error');
      return;
    }
    edit((g) => ({ nodes: g.nodes, edges: [...g.edges, makeEdge(c.source, c.sourceHandle ?? 'out', c.target, c.targetHandle ?? 'in')] }));
  }, []);

  const isValidConnection: IsValidConnection<PbEdge> = useCallback((c) => checkConnection(graphRef.current, ctxRef.current, c).ok, []);

  // Say why a connection was refused (the handle only turns red while hovering).
  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid !== false || !state.toHandle || !state.fromHandle) return;
    const [from, to] = state.fromHandle.type === 'source' ? [state.fromHandle, state.toHandle] : [state.toHandle, state.fromHandle];
    const check = checkConnection(graphRef.current, ctxRef.current, { source: from.nodeId, sourceHandle: from.id ?? null, target: to.nodeId, targetHandle: to.id ?? null });
    if (!check.ok) notify(`Not connected: ${check.reason}`, 'error');
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (!hasNodeDrag(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const drop = readNodeDrag(e);
      if (!drop) return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      // A drop from a discovery tree imports its tags first (see dnd.ts).
      void placeNodeDrop(drop, { x: Math.round(p.x - 90), y: Math.round(p.y - 20) });
      wrapper.current?.querySelector<HTMLElement>('.react-flow')?.focus();
    },
    [rf],
  );

  if (!doc) {
    return (
      <div className="pb-canvas pb-canvas--empty" ref={wrapper}>
        <p>No pipeline open. Pick one under Pipelines, or create a new one (Ctrl+Alt+N).</p>
      </div>
    );
  }

  return (
    <div className="pb-canvas" ref={wrapper} data-testid="canvas">
      <ReactFlow<PbNode, PbEdge>
        key={doc.id}
        nodes={graph.nodes}
        edges={graph.edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStart={checkpoint}
        onSelectionDragStart={checkpoint}
        onDragOver={onDragOver}
        onDrop={onDrop}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        selectionKeyCode="Shift"
        onlyRenderVisibleElements={graph.nodes.length > BIG_PIPELINE}
        minZoom={0.05}
        maxZoom={2.5}
        fitView={fitOnOpen}
        defaultViewport={openViewport}
        fitViewOptions={FIT}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ type: 'live' }}
        colorMode="light"
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
        <MiniMap<PbNode> pannable zoomable nodeColor={minimapColour} ariaLabel="Minimap" />
        <Controls showInteractive={false} fitViewOptions={FIT} />
      </ReactFlow>
    </div>
  );
}
