import type { MenuItemConstructorOptions } from 'electron';
import type { RecentProject } from './recent.ts';

// The application menu as a template (pure, so tests can read it): the platform's usual roles plus
// File › Open Project…, Open Recent and Save.

export interface MenuActions {
  openProject(): void;
  openRecent(root: string): void;
  clearRecent(): void;
  save(): void;
}

export interface MenuOptions {
  readonly platform: NodeJS.Platform;
  readonly recent: readonly RecentProject[];
  readonly actions: MenuActions;
}

export function menuTemplate({ platform, recent, actions }: MenuOptions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const openRecent: MenuItemConstructorOptions[] = recent.length
    ? [
        ...recent.map((p): MenuItemConstructorOptions => ({ label: `${p.name} (${p.root})`, click: () => actions.openRecent(p.root) })),
        { type: 'separator' },
        { id: 'clear-recent', label: 'Clear Recent', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No recent projects', enabled: false }];
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { id: 'open-project', label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => actions.openProject() },
      { id: 'open-recent', label: 'Open Recent', submenu: openRecent },
      { type: 'separator' },
      // The renderer saves (it holds the edits); the accelerator reaches it through this item.
      { id: 'save', label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => actions.save() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  return [
    ...(mac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ role: 'about' }] },
  ];
}
