// Arrow keys in a tree view, as the WAI-ARIA tree pattern has them: Up/Down move, Home/End go to
// the first/last row, Right opens a closed branch (or goes to its first child), Left closes an open
// one (or goes to the parent). The view applies the action to its own rows and selection. Pure.

export interface TreeKeyRow {
  readonly depth: number;
  readonly expanded: boolean;
}

export type TreeKeyAction =
  | { readonly kind: 'move'; readonly index: number }
  | { readonly kind: 'open' }
  | { readonly kind: 'close' }
  /** The key belongs to the tree, but does nothing here (e.g. Right on a leaf). */
  | { readonly kind: 'none' };

/**
 * What `key` does with the row at `index` current (-1: none) in the visible `rows`; undefined when
 * the key is not a tree key. `expandable` says whether a row can be opened.
 */
export function treeKeyAction<R extends TreeKeyRow>(key: string, rows: readonly R[], index: number, expandable: (row: R) => boolean): TreeKeyAction | undefined {
  const move = (i: number): TreeKeyAction => (rows.length ? { kind: 'move', index: Math.max(0, Math.min(rows.length - 1, i)) } : { kind: 'none' });
  const row = rows[index];
  switch (key) {
    case 'ArrowDown':
      return move(index + 1);
    case 'ArrowUp':
      return move(index < 0 ? 0 : index - 1);
    case 'Home':
      return move(0);
    case 'End':
      return move(rows.length - 1);
    case 'ArrowRight':
      if (row && expandable(row) && !row.expanded) return { kind: 'open' };
      return row?.expanded ? move(index + 1) : { kind: 'none' };
    case 'ArrowLeft':
      if (row?.expanded) return { kind: 'close' };
      if (row && row.depth > 0) {
        const parent = rows.findLastIndex((r, i) => i < index && r.depth < row.depth);
        if (parent >= 0) return move(parent);
      }
      return { kind: 'none' };
    default:
      return undefined;
  }
}
