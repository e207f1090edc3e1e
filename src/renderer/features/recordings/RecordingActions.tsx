import { useState } from 'react';
import type { RecordingSummary } from '../../../shared/recording.ts';
import type { Methods } from '../../../shared/rpc/contract.ts';
import type { ResponseOf } from '../../../shared/rpc/define.ts';
import { errorText, hostClient, notify, refreshDevices } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { recordedDevices, spanOf, trimRange } from './recordings-model.ts';

// The forms behind a recording's Trim, Delete, Make simulator and Make test buttons. Each calls
// the host and shows what it did (the file written, what replays, whether the new test passes).

type Call = { busy: boolean; error?: string };

function useCall() {
  const [state, setState] = useState<Call>({ busy: false });
  const go = async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    setState({ busy: true });
    try {
      const r = await work();
      setState({ busy: false });
      return r;
    } catch (err) {
      setState({ busy: false, error: errorText(err) });
      return undefined;
    }
  };
  return { ...state, go };
}

function Failure({ error }: { error?: string }) {
  return error ? (
    <p className="pb-rec__error" role="alert">
      {error}
    </p>
  ) : null;
}

export function TrimForm({ recording, onDone }: { recording: RecordingSummary; onDone(r: RecordingSummary): void }) {
  const [from, setFrom] = useState('0');
  const [to, setTo] = useState((spanOf(recording) / 1000).toFixed(3));
  const call = useCall();
  const range = trimRange(recording, from, to);
  return (
    <form
      className="pb-rec__form"
      aria-label="Trim"
      onSubmit={async (e) => {
        e.preventDefault();
        if ('problem' in range) return;
        const r = await call.go(() => hostClient().call('recording.trim', { id: recording.id, ...range }));
        if (r) {
          notify(`Trimmed recording #${r.id} to ${r.samples.toLocaleString()} samples`, 'ok');
          onDone(r);
        }
      }}
    >
      <span>keep from</span>
      <input className="pb-input pb-rec__num" type="number" step="any" min={0} value={from} onChange={(e) => setFrom(e.target.value)} aria-label="from (s)" />
      <span>to</span>
      <input className="pb-input pb-rec__num" type="number" step="any" min={0} value={to} onChange={(e) => setTo(e.target.value)} aria-label="to (s)" />
      <span className="pb-muted">s after the first sample</span>
      <button type="submit" className="pb-btn" disabled={'problem' in range || call.busy}>
        Trim
      </button>
      {'problem' in range && <span className="pb-rec__error">{range.problem}</span>}
      <Failure error={call.error} />
    </form>
  );
}

export function DeleteForm({ recording, onDone, onCancel }: { recording: RecordingSummary; onDone(): void; onCancel(): void }) {
  const call = useCall();
  return (
    <div className="pb-rec__form pb-rec__form--danger" role="group" aria-label="Delete">
      <span>
        Delete recording #{recording.id} “{recording.name}” and its {recording.samples.toLocaleString()} samples? This cannot be undone.
      </span>
      <button
        type="button"
        className="pb-btn pb-rec__danger"
        disabled={call.busy}
        onClick={async () => {
          const r = await call.go(() => hostClient().call('recording.delete', { id: recording.id }));
          if (r) {
            notify(r.deleted ? `Deleted recording #${recording.id}` : `Recording #${recording.id} was already gone`, 'ok');
            onDone();
          }
        }}
      >
        Delete
      </button>
      <button type="button" className="pb-btn" onClick={onCancel}>
        Cancel
      </button>
      <Failure error={call.error} />
    </div>
  );
}

function Notes({ notes }: { notes: readonly string[] }) {
  return notes.map((n) => (
    <div key={n} className="pb-muted">
      {n}
    </div>
  ));
}

/** The project's pipelines to pick from. */
export function PipelineSelect({ id, value, onChange }: { id: string; value: string; onChange(id: string): void }) {
  const pipelines = useStore(workbench, (s) => s.project?.pipelines ?? []);
  return (
    <select id={id} className="pb-input pb-input--inline" value={value} onChange={(e) => onChange(e.target.value)}>
      {pipelines.map((p) => (
        <option key={p.id} value={p.id}>
          {p.id}
        </option>
      ))}
    </select>
  );
}

/** The pipeline a recording form starts with: one the recording was made of, else the project's first. */
export function usePipelineChoice(recording: RecordingSummary): [string, (id: string) => void] {
  const first = useStore(workbench, (s) => s.project?.pipelines[0]?.id);
  return useState(recording.pipelines[0] ?? first ?? '');
}

