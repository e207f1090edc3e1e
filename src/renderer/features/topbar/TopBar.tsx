import { mqttSandboxPrefix } from '../../../shared/rpc/methods/run.ts';
import { save, setMode, setMqttSandbox, toggleRun, ui } from '../../state/actions.ts';
import { activeDoc, isDirty, workbench, type RunMode } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { RecordingPill } from '../recordings/RecordingPill.tsx';
import { ArmingControls } from './ArmingControls.tsx';

const MODES: { id: RunMode; label: string; title: string }[] = [
  { id: 'simulated', label: 'Simulated', title: 'Runs against the project\'s simulators; no real device is touched.' },
  { id: 'live-read-only', label: 'Live read-only', title: 'Reads the real devices; writes to devices run dry: the sink shows "would write X to Y", and the audit log keeps it.' },
  { id: 'live-armed', label: 'Live armed', title: 'Writes to the real devices, only while armed (a confirmation naming the tags, a time limit, the kill switch), within the interlocks; every write is audited.' },
];

/** Live runs only: MQTT sinks publish under this prefix instead of the real UNS (docs/live-safety.md). */
function MqttSandbox({ mode, running, active }: { mode: RunMode; running: boolean; active: string | undefined }) {
  const prefix = useStore(workbench, (s) => s.mqttSandbox);
  if (running) {
    return active ? (
      <span className="pb-sandbox-chip" data-testid="mqtt-sandbox" title="MQTT sinks publish under this prefix, not to the real UNS">
        MQTT → {active}/…
      </span>
    ) : null;
  }
  if (mode === 'simulated') return null;
  const invalid = prefix.trim() !== '' && !mqttSandboxPrefix.safeParse(prefix.trim()).success;
  return (
    <input
      className={`pb-sandbox-input${invalid ? ' is-invalid' : ''}`}
      aria-label="MQTT sandbox prefix"
      aria-invalid={invalid}
      placeholder="MQTT sandbox prefix"
      title={invalid ? 'One or more topic levels (sandbox, test/ann), without + # or a leading $' : 'Optional: MQTT sinks publish under this prefix instead of the real UNS. Empty: as configured.'}
      value={prefix}
      onChange={(e) => setMqttSandbox(e.target.value)}
    />
  );
}

export function TopBar() {
  const project = useStore(workbench, (s) => s.project);
  const doc = useStore(workbench, activeDoc);
  const run = useStore(workbench, (s) => s.run);
  const mode = useStore(workbench, (s) => s.mode);
  const saving = useStore(workbench, (s) => s.saving);
  const connection = useStore(workbench, (s) => s.connection);
  const shownMode = run.state === 'stopped' ? mode : (run.mode ?? mode);
  const busy = run.state === 'starting' || run.state === 'stopping';
  return (
    <header className={`pb-topbar mode-${shownMode}`}>
      <div className="pb-topbar__brand">Plantbench</div>
      <div className="pb-topbar__project" title={project?.root}>
        <span className="pb-topbar__name" data-testid="project-name">
          {project?.name ?? '…'}
        </span>
        {doc && (
          <span className="pb-topbar__pipeline">
            / {String(doc.header.name ?? doc.id)}
            {isDirty(doc) && (
              <span className="pb-dirty" title="unsaved changes (Ctrl+S saves)" data-testid="dirty">
                {' '}
                ●
              </span>
            )}
          </span>
        )}
      </div>
      <div className="pb-modes" role="radiogroup" aria-label="Run mode">
        {MODES.map((m) => (
          <button
            key={m.id}
            type="button"
            role="radio"
            aria-checked={shownMode === m.id}
            className={`pb-mode pb-mode--${m.id}${shownMode === m.id ? ' is-on' : ''}`}
            disabled={run.state !== 'stopped'}
            title={m.title}
            onClick={() => setMode(m.id)}
          >
            {m.label}
          </button>
        ))}
      </div>
      <button
        type="button"
        className={`pb-btn pb-run${run.state === 'stopped' ? '' : ' is-running'}`}
        onClick={toggleRun}
        disabled={busy || connection !== 'open'}
        title="Ctrl+Enter"
        data-testid="run"
      >
        {run.state === 'stopped' ? '▶ Run' : run.state === 'running' ? '■ Stop' : `${run.state}…`}
      </button>
      <span className={`pb-runstate pb-runstate--${run.state}`} data-testid="run-state">
        {run.state === 'running' ? `running ${run.pipelines.length} pipeline${run.pipelines.length === 1 ? '' : 's'}` : run.state}
      </span>
      <MqttSandbox mode={shownMode} running={run.state !== 'stopped'} active={run.mqttSandbox} />
      <ArmingControls />
      <RecordingPill />
      <span className="pb-toolbar__spacer" />
      <button type="button" className="pb-btn" onClick={() => void save()} disabled={!doc || saving || !isDirty(doc)} title="Ctrl+S" data-testid="save">
        {saving ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="pb-btn" onClick={() => ui({ dialog: 'export' })} disabled={connection !== 'open'} title="Export pipelines as a bundle for an edge gateway" data-testid="export-open">
        Export
      </button>
      <button type="button" className="pb-btn pb-btn--icon" onClick={() => ui({ dialog: 'shortcuts' })} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
        ?
      </button>
    </header>
  );
}
