import { useCallback, useEffect, useState } from 'react';
import { formatBytes, type RecordingSummary } from '../../../shared/recording.ts';
import { errorText, hostClient, notify } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { downloadText } from '../../lib/download.ts';
import { formatRate, formatTime } from '../../lib/format.ts';
import { useStore } from '../../lib/use-store.ts';
import { VirtualRows } from '../../lib/VirtualRows.tsx';
import { Compare } from './Compare.tsx';
import { Recorder } from './Recorder.tsx';
import { DeleteForm, SimulatorForm, TestForm, TrimForm } from './RecordingActions.tsx';
import { formatDuration, spanOf, tagList } from './recordings-model.ts';
import './recordings.css';

// The Recordings tab: the recorder (start with caps, fill level and rate while it records), the
// recordings in the workspace DB, and per recording: its tags, CSV export, trim, delete, "Make
// simulator", "Make test" and "Compare" (two pipeline revisions on the recorded samples).

type Action = 'trim' | 'delete' | 'simulator' | 'test';

function Details({ recording, onChanged, onDeleted }: { recording: RecordingSummary; onChanged(r: RecordingSummary): void; onDeleted(): void }) {
  const [action, setAction] = useState<Action>();
  const [comparing, setComparing] = useState(false);
  const [exporting, setExporting] = useState(false);
  useEffect(() => setAction(undefined), [recording.id]);
  const busy = recording.state === 'recording';
  const exportCsv = async (): Promise<void> => {
    setExporting(true);
    try {
      const { csv, samples } = await hostClient().call('recording.export', { id: recording.id });
      downloadText(`recording-${recording.id}.csv`, csv);
      notify(`Exported ${samples.toLocaleString()} samples of recording #${recording.id}`, 'ok');
    } catch (err) {
      notify(`Export failed: ${errorText(err)}`, 'error');
    } finally {
      setExporting(false);
    }
  };
  const toggle = (a: Action) => () => setAction((cur) => (cur === a ? undefined : a));
  return (
    <div className="pb-recd" data-testid="recording-details" data-id={recording.id}>
      <div className="pb-recd__head">
        <strong>
          #{recording.id} {recording.name}
        </strong>
        <span className="pb-muted">
          {recording.mode} · {recording.pipelines.join(', ') || 'every pipeline'}
          {recording.message ? ` · ${recording.message}` : ''}
        </span>
      </div>
      <div className="pb-recd__buttons">
        <button type="button" className="pb-btn" onClick={() => void exportCsv()} disabled={exporting || recording.samples === 0} data-testid="recording-export">
          Export CSV
        </button>
        <button type="button" className={`pb-btn${action === 'trim' ? ' is-on' : ''}`} onClick={toggle('trim')} disabled={busy || recording.samples === 0}>
          Trim…
        </button>
        <button type="button" className={`pb-btn${action === 'simulator' ? ' is-on' : ''}`} onClick={toggle('simulator')} disabled={busy}>
          Make simulator…
        </button>
        <button type="button" className={`pb-btn${action === 'test' ? ' is-on' : ''}`} onClick={toggle('test')} disabled={busy}>
          Make test…
        </button>
        <button type="button" className="pb-btn" onClick={() => setComparing(true)} disabled={busy}>
          Compare…
        </button>
        <button type="button" className={`pb-btn pb-rec__danger-outline${action === 'delete' ? ' is-on' : ''}`} onClick={toggle('delete')} disabled={busy}>
          Delete…
        </button>
      </div>
      {action === 'trim' && (
        <TrimForm
          recording={recording}
          onDone={(r) => {
            setAction(undefined);
            onChanged(r);
          }}
        />
      )}
      {action === 'delete' && <DeleteForm recording={recording} onDone={onDeleted} onCancel={() => setAction(undefined)} />}
      {action === 'simulator' && <SimulatorForm recording={recording} />}
      {action === 'test' && <TestForm recording={recording} />}
      <table className="pb-recd__tags">
        <thead>
          <tr>
            <th>tag</th>
            <th>address</th>
            <th>type</th>
            <th>samples</th>
          </tr>
        </thead>
        <tbody>
          {recording.tags.slice(0, 200).map((t) => (
            <tr key={t.index}>
              <td className="pb-mono">{t.path}</td>
              <td className="pb-muted" title={t.address}>
                {t.address ?? ''}
              </td>
              <td className="pb-muted">
                {t.dataType ?? ''}
                {t.unit ? ` ${t.unit}` : ''}
              </td>
              <td className="pb-num">{t.samples.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {recording.tags.length > 200 && <p className="pb-muted">… and {recording.tags.length - 200} more tags</p>}
      {comparing && <Compare recording={recording} onClose={() => setComparing(false)} />}
    </div>
  );
}

const range = (r: RecordingSummary): string => (r.firstTs !== undefined ? `${formatTime(r.firstTs).slice(0, 8)} – ${formatTime(r.lastTs ?? r.firstTs).slice(0, 8)} (${formatDuration(spanOf(r))})` : 'no samples');

export function Recordings() {
  const status = useStore(workbench, (s) => s.recording);
  const [list, setList] = useState<RecordingSummary[]>();
  const [selected, setSelected] = useState<number>();
  const [error, setError] = useState<string>();
  const reload = useCallback(async () => {
    try {
      const { recordings } = await hostClient().call('recording.list', {});
      setList(recordings);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  // Again whenever the recorder starts or stops (a new recording, a final size).
  useEffect(() => void reload(), [reload, status?.state, status?.id]);
  // The recording under way grows: its row follows.
  useEffect(() => {
    if (status?.state !== 'recording') return;
    const timer = setInterval(() => void reload(), 2000);
    return () => clearInterval(timer);
  }, [reload, status?.state]);
  const current = list?.find((r) => r.id === selected) ?? list?.[0];
  return (
    <div className="pb-recordings" data-testid="recordings">
      <Recorder />
      <div className="pb-reclist">
        <div className="pb-reclist__head">
          <strong>Recordings</strong>
          <span className="pb-muted">{list ? `${list.length}` : ''}</span>
        </div>
        {error && (
          <p className="pb-rec__error pb-pad" role="alert">
            {error}
          </p>
        )}
        <VirtualRows
          rows={list ?? []}
          rowHeight={40}
          empty={<p className="pb-muted pb-pad">{list ? 'No recordings yet: start a run, then a recording.' : 'Loading…'}</p>}
          render={(r) => (
            <div
              key={r.id}
              className={`pb-reclist__row${r.id === current?.id ? ' is-selected' : ''}`}
              onClick={() => setSelected(r.id)}
              onKeyDown={(e) => e.key === 'Enter' && setSelected(r.id)}
              tabIndex={0}
              role="button"
              aria-pressed={r.id === current?.id}
              data-testid="recording-row"
              data-id={r.id}
            >
              <span className="pb-reclist__name" title={r.name}>
                {r.state === 'recording' && <span className="pb-recpill__dot" />}
                <span className="pb-muted">#{r.id}</span> {r.name}
                {r.state === 'interrupted' && <span className="pb-rec__error"> (interrupted)</span>}
              </span>
              <span className="pb-reclist__figures">
                <span data-testid="recording-rate-cell">{r.rate !== undefined ? formatRate(r.rate) : ''}</span>
                <span>{r.samples.toLocaleString()} samples</span>
                <span>{formatBytes(r.bytes)}</span>
              </span>
              <span className="pb-reclist__tags pb-mono" title={r.tags.map((t) => t.path).join('\n')}>
                {r.tags.length} tag{r.tags.length === 1 ? '' : 's'}: {tagList(r)}
              </span>
              <span className="pb-reclist__range">{range(r)}</span>
            </div>
          )}
        />
      </div>
      {current ? (
        <Details
          key={current.id}
          recording={current}
          onChanged={(r) => setList((l) => l?.map((x) => (x.id === r.id ? r : x)))}
          onDeleted={() => {
            setSelected(undefined);
            void reload();
          }}
        />
      ) : (
        <div className="pb-recd pb-muted pb-pad">Select a recording.</div>
      )}
    </div>
  );
}
