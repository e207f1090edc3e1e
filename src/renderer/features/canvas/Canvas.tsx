import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  useStore as useFlowStore,
  useStoreApi,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
  type ReactFlowInstance,
  type ReactFlowState,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import { NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import { checkpoint, edit, notify, registerCanvas } from '../../state/actions.ts';
import { activeDoc, workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { checkConnection, makeEdge, portContext, type Graph, type PbEdge, type PbNode } from './doc.ts';
import { hasNodeDrag, placeNodeDrop, readNodeDrag } from './dnd.ts';
import { BIG_PIPELINE, fitBoxes, LOD_ZOOM } from './layout.ts';
import { edgeTypes } from './edges.tsx';
import { nodeTypes } from './nodes.tsx';
import { nodeBox, withGeometry } from './geometry.ts';
import { geometryOf, nodeAt, Overview } from './overview.tsx';

const CATEGORY_COLOURS: Record<string, string> = { source: '#2f7d4f', transform: '#3b6fb6', sink: '#9a5b12' };
const minimapColour = (n: PbNode): string => CATEGORY_COLOURS[NODE_SPEC_BY_TYPE.get(n.data.kind)?.category ?? ''] ?? '#888';
const FIT = { padding: 0.15, maxZoom: 1.2 } as const;
const MIN_ZOOM = 0.05;
const EMPTY: Graph = { nodes: [], edges: [] };
const NO_EDGES: PbEdge[] = [];
const zoomedOutSelector = (s: ReactFlowState): boolean => s.transform[2] < LOD_ZOOM;

/** React Flow's fit view icon: the canvas fits big pipelines itself (`fit` in Canvas). */
function FitIcon() {
  return (
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 30">
      <path d="M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z" />
    </svg>
  );
}

/** Centres the view on a node, zooming in to at least 100 %. */
function centreOn(rf: ReactFlowInstance<PbNode, PbEdge>, id: string): void {
  const n = rf.getInternalNode(id);
  if (!n) return;
  // A big pipeline's node may not be measured yet: its geometry's size then (geometry.ts).
  const w = n.measured.width ?? n.initialWidth ?? 180;
  const h = n.measured.height ?? n.initialHeight ?? 60;
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
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;
  const store = useStoreApi<PbNode, PbEdge>();
  const big = graph.nodes.length > BIG_PIPELINE;
  const bigRef = useRef(big);
  bigRef.current = big;
  // A big pipeline: React Flow gets each node's size and handles before it renders any
  // (geometry.ts), so it renders only the nodes in view.
  const viewNodes = useMemo(() => (big ? graph.nodes.map((n) => withGeometry(n, geometryOf(n, ctx))) : graph.nodes), [graph.nodes, ctx, big]);
  // The overview (overview.tsx) below LOD_ZOOM; decided from this pipeline's size, not from React
  // Flow's node count, which still holds the previous pipeline's in the first render of this one.
  const zoomedOut = useFlowStore(zoomedOutSelector);
  const overview = big && zoomedOut;
  // Fit the view when a pipeline opens; an empty one keeps the default viewport, so the first
  // node dropped stays where it was dropped. A big one is fitted here, from its nodes' geometry
  // (React Flow's fitView would wait for every node to be measured): first in the window, then in
  // the pane once React Flow knows its size.
  const docId = doc?.id;
  const fitOnOpen = useMemo(() => graphRef.current.nodes.length > 0 && !bigRef.current, [docId]);
  const fitBig = useCallback((width: number, height: number) => {
    const g = graphRef.current;
    return fitBoxes(g.nodes.map((n) => nodeBox(n, geometryOf(n, ctxRef.current))), width, height, { ...FIT, minZoom: MIN_ZOOM });
  }, []);
  const openViewport = useMemo(() => (bigRef.current && typeof window !== 'undefined' ? fitBig(window.innerWidth, window.innerHeight) : undefined), [docId, fitBig]);
  const fit = useCallback(() => {
    if (!bigRef.current) return void rf.fitView(FIT);
    const { width, height } = store.getState();
    const v = fitBig(width, height);
    if (v) void rf.setViewport(v, { duration: 200 });
  }, [rf, store, fitBig]);
  useEffect(() => {
    if (!bigRef.current) return;
    // React Flow measures its pane in an effect of its own; fit once it has.
    const raf = requestAnimationFrame(() => {
      const { width, height } = store.getState();
      const v = fitBig(width, height);
      if (v) void rf.setViewport(v);
    });
    return () => cancelAnimationFrame(raf);
  }, [docId, rf, store, fitBig]);

  useEffect(() => {
    registerCanvas({
      center: () => {
        const box = wrapper.current?.getBoundingClientRect();
        if (!box) return { x: 0, y: 0 };
        const p = rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
        return { x: Math.round(p.x - 90), y: Math.round(p.y - 30) };
      },
      fitView: fit,
      centreOn: (id) => centreOn(rf, id),
    });
    return () => registerCanvas(undefined);
  }, [rf, fit]);

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

  // In the overview a click on the pane selects the node drawn under it (Ctrl, Meta or Shift: adds
  // or removes it). React Flow clears the selection right after this handler, so select after that.
  const onPaneClick = useCallback(
    (e: ReactMouseEvent) => {
      if (!(bigRef.current && store.getState().transform[2] < LOD_ZOOM)) return;
      const id = nodeAt(graphRef.current, ctxRef.current, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      if (id === undefined) return;
      const toggle = e.ctrlKey || e.metaKey || e.shiftKey;
      // The selection as it is now, before React Flow clears it.
      const keep = new Set(toggle ? graphRef.current.nodes.filter((n) => n.selected).map((n) => n.id) : []);
      if (keep.has(id)) keep.delete(id);
      else keep.add(id);
      queueMicrotask(() =>
        edit(
          (g) => ({
            nodes: g.nodes.map((n) => (!!n.selected === keep.has(n.id) ? n : { ...n, selected: keep.has(n.id) })),
            edges: g.edges.map((x) => (x.selected ? { ...x, selected: false } : x)),
          }),
          { record: false, dirty: false },
        ),
      );
    },
    [rf, store],
  );

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
    <div className={`pb-canvas${overview ? ' pb-canvas--overview' : ''}`} ref={wrapper} data-testid="canvas">
      <ReactFlow<PbNode, PbEdge>
        key={doc.id}
        nodes={viewNodes}
        edges={overview ? NO_EDGES : graph.edges}
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
        onPaneClick={onPaneClick}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        selectionKeyCode="Shift"
        onlyRenderVisibleElements={big}
        minZoom={MIN_ZOOM}
        maxZoom={2.5}
        fitView={fitOnOpen}
        defaultViewport={openViewport}
        fitViewOptions={FIT}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ type: 'live' }}
        colorMode="light"
      >
        {/* No dots in the overview: at its zoom they are a grey haze, redrawn on every frame of a pan. */}
        {!overview && <Background variant={BackgroundVariant.Dots} gap={20} size={1} />}
        {overview && <Overview graph={graph} ctx={ctx} />}
        <MiniMap<PbNode> pannable zoomable nodeColor={minimapColour} ariaLabel="Minimap" />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton onClick={fit} title="Fit View" aria-label="Fit View" className="react-flow__controls-fitview">
            <FitIcon />
          </ControlButton>
        </Controls>
      </ReactFlow>
    </div>
  );
}
