import { ui } from '../state/actions.ts';
import { MOUSE_HELP, SHORTCUTS } from './shortcuts.ts';

export function ShortcutsDialog() {
  return (
    <div className="pb-dialog pb-shortcuts" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
      <h2>Keyboard shortcuts</h2>
      <table>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.what}</td>
            </tr>
          ))}
          {MOUSE_HELP.map(([k, v]) => (
            <tr key={k}>
              <td className="pb-muted">{k}</td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pb-dialog__buttons">
        <button type="button" className="pb-btn pb-btn--primary" autoFocus onClick={() => ui({ dialog: undefined })}>
          Close
        </button>
      </div>
    </div>
  );
}
