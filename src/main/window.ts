import { BrowserWindow, dialog, session } from 'electron';
import type { Session, WebContents, WebPreferences } from 'electron';
import { contentSecurityPolicy } from './csp.ts';

export { CONTENT_SECURITY_POLICY, contentSecurityPolicy } from './csp.ts';

/** Web preferences for every Plantbench window: sandboxed, isolated, no Node. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
  };
}

const hardened = new WeakSet<WebContents>();

/**
 * Locks down one webContents: the renderer is a single-page app, so it never
 * navigates, never opens windows and never attaches <webview>s. Idempotent.
 */
export function hardenWebContents(contents: WebContents): void {
  if (hardened.has(contents)) return;
  hardened.add(contents);
  contents.on('will-navigate', (event) => {
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * Session-wide policy: CSP on every http(s) response (the dev server; the
 * packaged file:// page carries it as a meta tag) and no permission grants.
 */
export function secureSession(target: Session = session.defaultSession, devServerUrl?: string): void {
  const policy = contentSecurityPolicy(devServerUrl);
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] },
    });
  });
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
}

/**
 * The renderer refuses to unload (beforeunload) while a pipeline has unsaved edits. A browser asks
 * the user itself; Electron only cancels the close, so main asks and lets the window go on "Close".
 */
export function confirmUnsavedClose(window: BrowserWindow): void {
  window.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(window, {
      type: 'question',
      title: 'Unsaved changes',
      message: 'A pipeline has unsaved changes.',
      detail: 'Close without saving, or go back and save (Ctrl+S)?',
      buttons: ['Close without saving', 'Go back'],
      defaultId: 1,
      cancelId: 1,
      noLink: true,
    });
    // preventDefault on this event ignores the renderer's refusal: the window closes.
    if (choice === 0) event.preventDefault();
  });
}

export type RendererSource = { readonly url: string } | { readonly file: string };

export interface MainWindowOptions {
  readonly preloadPath: string;
  readonly renderer: RendererSource;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 600,
    title: 'Plantbench',
    show: false,
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  hardenWebContents(window.webContents);
  confirmUnsavedClose(window);
  window.once('ready-to-show', () => window.show());
  const source = options.renderer;
  const loading = 'url' in source ? window.loadURL(source.url) : window.loadFile(source.file);
  loading.catch((error: unknown) => {
    console.error('plantbench: failed to load the renderer', error);
  });
  return window;
}
