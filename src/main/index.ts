import { app, BrowserWindow } from 'electron';
import path from 'node:path';
import { createMainWindow, hardenWebContents, secureSession } from './window.ts';
import type { RendererSource } from './window.ts';

// Electron main entry. Stays thin (ARCHITECTURE.md §1): windows now; menus,
// dialogs, secrets and the host utilityProcess come with the desktop shell.

const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
const preloadPath = path.join(import.meta.dirname, '../preload/index.cjs');
const renderer: RendererSource =
  devServerUrl !== undefined ? { url: devServerUrl } : { file: path.join(import.meta.dirname, '../renderer/index.html') };

function openWindow(): void {
  createMainWindow({ preloadPath, renderer });
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
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });

  app
    .whenReady()
    .then(() => {
      secureSession(undefined, devServerUrl);
      openWindow();
    })
    .catch((error: unknown) => {
      console.error('plantbench: failed to start', error);
      app.exit(1);
    });
}
