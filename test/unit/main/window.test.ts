import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

type Handler = (...args: unknown[]) => unknown;

// A stand-in for Electron: records constructor options and the handlers main registers.
const fake = vi.hoisted(() => {
  class FakeEmitter {
    readonly handlers = new Map<string, Array<(...args: unknown[]) => unknown>>();
    on(event: string, handler: (...args: unknown[]) => unknown): this {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
      return this;
    }
    once(event: string, handler: (...args: unknown[]) => unknown): this {
      return this.on(event, handler);
    }
    emit(event: string, ...args: unknown[]): unknown[] {
      return (this.handlers.get(event) ?? []).map((handler) => handler(...args));
    }
  }
  class FakeWebContents extends FakeEmitter {
    windowOpenHandler: ((details: unknown) => unknown) | undefined;
    setWindowOpenHandler(handler: (details: unknown) => unknown): void {
      this.windowOpenHandler = handler;
    }
  }
  const windows: FakeBrowserWindow[] = [];
  class FakeBrowserWindow extends FakeEmitter {
    readonly options: unknown;
    readonly webContents = new FakeWebContents();
    readonly loadURL = vi.fn(async (_url: string) => undefined);
    readonly loadFile = vi.fn(async (_file: string) => undefined);
    readonly show = vi.fn();
    constructor(options: unknown) {
      super();
      this.options = options;
      windows.push(this);
    }
    static getAllWindows(): FakeBrowserWindow[] {
      return [...windows];
    }
  }
  const onHeadersReceived = vi.fn();
  const defaultSession = {
    webRequest: { onHeadersReceived },
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
  };
  const app = Object.assign(new FakeEmitter(), {
    isPackaged: false,
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: vi.fn(async () => undefined),
    quit: vi.fn(),
    exit: vi.fn(),
  });
  return { FakeWebContents, FakeBrowserWindow, windows, defaultSession, app };
});

vi.mock('electron', () => ({
  app: fake.app,
  BrowserWindow: fake.FakeBrowserWindow,
  session: { defaultSession: fake.defaultSession },
}));

const { CONTENT_SECURITY_POLICY, contentSecurityPolicy, createMainWindow, hardenWebContents, secureSession, secureWebPreferences } =
  await import('../../../src/main/window.ts');

function navigationEvent(): { preventDefault: ReturnType<typeof vi.fn> } {
  return { preventDefault: vi.fn() };
}

function asWebContents(contents: InstanceType<typeof fake.FakeWebContents>): WebContents {
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
    const contents = new fake.FakeWebContents();
    hardenWebContents(asWebContents(contents));
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'http://localhost:5173/other']) {
      const event = navigationEvent();
      contents.emit('will-navigate', event, url);
      expect(event.preventDefault).toHaveBeenCalledOnce();
    }
  });

  it('denies new windows and <webview> attachment', () => {
    const contents = new fake.FakeWebContents();
    hardenWebContents(asWebContents(contents));
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/', disposition: 'new-window' })).toEqual({ action: 'deny' });
    const event = navigationEvent();
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.preventDefault).toHaveBeenCalledOnce();
  });

  it('registers its handlers once, however often it is called', () => {
    const contents = new fake.FakeWebContents();
    hardenWebContents(asWebContents(contents));
    hardenWebContents(asWebContents(contents));
    expect(contents.handlers.get('will-navigate')).toHaveLength(1);
  });
});

describe('createMainWindow', () => {
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
    secureSession(fake.defaultSession as unknown as Session);
    const listener = fake.defaultSession.webRequest.onHeadersReceived.mock.calls[0]![0] as Handler;
    const callback = vi.fn();
    listener({ responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });

    const permission = fake.defaultSession.setPermissionRequestHandler.mock.calls[0]![0] as Handler;
    const grant = vi.fn();
    permission({}, 'media', grant);
    expect(grant).toHaveBeenCalledWith(false);
    const check = fake.defaultSession.setPermissionCheckHandler.mock.calls[0]![0] as Handler;
    expect(check({}, 'clipboard-read')).toBe(false);
  });
});

describe('main entry (src/main/index.ts)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('hardens every new webContents, secures the session and opens the window on ready', async () => {
    vi.stubEnv('ELECTRON_RENDERER_URL', undefined);
    vi.resetModules();
    await import('../../../src/main/index.ts');
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1));

    const [window] = fake.windows;
    const options = window!.options as BrowserWindowConstructorOptions;
    expect(options.webPreferences?.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    expect(window!.loadFile.mock.calls[0]![0]).toMatch(/[/\\]renderer[/\\]index\.html$/);
    expect(fake.defaultSession.webRequest.onHeadersReceived).toHaveBeenCalledOnce();

    // Any webContents created later (e.g. a devtools or a stray window) is locked down too.
    const stray = new fake.FakeWebContents();
    fake.app.emit('web-contents-created', {}, stray);
    const event = navigationEvent();
    stray.emit('will-navigate', event, 'https://example.com/');
    expect(event.preventDefault).toHaveBeenCalledOnce();
    expect(stray.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });
});
