import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import { LIMITS, live, liveData, rowLabel, splitRowKey } from '../../state/live.ts';
import { useStore } from '../../lib/use-store.ts';
import { downloadText } from '../../lib/download.ts';
import { useThrottledVersion } from '../../lib/use-throttled.ts';
import { toggleTrend, trendSelection } from './trend-selection.ts';

const WINDOWS = [
  { label: '1 min', ms: 60_000 },
  { label: '5 min', ms: 300_000 },
  { label: '15 min', ms: 900_000 },
  { label: '1 h', ms: 3_600_000 },
  { label: 'all', ms: Infinity },
] as const;

const COLOURS = ['#1f6fd1', '#d1531f', '#2e9b4f', '#8a3fc4', '#c49a1f', '#1fa3a3', '#c41f6f', '#555555'];
const selectSeries = (v: { series: number }): number => v.series;

/** The chart data: one time axis (seconds) joined over the chosen series, within the window. */
function chartData(keys: readonly string[], windowMs: number): uPlot.AlignedData {
  const newest = Math.max(0, ...keys.map((k) => liveData.seriesOf(k)?.lastTime() ?? 0));
  const since = Number.isFinite(windowMs) ? newest - windowMs : -Infinity;
  const tables = keys.map((k): uPlot.AlignedData => {
    const s = liveData.seriesOf(k)?.since(since) ?? { t: [], v: [] };
    return [s.t.map((t) => t / 1000), s.v];
  });
  if (tables.length === 0) return [[]];
  if (tables.length === 1) return tables[0]!;
  return uPlot.join(tables);
}

/** A CSV of the chosen series in the window: time (ISO 8601 and epoch ms) and one column per series. */
export function trendCsv(keys: readonly string[], data: uPlot.AlignedData): string {
  const header = ['time', 'epoch_ms', ...keys.map((k) => rowLabel(splitRowKey(k)))];
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [header.map(quote).join(',')];
  const xs = data[0] as ArrayLike<number>;
  for (let i = 0; i < xs.length; i++) {
    const ms = Math.round(xs[i]! * 1000);
    const cells = [new Date(ms).toISOString(), String(ms)];
    for (let s = 1; s < data.length; s++) {
      const v = (data[s] as ArrayLike<number | null | undefined>)[i];
      cells.push(v === null || v === undefined ? '' : String(v));
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function Trends() {
  const keys = useStore(trendSelection, (k) => k);
  const [windowMs, setWindowMs] = useState<number>(300_000);
  const [paused, setPaused] = useState(false);
  const version = useThrottledVersion(live, selectSeries, 250, paused);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  // A new chart when the set of series changes; data updates go through setData.
  useEffect(() => {
    const el = box.current;
    if (!el || keys.length === 0) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: Math.max(120, el.clientHeight - 30),
      scales: { x: { time: true } },
      series: [{}, ...keys.map((k, i) => ({ label: rowLabel(splitRowKey(k)), stroke: COLOURS[i % COLOURS.length]!, width: 1.5, spanGaps: true, points: { show: false } }))],
      axes: [{ stroke: '#333', grid: { stroke: '#e4e4e4' } }, { stroke: '#333', grid: { stroke: '#e4e4e4' }, size: 60 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    const p = new uPlot(opts, chartData(keys, windowMs), el);
    plot.current = p;
    const ro = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height: Math.max(120, el.clientHeight - 30) }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      p.destroy();
      plot.current = undefined;
    };
  }, [keys]);

  useEffect(() => {
    plot.current?.setData(chartData(keys, windowMs));
  }, [version, windowMs, keys]);

  return (
    <div className="pb-trends" data-testid="trends">
      <div className="pb-toolbar">
        <label className="pb-muted" htmlFor="pb-trend-window">
          Window
        </label>
        <select id="pb-trend-window" className="pb-input pb-input--inline" value={String(windowMs)} onChange={(e) => setWindowMs(Number(e.target.value))}>
          {WINDOWS.map((w) => (
            <option key={w.label} value={String(w.ms)}>
              {w.label}
            </option>
          ))}
        </select>
        <button type="button" className="pb-btn" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="pb-btn" onClick={() => liveData.clearSeries()} title="Forget the points recorded so far">
          Clear
        </button>
        <button type="button" className="pb-btn" disabled={!keys.length} onClick={() => downloadText(`plantbench-trend-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`, trendCsv(keys, chartData(keys, windowMs)))}>
          Export CSV
        </button>
        <span className="pb-toolbar__spacer" />
        {keys.map((k, i) => (
          <span key={k} className="pb-chip" style={{ borderColor: COLOURS[i % COLOURS.length] }}>
            {rowLabel(splitRowKey(k))}
            <button type="button" className="pb-chip__x" aria-label="remove from trend" onClick={() => toggleTrend(k)}>
              ×
            </button>
          </span>
        ))}
      </div>
      {keys.length === 0 ? (
        <p className="pb-muted pb-pad">Pick numeric values in the Values tab (click a row) to trend them here. Up to {LIMITS.trends} series; a trended value keeps its last {LIMITS.trendPoints.toLocaleString()} points.</p>
      ) : (
        <div className="pb-trends__chart" ref={box} />
      )}
    </div>
  );
}