function Listed({ label, items }: { label: string; items: readonly string[] }) {
  if (!items.length) return null;
  return (
    <div>
      <span className="pb-muted">{label}:</span> <span className="pb-mono">{items.join(', ')}</span>
    </div>
  );
}

export function SimulatorForm({ recording }: { recording: RecordingSummary }) {
  const devices = recordedDevices(recording);
  const [device, setDevice] = useState(devices[0] ?? '');
  const [speed, setSpeed] = useState('1');
  const [loop, setLoop] = useState(true);
  const [result, setResult] = useState<ResponseOf<Methods, 'recording.toSimulator'>>();
  const call = useCall();
  const ok = device !== '' && Number(speed) > 0 && Number(speed) <= 1000;
  return (
    <form
      className="pb-rec__form"
      aria-label="Make simulator"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await call.go(() => hostClient().call('recording.toSimulator', { id: recording.id, device, speed: Number(speed), loop }));
        if (r) {
          setResult(r);
          notify(`Wrote ${r.file}: ${r.simulator} replays ${r.replayed.length} tag(s) of ${device}`, 'ok');
          void refreshDevices();
        }
      }}
    >
      <label htmlFor="pb-rec-sim-device">replay as device</label>
      <select id="pb-rec-sim-device" className="pb-input pb-input--inline" value={device} onChange={(e) => setDevice(e.target.value)}>
        {devices.map((d) => (
          <option key={d}>{d}</option>
        ))}
      </select>
      <label htmlFor="pb-rec-sim-speed">speed ×</label>
      <input id="pb-rec-sim-speed" className="pb-input pb-rec__num" type="number" min={0} max={1000} step="any" value={speed} onChange={(e) => setSpeed(e.target.value)} />
      <label>
        <input type="checkbox" checked={loop} onChange={(e) => setLoop(e.target.checked)} /> loop
      </label>
      <button type="submit" className="pb-btn" disabled={!ok || call.busy}>
        Make simulator
      </button>
      {devices.length === 0 && <span className="pb-muted">no device tags in this recording</span>}
      <Failure error={call.error} />
      {result && (
        <div className="pb-rec__result" data-testid="simulator-result">
          <div>
            <strong>{result.file}</strong> {result.replaced ? `now stands in for ${device} (replaced ${result.simulator})` : `(${result.simulator})`}
          </div>
          <Listed label="replays" items={result.replayed} />
          <Listed label="recorded but gone from the device" items={result.gone} />
          <Listed label="device tags not recorded" items={result.unrecorded} />
          <Notes notes={result.notes} />
        </div>
      )}
    </form>
  );
}

export function TestForm({ recording }: { recording: RecordingSummary }) {
  const [pipeline, setPipeline] = usePipelineChoice(recording);
  const [caseName, setCaseName] = useState('');
  const [result, setResult] = useState<ResponseOf<Methods, 'recording.toTest'>>();
  const call = useCall();
  return (
    <form
      className="pb-rec__form"
      aria-label="Make test"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await call.go(() => hostClient().call('recording.toTest', { id: recording.id, pipeline, ...(caseName.trim() ? { caseName: caseName.trim() } : {}) }));
        if (r) {
          setResult(r);
          notify(`${r.created ? 'Wrote' : 'Added to'} ${r.file}: case “${r.caseName}” ${r.passes ? 'passes' : 'FAILS'}`, r.passes ? 'ok' : 'error');
        }
      }}
    >
      <label htmlFor="pb-rec-test-pipeline">test of pipeline</label>
      <PipelineSelect id="pb-rec-test-pipeline" value={pipeline} onChange={setPipeline} />
      <label htmlFor="pb-rec-test-case">case</label>
      <input id="pb-rec-test-case" className="pb-input pb-input--inline" value={caseName} onChange={(e) => setCaseName(e.target.value)} placeholder={`recording ${recording.id}`} />
      <button type="submit" className="pb-btn" disabled={!pipeline || call.busy}>
        {call.busy ? 'Running…' : 'Make test'}
      </button>
      <Failure error={call.error} />
      {result && (
        <div className="pb-rec__result" data-testid="test-result">
          <div>
            <strong>{result.file}</strong> case “{result.caseName}”{result.replaced ? ' (replaced)' : ''}:{' '}
            <span className={result.passes ? 'pb-rec__pass' : 'pb-rec__fail'}>{result.passes ? '✓ passes' : '✗ fails'}</span>
          </div>
          <div>
            {result.inputs.toLocaleString()} input samples; expected:{' '}
            {Object.entries(result.expected)
              .map(([node, n]) => `${node} ${n}`)
              .join(', ') || 'nothing'}
          </div>
          <Notes notes={result.notes} />
        </div>
      )}
    </form>
  );
}
