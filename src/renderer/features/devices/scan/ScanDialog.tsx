import { useEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import { DEFAULT_SCAN_PORTS, parseTargets, scanResult, TargetsError, type ScanResult } from '../../../../shared/discovery/scan.ts';
import { formatTime } from '../../../lib/format.ts';
import { ProgressBar } from '../../../lib/ProgressBar.tsx';
import { useLongCall } from '../../../lib/use-long-call.ts';
import { useStore } from '../../../lib/use-store.ts';
import { hostClient } from '../../../state/actions.ts';
import { workbench } from '../../../state/workbench.ts';
import { fieldsOfScanKey, parsePorts } from './scan-device.ts';
import { ScanResults } from './ScanResults.tsx';
import './scan.css';

// "Find devices…": a network scan (discovery.scan: TCP connect, then a protocol handshake on each
// open port) with progress and Cancel, its results, and "Add as device". It opens on the last
// scan cached in the workspace DB. The dialog keeps its keys to itself, so the canvas shortcuts
// (Delete, Ctrl+A…) do not act behind it.

interface Shown {
  readonly result: ScanResult;
  readonly takenAt: number;
  readonly cached: boolean;
}

function targetsProblem(text: string): string | undefined {
  try {
    parseTargets(text);
    return undefined;
  } catch (err) {
    if (err instanceof TargetsError) return err.message;
    throw err;
  }
}

export function ScanDialog({ onClose }: { onClose(): void }) {
  const [targets, setTargets] = useState('');
  const [ports, setPorts] = useState(DEFAULT_SCAN_PORTS.join(', '));
  const [timeoutMs, setTimeoutMs] = useState(1000);
  const [shown, setShown] = useState<Shown>();
  const [touched, setTouched] = useState(false);
  const scan = useLongCall<ScanResult>();
  const devices = useStore(workbench, (s) => s.project?.devices);
  const taken = new Set((devices ?? []).map((d) => d.id));

  // The newest cached scan, with the fields it was run with.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      try {
        const [entry] = await hostClient().call('discovery.cached', { kind: 'scan' });
        if (!entry) return;
        const hit = await hostClient().call('discovery.last', { kind: 'scan', target: entry.target });
        const parsed = scanResult.safeParse(hit?.result);
        if (cancelled || !hit || !parsed.success) return;
        setShown((s) => s ?? { result: parsed.data, takenAt: hit.takenAt, cached: true });
        const fields = fieldsOfScanKey(entry.target);
        if (fields) {
          setTargets((t) => t || fields.targets);
          setPorts((p) => (p === DEFAULT_SCAN_PORTS.join(', ') ? fields.ports : p));
        }
      } catch {
        // No cache (a damaged workspace DB): the dialog starts empty.
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  const portList = parsePorts(ports);
  const targetError = targets.trim() ? targetsProblem(targets) : 'give a CIDR block, a range or a host';
  const portError = 'error' in portList ? portList.error : undefined;
  const timeoutError = Number.isInteger(timeoutMs) && timeoutMs >= 50 && timeoutMs <= 60_000 ? undefined : 'timeout: 50–60000 ms';
  const invalid = targetError ?? portError ?? timeoutError;

  const run = async (): Promise<void> => {
    setTouched(true);
    if (invalid || !('ports' in portList)) return;
    const request = { targets: targets.trim(), ports: portList.ports, timeoutMs };
    const result = await scan.run(({ signal, onProgress }) => hostClient().call('discovery.scan', request, { signal, onProgress }));
    if (result) setShown({ result, takenAt: Date.now(), cached: false });
  };

  return createPortal(
    <div className="pb-overlay" onMouseDown={(e) => e.target === e.currentTarget && !scan.running && onClose()}>
      <div
        className="pb-dialog pb-scan"
        role="dialog"
        aria-modal="true"
        aria-label="Find devices"
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Escape') {
            if (scan.running) scan.cancel();
            else onClose();
          }
        }}
      >
        <h2>Find devices</h2>
        <form
          className="pb-scan__form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <label htmlFor="pb-scan-targets">Targets</label>
          <input
            id="pb-scan-targets"
            className={`pb-input pb-mono${touched && targetError ? ' is-bad' : ''}`}
            placeholder="192.168.1.0/24, 10.0.0.10-40, plc-7"
            value={targets}
            autoFocus
            disabled={scan.running}
            onChange={(e) => setTargets(e.target.value)}
          />
          <label htmlFor="pb-scan-ports">Ports</label>
          <input id="pb-scan-ports" className={`pb-input pb-mono${portError ? ' is-bad' : ''}`} value={ports} disabled={scan.running} onChange={(e) => setPorts(e.target.value)} />
          <label htmlFor="pb-scan-timeout">Timeout</label>
          <span className="pb-scan__timeout">
            <input id="pb-scan-timeout" className="pb-input pb-num" type="number" min={50} max={60000} step={50} value={timeoutMs} disabled={scan.running} onChange={(e) => setTimeoutMs(Number(e.target.value))} /> ms per step
            <button type="submit" className="pb-btn pb-btn--primary" disabled={scan.running || (touched && !!invalid)}>
              Scan
            </button>
          </span>
        </form>
        <p className={touched && invalid ? 'pb-scan__error' : 'pb-muted pb-scan__hint'}>
          {touched && invalid
            ? invalid
            : 'Each open port gets a handshake: Modbus (502), OPC UA (4840), MQTT (1883, 8883 TLS); other ports try each. Scan only networks you may scan.'}
        </p>
        {scan.running && <ProgressBar progress={scan.progress} label="Scanning" onCancel={scan.cancel} />}
        {scan.error && (
          <p className="pb-scan__error" role="alert">
            {scan.error}
          </p>
        )}
        {shown && (
          <>
            <p className="pb-muted pb-scan__when">
              {shown.cached ? 'Last scan' : 'Scanned'} at {formatTime(shown.takenAt).slice(0, 8)}
              {shown.cached ? ' (from the workspace cache)' : ''}
            </p>
            <ScanResults key={shown.takenAt} result={shown.result} taken={taken} />
          </>
        )}
        <div className="pb-dialog__buttons">
          <button type="button" className="pb-btn" onClick={onClose} disabled={scan.running}>
            Close
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
