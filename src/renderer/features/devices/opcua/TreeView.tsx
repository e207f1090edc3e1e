import { memo, useCallback, useEffect, useRef, type DragEvent, type KeyboardEvent, type MouseEvent } from 'react';
import type { OpcuaNodeAttributes } from '../../../../shared/discovery/opcua.ts';
import { formatValue } from '../../../lib/format.ts';
import { treeKeyAction } from '../../../lib/tree-keys.ts';
import { useStore } from '../../../lib/use-store.ts';
import { notify } from '../../../state/actions.ts';
import { placeNodeDrop, setNodeDrag, type NodeDrop } from '../../canvas/dnd.ts';
import type { OpcuaBrowserModel } from './browser-model.ts';
import { tagsFor, variablesDrop } from './drop.ts';
import type { OpcuaDevice } from './target.ts';
import { nodeIcon, variablesOf, type NodeRow, type TreeRow } from './tree-model.ts';

// The lazy address-space tree: one level per expand, "more…" for the next page, node class icons,
// variables with their value and EU. Rows are focusable (arrows move, Right/Left expand/collapse,
// Space selects, Enter adds a source at the canvas centre); drag a variable, or an object for the
// variables directly below it, onto the canvas.

/** The value of a variable as the row shows it, with its EU; bad statuses by name. */
export function valueText(attrs: OpcuaNodeAttributes | undefined): { text: string; bad: boolean } | undefined {
  const v = attrs?.value;
  if (!v) return undefined;
  const bad = !v.status.startsWith('Good');
  if (bad && (v.value === null || v.value === undefined)) return { text: v.status, bad };
  return { text: formatValue(v.value, attrs.engineeringUnits?.displayName), bad };
}

const NodeRowView = memo(function NodeRowView({
  row,
  selected,
  focused,
  attrs,
  onRowClick,
  onToggle,
  onDragStart,
  onPointerDown,
}: {
  row: NodeRow;
  selected: boolean;
  focused: boolean;
  attrs: OpcuaNodeAttributes | undefined;
  onRowClick(row: NodeRow, e: MouseEvent): void;
  onToggle(row: NodeRow): void;
  onDragStart(row: NodeRow, e: DragEvent): void;
  onPointerDown(row: NodeRow): void;
}) {
  const icon = nodeIcon(row.ref);
  const value = row.ref.nodeClass === 'Variable' ? valueText(attrs) : undefined;
  const draggable = row.ref.nodeClass === 'Variable' || row.ref.nodeClass === 'Object';
  return (
    <div
      className={`pb-ua-row${selected ? ' is-selected' : ''}${focused ? ' is-focused' : ''}`}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-selected={selected}
      aria-expanded={row.expandable ? row.expanded : undefined}
      aria-label={row.ref.displayName}
      data-key={row.key}
      data-node-id={row.ref.nodeId}
      tabIndex={focused ? 0 : -1}
      draggable={draggable}
      style={{ paddingLeft: 4 + row.depth * 14 }}
      title={`${row.path}\n${row.ref.nodeId}\n${icon.title}${row.ref.typeDefinitionName ? ` · ${row.ref.typeDefinitionName}` : ''} (${row.ref.referenceType})${draggable ? '\nDrag onto the canvas to read it' : ''}`}
      onClick={(e) => onRowClick(row, e)}
      onDoubleClick={() => row.expandable && onToggle(row)}
      onDragStart={(e) => onDragStart(row, e)}
      onPointerDown={() => onPointerDown(row)}
    >
      <button
        type="button"
        className="pb-tree__toggle"
        tabIndex={-1}
        aria-hidden="true"
        disabled={!row.expandable}
        onClick={(e) => {
          e.stopPropagation();
          onToggle(row);
        }}
      >
        {row.expandable ? (row.expanded ? '▾' : '▸') : ''}
      </button>
      <span className={`pb-ua-icon pb-ua-icon--${icon.cls}`} aria-hidden="true">
        {icon.glyph}
      </span>
      <span className="pb-ua-row__name">{row.ref.displayName}</span>
      {value && (
        <span className={`pb-ua-row__value${value.bad ? ' is-bad' : ''}`} data-testid="opcua-value">
          {value.text}
        </span>
      )}
    </div>
  );
});

