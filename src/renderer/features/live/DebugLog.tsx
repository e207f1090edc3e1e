import { useMemo, useState } from 'react';
import { focusNode } from '../../state/actions.ts';
import { live, liveData, LIMITS, type LogEntry } from '../../state/live.ts';
import { useThrottledVersion } from '../../lib/use-throttled.ts';
import { VirtualRows } from '../../lib/VirtualRows.tsx';
import { formatTime } from '../../lib/format.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const selectLog = (v: { log: number }): number => v.log;

/** The run's log (last 5,000 entries): pause to read, filter by level and text. */
export function DebugLog() {
  const [paused, setPaused] = useState(false);
  const [minLevel, setMinLevel] = useState<(typeof LEVELS)[number]>('debug');
  const [filter, setFilter] = useState('');
  const version = useThrottledVersion(live, selectLog, 200, paused);
  const entries = useMemo(() => {
    const min = LEVELS.indexOf(minLevel);
    const f = filter.trim().toLowerCase();
    return liveData.log.toArray().filter((e) => LEVELS.indexOf(e.level) >= min && (!f || e.message.toLowerCase().includes(f) || `${e.pipeline}/${e.node ?? ''}`.includes(f)));
    // version: the ring buffer is mutable
  }, [version, minLevel, filter]);
  return (
    <div className="pb-log" data-testid="debug-log">
      <div className="pb-toolbar">
        <button type="button" className={`pb-btn${paused ? ' is-on' : ''}`} onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <select className="pb-input pb-input--inline" value={minLevel} onChange={(e) => setMinLevel(e.target.value as LogEntry['level'])} aria-label="Lowest level shown">
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l} and above
            </option>
          ))}
        </select>
        <input className="pb-input pb-filter" placeholder="Filter messages" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter log" />
        <button type="button" className="pb-btn" onClick={() => liveData.clearLog()}>
          Clear
        </button>
        <span className="pb-toolbar__spacer" />
        <span className="pb-muted">
          {entries.length} shown{paused ? ' (paused)' : ''} · keeps the last {LIMITS.log}
          {liveData.log.dropped ? `, ${liveData.log.dropped} older dropped` : ''}
        </span>
      </div>
      <VirtualRows
        rows={entries}
        rowHeight={20}
        stickToEnd={!paused}
        className="pb-log__rows"
        empty={<p className="pb-muted pb-pad">No log entries yet.</p>}
        render={(e, i) => (
          <div key={i} className={`pb-log__row lvl-${e.level}`} onDoubleClick={() => e.node && void focusNode(e.node, e.pipeline)}>
            <span className="pb-mono pb-log__ts">{formatTime(e.ts)}</span>
            <span className="pb-log__lvl">{e.level}</span>
            <span className="pb-log__src">{e.pipeline ? `${e.pipeline}${e.node ? `/${e.node}` : ''}` : 'workbench'}</span>
            <span className="pb-log__msg">{e.message}</span>
          </div>
        )}
      />
    </div>
  );
}
