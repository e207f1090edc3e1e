// The workbench's keyboard shortcuts: one table for the handler and the help dialog. Ctrl means
// Cmd on macOS. Editing keys (Delete, Ctrl+Z/C/V/X/A) act on the canvas only when the focus is
// not in a text field, so fields keep their own undo and clipboard.
import { copy, cut, deleteSelected, fitView, layout, paste, redo, save, selectAll, toggleRun, ui, undo } from '../state/actions.ts';
import { workbench } from '../state/workbench.ts';
import { killSwitch } from './topbar/arming.ts';

export interface Shortcut {
  readonly keys: string;
  readonly what: string;
  /** Also when typing in a field. */
  readonly inFields?: boolean;
  /** Also while a dialog is open. */
  readonly inDialogs?: boolean;
  matches(e: KeyboardEvent, mod: boolean): boolean;
  /** Returns false when it did nothing, so the browser's own action (e.g. copying selected text) goes ahead. */
  run(): boolean | void;
}

const key = (e: KeyboardEvent): string => e.key.toLowerCase();

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'Ctrl+S', what: 'Save the pipeline (canonical YAML + a revision)', inFields: true, matches: (e, m) => m && !e.shiftKey && key(e) === 's', run: () => void save() },
  { keys: 'Ctrl+Enter', what: 'Run / stop', inFields: true, matches: (e, m) => m && e.key === 'Enter', run: toggleRun },
  { keys: 'Ctrl+Shift+D', what: 'DISARM a live-armed run at once (the kill switch)', inFields: true, inDialogs: true, matches: (e, m) => m && e.shiftKey && key(e) === 'd', run: killSwitch },
  { keys: 'Ctrl+K', what: 'Find a node', inFields: true, matches: (e, m) => m && key(e) === 'k', run: () => ui({ dialog: 'search' }) },
  { keys: 'Ctrl+Z', what: 'Undo', matches: (e, m) => m && !e.shiftKey && key(e) === 'z', run: undo },
  { keys: 'Ctrl+Shift+Z, Ctrl+Y', what: 'Redo', matches: (e, m) => m && ((e.shiftKey && key(e) === 'z') || key(e) === 'y'), run: redo },
  { keys: 'Delete, Backspace', what: 'Delete the selected nodes and edges', matches: (e, m) => !m && (e.key === 'Delete' || e.key === 'Backspace'), run: deleteSelected },
  { keys: 'Ctrl+C', what: 'Copy the selected nodes', matches: (e, m) => m && key(e) === 'c', run: () => !hasTextSelection() && copy() },
  { keys: 'Ctrl+X', what: 'Cut', matches: (e, m) => m && key(e) === 'x', run: () => !hasTextSelection() && cut() },
  { keys: 'Ctrl+V', what: 'Paste', matches: (e, m) => m && key(e) === 'v', run: paste },
  { keys: 'Ctrl+A', what: 'Select every node', matches: (e, m) => m && key(e) === 'a', run: selectAll },
  { keys: 'Ctrl+Shift+L', what: 'Auto-layout (dagre)', matches: (e, m) => m && e.shiftKey && key(e) === 'l', run: layout },
  { keys: 'F', what: 'Zoom to fit', matches: (e, m) => !m && !e.altKey && key(e) === 'f', run: fitView },
  { keys: 'Ctrl+Alt+N', what: 'New pipeline', inFields: true, matches: (e, m) => m && e.altKey && key(e) === 'n', run: () => ui({ dialog: 'new-pipeline' }) },
  { keys: '?', what: 'This list', matches: (e, m) => !m && e.key === '?', run: () => ui({ dialog: 'shortcuts' }) },
  { keys: 'Escape', what: 'Close a dialog', inFields: true, matches: (e) => e.key === 'Escape' && workbench.get().dialog !== undefined, run: () => ui({ dialog: undefined }) },
];

/** Shown in the help dialog too: what the canvas does by itself. */
export const MOUSE_HELP: readonly [string, string][] = [
  ['Drag from a port to a port', 'connect (incompatible port types are refused)'],
  ['Shift+drag on the canvas', 'box-select'],
  ['Ctrl/Shift+click', 'add to the selection'],
  ['Drag a palette item or a device tag', 'add a node'],
  ['Enter on a palette item or tag', 'add it at the centre'],
];

function hasTextSelection(): boolean {
  return (window.getSelection()?.toString() ?? '') !== '';
}

function inField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  return el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

export function handleShortcut(e: KeyboardEvent): void {
  const mod = e.ctrlKey || e.metaKey;
  const typing = inField(e.target);
  const dialogOpen = workbench.get().dialog !== undefined;
  for (const s of SHORTCUTS) {
    if (!s.matches(e, mod)) continue;
    if (typing && !s.inFields) return;
    if (dialogOpen && !s.inDialogs && s.keys !== 'Escape' && s.keys !== 'Ctrl+S') return;
    if (s.run() !== false) e.preventDefault();
    return;
  }
}