function OtherRow({ row, model }: { row: Exclude<TreeRow, NodeRow>; model: OpcuaBrowserModel }) {
  const pad = { paddingLeft: 24 + row.depth * 14 };
  if (row.type === 'more') {
    return (
      <div className="pb-ua-row pb-ua-row--more" style={pad}>
        <button type="button" className="pb-btn pb-btn--link" disabled={row.loading} onClick={() => model.more(row.nodeId)}>
          {row.loading ? 'loading…' : 'more…'}
        </button>
      </div>
    );
  }
  return (
    <div className={`pb-ua-row pb-ua-row--status${row.error ? ' is-error' : ''}`} style={pad} title={row.text}>
      {row.text}
    </div>
  );
}

export function TreeView({ model, device }: { model: OpcuaBrowserModel; device: OpcuaDevice }) {
  const state = useStore(model.store, (s) => s);
  const rows = model.flatRows();
  const box = useRef<HTMLDivElement>(null);

  // Keep the focused row in view (after GoTo, or moving with the keys).
  useEffect(() => {
    if (!state.focus) return;
    const el = box.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(state.focus)}"]`);
    el?.scrollIntoView({ block: 'nearest' });
    if (el && box.current?.contains(document.activeElement)) el.focus();
  }, [state.focus, rows]);

  /** What dragging (or Enter on) a row adds: its variables, or those of the selection it belongs to. */
  const dropFor = useCallback(
    (row: NodeRow): NodeDrop | string => {
      const s = model.state;
      const nodeRows = model.flatRows().filter((r): r is NodeRow => r.type === 'node');
      const group = s.selected.has(row.key) && s.selected.size > 1 ? nodeRows.filter((r) => s.selected.has(r.key)) : [row];
      const variables = variablesOf(group, s.children);
      if (variables.length === 0) {
        const loaded = s.children.get(row.ref.nodeId);
        return !loaded || loaded.loading ? `${row.ref.displayName}: its variables are still loading, try again` : `${row.ref.displayName} has no variables directly below it`;
      }
      const tags = tagsFor(device, variables, s.values, s.namespaces);
      const single = group.length === 1 && row.ref.nodeClass === 'Variable';
      const name = single ? tags[0]!.name.replace(/\//g, '-') : group.length === 1 ? row.ref.browseName.name : `${device.id}-selection`;
      return variablesDrop(device, tags, name);
    },
    [model, device],
  );

  const onRowClick = useCallback(
    (row: NodeRow, e: MouseEvent) => {
      model.select(row.key, e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : 'only');
    },
    [model],
  );
  const onToggle = useCallback((row: NodeRow) => model.toggle(row.key), [model]);
  // Objects load their children when pressed, so a drag that follows has their variables.
  const onPointerDown = useCallback((row: NodeRow) => row.ref.nodeClass === 'Object' && void model.ensureChildren(row.ref.nodeId).catch(() => undefined), [model]);
  const onDragStart = useCallback(
    (row: NodeRow, e: DragEvent) => {
      const drop = dropFor(row);
      if (typeof drop === 'string') {
        e.preventDefault();
        notify(drop, 'error');
        return;
      }
      setNodeDrag(e, drop);
    },
    [dropFor],
  );

  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const nodeRows = rows.filter((r): r is NodeRow => r.type === 'node');
    const at = nodeRows.findIndex((r) => r.key === state.focus);
    const row = nodeRows[at];
    const action = treeKeyAction(e.key, nodeRows, at, (r) => r.expandable);
    if (action) {
      if (action.kind === 'move') model.select(nodeRows[action.index]!.key, e.shiftKey ? 'range' : 'only');
      else if (action.kind !== 'none' && row) model.toggle(row.key, action.kind === 'open');
    } else if (e.key === ' ') {
      if (row) model.select(row.key, 'toggle');
    } else if (e.key === 'Enter' && row) {
      const drop = dropFor(row);
      if (typeof drop === 'string') notify(drop, 'error');
      else void placeNodeDrop(drop);
    } else return;
    e.preventDefault();
    e.stopPropagation();
  };

  const firstKey = rows.find((r) => r.type === 'node')?.key;
  return (
    <div className="pb-treebox pb-ua-tree" role="tree" aria-label="Address space" aria-multiselectable="true" ref={box} onKeyDown={onKeyDown} data-testid="opcua-tree">
      {rows.map((row) =>
        row.type === 'node' ? (
          <NodeRowView
            key={row.key}
            row={row}
            selected={state.selected.has(row.key)}
            focused={(state.focus ?? firstKey) === row.key}
            attrs={row.ref.nodeClass === 'Variable' ? state.values.get(row.ref.nodeId) : undefined}
            onRowClick={onRowClick}
            onToggle={onToggle}
            onDragStart={onDragStart}
            onPointerDown={onPointerDown}
          />
        ) : (
          <OtherRow key={row.key} row={row} model={model} />
        ),
      )}
    </div>
  );
}
