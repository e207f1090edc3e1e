import { Handle, Position, useStore as useFlowStore, type NodeProps, type ReactFlowState } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { ERROR_PORT, NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { portContext, portsOf, type PbNode } from './doc.ts';
import { BIG_PIPELINE, LOD_ZOOM } from './layout.ts';
import './lod.css';

// Level of detail: below LOD_ZOOM (layout.ts) a node's text is too small to read, so the canvas
// draws a compact node: one box with the name and the kind's colour, its handles kept (edges still
// attach) but not positioned, so Blink lays out and hit-tests one box per node instead of ~7
// (docs/workbench-ui.md, "UI benchmarks").

/** True below LOD_ZOOM. A boolean selector: panning does not re-render, only crossing the threshold. */
const compactSelector = (s: ReactFlowState): boolean => s.transform[2] < LOD_ZOOM;
export const useCompact = (): boolean => useFlowStore(compactSelector);

/**
 * True when a big pipeline is zoomed out below LOD_ZOOM: the canvas then draws it as an overview
 * into one <canvas> (overview.tsx) and React Flow's nodes render nothing (docs/workbench-ui.md).
 */
const overviewSelector = (s: ReactFlowState): boolean => s.transform[2] < LOD_ZOOM && s.nodeLookup.size > BIG_PIPELINE;
export const useOverview = (): boolean => useFlowStore(overviewSelector);

function CompactNodeView({ id, data, selected }: NodeProps<PbNode>) {
  const devices = useStore(workbench, (s) => s.devices);
  const ports = useMemo(() => portsOf(data.kind, data.config, portContext(devices)), [data.kind, data.config, devices]);
  const category = NODE_SPEC_BY_TYPE.get(data.kind)?.category ?? 'unknown';
  return (
    <div className={`pb-node pb-node--compact pb-node--${category}${selected ? ' is-selected' : ''}`} data-node-id={id}>
      <div className="pb-lod__handles">
        {Object.keys(ports.inputs).map((port) => (
          <Handle key={port} type="target" position={Position.Left} id={port} className="pb-handle" />
        ))}
      </div>
      <span className="pb-lod__title">{data.name ?? id}</span>
      <div className="pb-lod__handles">
        {Object.keys(ports.outputs).map((port) => (
          <Handle key={port} type="source" position={Position.Right} id={port} className={`pb-handle${port === ERROR_PORT ? ' pb-handle--error' : ''}`} />
        ))}
      </div>
    </div>
  );
}

export const CompactNode = memo(CompactNodeView);
