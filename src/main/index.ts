import { app, BrowserWindow, dialog, ipcMain, Menu, safeStorage } from 'electron';
import type { OpenDialogOptions } from 'electron';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startHostProcess, type HostProcess } from './host-process.ts';
import { IPC, type AppCommand } from './ipc-channels.ts';
import { registerIpc, rendererPageCheck } from './ipc.ts';
import { chooseProject, exampleProject, parseLaunchArgs } from './launch.ts';
import { menuTemplate } from './menu.ts';
import { clearRecent, readRecent, rememberProject, type RecentProject } from './recent.ts';
import { createSecretStore } from './secrets.ts';
import { createMainWindow, hardenWebContents, secureSession } from './window.ts';
import type { RendererSource } from './window.ts';

// Electron main entry. Stays thin (ARCHITECTURE.md §1): windows, the menu, native dialogs, the
// secret store, and starting the host utilityProcess, which does everything else.

const here = import.meta.dirname;
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const preloadPath = path.join(here, '../preload/index.cjs');
const renderer: RendererSource = devServerUrl !== undefined ? { url: devServerUrl } : { file: path.join(here, '../renderer/index.html') };
const launch = parseLaunchArgs(process.argv, app.isPackaged);
// Settings, recent projects and secrets live in userData; tests (and portable setups) point it elsewhere.
const userDataOverride = process.env['PLANTBENCH_USER_DATA'];
if (userDataOverride) app.setPath('userData', path.resolve(userDataOverride));

/** webContents ids of the windows main created: the only pages that may connect. */
const ourPages = new Set<number>();
let host: HostProcess | undefined;
let recentFile = '';
let recent: RecentProject[] = [];

function openWindow(): void {
  const window = createMainWindow({ preloadPath, renderer });
  const id = window.webContents.id;
  ourPages.add(id);
  window.on('closed', () => ourPages.delete(id));
}

function sendCommand(command: AppCommand, window?: BrowserWindow | null): void {
  for (const w of window ? [window] : BrowserWindow.getAllWindows()) {
    if (ourPages.has(w.webContents.id)) w.webContents.send(IPC.command, command);
  }
}

function refreshMenu(): void {
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        platform: process.platform,
        recent,
        actions: {
          openProject: () => void chooseAndOpen(),
          openRecent: (root) => void openProject(root, false),
          clearRecent: () => {
            recent = clearRecent(recentFile);
            app.clearRecentDocuments();
            refreshMenu();
          },
          save: () => sendCommand('save', BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]),
        },
      }),
    ),
  );
}

async function openProject(root: string, simulate: boolean): Promise<boolean> {
  if (!existsSync(path.join(root, 'plantbench.yaml'))) {
    dialog.showErrorBox('Not a Plantbench project', `${root}\n\nThere is no plantbench.yaml in this folder.`);
    return false;
  }
  try {
    const opened = await host!.open(root, simulate);
    recent = rememberProject(recentFile, { root: opened.root, name: opened.name, openedAt: Date.now() });
    app.addRecentDocument(opened.root);
    refreshMenu();
    sendCommand('project-opened');
    return true;
  } catch (err) {
    dialog.showErrorBox('Plantbench could not open the project', `${root}\n\n${(err as Error).message}`);
    return false;
  }
}

async function chooseAndOpen(): Promise<void> {
  const window = BrowserWindow.getFocusedWindow();
  const options: OpenDialogOptions = { title: 'Open Plantbench project', properties: ['openDirectory'], buttonLabel: 'Open project' };
  const choice = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  const [root] = choice.filePaths;
  if (!choice.canceled && root !== undefined) await openProject(root, false);
}

function example(): string {
  return app.isPackaged
    ? exampleProject({ source: path.join(process.resourcesPath, 'examples', 'bottling-line'), copy: path.join(app.getPath('documents'), 'Plantbench', 'bottling-line') })
    : exampleProject({ source: path.join(app.getAppPath(), 'flows', 'bottling-line') });
}

async function start(): Promise<void> {
  secureSession(undefined, devServerUrl);
  const userData = app.getPath('userData');
  recentFile = path.join(userData, 'recent-projects.json');
  recent = readRecent(recentFile);
  host = startHostProcess({
    entry: path.join(here, 'host.js'),
    secrets: createSecretStore(path.join(userData, 'secrets.json'), safeStorage),
    onRestart: () => {
      for (const w of BrowserWindow.getAllWindows()) if (ourPages.has(w.webContents.id)) w.webContents.reload();
    },
    onGiveUp: (reason) => {
      dialog.showErrorBox('Plantbench host stopped', `${reason}.\n\nThe app will close; the terminal or the system log has the details.`);
      app.quit();
    },
  });
  registerIpc(ipcMain, { isOurWindow: (contents) => ourPages.has(contents.id), isOurPage: rendererPageCheck(renderer) }, (contents) => host!.connect(contents));
  refreshMenu();
  openWindow();

  const first = chooseProject(launch, recent, example);
  if (!(await openProject(first, launch.simulate)) && first !== example()) await openProject(example(), launch.simulate);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Every webContents (including any created later) gets the same lock-down.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window === undefined) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (host !== undefined && BrowserWindow.getAllWindows().length === 0) openWindow();
  });

  // Stop the run and close the project before quitting, so simulators and sockets shut down cleanly.
  let hostStopped = false;
  app.on('before-quit', (event) => {
    if (hostStopped || host === undefined) return;
    event.preventDefault();
    void host.stop().finally(() => {
      hostStopped = true;
      app.quit();
    });
  });

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      console.error('plantbench: failed to start', error);
      app.exit(1);
    });
}
