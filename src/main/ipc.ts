import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IpcMain, IpcMainEvent, WebContents } from 'electron';
import { IPC } from './ipc-channels.ts';
import type { RendererSource } from './window.ts';

// The IPC surface of main: one channel, "connect", on which a page asks for its MessagePort to the
// host. Main answers only our own window's main frame showing our own page; anything else (a
// subframe, a stray webContents, a page that somehow navigated) is ignored.

export interface SenderCheck {
  /** The webContents belongs to a window main created. */
  isOurWindow(contents: WebContents): boolean;
  /** The URL is our renderer page (the packaged file or the dev server's origin). */
  isOurPage(url: string): boolean;
}

/** Matches our renderer: the exact index.html file, or any page of the dev server's origin. */
export function rendererPageCheck(renderer: RendererSource): (url: string) => boolean {
  if ('url' in renderer) {
    const origin = new URL(renderer.url).origin;
    return (url) => URL.canParse(url) && new URL(url).origin === origin;
  }
  const file = path.resolve(renderer.file);
  return (url) => {
    if (!URL.canParse(url)) return false;
    const parsed = new URL(url);
    return parsed.protocol === 'file:' && parsed.host === '' && fileURLToPath(parsed) === file;
  };
}

export function isTrustedSender(event: Pick<IpcMainEvent, 'sender' | 'senderFrame'>, check: SenderCheck): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false; // gone, or not the top frame
  return check.isOurWindow(event.sender) && check.isOurPage(frame.url);
}

/** Registers the connect channel; returns the function that removes it. */
export function registerIpc(ipc: Pick<IpcMain, 'on' | 'removeListener'>, check: SenderCheck, connect: (contents: WebContents) => void, log: (message: string) => void = console.warn): () => void {
  const onConnect = (event: IpcMainEvent): void => {
    if (!isTrustedSender(event, check)) {
      log(`plantbench: refused ${IPC.connect} from ${event.senderFrame?.url ?? 'a frame that is gone'}`);
      return;
    }
    connect(event.sender);
  };
  ipc.on(IPC.connect, onConnect);
  return () => ipc.removeListener(IPC.connect, onConnect);
}
