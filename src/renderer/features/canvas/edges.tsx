import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps, type EdgeTypes } from '@xyflow/react';
import { memo } from 'react';
import { edgeLive, live } from '../../state/live.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { formatRate, formatValue } from '../../lib/format.ts';
import { useCompact } from './lod.tsx';

/** The last value and rate on an edge while a run goes; re-renders only when its text changes. */
const EdgeValue = memo(function EdgeValue({ id, x, y }: { id: string; x: number; y: number }) {
  const text = useStore(live, () => {
    const pipeline = workbench.get().active;
    const e = pipeline === undefined ? undefined : edgeLive(pipeline, id);
    if (!e) return '';
    const value = e.last ? formatValue(e.last.value, e.last.meta?.unit) : '–';
    return `${value}\u0000${formatRate(e.rate)}\u0000${e.last?.quality ?? 'good'}\u0000${e.queued}`;
  });
  if (!text) return null;
  const [value, rate, quality, queued] = text.split('\u0000');
  return (
    <EdgeLabelRenderer>
      <div className={`pb-edge-label nodrag nopan q-${quality}`} style={{ transform: `translate(-50%, -100%) translate(${x}px, ${y - 3}px)` }} data-edge-id={id}>
        <span className="pb-edge-label__value">{value}</span>
        <span className="pb-edge-label__rate">{rate}</span>
        {queued !== '0' && <span className="pb-edge-label__queued">q {queued}</span>}
      </div>
    </EdgeLabelRenderer>
  );
});

function LiveEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, sourceHandleId, markerEnd }: EdgeProps) {
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
  // Zoomed out (compact nodes), no wide invisible hit path per edge: it is hit-tested on every mouse move.
  const compact = useCompact();
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} interactionWidth={compact ? 0 : undefined} className={`pb-edge${selected ? ' is-selected' : ''}${sourceHandleId === 'error' ? ' pb-edge--error' : ''}`} />
      <EdgeValue id={id} x={labelX} y={labelY} />
    </>
  );
}

export const edgeTypes: EdgeTypes = { live: memo(LiveEdgeView) };
