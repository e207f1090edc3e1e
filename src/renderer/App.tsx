export type Runtime = { readonly kind: 'electron'; readonly version: string } | { readonly kind: 'browser' };

export function detectRuntime(target: Pick<Window, 'plantbench'> = window): Runtime {
  const bridge = target.plantbench;
  return bridge?.platform === 'electron' ? { kind: 'electron', version: bridge.version } : { kind: 'browser' };
}

export function App() {
  const runtime = detectRuntime();
  return (
    <main>
      <h1>Plantbench</h1>
      <p>The workbench UI is being built.</p>
      <p data-testid="runtime">
        {runtime.kind === 'electron' ? `Running under Electron (Plantbench ${runtime.version}).` : 'Running in a browser.'}
      </p>
    </main>
  );
}
