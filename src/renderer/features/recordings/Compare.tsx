import { useEffect, useMemo, useState } from 'react';
import type { CompareResult, RecordingSummary } from '../../../shared/recording.ts';
import { errorText, hostClient, listRevisions } from '../../state/actions.ts';
import { formatTime } from '../../lib/format.ts';
import { VirtualRows } from '../../lib/VirtualRows.tsx';
import { Overlay, OverlayHead } from '../devices/modbus/Overlay.tsx';
import '../devices/modbus/modbus.css';
import { PipelineSelect, usePipelineChoice } from './RecordingActions.tsx';
import { sideBySide } from './recordings-model.ts';

type RevisionInfo = Awaited<ReturnType<typeof listRevisions>>[number];

const when = (ms: number): string => new Date(ms).toLocaleString(undefined, { hour12: false });
const KIND_WORDS = { value: 'value differs', quality: 'quality differs', 'only-a': 'only in A', 'only-b': 'only in B' } as const;

/** One output's differing samples: A on the left, B on the right, the differing side highlighted. */
function Differences({ result, output }: { result: CompareResult; output: string }) {
  const o = result.outputs.find((x) => x.output === output);
  const rows = useMemo(() => (o ? sideBySide(o) : []), [o]);
  if (!o) return null;
  return (
    <div className="pb-cmp__diffs">
      <div className="pb-cmp__row pb-cmp__row--head">
        <span>time</span>
        <span>path</span>
        <span>#A</span>
        <span>A: {result.a}</span>
        <span>#B</span>
        <span>B: {result.b}</span>
        <span>what</span>
      </div>
      <VirtualRows
        rows={rows}
        rowHeight={22}
        className="pb-cmp__rows"
        empty={<p className="pb-muted pb-pad">No differences: both revisions give the same {o.countA.toLocaleString()} samples here.</p>}
        render={(r) => (
          <div key={r.key} className={`pb-cmp__row is-${r.kind}`} data-testid="compare-diff">
            <span className="pb-mono">{formatTime(r.ts)}</span>
            <span className="pb-mono" title={r.path}>
              {r.path}
            </span>
            <span className="pb-muted">{r.a?.index ?? ''}</span>
            <span className="pb-mono pb-cmp__a" title={r.a?.quality}>
              {r.a ? `${r.a.value}${r.a.quality && r.a.quality !== 'good' ? ` (${r.a.quality})` : ''}` : '—'}
            </span>
            <span className="pb-muted">{r.b?.index ?? ''}</span>
            <span className="pb-mono pb-cmp__b" title={r.b?.quality}>
              {r.b ? `${r.b.value}${r.b.quality && r.b.quality !== 'good' ? ` (${r.b.quality})` : ''}` : '—'}
            </span>
            <span className="pb-cmp__kind">{KIND_WORDS[r.kind]}</span>
          </div>
        )}
      />
      {o.truncated && <p className="pb-muted pb-cmp__note">Showing the first {o.differences.length.toLocaleString()} of {o.differing.toLocaleString()} differences.</p>}
    </div>
  );
}

/**
 * Runs two revisions of a pipeline on a recording (recording.compare) and shows, per output, how
 * many samples each gave, how many are the same, and the differing ones side by side.
 */
