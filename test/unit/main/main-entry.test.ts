import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { IPC } from '../../../src/main/ipc-channels.ts';
import { readRecent } from '../../../src/main/recent.ts';
import { copyExample } from '../../helpers/project.ts';
import { app, dialog, fake, FakeWebContents, ipcMain, Menu, type FakeUtilityProcess } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts').then((m) => m.electronModule));

// src/main/index.ts runs once per process, as in Electron: import it once, with the arguments
// `npm start` passes, then act as the host, the page and the user in turn.

const userData = mkdtempSync(join(tmpdir(), 'plantbench-userdata-'));
const project = copyExample();
const other = copyExample();
const notAProject = join(userData, 'empty-folder');
mkdirSync(notAProject);
fake.paths['documents'] = join(userData, 'Documents');

afterAll(() => {
  project.dispose();
  other.dispose();
  rmSync(userData, { recursive: true, force: true });
});

const argv = process.argv;
process.argv = ['/usr/lib/electron/electron', '.', `--project=${project.root}`, '--simulate'];
vi.stubEnv('PLANTBENCH_USER_DATA', userData);
await import('../../../src/main/index.ts');
process.argv = argv;
vi.unstubAllEnvs();

const host = (): FakeUtilityProcess => fake.children.at(-1)!;
const window = () => fake.windows[0]!;
const lastMenu = (): MenuItemConstructorOptions[] => fake.menus.at(-1) as MenuItemConstructorOptions[];
function menuItem(id: string, items = lastMenu()): MenuItemConstructorOptions | undefined {
  for (const item of items) {
    if (item.id === id) return item;
    const found = Array.isArray(item.submenu) ? menuItem(id, item.submenu) : undefined;
    if (found) return found;
  }
  return undefined;
}
const click = (id: string): void => (menuItem(id)!.click as () => void)();
const answerOpen = (name: string): void => {
  const open = host().sent('open').at(-1)!;
  host().reply({ t: 'opened', id: open.id, root: open.root, name });
};

describe('main (src/main/index.ts)', () => {
  it('on ready: secures the session, starts the host, opens the window and the project npm start names', async () => {
    expect(fake.paths['userData']).toBe(userData); // PLANTBENCH_USER_DATA
    await vi.waitFor(() => expect(host()?.sent('open')).toHaveLength(1));
    expect(fake.headerHooks).toBe(1);
    expect(host().modulePath).toMatch(/[/\\]host\.js$/);
    expect(host().sent('open')[0]).toEqual({ t: 'open', id: expect.any(Number), root: project.root, simulate: true });

    expect(fake.windows).toHaveLength(1);
    expect(window().webContents.mainFrame.url).toMatch(/^file:.*\/renderer\/index\.html$/);
    expect((window().options as { webPreferences: { preload: string } }).webPreferences.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);

    answerOpen('Bottling line');
    await vi.waitFor(() => expect(readRecent(join(userData, 'recent-projects.json'))).toEqual([{ root: project.root, name: 'Bottling line', openedAt: expect.any(Number) }]));
    expect(app.addRecentDocument).toHaveBeenCalledWith(project.root);
    expect(window().webContents.sent).toContainEqual([IPC.command, 'project-opened']);
    expect(Menu.setApplicationMenu).toHaveBeenCalled();
    expect((menuItem('open-recent')!.submenu as MenuItemConstructorOptions[])[0]!.label).toBe(`Bottling line (${project.root})`);
  });

  it("registers one IPC channel and gives a port only to our window's page", () => {
    expect(ipcMain.eventNames()).toEqual([IPC.connect]);
    expect(ipcMain.handle).not.toHaveBeenCalled();
    const connects = (): number => host().sent('connect').length;
    const before = connects();

    const stranger = new FakeWebContents();
    stranger.mainFrame.url = window().webContents.mainFrame.url;
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    ipcMain.emit(IPC.connect, { sender: stranger, senderFrame: stranger.mainFrame });
    ipcMain.emit(IPC.connect, { sender: window().webContents, senderFrame: { url: 'https://evil.example/', parent: null } });
    expect(connects()).toBe(before);

    ipcMain.emit(IPC.connect, { sender: window().webContents, senderFrame: window().webContents.mainFrame });
    expect(connects()).toBe(before + 1);
    expect(window().webContents.postMessage).toHaveBeenCalledWith(IPC.port, null, [expect.anything()]);
  });

  it('File › Save sends the save command to the window', () => {
    click('save');
    expect(window().webContents.send).toHaveBeenCalledExactlyOnceWith(IPC.command, 'save');
  });

  it('File › Open Project… opens the chosen folder, and refuses one that is not a project', async () => {
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [notAProject] });
    click('open-project');
    await vi.waitFor(() => expect(dialog.showErrorBox).toHaveBeenCalledWith('Not a Plantbench project', expect.stringContaining(notAProject)));

    const opens = host().sent('open').length;
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [other.root] });
    click('open-project');
    await vi.waitFor(() => expect(host().sent('open')).toHaveLength(opens + 1));
    expect(host().sent('open').at(-1)).toMatchObject({ root: other.root, simulate: false });
    answerOpen('Other line');
    await vi.waitFor(() => expect(readRecent(join(userData, 'recent-projects.json')).map((p) => p.name)).toEqual(['Other line', 'Bottling line']));
  });

  it('shows why a project could not be opened', async () => {
    const opens = host().sent('open').length;
    (menuItem('open-recent')!.submenu as MenuItemConstructorOptions[])[1]!.click!({} as never, undefined, {} as never);
    await vi.waitFor(() => expect(host().sent('open')).toHaveLength(opens + 1));
    host().reply({ t: 'open-failed', id: host().sent('open').at(-1)!.id, message: 'workspace.db is locked' });
    await vi.waitFor(() => expect(dialog.showErrorBox).toHaveBeenCalledWith('Plantbench could not open the project', expect.stringContaining('workspace.db is locked')));
  });

  it('starts a crashed host again and reloads the window to reconnect', () => {
    const crashed = host();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    crashed.emit('exit', 139);
    expect(host()).not.toBe(crashed);
    expect(host().sent('open')).toHaveLength(1);
    expect(window().webContents.reload).toHaveBeenCalledOnce();
  });

  it('closes the project before quitting', async () => {
    const event = { preventDefault: vi.fn() };
    app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalledOnce();
    expect(host().sent('shutdown')).toHaveLength(1);
    expect(app.quit).not.toHaveBeenCalled();
    host().emit('exit', 0);
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledOnce());
    const again = { preventDefault: vi.fn() };
    app.emit('before-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });
});
