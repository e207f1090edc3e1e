import { useState } from 'react';
import type { OpcuaEndpointsResult } from '../../../../shared/discovery/opcua.ts';
import { errorText, hostClient } from '../../../state/actions.ts';
import { groupedThumbprint, securityLabel, settingsOf, type BrowseSettings, type OpcuaDevice } from './target.ts';

// The device's endpoint and the security the browser uses, with the server's endpoints to pick
// another one (GetEndpoints over an unsecured channel: mode, policy, security level, certificate).

export function BrowserHeader({ device, settings, onChange }: { device: OpcuaDevice; settings: BrowseSettings; onChange(s: BrowseSettings): void }) {
  const [open, setOpen] = useState(false);
  const [endpoints, setEndpoints] = useState<OpcuaEndpointsResult>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const own = settings.securityMode === device.securityMode && settings.securityPolicy === device.securityPolicy;

  const load = async (): Promise<void> => {
    setLoading(true);
    setError(undefined);
    try {
      setEndpoints(await hostClient().call('discovery.opcua.endpoints', { endpointUrl: device.endpoint }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  };

  return (
    <div className="pb-ua__head">
      <div className="pb-ua__bar">
        <span className="pb-ua__endpoint pb-mono" title={device.endpoint}>
          {device.endpoint}
        </span>
        <button
          type="button"
          className="pb-btn pb-btn--small pb-ua__push"
          aria-expanded={open}
          onClick={() => {
            setOpen(!open);
            if (!open && !endpoints) void load();
          }}
        >
          Endpoints…
        </button>
      </div>
      <div className="pb-ua__security">
        <span className={`pb-ua__chip${settings.securityMode === 'None' ? '' : ' is-secure'}`} data-testid="opcua-security">
          {securityLabel(settings)}
        </span>
        {settings.anonymous && <span className="pb-ua__chip">anonymous</span>}
        {!own && <span className="pb-muted">(device file: {securityLabel(device)})</span>}
      </div>
      {open && (
        <div className="pb-ua__endpoints" role="listbox" aria-label="Server endpoints">
          {loading && <div className="pb-muted">asking the server…</div>}
          {error && <div className="pb-ua__error">{error}</div>}
          {endpoints?.endpoints.map((e, i) => {
            const pick = settingsOf(e, settings.anonymous);
            const current = !!pick && pick.securityMode === settings.securityMode && pick.securityPolicy === settings.securityPolicy;
            return (
              <button
                type="button"
                role="option"
                aria-selected={current}
                key={`${e.securityMode}/${e.securityPolicy}/${i}`}
                className={`pb-ua__ep${current ? ' is-current' : ''}`}
                disabled={!pick}
                title={pick ? `Browse with ${securityLabel(e)}` : 'Plantbench does not support this security policy'}
                onClick={() => {
                  if (!pick) return;
                  onChange(pick);
                  setOpen(false);
                }}
              >
                <span className="pb-ua__ep-sec">{securityLabel(e)}</span>
                <span className="pb-muted">level {e.securityLevel}</span>
                {e.certificate && (
                  <span className="pb-ua__ep-cert pb-mono" title={`${e.certificate.subject}\nSHA-1 ${groupedThumbprint(e.certificate.thumbprint)}`}>
                    {groupedThumbprint(e.certificate.thumbprint).slice(0, 11)}…
                    {/* None does not check the server certificate. */}
                    {e.securityMode !== 'None' && <span className={e.certificate.trusted ? 'q-good' : 'pb-muted'}> {e.certificate.trusted ? 'trusted' : 'not trusted'}</span>}
                  </span>
                )}
              </button>
            );
          })}
          {endpoints && !own && (
            <button type="button" className="pb-btn pb-btn--link" onClick={() => onChange({ ...settings, securityMode: device.securityMode, securityPolicy: device.securityPolicy })}>
              back to the device file's {securityLabel(device)}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
