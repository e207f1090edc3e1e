// A stand-in for the `electron` module in main and preload tests: it records what main registers
// and creates, and lets a test play the other side (the host process, a page, the user's menu click).
// Use: vi.mock('electron', () => import('./fake-electron.ts').then((m) => m.electronModule));
// vitest clears mock call records before each test (clearMocks), so what a test may need from an
// earlier one (menus built, commands sent) is also kept in plain arrays.
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

let nextId = 1;

export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame: FakeFrame = { url: '', parent: null };
  windowOpenHandler: ((details: unknown) => unknown) | undefined;
  /** Every webContents.send(channel, ...args). */
  readonly sent: unknown[][] = [];
  readonly send = vi.fn((...args: unknown[]) => void this.sent.push(args));
  readonly postMessage = vi.fn();
  readonly reload = vi.fn();
  setWindowOpenHandler(handler: (details: unknown) => unknown): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly options: unknown;
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async (url: string) => {
    this.webContents.mainFrame.url = url;
  });
  readonly loadFile = vi.fn(async (file: string) => {
    this.webContents.mainFrame.url = new URL(`file://${file}`).href;
  });
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  readonly isMinimized = vi.fn(() => false);
  constructor(options: unknown) {
    super();
    this.options = options;
    fake.windows.push(this);
  }
  static getAllWindows(): FakeBrowserWindow[] {
    return [...fake.windows];
  }
  static getFocusedWindow(): FakeBrowserWindow | null {
    return fake.windows[0] ?? null;
  }
}

/** A MessagePortMain: records what is posted through it. */
export class FakeMessagePortMain extends EventEmitter {
  readonly posted: unknown[] = [];
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  start(): void {}
  close(): void {
    this.emit('close');
  }
}

export class FakeMessageChannelMain {
  readonly port1 = new FakeMessagePortMain();
  readonly port2 = new FakeMessagePortMain();
}

/** The utilityProcess main forks: the test answers in its place. */
export class FakeUtilityProcess extends EventEmitter {
  readonly posted: { message: unknown; transfer?: unknown[] }[] = [];
  readonly kill = vi.fn(() => true);
  readonly modulePath: string;
  readonly args: readonly string[];
  readonly options: unknown;
  constructor(modulePath: string, args: readonly string[], options: unknown) {
    super();
    this.modulePath = modulePath;
    this.args = args;
    this.options = options;
    fake.children.push(this);
  }
  postMessage(message: unknown, transfer?: unknown[]): void {
    this.posted.push({ message, transfer });
  }
  /** What main posted of one type. */
  sent(t: string): Record<string, unknown>[] {
    return this.posted.map((p) => p.message as Record<string, unknown>).filter((m) => m.t === t);
  }
  /** The host answers main. */
  reply(message: unknown): void {
    this.emit('message', message);
  }
}

function createFake() {
  return {
    windows: [] as FakeBrowserWindow[],
    children: [] as FakeUtilityProcess[],
    paths: {} as Record<string, string>,
    appPath: '/app',
    exposed: new Map<string, unknown>(),
    /** Every application menu template built. */
    menus: [] as unknown[][],
    /** How often a session got the CSP header hook. */
    headerHooks: 0,
  };
}

export const fake = createFake();

export const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  requestSingleInstanceLock: vi.fn(() => true),
  whenReady: vi.fn(async () => undefined),
  quit: vi.fn(),
  exit: vi.fn(),
  getPath: vi.fn((name: string) => fake.paths[name] ?? `/fake/${name}`),
  setPath: vi.fn((name: string, value: string) => void (fake.paths[name] = value)),
  getAppPath: vi.fn(() => fake.appPath),
  addRecentDocument: vi.fn(),
  clearRecentDocuments: vi.fn(),
});

export const defaultSession = {
  webRequest: { onHeadersReceived: vi.fn((_listener: unknown) => void fake.headerHooks++) },
  setPermissionRequestHandler: vi.fn(),
  setPermissionCheckHandler: vi.fn(),
};

export const Menu = {
  buildFromTemplate: vi.fn((template: unknown[]) => {
    fake.menus.push(template);
    return { template };
  }),
  setApplicationMenu: vi.fn(),
};

export const dialog = {
  showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] as string[] })),
  showErrorBox: vi.fn(),
  showMessageBoxSync: vi.fn((): number => 1),
};

export const ipcMain = Object.assign(new EventEmitter(), { handle: vi.fn(), handleOnce: vi.fn() });
vi.spyOn(ipcMain, 'on');

export const safeStorage = {
  isAsyncEncryptionAvailable: vi.fn(async () => true),
  encryptStringAsync: vi.fn(async (text: string) => Buffer.from(`enc:${text}`)),
  decryptStringAsync: vi.fn(async (buffer: Buffer) => ({ result: buffer.toString().replace(/^enc:/, ''), shouldReEncrypt: false })),
  getSelectedStorageBackend: vi.fn(() => 'gnome_libsecret'),
};

export const utilityProcess = {
  fork: vi.fn((modulePath: string, args: string[] = [], options?: unknown) => new FakeUtilityProcess(modulePath, args, options)),
};

/** The preload's side. */
export const contextBridge = {
  exposeInMainWorld: vi.fn((key: string, api: unknown) => void fake.exposed.set(key, api)),
};
export const ipcRenderer = Object.assign(new EventEmitter(), { send: vi.fn(), invoke: vi.fn(), sendSync: vi.fn() });

export const electronModule = {
  app,
  BrowserWindow: FakeBrowserWindow,
  Menu,
  MessageChannelMain: FakeMessageChannelMain,
  contextBridge,
  dialog,
  ipcMain,
  ipcRenderer,
  safeStorage,
  session: { defaultSession },
  utilityProcess,
};
