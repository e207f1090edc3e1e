import { useState, type ReactNode } from 'react';
import { toModbusTags, type RegisterMapRow } from '../../../../shared/discovery/modbus.ts';
import { errorText, hostClient, notify, refreshDevices } from '../../../state/actions.ts';
import { importSummary, type ModbusDevice } from './probe-model.ts';

/**
 * "Import as tags": register-map rows become tags of the device (discovery.import), with what to
 * do about tags of the same name, and the result (added / replaced / skipped) shown afterwards.
 */
export function ImportBar({ device, rows, unit, blocked, children }: { device: ModbusDevice; rows: readonly RegisterMapRow[]; unit?: number; blocked?: string; children?: ReactNode }) {
  const [onConflict, setOnConflict] = useState<'skip' | 'replace'>('skip');
  const [writable, setWritable] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();

  const run = async (): Promise<void> => {
    setOutcome(undefined);
    setBusy(true);
    try {
      const tags = toModbusTags(rows, { addressBase: device.addressBase, writable });
      const r = await hostClient().call('discovery.import', { deviceId: device.id, protocol: 'modbus', tags, onConflict });
      const text = importSummary(r);
      setOutcome({ ok: true, text });
      notify(`Imported into ${text}`, 'ok');
      await refreshDevices();
    } catch (err) {
      setOutcome({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="pb-mb-import">
      <div className="pb-mb-import__row">
        <label className="pb-check" title="Holding registers and coils become writable tags (the device's other areas are read-only anyway)">
          <input type="checkbox" checked={writable} onChange={(e) => setWritable(e.target.checked)} />
          writable
        </label>
        <label className="pb-mb-inline">
          existing names
          <select className="pb-input pb-input--inline" aria-label="on conflict" value={onConflict} onChange={(e) => setOnConflict(e.target.value as 'skip' | 'replace')}>
            <option value="skip">skip (keep the device's tag)</option>
            <option value="replace">replace</option>
          </select>
        </label>
        <span className="pb-mb-import__spacer" />
        {children}
        <button type="button" className="pb-btn pb-btn--primary" disabled={busy || rows.length === 0 || !!blocked} title={blocked} onClick={() => void run()}>
          Import {rows.length} as tags
        </button>
      </div>
      {unit !== undefined && unit !== device.unitId && (
        <div className="pb-mb-note pb-mb-note--warn">
          {device.id} reads unit {device.unitId}; these addresses were found on unit {unit}.
        </div>
      )}
      {outcome && (
        <div className={outcome.ok ? 'pb-mb-note pb-mb-note--ok' : 'pb-mb-error'} role={outcome.ok ? 'status' : 'alert'} data-testid="import-result">
          {outcome.text}
        </div>
      )}
    </div>
  );
}
