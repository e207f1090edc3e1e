import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { Canvas } from './features/canvas/Canvas.tsx';
import { Devices } from './features/devices/Devices.tsx';
import { Inspector } from './features/inspector/Inspector.tsx';
import { LivePanel } from './features/live/LivePanel.tsx';
import { Palette } from './features/palette/Palette.tsx';
import { NewPipelineDialog, Pipelines } from './features/pipelines/Pipelines.tsx';
import { NodeSearch } from './features/search/NodeSearch.tsx';
import { ShortcutsDialog } from './features/ShortcutsDialog.tsx';
import { handleShortcut } from './features/shortcuts.ts';
import { Simulators } from './features/simulators/Simulators.tsx';
import { ArmDialog } from './features/topbar/ArmDialog.tsx';
import { ExportDialog } from './features/export/ExportDialog.tsx';
import { TopBar } from './features/topbar/TopBar.tsx';
import { repairWorkspace, ui } from './state/actions.ts';
import { isDirty, workbench, type LeftTab } from './state/workbench.ts';
import { Tabs } from './lib/Tabs.tsx';
import { useStore } from './lib/use-store.ts';

export type Runtime = { readonly kind: 'electron'; readonly version: string } | { readonly kind: 'browser' };

export function detectRuntime(target: Pick<Window, 'plantbench'> = window): Runtime {
  const bridge = target.plantbench;
  return bridge ? { kind: 'electron', version: bridge.version } : { kind: 'browser' };
}

const LEFT_TABS: { id: LeftTab; label: string }[] = [
  { id: 'devices', label: 'Devices' },
  { id: 'palette', label: 'Palette' },
  { id: 'pipelines', label: 'Pipelines' },
  { id: 'simulators', label: 'Simulators' },
];

function LeftPanel() {
  const tab = useStore(workbench, (s) => s.leftTab);
  return (
    <nav className="pb-left" aria-label="Project">
      <Tabs tabs={LEFT_TABS} active={tab} onSelect={(id) => ui({ leftTab: id })} className="pb-tabs--left" />
      <div className="pb-left__body" role="tabpanel">
        {tab === 'devices' && <Devices />}
        {tab === 'palette' && <Palette />}
        {tab === 'pipelines' && <Pipelines />}
        {tab === 'simulators' && <Simulators />}
      </div>
    </nav>
  );
}

function Notice() {
  const notice = useStore(workbench, (s) => s.notice);
  if (!notice) return null;
  return (
    <div className={`pb-notice pb-notice--${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="notice" key={notice.at}>
      {notice.text}
    </div>
  );
}

function Banners() {
  const connection = useStore(workbench, (s) => s.connection);
  const error = useStore(workbench, (s) => s.connectionError);
  const workspace = useStore(workbench, (s) => s.workspace);
  return (
    <>
      {connection === 'lost' && (
        <div className="pb-banner pb-banner--bad" role="alert">
          The connection to the Plantbench host was lost. Unsaved edits are still here; <button type="button" className="pb-btn pb-btn--link" onClick={() => window.location.reload()}>reload</button> once the host runs again.
        </div>
      )}
      {connection === 'failed' && (
        <div className="pb-banner pb-banner--bad" role="alert">
          Cannot talk to the Plantbench host: {error}
        </div>
      )}
      {workspace && workspace.state !== 'ok' && (
        <div className="pb-banner pb-banner--warn" role="alert">
          Workspace database {workspace.file} is {workspace.state}
          {workspace.message ? `: ${workspace.message}` : ''}. Revisions are kept in memory for this session.{' '}
          {workspace.state === 'damaged' && (
            <button type="button" className="pb-btn" onClick={() => void repairWorkspace()}>
              Repair (moves the damaged file aside)
            </button>
          )}
        </div>
      )}
    </>
  );
}

function Dialogs() {
  const dialog = useStore(workbench, (s) => s.dialog);
  if (!dialog) return null;
  return (
    <div className="pb-overlay" onMouseDown={(e) => e.target === e.currentTarget && ui({ dialog: undefined })}>
      {dialog === 'search' && <NodeSearch />}
      {dialog === 'shortcuts' && <ShortcutsDialog />}
      {dialog === 'new-pipeline' && <NewPipelineDialog />}
      {dialog === 'arm' && <ArmDialog />}
      {dialog === 'export' && <ExportDialog />}
    </div>
  );
}

export function App() {
  useEffect(() => {
    window.addEventListener('keydown', handleShortcut);
    // In a browser, leaving with unsaved edits asks first. (Under Electron a prevented unload would
    // silently keep the window from closing; main owns that question there.)
    const beforeUnload = (e: BeforeUnloadEvent): void => {
      if (detectRuntime().kind === 'browser' && Object.values(workbench.get().docs).some(isDirty)) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      window.removeEventListener('keydown', handleShortcut);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, []);
  const bottomOpen = useStore(workbench, (s) => s.bottomOpen);
  return (
    <ReactFlowProvider>
      <div className={`pb-app${bottomOpen ? '' : ' bottom-collapsed'}`}>
        <TopBar />
        <Banners />
        <LeftPanel />
        <main className="pb-centre" aria-label="Canvas">
          <Canvas />
        </main>
        <Inspector />
        <LivePanel />
        <Notice />
        <Dialogs />
      </div>
    </ReactFlowProvider>
  );
}
