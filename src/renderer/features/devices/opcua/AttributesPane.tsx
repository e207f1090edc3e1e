import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { OpcuaNodeAttributes, OpcuaReferencesResult } from '../../../../shared/discovery/opcua.ts';
import { formatValue } from '../../../lib/format.ts';
import { errorText } from '../../../state/actions.ts';
import type { OpcuaBrowserModel } from './browser-model.ts';

// The attributes of the selected node (read when it is selected, and on Refresh), and its
// references both ways on demand.

const VALUE_RANKS: Record<number, string> = { [-3]: 'ScalarOrOneDimension', [-2]: 'Any', [-1]: 'Scalar', 0: 'OneOrMoreDimensions' };

function rank(r: number | undefined, dims: readonly number[] | undefined): string | undefined {
  if (r === undefined) return undefined;
  const name = VALUE_RANKS[r] ?? `${r} dimension${r === 1 ? '' : 's'}`;
  return dims?.length ? `${name} [${dims.join('×')}]` : name;
}

function when(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleDateString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit' })} ${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  if (children === undefined || children === null || children === '') return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function References({ model, nodeId }: { model: OpcuaBrowserModel; nodeId: string }) {
  const [open, setOpen] = useState(false);
  const [refs, setRefs] = useState<OpcuaReferencesResult>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setRefs(undefined);
    setError(undefined);
    if (!open) return;
    let live = true;
    model.references(nodeId).then(
      (r) => live && setRefs(r),
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => void (live = false);
  }, [model, nodeId, open]);
  const group = (direction: 'forward' | 'inverse') => refs?.references.filter((r) => r.direction === direction) ?? [];
  return (
    <details className="pb-ua-attrs__refs" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>References{refs ? ` (${refs.references.length})` : ''}</summary>
      {error && <div className="pb-ua__error">{error}</div>}
      {open && !refs && !error && <div className="pb-muted">reading…</div>}
      {(['forward', 'inverse'] as const).map((d) =>
        refs && group(d).length > 0 ? (
          <details key={d} open={d === 'forward'} className="pb-ua-attrs__refgroup">
            <summary>
              {d} ({group(d).length})
            </summary>
            <ul>
              {group(d).map((r, i) => (
                <li key={`${r.referenceType}-${r.nodeId}-${i}`} title={r.nodeId}>
                  <span className="pb-muted">{r.referenceType}</span> {d === 'forward' ? '→' : '←'} {r.displayName}
                </li>
              ))}
            </ul>
          </details>
        ) : null,
      )}
    </details>
  );
}

export function AttributesPane({ model, nodeId }: { model: OpcuaBrowserModel; nodeId: string }) {
  const [attrs, setAttrs] = useState<OpcuaNodeAttributes>();
  const [error, setError] = useState<string>();
  const [reading, setReading] = useState(false);
  const [round, setRound] = useState(0);
  const refresh = useCallback(() => setRound((n) => n + 1), []);

  useEffect(() => {
    let live = true;
    setReading(true);
    model.attributes([nodeId]).then(
      ([a]) => {
        if (!live) return;
        setAttrs(a);
        setError(a?.error);
        setReading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(errorText(err));
        setReading(false);
      },
    );
    return () => void (live = false);
  }, [model, nodeId, round]);

  const shown = attrs?.nodeId === nodeId ? attrs : undefined;
  const v = shown?.value;
  const eu = shown?.engineeringUnits;
  return (
    <section className="pb-ua-attrs" aria-label="Attributes" data-testid="opcua-attributes">
      <div className="pb-ua-attrs__head">
        <strong title={nodeId}>{shown?.displayName ?? nodeId}</strong>
        <button type="button" className="pb-btn pb-btn--small pb-ua__push" onClick={refresh} disabled={reading} title="Read the attributes again">
          {reading ? 'Reading…' : 'Refresh'}
        </button>
      </div>
      {error && <div className="pb-ua__error">{error}</div>}
      <dl className="pb-ua-attrs__list">
        <Row label="NodeId">
          <span className="pb-mono">{nodeId}</span>
        </Row>
        <Row label="NodeClass">{shown?.nodeClass}</Row>
        <Row label="BrowseName">{shown?.browseName ? `${shown.browseName.namespaceIndex}:${shown.browseName.name}` : undefined}</Row>
        <Row label="Description">{shown?.description}</Row>
        <Row label="DataType">{shown?.dataType ? <span title={shown.dataTypeId}>{shown.dataType}</span> : undefined}</Row>
        <Row label="ValueRank">{rank(shown?.valueRank, shown?.arrayDimensions)}</Row>
        <Row label="AccessLevel">{shown?.accessLevel?.join(', ')}</Row>
        {shown?.userAccessLevel && shown.userAccessLevel.join() !== shown.accessLevel?.join() && <Row label="UserAccess">{shown.userAccessLevel.join(', ')}</Row>}
        {v && (
          <>
            <Row label="Value">
              <span className={`pb-mono${v.status.startsWith('Good') ? '' : ' q-bad'}`} data-testid="opcua-attr-value">
                {formatValue(v.value, eu?.displayName)}
              </span>
              {v.type && <span className="pb-muted"> {v.type}{v.arrayType && v.arrayType !== 'Scalar' ? `[${v.arrayType}]` : ''}</span>}
            </Row>
            <Row label="Status">
              <span className={v.status.startsWith('Good') ? 'q-good' : v.status.startsWith('Uncertain') ? 'q-uncertain' : 'q-bad'}>{v.status}</span>
              <span className="pb-muted pb-mono"> 0x{(v.statusCode >>> 0).toString(16).padStart(8, '0')}</span>
            </Row>
            <Row label="Source time">{when(v.sourceTimestamp)}</Row>
            <Row label="Server time">{when(v.serverTimestamp)}</Row>
          </>
        )}
        <Row label="EngUnits">{eu ? <span title={`UNECE ${eu.unitId}${eu.description ? ` · ${eu.description}` : ''}`}>{eu.displayName}</span> : undefined}</Row>
        <Row label="EURange">{shown?.euRange ? `${shown.euRange.low} … ${shown.euRange.high}` : undefined}</Row>
        <Row label="MinSampling">{shown?.minimumSamplingInterval !== undefined ? `${shown.minimumSamplingInterval} ms` : undefined}</Row>
      </dl>
      <References model={model} nodeId={nodeId} />
    </section>
  );
}
