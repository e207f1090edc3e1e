import { ui } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { formatRate } from '../../lib/format.ts';
import { useStore } from '../../lib/use-store.ts';
import { fillOf } from './recordings-model.ts';
import './recordings.css';

/** "● REC 42 %" in the top bar while a recording runs; opens the Recordings tab. */
export function RecordingPill() {
  const status = useStore(workbench, (s) => s.recording);
  if (status?.state !== 'recording') return null;
  const fill = fillOf(status);
  return (
    <button
      type="button"
      className="pb-recpill"
      onClick={() => ui({ bottomTab: 'recordings', bottomOpen: true })}
      title={`Recording ${status.name ?? status.id ?? ''}: ${status.samples.toLocaleString()} samples, ${formatRate(status.rate)}`}
      data-testid="recording-pill"
    >
      <span className="pb-recpill__dot" />
      REC{fill !== undefined ? ` ${Math.round(fill * 100)} %` : ''}
    </button>
  );
}
