import { useState } from 'react';
import { errorText, notify, ui } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';
import { arm, liveArming } from './arming.ts';
import { ARM_WORD, armProblem, DEFAULT_ARM_MINUTES, MAX_ARM_MINUTES } from './arming-model.ts';
import './arming.css';

/**
 * The arming confirmation: the device tags this run can write, with their interlocks and the sink
 * nodes that write them, a time limit, and the typed word. run.arm confirms exactly this list; the
 * host refuses a different one (the project changed since the run started).
 */
export function ArmDialog() {
  const arming = useStore(workbench, (s) => liveArming(s.run));
  // The list as first shown is the list confirmed, whatever arrives while the dialog is open.
  const [shown] = useState(() => arming?.writable ?? []);
  const [minutes, setMinutes] = useState(String(DEFAULT_ARM_MINUTES));
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const close = (): void => ui({ dialog: undefined });
  if (!arming) {
    return (
      <div className="pb-dialog pb-armdialog" role="dialog" aria-modal="true" aria-label="Arm live writes">
        <h2>Arm live writes</h2>
        <p>Only a running live-armed run can be armed. Pick “Live armed” and press Run.</p>
        <div className="pb-dialog__buttons">
          <button type="button" className="pb-btn" onClick={close} autoFocus>
            Close
          </button>
        </div>
      </div>
    );
  }
  const problem = armProblem(minutes, typed, shown);
  const submit = async (): Promise<void> => {
    if (problem || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const state = await arm(Number(minutes), shown);
      notify(`Armed for ${minutes} min: ${shown.length} device tag${shown.length === 1 ? '' : 's'} can be written`, 'ok');
      if (state.armed) close();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="pb-dialog pb-armdialog"
      role="dialog"
      aria-modal="true"
      aria-label="Arm live writes"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>Arm live writes</h2>
      {shown.length === 0 ? (
        <p>No pipeline of this run writes to a device, so there is nothing to arm. Writes to MQTT are not gated.</p>
      ) : (
        <>
          <p className="pb-armdialog__warn">
            Arming lets this run write to <strong>{shown.length}</strong> device tag{shown.length === 1 ? '' : 's'} of the real machine, within their interlocks. Every write is
            audited. The run disarms itself when the time is up; DISARM (Ctrl+Shift+D) stops writes at once.
          </p>
          <table className="pb-armdialog__tags" data-testid="arm-tags">
            <thead>
              <tr>
                <th>device/tag</th>
                <th>interlock</th>
                <th>written by</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((w) => (
                <tr key={`${w.device}/${w.tag}`}>
                  <td className="pb-mono">
                    {w.device}/{w.tag}
                  </td>
                  <td className={w.interlock ? undefined : 'pb-armdialog__nolock'}>{w.limits}</td>
                  <td className="pb-mono pb-muted">{w.nodes.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pb-armdialog__fields">
            <label htmlFor="pb-arm-minutes">Disarm after</label>
            <input
              id="pb-arm-minutes"
              className="pb-input pb-input--inline pb-armdialog__minutes"
              type="number"
              min={0}
              max={MAX_ARM_MINUTES}
              step="any"
              value={minutes}
              onChange={(e) => setMinutes(e.target.value)}
            />
            <span>minutes</span>
          </div>
          <div className="pb-armdialog__fields">
            <label htmlFor="pb-arm-confirm">
              Type <kbd>{ARM_WORD}</kbd> to confirm
            </label>
            <input id="pb-arm-confirm" className="pb-input pb-input--inline" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} autoFocus />
          </div>
        </>
      )}
      {error && (
        <p className="pb-armdialog__error" role="alert">
          {error}
        </p>
      )}
      <div className="pb-dialog__buttons">
        {shown.length > 0 && problem && <span className="pb-muted pb-armdialog__hint">{problem}</span>}
        <button type="button" className="pb-btn" onClick={close}>
          Cancel
        </button>
        {shown.length > 0 && (
          <button type="submit" className="pb-btn pb-armdialog__arm" disabled={!!problem || busy}>
            {busy ? 'Arming…' : `Arm for ${minutes || '?'} min`}
          </button>
        )}
      </div>
    </form>
  );
}
