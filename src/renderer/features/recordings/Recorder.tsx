import { useEffect, useMemo, useState } from 'react';
import { formatBytes, type RecordingStatus } from '../../../shared/recording.ts';
import { errorText, hostClient } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { formatRate } from '../../lib/format.ts';
import { useStore } from '../../lib/use-store.ts';
import { fillOf, formatDuration, tagsRead } from './recordings-model.ts';

const MAX_TAGS_SHOWN = 300;
const STOP_WORDS: Record<NonNullable<RecordingStatus['stopReason']>, string> = {
  stopped: 'stopped',
  duration: 'reached its time limit',
  size: 'reached its size limit',
  'run-stopped': 'ended with the run',
  error: 'stopped on an error',
};

/** The fill level of a running recording: the larger of size and duration against their caps. */
function FillBar({ status }: { status: RecordingStatus }) {
  const fill = fillOf(status);
  const caps = [status.maxDurationMs ? `${formatDuration(status.elapsedMs)} of ${formatDuration(status.maxDurationMs)}` : formatDuration(status.elapsedMs), status.maxBytes ? `${formatBytes(status.bytes)} of ${formatBytes(status.maxBytes)}` : formatBytes(status.bytes)];
  return (
    <div className="pb-rec__fill" data-testid="recording-fill">
      <div className={`pb-rec__track${fill !== undefined && fill > 0.85 ? ' is-nearly-full' : ''}`} role="progressbar" aria-label="Recording fill level" aria-valuemin={0} aria-valuemax={100} aria-valuenow={fill === undefined ? undefined : Math.round(fill * 100)}>
        <div className="pb-rec__bar" style={{ width: `${((fill ?? 0) * 100).toFixed(1)}%` }} />
      </div>
      <div className="pb-rec__figures">
        <strong>{fill === undefined ? 'no cap' : `${Math.round(fill * 100)} %`}</strong>
        <span>{caps.join(' · ')}</span>
      </div>
      <div className="pb-rec__figures">
        <span data-testid="recording-samples">{status.samples.toLocaleString()} samples</span>
        <span data-testid="recording-rate">{formatRate(status.rate)}</span>
        <span>{status.tags} tags</span>
      </div>
    </div>
  );
}

/** Picks device tags the running pipelines read (the host refuses others: it records what the run reads). */
function TagPicker({ picked, onChange }: { picked: ReadonlySet<string>; onChange(next: Set<string>): void }) {
  const devices = useStore(workbench, (s) => s.devices);
  const pipelines = useStore(workbench, (s) => s.run.pipelines);
  const [read, setRead] = useState<Map<string, Set<string>>>();
  const [filter, setFilter] = useState('');
  useEffect(() => {
    let stale = false;
    Promise.all(pipelines.map((id) => hostClient().call('file.get', { kind: 'pipeline', id }).then((f) => f.data, () => undefined))).then((files) => !stale && setRead(tagsRead(files, devices)));
    return () => {
      stale = true;
    };
  }, [pipelines, devices]);
  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return [...devices.valid.values()].flatMap((d) => d.tags.map((t) => ({ path: `${d.id}/${t.name}`, read: read?.get(d.id)?.has(t.name) ?? false }))).filter((r) => !needle || r.path.toLowerCase().includes(needle));
  }, [devices, read, filter]);
  const toggle = (path: string): void => {
    const next = new Set(picked);
    if (!next.delete(path)) next.add(path);
    onChange(next);
  };
  return (
    <div className="pb-rec__picker">
      <input className="pb-input" placeholder="filter tags" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter tags" />
      <ul className="pb-rec__tags" aria-label="Tags to record">
        {rows.slice(0, MAX_TAGS_SHOWN).map((r) => (
          <li key={r.path} title={r.read ? undefined : 'not read by the running pipelines: add it to a pipeline, or record it with plantbench record --tags'}>
            <label className={r.read ? undefined : 'pb-muted'}>
              <input type="checkbox" checked={picked.has(r.path)} disabled={!r.read} onChange={() => toggle(r.path)} /> <span className="pb-mono">{r.path}</span>
            </label>
          </li>
        ))}
        {rows.length > MAX_TAGS_SHOWN && <li className="pb-muted">… {rows.length - MAX_TAGS_SHOWN} more: filter to find them</li>}
        {!read && <li className="pb-muted">reading the pipelines…</li>}
      </ul>
    </div>
  );
}

