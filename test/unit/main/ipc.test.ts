import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { IpcMain, IpcMainEvent, WebContents } from 'electron';
import { IPC } from '../../../src/main/ipc-channels.ts';
import { isTrustedSender, registerIpc, rendererPageCheck, type SenderCheck } from '../../../src/main/ipc.ts';
import { FakeWebContents, ipcMain, type FakeFrame } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts').then((m) => m.electronModule));

const indexHtml = path.resolve('/app/out/renderer/index.html');
const ourUrl = pathToFileURL(indexHtml).href;

function setup() {
  const ours = new FakeWebContents();
  ours.mainFrame.url = ourUrl;
  const check: SenderCheck = {
    isOurWindow: (contents) => contents === (ours as unknown as WebContents),
    isOurPage: rendererPageCheck({ file: indexHtml }),
  };
  const event = (contents: FakeWebContents, frame: FakeFrame | null): IpcMainEvent =>
    ({ sender: contents, senderFrame: frame, ports: [] }) as unknown as IpcMainEvent;
  return { ours, check, event };
}

describe('the IPC sender check', () => {
  it("accepts only our window's main frame showing our page", () => {
    const { ours, check, event } = setup();
    expect(isTrustedSender(event(ours, ours.mainFrame), check)).toBe(true);
    // The same page with a hash or query is still ours.
    expect(isTrustedSender(event(ours, { url: `${ourUrl}#/pipelines/x`, parent: null }), check)).toBe(true);
  });

  it('refuses subframes, frames that are gone, other windows and other pages', () => {
    const { ours, check, event } = setup();
    expect(isTrustedSender(event(ours, { url: ourUrl, parent: ours.mainFrame }), check)).toBe(false);
    expect(isTrustedSender(event(ours, null), check)).toBe(false);
    const stranger = new FakeWebContents();
    stranger.mainFrame.url = ourUrl;
    expect(isTrustedSender(event(stranger, stranger.mainFrame), check)).toBe(false);
    for (const url of [
      'https://evil.example/',
      pathToFileURL(path.resolve('/app/out/renderer/other.html')).href,
      pathToFileURL(path.resolve('/tmp/index.html')).href,
      'file://evil-host/app/out/renderer/index.html',
      'devtools://devtools/bundled/inspector.html',
      'not a url',
    ]) {
      expect(isTrustedSender(event(ours, { url, parent: null }), check), url).toBe(false);
    }
  });

  it('matches the dev server by origin', () => {
    const isOurs = rendererPageCheck({ url: 'http://localhost:5173/' });
    expect(isOurs('http://localhost:5173/index.html?x=1')).toBe(true);
    expect(isOurs('http://localhost:5174/')).toBe(false);
    expect(isOurs('http://127.0.0.1:5173/')).toBe(false);
    expect(isOurs(ourUrl)).toBe(false);
  });
});

describe('the IPC surface of main', () => {
  it('is one channel, connect, answered only for trusted senders', () => {
    const { ours, check, event } = setup();
    const connect = vi.fn();
    const refused: string[] = [];
    const unregister = registerIpc(ipcMain as unknown as IpcMain, check, connect, (m) => refused.push(m));

    expect(ipcMain.eventNames()).toEqual([IPC.connect]);
    expect(ipcMain.handle).not.toHaveBeenCalled();

    ipcMain.emit(IPC.connect, event(ours, { url: 'https://evil.example/', parent: null }));
    ipcMain.emit(IPC.connect, event(ours, { url: ourUrl, parent: ours.mainFrame }));
    expect(connect).not.toHaveBeenCalled();
    expect(refused).toEqual([expect.stringContaining('https://evil.example/'), expect.stringContaining(ourUrl)]);

    ipcMain.emit(IPC.connect, event(ours, ours.mainFrame));
    expect(connect).toHaveBeenCalledExactlyOnceWith(ours);

    unregister();
    expect(ipcMain.eventNames()).toEqual([]);
  });
});
