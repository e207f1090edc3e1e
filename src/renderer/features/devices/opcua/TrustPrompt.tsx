import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import type { OpcuaUntrustedCertificate } from '../../../../shared/discovery/opcua.ts';
import { errorText } from '../../../state/actions.ts';
import { groupedThumbprint, shortDate } from './target.ts';

// The server certificate decision: nothing is trusted without the engineer seeing the thumbprint.
// Trust once (this host process), Trust always (the project's pki/trusted), or Reject (Escape):
// the certificate stays in pki/rejected and the tree says so, with a button to decide again.

export function TrustPrompt({ cert, onTrust, onReject }: { cert: OpcuaUntrustedCertificate; onTrust(scope: 'once' | 'always'): Promise<void>; onReject(): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const dialog = useRef<HTMLDivElement>(null);
  const expired = cert.notAfter !== undefined && Date.parse(cert.notAfter) < Date.now();
  const early = cert.notBefore !== undefined && Date.parse(cert.notBefore) > Date.now();

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    dialog.current?.querySelector<HTMLElement>('[data-default]')?.focus();
    return () => previous?.focus?.();
  }, []);

  const trust = async (scope: 'once' | 'always'): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await onTrust(scope);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  // Escape rejects; Tab stays inside the dialog; no key reaches the workbench shortcuts behind it.
  const onKeyDown = (e: KeyboardEvent): void => {
    e.stopPropagation();
    if (e.key === 'Escape') {
      e.preventDefault();
      onReject();
    } else if (e.key === 'Tab') {
      const items = [...(dialog.current?.querySelectorAll<HTMLElement>('button:not(:disabled)') ?? [])];
      const at = items.indexOf(document.activeElement as HTMLElement);
      const next = e.shiftKey ? (at <= 0 ? items.length - 1 : at - 1) : (at + 1) % items.length;
      items[next]?.focus();
      e.preventDefault();
    }
  };

  return createPortal(
    <div className="pb-overlay" onMouseDown={(e) => e.target === e.currentTarget && e.preventDefault()}>
      <div className="pb-dialog pb-ua-trust" role="alertdialog" aria-modal="true" aria-labelledby="pb-ua-trust-title" aria-describedby="pb-ua-trust-what" ref={dialog} onKeyDown={onKeyDown}>
        <h2 id="pb-ua-trust-title">Trust this server certificate?</h2>
        <p id="pb-ua-trust-what" className="pb-ua-trust__what">
          The server does not present a certificate this project trusts. Compare the thumbprint with the one the device shows (its web page or configuration tool) before you trust it.
        </p>
        <dl className="pb-ua-trust__facts">
          <dt>Endpoint</dt>
          <dd className="pb-mono">{cert.endpointUrl}</dd>
          <dt>Subject</dt>
          <dd>{cert.subject}</dd>
          <dt>SHA-1</dt>
          <dd className="pb-mono pb-ua-trust__thumb" data-testid="trust-thumbprint">
            {/* Lines break only between groups. */}
            {groupedThumbprint(cert.thumbprint)
              .split(':')
              .map((g, i) => (
                <span key={i}>
                  {i > 0 && ':'}
                  {i > 0 && <wbr />}
                  {g}
                </span>
              ))}
          </dd>
          <dt>Valid</dt>
          <dd className={expired || early ? 'q-bad' : undefined}>
            {shortDate(cert.notBefore)} – {shortDate(cert.notAfter)}
            {expired ? ' (expired)' : early ? ' (not yet valid)' : ''}
          </dd>
        </dl>
        {error && <div className="pb-ua__error">{error}</div>}
        <div className="pb-dialog__buttons">
          <button type="button" className="pb-btn" disabled={busy} onClick={onReject} data-default>
            Reject
          </button>
          <button type="button" className="pb-btn" disabled={busy} onClick={() => void trust('once')} title="Accept it while this workbench host runs; nothing is written">
            Trust once
          </button>
          <button type="button" className="pb-btn pb-btn--primary" disabled={busy} onClick={() => void trust('always')} title="Move it to the project's trusted list (.plantbench/pki/trusted), as plantbench trust does">
            Trust always
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
