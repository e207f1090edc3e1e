import { Handle, Position, type NodeProps, type NodeTypes } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { ERROR_PORT, NODE_SPECS, NODE_SPEC_BY_TYPE } from '../../../shared/nodes/index.ts';
import { problemNode } from '../../state/actions.ts';
import { live, nodeLive } from '../../state/live.ts';
import { allProblems, workbench, type WorkbenchState } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { portContext, portsOf, type PbNode } from './doc.ts';
import { configSummary } from './summary.ts';
import { CompactNode, useCompact, useOverview } from './lod.tsx';
import './would-write.css';

// Problem counts per node of the open pipeline, computed once per change of the problem lists
// (not once per node): a 1,000-node canvas asks for them on every store change.
let problemCache: { key: unknown[]; counts: Map<string, number> } | undefined;
export function problemCounts(s: WorkbenchState): Map<string, number> {
  const key = [s.projectProblems, s.fileProblems, s.active];
  if (problemCache && problemCache.key.every((k, i) => k === key[i])) return problemCache.counts;
  const file = s.active !== undefined ? s.docs[s.active]?.file : undefined;
  const counts = new Map<string, number>();
  for (const p of allProblems(s)) {
    const node = problemNode(p);
    if (node !== undefined && p.file === file) counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  problemCache = { key, counts };
  return counts;
}

const NodeCounters = memo(function NodeCounters({ id }: { id: string }) {
  const text = useStore(live, () => {
    const pipeline = workbench.get().active;
    const s = pipeline === undefined ? undefined : nodeLive(pipeline, id);
    return s ? `${s.in}|${s.out}|${s.errors}|${s.dropped}|${s.lastError?.message ?? ''}` : '';
  });
  if (!text) return null;
  const [inN, out, errors, dropped, lastError] = text.split('|');
  return (
    <div className="pb-node__counters" title={lastError ? `last error: ${lastError}` : undefined}>
      <span>in {inN}</span>
      <span>out {out}</span>
      {dropped !== '0' && <span className="warn">drop {dropped}</span>}
      <span className={errors !== '0' ? 'bad' : undefined}>err {errors}</span>
    </div>
  );
});

/** A device sink in a live read-only run: what it would have written (docs/live-safety.md), and how often. */
const WouldWrite = memo(function WouldWrite({ id }: { id: string }) {
  const text = useStore(live, () => {
    const pipeline = workbench.get().active;
    const status = pipeline === undefined ? undefined : nodeLive(pipeline, id)?.status;
    return typeof status?.wouldWrite === 'string' ? `${String(status.dryRuns ?? '')}|${status.wouldWrite}` : '';
  });
  if (!text) return null;
  const at = text.indexOf('|');
  const count = text.slice(0, at);
  const what = text.slice(at + 1);
  return (
    <div className="pb-node__wouldwrite" title={`Dry run: nothing was sent. ${count} would-be writes so far; the last: ${what}`} data-testid="would-write">
      <span className="pb-node__dry">DRY RUN{count ? ` ×${count}` : ''}</span> {what}
    </div>
  );
});

function PipelineNodeView({ id, data, selected }: NodeProps<PbNode>) {
  const devices = useStore(workbench, (s) => s.devices);
  const problems = useStore(workbench, (s) => problemCounts(s).get(id) ?? 0);
  const spec = NODE_SPEC_BY_TYPE.get(data.kind);
  const ports = useMemo(() => portsOf(data.kind, data.config, portContext(devices)), [data.kind, data.config, devices]);
  const inputs = Object.entries(ports.inputs);
  const outputs = Object.entries(ports.outputs);
  const category = spec?.category ?? 'unknown';
  return (
    <div className={`pb-node pb-node--${category}${selected ? ' is-selected' : ''}${problems ? ' has-problems' : ''}`} data-node-id={id}>
      <div className="pb-node__head">
        <span className="pb-node__title">{data.name ?? id}</span>
        {problems > 0 && (
          <span className="pb-node__problems" title={`${problems} problem${problems === 1 ? '' : 's'}`}>
            {problems}
          </span>
        )}
      </div>
      <div className="pb-node__kind">
        {spec?.title ?? `unknown type "${data.kind}"`}
        {data.name ? <span className="pb-node__id"> · {id}</span> : null}
      </div>
      <div className="pb-node__summary">{configSummary(data.kind, data.config)}</div>
      <div className="pb-node__ports">
        <div className="pb-node__inputs">
          {inputs.map(([port, type]) => (
            <div key={port} className="pb-port pb-port--in">
              <Handle type="target" position={Position.Left} id={port} className={`pb-handle pb-handle--${type}`} />
              <span className="pb-port__name">{port}</span>
              <span className="pb-port__type">{type}</span>
            </div>
          ))}
        </div>
        <div className="pb-node__outputs">
          {outputs.map(([port, type]) => (
            <div key={port} className={`pb-port pb-port--out${port === ERROR_PORT ? ' pb-port--error' : ''}`}>
              <span className="pb-port__type">{type === 'same' ? '=in' : type}</span>
              <span className="pb-port__name">{port}</span>
              <Handle type="source" position={Position.Right} id={port} className={`pb-handle pb-handle--${port === ERROR_PORT ? 'error' : type}`} />
            </div>
          ))}
        </div>
      </div>
      <NodeCounters id={id} />
      <WouldWrite id={id} />
    </div>
  );
}

const MemoNode = memo(PipelineNodeView);

/** The full node, the compact one when zoomed out (lod.tsx), or nothing in the overview (overview.tsx draws it). */
function LodNode(props: NodeProps<PbNode>) {
  const compact = useCompact();
  const overview = useOverview();
  if (overview) return null;
  return compact ? <CompactNode {...props} /> : <MemoNode {...props} />;
}

/** Defined once, outside any component: React Flow re-creates every node when this object changes. */
export const nodeTypes: NodeTypes = Object.fromEntries([...NODE_SPECS.map((s) => [s.type, LodNode] as const), ['unknown', LodNode] as const]);