export function Compare({ recording, onClose }: { recording: RecordingSummary; onClose(): void }) {
  const [pipeline, setPipeline] = usePipelineChoice(recording);
  const [revisions, setRevisions] = useState<RevisionInfo[]>();
  const [a, setA] = useState<number>();
  const [b, setB] = useState<number>();
  const [result, setResult] = useState<CompareResult>();
  const [output, setOutput] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!pipeline) return;
    let stale = false;
    setRevisions(undefined);
    listRevisions(pipeline).then(
      (list) => {
        if (stale) return;
        setRevisions(list);
        // To start with, the host picks A: the newest saved revision that differs from the file now (B).
        setA(undefined);
        setB(undefined);
      },
      (err: unknown) => !stale && setError(errorText(err)),
    );
    return () => {
      stale = true;
    };
  }, [pipeline]);

  const run = async (): Promise<void> => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await hostClient().call('recording.compare', { id: recording.id, pipeline, ...(a !== undefined ? { revisionA: a } : {}), ...(b !== undefined ? { revisionB: b } : {}) });
      setResult(r);
      setOutput(r.outputs.find((o) => o.differing > 0)?.output ?? r.outputs[0]?.output);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const option = (r: RevisionInfo) => (
    <option key={r.revision} value={r.revision}>
      revision {r.revision} · {when(r.savedAt)}
      {r.author ? ` · ${r.author}` : ''}
    </option>
  );
  const pick = (v: string): number | undefined => (v ? Number(v) : undefined);
  return (
    <Overlay label="Compare revisions on a recording" onClose={onClose} className="pb-cmp">
      <OverlayHead title={`Compare two revisions on recording #${recording.id} “${recording.name}”`} onClose={onClose} />
      <div className="pb-toolbar">
        <label htmlFor="pb-cmp-pipeline">pipeline</label>
        <PipelineSelect id="pb-cmp-pipeline" value={pipeline} onChange={setPipeline} />
        <label htmlFor="pb-cmp-a">A</label>
        <select id="pb-cmp-a" className="pb-input pb-input--inline" value={a ?? ''} onChange={(e) => setA(pick(e.target.value))}>
          <option value="">newest revision that differs from B</option>
          {revisions?.map(option)}
        </select>
        <label htmlFor="pb-cmp-b">B</label>
        <select id="pb-cmp-b" className="pb-input pb-input--inline" value={b ?? ''} onChange={(e) => setB(pick(e.target.value))}>
          <option value="">the file as it is now</option>
          {revisions?.map(option)}
        </select>
        <button type="button" className="pb-btn pb-btn--primary" onClick={() => void run()} disabled={!pipeline} aria-busy={busy} data-testid="compare-run">
          {busy ? 'Running both…' : 'Compare'}
        </button>
        {revisions && revisions.length === 0 && <span className="pb-muted">{pipeline} has no saved revisions yet: every save records one</span>}
      </div>
      {error && (
        <p className="pb-rec__error pb-pad" role="alert">
          {error}
        </p>
      )}
      {result ? (
        <div className="pb-cmp__body" data-testid="compare-result">
          <div className="pb-cmp__outputs">
            <div className="pb-cmp__sum">
              <div>
                <strong>A</strong> {result.a}
              </div>
              <div>
                <strong>B</strong> {result.b}
              </div>
              <div className="pb-muted">{result.inputs.toLocaleString()} recorded input samples</div>
            </div>
            <ul aria-label="Outputs">
              {result.outputs.map((o) => (
                <li key={o.output}>
                  <button type="button" className={`pb-cmp__output${o.output === output ? ' is-active' : ''}${o.differing ? ' has-diffs' : ''}`} onClick={() => setOutput(o.output)} data-testid="compare-output">
                    <span className="pb-mono">{o.output}</span>
                    <span className="pb-cmp__counts">
                      A {o.countA.toLocaleString()} · B {o.countB.toLocaleString()} · same {o.same.toLocaleString()} · <strong>{o.differing.toLocaleString()} differ</strong>
                    </span>
                  </button>
                </li>
              ))}
              {result.outputs.length === 0 && <li className="pb-muted pb-pad">The pipeline has no outputs.</li>}
            </ul>
            {result.notes.map((n) => (
              <p key={n} className="pb-muted pb-cmp__note">
                {n}
              </p>
            ))}
          </div>
          {output !== undefined && <Differences result={result} output={output} />}
        </div>
      ) : (
        !busy && <p className="pb-muted pb-pad">Pick a pipeline and two revisions. Both run on the recorded samples with a virtual clock; nothing touches a device.</p>
      )}
    </Overlay>
  );
}
