import { useMemo, useState } from 'react';
import { liveData, live, type ValueRow } from '../../state/live.ts';
import { focusNode, ui } from '../../state/actions.ts';
import { useStore } from '../../lib/use-store.ts';
import { useThrottledVersion } from '../../lib/use-throttled.ts';
import { VirtualRows } from '../../lib/VirtualRows.tsx';
import { formatRate, formatTime, formatValue } from '../../lib/format.ts';
import { toggleTrend, trendSelection } from './trend-selection.ts';

type Column = 'path' | 'value' | 'quality' | 'ts' | 'node' | 'count' | 'rate';
const COLUMNS: { id: Column; label: string }[] = [
  { id: 'path', label: 'Path' },
  { id: 'value', label: 'Value' },
  { id: 'quality', label: 'Quality' },
  { id: 'ts', label: 'Time' },
  { id: 'node', label: 'Node' },
  { id: 'count', label: 'Updates' },
  { id: 'rate', label: 'Rate' },
];

function compare(a: ValueRow, b: ValueRow, col: Column): number {
  switch (col) {
    case 'value':
      if (typeof a.value === 'number' && typeof b.value === 'number') return a.value - b.value;
      return String(a.value).localeCompare(String(b.value));
    case 'ts':
    case 'count':
    case 'rate':
      return a[col] - b[col];
    case 'node':
      return `${a.pipeline}/${a.node}`.localeCompare(`${b.pipeline}/${b.node}`) || a.path.localeCompare(b.path);
    default:
      return String(a[col]).localeCompare(String(b[col])) || a.path.localeCompare(b.path);
  }
}

const selectRows = (v: { rows: number }): number => v.rows;

/** Every live value (last sample per pipeline, node and path), sortable and filterable. Click a numeric row to trend it. */
export function ValuesTable() {
  const version = useThrottledVersion(live, selectRows, 250);
  const trended = useStore(trendSelection, (k) => k);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ col: Column; desc: boolean }>({ col: 'path', desc: false });
  const rows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const all = [...liveData.rows.values()].filter((r) => !f || r.path.toLowerCase().includes(f) || `${r.pipeline}/${r.node}`.toLowerCase().includes(f) || String(r.value).toLowerCase().includes(f));
    all.sort((a, b) => (sort.desc ? -compare(a, b, sort.col) : compare(a, b, sort.col)));
    return all;
    // version: re-read the (mutable) rows when they change
  }, [version, filter, sort]);
  return (
    <div className="pb-values" data-testid="values-table">
      <div className="pb-toolbar">
        <input className="pb-input pb-filter" placeholder="Filter path, node or value" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter values" />
        <span className="pb-muted">
          {rows.length} of {liveData.rows.size} values{liveData.rows.evicted ? ` (${liveData.rows.evicted} older rows dropped, limit ${liveData.rows.limit})` : ''}
          {liveData.omitted ? ` · host left out ${liveData.omitted} samples` : ''}
        </span>
        <span className="pb-toolbar__spacer" />
        <span className="pb-muted">Click a numeric row to add it to Trends</span>
      </div>
      <div className="pb-table pb-table--values" role="table">
        <div className="pb-table__head" role="row">
          {COLUMNS.map((c) => (
            <button
              key={c.id}
              type="button"
              role="columnheader"
              className={`pb-table__th pb-col-${c.id}${sort.col === c.id ? ' is-sorted' : ''}`}
              aria-sort={sort.col === c.id ? (sort.desc ? 'descending' : 'ascending') : 'none'}
              onClick={() => setSort((s) => ({ col: c.id, desc: s.col === c.id ? !s.desc : false }))}
            >
              {c.label}
              {sort.col === c.id ? (sort.desc ? ' ▾' : ' ▴') : ''}
            </button>
          ))}
        </div>
        <VirtualRows
          rows={rows}
          rowHeight={22}
          className="pb-table__body"
          empty={<p className="pb-muted pb-pad">No values yet. Run the project (Ctrl+Enter) to see live values.</p>}
          render={(r) => (
            <div
              key={r.key}
              role="row"
              className={`pb-table__row${trended.includes(r.key) ? ' is-trended' : ''}${r.numeric ? ' is-numeric' : ''}`}
              data-path={r.path}
              onClick={() => {
                if (r.numeric) {
                  toggleTrend(r.key);
                  if (!trended.includes(r.key)) ui({ bottomTab: 'trends' });
                }
              }}
              onDoubleClick={() => void focusNode(r.node, r.pipeline)}
              title={r.numeric ? 'Click: trend this value · double-click: show its node' : 'Double-click: show its node'}
            >
              <span className="pb-col-path pb-mono">{r.path}</span>
              <span className={`pb-col-value pb-mono${r.error ? ' bad' : ''}`}>{r.error ? `error: ${r.error}` : formatValue(r.value, r.unit)}</span>
              <span className={`pb-col-quality q-${r.quality}`}>{r.quality}</span>
              <span className="pb-col-ts pb-mono">{formatTime(r.ts)}</span>
              <span className="pb-col-node">
                {r.pipeline}/{r.node}
              </span>
              <span className="pb-col-count pb-num">{r.count}</span>
              <span className="pb-col-rate pb-num">{formatRate(r.rate)}</span>
            </div>
          )}
        />
      </div>
    </div>
  );
}