/** Starts a recording of what the run reads, with its caps; shows its fill level and rate while it records. */
export function Recorder() {
  const run = useStore(workbench, (s) => s.run);
  const status = useStore(workbench, (s) => s.recording);
  const [name, setName] = useState('');
  const [only, setOnly] = useState<ReadonlySet<string>>(new Set());
  const [what, setWhat] = useState<'all' | 'pipelines' | 'tags'>('all');
  const [tags, setTags] = useState<ReadonlySet<string>>(new Set());
  const [seconds, setSeconds] = useState('60');
  const [megabytes, setMegabytes] = useState('50');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (s: RecordingStatus): void => workbench.set((w) => ({ ...w, recording: s }));

  if (status?.state === 'recording') {
    return (
      <div className="pb-rec" data-testid="recorder" data-state="recording">
        <div className="pb-rec__head">
          <span className="pb-recpill__dot" />
          <strong>Recording {status.id !== undefined ? `#${status.id}` : ''}</strong>
          <span className="pb-muted">{status.name}</span>
        </div>
        <FillBar status={status} />
        <button
          type="button"
          className="pb-btn"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              set(await hostClient().call('recording.stop', {}));
            } catch (err) {
              setError(errorText(err));
            } finally {
              setBusy(false);
            }
          }}
          data-testid="recording-stop"
        >
          ■ Stop recording
        </button>
        {error && <p className="pb-rec__error" role="alert">{error}</p>}
      </div>
    );
  }

  const running = run.state === 'running';
  const capsProblem = [seconds, megabytes].some((v) => v.trim() !== '' && !(Number(v) > 0)) ? 'caps are positive numbers (or empty for none)' : undefined;
  const start = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const request = {
        ...(name.trim() ? { name: name.trim() } : {}),
        pipelines: what === 'pipelines' ? [...only] : [],
        tags: what === 'tags' ? [...tags] : [],
        ...(seconds.trim() ? { maxDurationMs: Math.round(Number(seconds) * 1000) } : {}),
        ...(megabytes.trim() ? { maxBytes: Math.round(Number(megabytes) * 1e6) } : {}),
      };
      set(await hostClient().call('recording.start', request));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const nothingPicked = (what === 'pipelines' && only.size === 0) || (what === 'tags' && tags.size === 0);
  return (
    <form
      className="pb-rec"
      data-testid="recorder"
      data-state={status?.state ?? 'idle'}
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      <div className="pb-rec__head">
        <strong>New recording</strong>
        {!running && <span className="pb-muted">start a run first: a recording keeps what the running pipelines read</span>}
      </div>
      {status?.state === 'stopped' && (
        <p className="pb-rec__last" data-testid="recording-last">
          Recording #{status.id} {STOP_WORDS[status.stopReason ?? 'stopped']}: {status.samples.toLocaleString()} samples{status.message ? ` (${status.message})` : ''}
        </p>
      )}
      <div className="pb-rec__grid">
        <label htmlFor="pb-rec-name">name</label>
        <input id="pb-rec-name" className="pb-input" value={name} onChange={(e) => setName(e.target.value)} placeholder="(date and time)" />
        <label htmlFor="pb-rec-what">record</label>
        <select id="pb-rec-what" className="pb-input" value={what} onChange={(e) => setWhat(e.target.value as typeof what)}>
          <option value="all">everything the run reads</option>
          <option value="pipelines">what some pipelines read</option>
          <option value="tags">some tags</option>
        </select>
        <label htmlFor="pb-rec-seconds">stop after</label>
        <span className="pb-rec__cap">
          <input id="pb-rec-seconds" className="pb-input" type="number" min={0} step="any" value={seconds} onChange={(e) => setSeconds(e.target.value)} /> s
        </span>
        <label htmlFor="pb-rec-mb">or at</label>
        <span className="pb-rec__cap">
          <input id="pb-rec-mb" className="pb-input" type="number" min={0} step="any" value={megabytes} onChange={(e) => setMegabytes(e.target.value)} /> MB
        </span>
      </div>
      {what === 'pipelines' && (
        <ul className="pb-rec__tags" aria-label="Pipelines to record">
          {run.pipelines.map((p) => (
            <li key={p}>
              <label>
                <input
                  type="checkbox"
                  checked={only.has(p)}
                  onChange={() => {
                    const next = new Set(only);
                    if (!next.delete(p)) next.add(p);
                    setOnly(next);
                  }}
                />{' '}
                {p}
              </label>
            </li>
          ))}
          {run.pipelines.length === 0 && <li className="pb-muted">no pipeline is running</li>}
        </ul>
      )}
      {what === 'tags' && (running ? <TagPicker picked={tags} onChange={setTags} /> : <p className="pb-muted">The tags to pick come from the running pipelines.</p>)}
      <button type="submit" className="pb-btn pb-btn--primary" disabled={!running || busy || !!capsProblem || nothingPicked} data-testid="recording-start">
        ● Start recording
      </button>
      {(error ?? capsProblem) && (
        <p className="pb-rec__error" role="alert">
          {error ?? capsProblem}
        </p>
      )}
    </form>
  );
}
