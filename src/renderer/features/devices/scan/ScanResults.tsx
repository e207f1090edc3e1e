import { useState } from 'react';
import type { ScanResult, ScanTarget } from '../../../../shared/discovery/scan.ts';
import { projectId } from '../../../../shared/rpc/methods/common.ts';
import { errorText, hostClient, notify, refreshDevices } from '../../../state/actions.ts';
import { deviceFromScan, deviceProtocol, suggestDeviceId } from './scan-device.ts';

// The results of a network scan: one row per probed port (open ones unless asked), the protocol a
// handshake confirmed and what the device said, and "Add as device" for a confirmed one: an id,
// then devices/<id>.yaml without tags through discovery.import.

const PROTOCOL_LABEL: Record<ScanTarget['protocol'], string> = { modbus: 'Modbus TCP', opcua: 'OPC UA', mqtt: 'MQTT', 'mqtt-tls': 'MQTT TLS', unknown: '?' };

const keyOf = (t: ScanTarget): string => `${t.host}:${t.port}`;

/** What the device said; for an OPC UA server its endpoint URLs and security modes first (the Hello answer is in the tooltip). */
function details(t: ScanTarget): string {
  const detail = t.detail ?? (t.state === 'open' ? t.error : t.state) ?? '';
  const urls = [...new Set((t.endpoints ?? []).map((e) => e.url))];
  const parts = urls.length ? [urls.join(' '), detail.split('; ').slice(1).join('; ') || detail] : [detail];
  // A confirmed server whose GetEndpoints failed says why.
  if (t.confirmed && t.error) parts.push(t.error);
  if (t.certificate) parts.push(`certificate ${t.certificate.subject} (not verified)`);
  return parts.filter(Boolean).join(' · ');
}

function AddDevice({ target, taken, onDone }: { target: ScanTarget; taken: ReadonlySet<string>; onDone(id?: string): void }) {
  const [id, setId] = useState(() => suggestDeviceId(target, taken));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const idProblem = taken.has(id) ? `devices/${id}.yaml exists` : projectId.safeParse(id).error?.issues[0]?.message;
  const add = async (): Promise<void> => {
    const protocol = deviceProtocol(target);
    const create = deviceFromScan(target, id);
    if (!protocol || !create || idProblem) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await hostClient().call('discovery.import', { deviceId: id, protocol, tags: [], create });
      await refreshDevices();
      notify(`Added ${r.file}: open it in Devices to discover its tags`, 'ok');
      onDone(id);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <form
      className="pb-scan__add"
      aria-label={`Add ${keyOf(target)} as a device`}
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <label>
        device id{' '}
        <input className={`pb-input pb-mono${idProblem ? ' is-bad' : ''}`} aria-label="device id" value={id} autoFocus onChange={(e) => setId(e.target.value)} />
      </label>
      <button type="submit" className="pb-btn pb-btn--primary" disabled={busy || !!idProblem}>
        Add
      </button>
      <button type="button" className="pb-btn" onClick={() => onDone()}>
        Cancel
      </button>
      <span className="pb-muted pb-scan__add-hint">devices/{id}.yaml, no tags yet</span>
      {(idProblem ?? error) && <span className="pb-scan__error">{idProblem ?? error}</span>}
    </form>
  );
}

export function ScanResults({ result, taken }: { result: ScanResult; taken: ReadonlySet<string> }) {
  const [showAll, setShowAll] = useState(false);
  const [adding, setAdding] = useState<string>();
  const [added, setAdded] = useState<Record<string, string>>({});
  const rows = showAll ? result.results : result.results.filter((t) => t.state === 'open');
  // Confirmed first, then by address and port (the host sorts by address and port).
  const sorted = [...rows].sort((a, b) => Number(b.confirmed) - Number(a.confirmed));
  const t = result.totals;
  return (
    <div className="pb-scan__results">
      <div className="pb-scan__summary">
        <span data-testid="scan-summary">
          {result.hosts} host{result.hosts === 1 ? '' : 's'} × {result.ports.length} port{result.ports.length === 1 ? '' : 's'}: {t.probed}/{t.planned} probed, <b>{t.open} open</b>, <b>{t.confirmed} confirmed</b>, {t.closed} closed, {t.timeout} no answer
          {t.error ? `, ${t.error} unreachable` : ''} in {(result.durationMs / 1000).toFixed(1)} s{result.cancelled ? ' (cancelled)' : ''}
        </span>
        <label className="pb-scan__toggle">
          <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> closed ports too
        </label>
      </div>
      {sorted.length === 0 ? (
        <p className="pb-muted">No open ports found.</p>
      ) : (
        <div className="pb-scan__table-box">
          <table className="pb-scan__table" data-testid="scan-results">
            <thead>
              <tr>
                <th>host</th>
                <th className="pb-num">port</th>
                <th>protocol</th>
                <th>details</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sorted.map((target) => {
                const key = keyOf(target);
                const protocol = deviceProtocol(target);
                return [
                  <tr key={key} data-target={key} className={target.confirmed ? 'is-confirmed' : target.state !== 'open' ? 'is-closed' : ''}>
                    <td className="pb-mono">{target.host}</td>
                    <td className="pb-num pb-mono">{target.port}</td>
                    <td>
                      {target.confirmed ? (
                        <span className={`pb-scan__proto pb-scan__proto--${target.protocol}`} title="A handshake in this protocol was answered">
                          {PROTOCOL_LABEL[target.protocol]} ✓
                        </span>
                      ) : (
                        <span className="pb-muted" title={target.tried ? `tried: ${target.tried.join(', ')}` : undefined}>
                          {target.state === 'open' ? `open${target.protocol !== 'unknown' ? `, not ${PROTOCOL_LABEL[target.protocol]}` : ''}` : target.state}
                        </span>
                      )}
                    </td>
                    <td className="pb-scan__detail" title={[target.detail, target.error].filter(Boolean).join('\n')}>
                      {details(target)}
                    </td>
                    <td>
                      {added[key] ? (
                        <span className="pb-scan__added">added as {added[key]}</span>
                      ) : protocol ? (
                        <button type="button" className="pb-btn pb-btn--small" disabled={adding === key} onClick={() => setAdding(key)}>
                          Add as device
                        </button>
                      ) : null}
                    </td>
                  </tr>,
                  adding === key && (
                    <tr key={`${key}-add`} className="pb-scan__add-row">
                      <td colSpan={5}>
                        <AddDevice
                          target={target}
                          taken={taken}
                          onDone={(id) => {
                            setAdding(undefined);
                            if (id) setAdded((a) => ({ ...a, [key]: id }));
                          }}
                        />
                      </td>
                    </tr>
                  ),
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
