import { memo, useEffect, useRef, type KeyboardEvent } from 'react';
import type { MqttPayloadType, MqttTopicNode } from '../../../../shared/discovery/mqtt.ts';
import { formatRate } from '../../../lib/format.ts';
import { treeKeyAction } from '../../../lib/tree-keys.ts';
import { VirtualRows } from '../../../lib/VirtualRows.tsx';
import { placeNodeDrop, setNodeDrag, type NodeDrop } from '../../canvas/dnd.ts';
import type { ChangeTracker, TopicRow } from './topic-rows.ts';

// The rows of the topic tree in view (virtualised): segment, payload type, retained marker,
// message count and msg/s (branch totals on folders). A row flashes when its payload changes: the
// flash is an element keyed on the change count, so a change restarts a CSS animation and costs
// nothing between polls. One focusable list; arrow keys move, Left/Right close/open, Enter toggles
// a branch. A topic dragged onto the canvas (or Enter on it) becomes an mqtt-source reading it.

const ROW_HEIGHT = 20;

export const TYPE_LABEL: Record<MqttPayloadType, string> = { json: 'JSON', sparkplug: 'SpB', text: 'TXT', binary: 'BIN', empty: '∅' };

/** 9,999 · 123k · 12.3M: counts stay within five characters in a narrow column. */
export function formatCount(n: number): string {
  if (n < 10_000) return n.toLocaleString('en-US');
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

const rowId = (prefix: string, path: string): string => `${prefix}-${encodeURIComponent(path)}`;

type DropFor = (node: MqttTopicNode) => NodeDrop | undefined;

const Row = memo(function Row({ row, selected, flash, idPrefix, onSelect, onToggle, dropFor }: {
  row: TopicRow;
  selected: boolean;
  flash: number;
  idPrefix: string;
  onSelect(path: string): void;
  onToggle(path: string): void;
  dropFor: DropFor;
}) {
  const { node, branch } = row;
  const canDrop = node.type !== undefined && node.type !== 'empty';
  const topic = node.type !== undefined;
  const count = branch ? node.branchCount : node.count;
  const rate = branch ? node.branchRate : node.rate;
  return (
    <div
      id={rowId(idPrefix, row.path)}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-selected={selected}
      aria-expanded={branch ? row.expanded : undefined}
      aria-label={`topic ${row.path}`}
      data-path={row.path}
      className={`pb-mqtt__row${selected ? ' is-selected' : ''}${branch ? ' is-branch' : ''}`}
      style={{ paddingLeft: 2 + row.depth * 10 }}
      title={topic && node.last ? `${row.path}\n${node.last.preview}` : row.path}
      draggable={canDrop}
      onDragStart={(e) => {
        const drop = dropFor(node);
        if (drop) setNodeDrag(e, drop);
        else e.preventDefault();
      }}
      onClick={() => onSelect(row.path)}
      onDoubleClick={() => branch && onToggle(row.path)}
    >
      {flash > 0 && <span key={flash} className="pb-mqtt__flash" aria-hidden="true" />}
      <span
        className="pb-mqtt__toggle"
        aria-hidden="true"
        onClick={(e) => {
          if (!branch) return;
          e.stopPropagation();
          onToggle(row.path);
        }}
      >
        {branch ? (row.expanded ? '▾' : '▸') : ''}
      </span>
      <span className={`pb-mqtt__name${topic ? '' : ' is-folder'}`}>{row.name === '' ? '(empty)' : row.name}</span>
      {node.retained && (
        <span className="pb-mqtt__retained" title="The broker holds a retained message for this topic">
          R
        </span>
      )}
      {node.type && (
        <span className={`pb-mqtt__type pb-mqtt__type--${node.type}`} title={`last payload: ${node.type}`}>
          {TYPE_LABEL[node.type]}
        </span>
      )}
      <span className={`pb-mqtt__count${branch ? ' is-branch' : ''}`} title={branch ? `${node.branchCount} messages on ${node.topics} topics` : `${node.count} messages`}>
        {formatCount(count)}
      </span>
      <span className={`pb-mqtt__rate${rate === 0 ? ' is-idle' : ''}`}>{formatRate(rate)}</span>
    </div>
  );
});

export function TopicList({ rows, selectedPath, changes, idPrefix, onSelect, onToggle, dropFor, empty }: {
  rows: readonly TopicRow[];
  selectedPath: string | undefined;
  changes: ChangeTracker;
  /** Unique per device: row ids for aria-activedescendant. */
  idPrefix: string;
  onSelect(path: string): void;
  onToggle(path: string): void;
  /** The canvas drop for a topic (an mqtt-source), if it can be read as a tag. */
  dropFor: DropFor;
  empty: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const index = selectedPath === undefined ? -1 : rows.findIndex((r) => r.path === selectedPath);

  // Keep the selected row in view when the keyboard moves it.
  useEffect(() => {
    if (selectedPath === undefined || !box.current?.contains(document.activeElement)) return;
    document.getElementById(rowId(idPrefix, selectedPath))?.scrollIntoView({ block: 'nearest' });
  }, [selectedPath, idPrefix]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const row = rows[index];
    const action = treeKeyAction(e.key, rows, index, (r) => r.branch);
    if (action) {
      if (action.kind === 'move') onSelect(rows[action.index]!.path);
      else if (action.kind !== 'none' && row) onToggle(row.path);
    } else if (e.key === 'Enter') {
      if (row?.branch) onToggle(row.path);
      const drop = row && !row.branch ? dropFor(row.node) : undefined;
      if (drop) void placeNodeDrop(drop);
    } else return;
    e.preventDefault();
  };

  return (
    <div
      ref={box}
      className="pb-treebox pb-mqtt__list"
      role="tree"
      aria-label="Topics"
      tabIndex={0}
      aria-activedescendant={index >= 0 ? rowId(idPrefix, selectedPath!) : undefined}
      onKeyDown={onKeyDown}
    >
      <VirtualRows
        rows={rows}
        rowHeight={ROW_HEIGHT}
        empty={<p className="pb-muted pb-mqtt__empty">{empty}</p>}
        render={(row) => <Row key={row.path} row={row} selected={row.path === selectedPath} flash={changes.version(row.path)} idPrefix={idPrefix} onSelect={onSelect} onToggle={onToggle} dropFor={dropFor} />}
      />
    </div>
  );
}
