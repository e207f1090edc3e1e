import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { menuTemplate, type MenuActions } from '../../../src/main/menu.ts';

function actions() {
  return { openProject: vi.fn(), openRecent: vi.fn((_root: string) => {}), clearRecent: vi.fn(), save: vi.fn() } satisfies MenuActions;
}

function find(items: readonly MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions | undefined {
  for (const item of items) {
    if (item.id === id) return item;
    const found = Array.isArray(item.submenu) ? find(item.submenu, id) : undefined;
    if (found) return found;
  }
  return undefined;
}

const click = (item: MenuItemConstructorOptions | undefined): void => (item?.click as () => void)();

describe('the application menu', () => {
  it('has the usual roles and File with Open Project, Open Recent and Save', () => {
    const template = menuTemplate({ platform: 'linux', recent: [], actions: actions() });
    expect(template.map((item) => item.role ?? item.label)).toEqual(['File', 'editMenu', 'viewMenu', 'windowMenu', 'help']);
    const file = template[0]!.submenu as MenuItemConstructorOptions[];
    expect(file.filter((i) => i.type !== 'separator').map((i) => i.id ?? i.role)).toEqual(['open-project', 'open-recent', 'save', 'quit']);
    expect(find(template, 'open-project')?.accelerator).toBe('CmdOrCtrl+O');
    expect(find(template, 'save')?.accelerator).toBe('CmdOrCtrl+S');
    expect(find(template, 'open-recent')?.submenu).toEqual([{ label: 'No recent projects', enabled: false }]);
  });

  it('adds the app menu on macOS, where File ends with Close', () => {
    const template = menuTemplate({ platform: 'darwin', recent: [], actions: actions() });
    expect(template[0]).toEqual({ role: 'appMenu' });
    expect((template[1]!.submenu as MenuItemConstructorOptions[]).at(-1)).toEqual({ role: 'close' });
  });

  it('runs the actions: open, save, a recent project and clearing the list', () => {
    const a = actions();
    const template = menuTemplate({
      platform: 'win32',
      recent: [
        { root: '/work/line-a', name: 'Line A', openedAt: 2 },
        { root: '/work/line-b', name: 'Line B', openedAt: 1 },
      ],
      actions: a,
    });
    click(find(template, 'open-project'));
    click(find(template, 'save'));
    expect(a.openProject).toHaveBeenCalledOnce();
    expect(a.save).toHaveBeenCalledOnce();

    const recent = find(template, 'open-recent')!.submenu as MenuItemConstructorOptions[];
    expect(recent.map((i) => i.label ?? i.type)).toEqual(['Line A (/work/line-a)', 'Line B (/work/line-b)', 'separator', 'Clear Recent']);
    click(recent[1]);
    expect(a.openRecent).toHaveBeenCalledExactlyOnceWith('/work/line-b');
    click(find(template, 'clear-recent'));
    expect(a.clearRecent).toHaveBeenCalledOnce();
  });
});
