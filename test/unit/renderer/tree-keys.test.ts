import { describe, expect, it } from 'vitest';
import { treeKeyAction, type TreeKeyRow } from '../../../src/renderer/lib/tree-keys.ts';

// The arrow keys shared by the OPC UA address space and the MQTT topic tree.

interface Row extends TreeKeyRow {
  readonly name: string;
  readonly branch: boolean;
}

// a (open) > a/b (closed branch), a/c (leaf); d (closed branch)
const rows: Row[] = [
  { name: 'a', depth: 0, expanded: true, branch: true },
  { name: 'a/b', depth: 1, expanded: false, branch: true },
  { name: 'a/c', depth: 1, expanded: false, branch: false },
  { name: 'd', depth: 0, expanded: false, branch: true },
];
const act = (key: string, index: number, list: readonly Row[] = rows) => treeKeyAction(key, list, index, (r) => r.branch);

describe('tree keys', () => {
  it('moves up and down within the rows, to the first and last with Home and End', () => {
    expect(act('ArrowDown', 0)).toEqual({ kind: 'move', index: 1 });
    expect(act('ArrowDown', 3)).toEqual({ kind: 'move', index: 3 });
    expect(act('ArrowUp', 2)).toEqual({ kind: 'move', index: 1 });
    expect(act('ArrowUp', 0)).toEqual({ kind: 'move', index: 0 });
    expect(act('Home', 2)).toEqual({ kind: 'move', index: 0 });
    expect(act('End', 0)).toEqual({ kind: 'move', index: 3 });
  });

  it('starts at the first row when none is current', () => {
    expect(act('ArrowDown', -1)).toEqual({ kind: 'move', index: 0 });
    expect(act('ArrowUp', -1)).toEqual({ kind: 'move', index: 0 });
    expect(act('ArrowRight', -1)).toEqual({ kind: 'none' });
    expect(act('ArrowDown', -1, [])).toEqual({ kind: 'none' });
  });

  it('opens a closed branch with Right, then goes to its first child; does nothing on a leaf', () => {
    expect(act('ArrowRight', 1)).toEqual({ kind: 'open' });
    expect(act('ArrowRight', 0)).toEqual({ kind: 'move', index: 1 });
    expect(act('ArrowRight', 2)).toEqual({ kind: 'none' });
  });

  it('closes an open branch with Left, else goes to the parent; does nothing at the top', () => {
    expect(act('ArrowLeft', 0)).toEqual({ kind: 'close' });
    expect(act('ArrowLeft', 2)).toEqual({ kind: 'move', index: 0 });
    expect(act('ArrowLeft', 3)).toEqual({ kind: 'none' });
  });

  it('leaves other keys to the view', () => {
    expect(act('Enter', 0)).toBeUndefined();
    expect(act(' ', 0)).toBeUndefined();
    expect(act('a', 0)).toBeUndefined();
  });
});
