import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

import { defaultSession, fake, FakeWebContents } from './fake-electron.ts';

type Handler = (...args: unknown[]) => unknown;

vi.mock('electron', () => import('./fake-electron.ts').then((m) => m.electronModule));

const { CONTENT_SECURITY_POLICY, contentSecurityPolicy, createMainWindow, hardenWebContents, secureSession, secureWebPreferences } =
  await import('../../../src/main/window.ts');

function navigationEvent(): { preventDefault: ReturnType<typeof vi.fn> } {
  return { preventDefault: vi.fn() };
}

function asWebContents(contents: FakeWebContents): WebContents {
  return contents as unknown as WebContents;
}

beforeEach(() => {
  fake.windows.length = 0;
  vi.clearAllMocks();
});

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the renderer and keeps Node out of it', () => {
    expect(secureWebPreferences('/app/out/preload/index.cjs')).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it('denies by default and only allows same-origin scripts and styles', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('relaxes only for the dev server origin, never with unsafe-eval', () => {
    const dev = contentSecurityPolicy('http://localhost:5173/');
    expect(dev).toContain("script-src 'self' http://localhost:5173 'unsafe-inline'");
    expect(dev).toContain('ws://localhost:5173');
    expect(dev).not.toContain('unsafe-eval');
  });
});

describe('hardenWebContents', () => {
  it('blocks every navigation', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asWebContents(contents));
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'http://localhost:5173/other']) {
      const event = navigationEvent();
      contents.emit('will-navigate', event, url);
      expect(event.preventDefault).toHaveBeenCalledOnce();
    }
  });

  it('denies new windows and <webview> attachment', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asWebContents(contents));
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/', disposition: 'new-window' })).toEqual({ action: 'deny' });
    const event = navigationEvent();
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.preventDefault).toHaveBeenCalledOnce();
  });

  it('registers its handlers once, however often it is called', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asWebContents(contents));
    hardenWebContents(asWebContents(contents));
    expect(contents.listenerCount('will-navigate')).toBe(1);
  });
});

describe('createMainWindow', () => {
  it('asks before closing over unsaved edits, and closes only on "Close without saving"', async () => {
    const { dialog } = await import('./fake-electron.ts');
    createMainWindow({ preloadPath: '/app/out/preload/index.cjs', renderer: { file: '/app/out/renderer/index.html' } });
    const contents = fake.windows[0]!.webContents;
    dialog.showMessageBoxSync.mockReturnValueOnce(1);
    const stay = navigationEvent();
    contents.emit('will-prevent-unload', stay);
    expect(stay.preventDefault).not.toHaveBeenCalled();
    dialog.showMessageBoxSync.mockReturnValueOnce(0);
    const leave = navigationEvent();
    contents.emit('will-prevent-unload', leave);
    expect(leave.preventDefault).toHaveBeenCalledOnce();
    expect(dialog.showMessageBoxSync).toHaveBeenCalledWith(fake.windows[0], expect.objectContaining({ message: 'A pipeline has unsaved changes.' }));
  });

  it('creates a hidden, secure window, hardens it and loads the renderer file', () => {
    createMainWindow({ preloadPath: '/app/out/preload/index.cjs', renderer: { file: '/app/out/renderer/index.html' } });
    const [window] = fake.windows;
    expect(window).toBeDefined();
    const options = window!.options as BrowserWindowConstructorOptions;
    expect(options.show).toBe(false);
    expect(options.webPreferences).toEqual(secureWebPreferences('/app/out/preload/index.cjs'));
    expect(window!.loadFile).toHaveBeenCalledWith('/app/out/renderer/index.html');
    expect(window!.loadURL).not.toHaveBeenCalled();

    const event = navigationEvent();
    window!.webContents.emit('will-navigate', event, 'https://evil.example/');
    expect(event.preventDefault).toHaveBeenCalledOnce();
    expect(window!.webContents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });

    window!.emit('ready-to-show');
    expect(window!.show).toHaveBeenCalledOnce();
  });

  it('loads the dev server URL when given one', () => {
    createMainWindow({ preloadPath: '/p.cjs', renderer: { url: 'http://localhost:5173/' } });
    expect(fake.windows[0]!.loadURL).toHaveBeenCalledWith('http://localhost:5173/');
  });
});

describe('secureSession', () => {
  it('adds the CSP header to responses and refuses every permission', () => {
    secureSession(defaultSession as unknown as Session);
    const listener = defaultSession.webRequest.onHeadersReceived.mock.calls[0]![0] as Handler;
    const callback = vi.fn();
    listener({ responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });

    const permission = defaultSession.setPermissionRequestHandler.mock.calls[0]![0] as Handler;
    const grant = vi.fn();
    permission({}, 'media', grant);
    expect(grant).toHaveBeenCalledWith(false);
    const check = defaultSession.setPermissionCheckHandler.mock.calls[0]![0] as Handler;
    expect(check({}, 'clipboard-read')).toBe(false);
  });
});
