// How values, rates and times read everywhere in the UI (edges, tables, inspector, log).

const short = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A value as shown on edges and in tables: rounded numbers, short strings, JSON for the rest. */
export function formatValue(v: unknown, unit?: string): string {
  let s: string;
  if (typeof v === 'number') s = Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(1) : String(Number(v.toPrecision(4)));
  else if (typeof v === 'string') s = v;
  else s = JSON.stringify(v) ?? String(v);
  return short(unit ? `${s} ${unit}` : s, 40);
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  if (perSecond > 0) return `${(perSecond * 60).toFixed(1)}/min`;
  return '0/s';
}

/** Local time of day with milliseconds (HH:MM:SS.mmm). */
export function formatTime(ts: number): string {
  const d = new Date(ts);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
