import { useEffect, useState } from 'react';
import { useStore } from '../../../lib/use-store.ts';
import { errorText, notify } from '../../../state/actions.ts';
import { AttributesPane } from './AttributesPane.tsx';
import { OpcuaBrowserModel } from './browser-model.ts';
import { importTags, tagsFor } from './drop.ts';
import { BrowserHeader } from './EndpointPicker.tsx';
import { browseTarget, deviceSettings, groupedThumbprint, sameSettings, type BrowseSettings, type OpcuaDevice } from './target.ts';
import { TreeView } from './TreeView.tsx';
import { TrustPrompt } from './TrustPrompt.tsx';
import { variablesOf, type NodeRow } from './tree-model.ts';
import './opcua.css';

// The OPC UA view of a device: its endpoint and security (or another endpoint picked from the
// server's list), the lazy address-space tree, GoTo, the attributes of the selected node, import
// of the selection as tags, and the server certificate prompt. The host holds the session.

function GotoBox({ model }: { model: OpcuaBrowserModel }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const go = async (): Promise<void> => {
    if (!text.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      await model.reveal(text.trim());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="pb-ua__goto"
      onSubmit={(e) => {
        e.preventDefault();
        void go();
      }}
    >
      <input
        className="pb-input pb-mono"
        aria-label="Go to NodeId or path"
        placeholder="GoTo: ns=1;s=… or Capper/Speed"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" className="pb-btn pb-btn--small" disabled={busy || !text.trim()}>
        Go
      </button>
      {error && <div className="pb-ua__error pb-ua__goto-error">{error}</div>}
    </form>
  );
}

function CertificateNotice({ model }: { model: OpcuaBrowserModel }) {
  const { untrusted, trust } = useStore(model.store, (s) => s);
  if (!untrusted) return null;
  if (trust === 'asking') return <p className="pb-ua__notice">Waiting for your decision on the server certificate…</p>;
  return (
    <div className="pb-ua__notice is-rejected" role="status" data-testid="opcua-rejected">
      <p>
        Server certificate rejected: nothing was browsed. The certificate (SHA-1 <span className="pb-mono">{groupedThumbprint(untrusted.thumbprint).slice(0, 23)}…</span>) stays in
        .plantbench/pki/rejected.
      </p>
      <button type="button" className="pb-btn pb-btn--small" onClick={() => model.reopenPrompt()}>
        Trust…
      </button>
    </div>
  );
}

function Browser({ model, device }: { model: OpcuaBrowserModel; device: OpcuaDevice }) {
  const state = useStore(model.store, (s) => s);
  const nodeRows = model.flatRows().filter((r): r is NodeRow => r.type === 'node' && state.selected.has(r.key));
  const selectedVariables = variablesOf(nodeRows, state.children);
  const [refreshing, setRefreshing] = useState(false);
  const blocked = state.trust !== 'none' && !!state.untrusted;
  return (
    <>
      <GotoBox model={model} />
      <div className="pb-ua__bar">
        <button
          type="button"
          className="pb-btn pb-btn--small"
          disabled={refreshing || blocked}
          title="Read the values of the variables in view again"
          onClick={() => {
            setRefreshing(true);
            void model.refreshValues().finally(() => setRefreshing(false));
          }}
        >
          {refreshing ? 'Reading…' : 'Refresh values'}
        </button>
        <button
          type="button"
          className="pb-btn pb-btn--small pb-ua__push"
          disabled={selectedVariables.length === 0}
          title="Add the selected variables (or those directly below the selected objects) to the device's tags"
          onClick={() => void importTags(device, tagsFor(device, selectedVariables, state.values, state.namespaces))}
        >
          Import selection{selectedVariables.length ? ` (${selectedVariables.length})` : ''}
        </button>
      </div>
      {blocked ? <CertificateNotice model={model} /> : <TreeView model={model} device={device} />}
      {!blocked && state.inspect && <AttributesPane model={model} nodeId={state.inspect} />}
      {state.trust === 'asking' && state.untrusted && <TrustPrompt cert={state.untrusted} onTrust={(scope) => model.trust(scope)} onReject={() => model.reject()} />}
    </>
  );
}

/** A device that signs in with a user name: the host resolves its password; anonymous is the way out when it cannot. */
function IdentityNotice({ device, settings, onChange }: { device: OpcuaDevice; settings: BrowseSettings; onChange(s: BrowseSettings): void }) {
  if (device.auth.kind !== 'username') return null;
  const { username, password } = device.auth;
  return (
    <p className="pb-fineprint" data-testid="opcua-identity">
      {settings.anonymous ? (
        <>Browsing anonymously, not as “{username}”. </>
      ) : (
        <>
          Signs in as “{username}” (password <span className="pb-mono">{password}</span>, resolved by the host).{' '}
        </>
      )}
      <button type="button" className="pb-btn pb-btn--link" onClick={() => onChange({ ...settings, anonymous: !settings.anonymous })}>
        {settings.anonymous ? `Sign in as “${username}”` : 'Browse anonymously'}
      </button>
    </p>
  );
}

export function OpcuaBrowser({ device }: { device: OpcuaDevice }) {
  const [settings, setSettings] = useState<BrowseSettings>(() => deviceSettings(device));
  const session = browseTarget(device, settings);
  const sessionKey = JSON.stringify(session);
  const [model, setModel] = useState<OpcuaBrowserModel>();

  // One model per session; a new endpoint or identity starts a fresh tree.
  useEffect(() => {
    const m = new OpcuaBrowserModel(session);
    setModel(m);
    m.start();
    return () => m.dispose();
  }, [sessionKey]); // the key stands for the session

  const change = (next: BrowseSettings): void => {
    if (sameSettings(next, settings)) return;
    setSettings(next);
    notify(`Browsing ${device.id} with ${next.securityMode === 'None' ? 'no security' : `${next.securityMode} · ${next.securityPolicy}`}`);
  };

  return (
    <div className="pb-ua" data-testid="opcua-browser">
      <BrowserHeader device={device} settings={settings} onChange={change} />
      <IdentityNotice device={device} settings={settings} onChange={change} />
      {model && <Browser key={sessionKey} model={model} device={device} />}
    </div>
  );
}
