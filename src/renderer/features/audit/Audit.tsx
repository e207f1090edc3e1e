import { useCallback, useEffect, useRef, useState } from 'react';
import { AUDIT_RESULTS, type AuditEntry } from '../../../shared/audit.ts';
import { errorText, hostClient, notify } from '../../state/actions.ts';
import { workbench } from '../../state/workbench.ts';
import { downloadText } from '../../lib/download.ts';
import { formatTime } from '../../lib/format.ts';
import { useStore } from '../../lib/use-store.ts';
import { VirtualRows } from '../../lib/VirtualRows.tsx';
import { ANY, auditFileName, auditFilterOf, auditValue, mergeFresh, SINCE_CHOICES, type AuditView } from './audit-model.ts';
import './audit.css';

// The Audit tab: every write and would-be write to a device (audit.list), newest first, a page at a
// time, filtered by device, result and time; refreshed every couple of seconds while a run runs;
// exported as CSV (audit.export) with the same filter.

const PAGE = 200;
const REFRESH_MS = 2000;


function Row({ e }: { e: AuditEntry }) {
  return (
    <div className={`pb-audit__row is-${e.result}`} data-testid="audit-row" data-result={e.result} title={`${new Date(e.at).toLocaleString(undefined, { hour12: false })}: ${e.status}`}>
      <span className="pb-mono">{formatTime(e.at)}</span>
      <span className={`pb-audit__mode is-${e.mode}`}>{e.mode}</span>
      <span>{e.pipeline}</span>
      <span className="pb-mono">{e.node}</span>
      <span>{e.device}</span>
      <span className="pb-mono">{e.tag}</span>
      <span className="pb-mono pb-num">{auditValue(e.oldValue)}</span>
      <span className="pb-mono pb-num pb-audit__new">{auditValue(e.newValue)}</span>
      <span>
        <span className={`pb-audit__result is-${e.result}`}>{e.result}</span>
      </span>
      <span className="pb-audit__status">{e.status}</span>
      <span className="pb-muted">
        {e.user}@{e.host}
      </span>
    </div>
  );
}

export function Audit() {
  const devices = useStore(workbench, (s) => s.project?.devices);
  const running = useStore(workbench, (s) => s.run.state === 'running');
  const [view, setView] = useState<AuditView>(ANY);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [total, setTotal] = useState<number>();
  const [nextBefore, setNextBefore] = useState<number>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  // The latest shown state for the refresh timer, without restarting it on every change.
  const shown = useRef({ entries, nextBefore, view });
  shown.current = { entries, nextBefore, view };

  const load = useCallback(async (v: AuditView) => {
    setLoading(true);
    try {
      const page = await hostClient().call('audit.list', { ...auditFilterOf(v), limit: PAGE });
      if (shown.current.view !== v) return; // the filter changed meanwhile
      setEntries(page.entries);
      setTotal(page.total);
      setNextBefore(page.nextBefore);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => void load(view), [load, view]);

  // New entries arrive while a run writes (or would write).
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(async () => {
      const { view: v } = shown.current;
      try {
        const page = await hostClient().call('audit.list', { ...auditFilterOf(v), limit: PAGE });
        if (shown.current.view !== v) return;
        const merged = mergeFresh(shown.current.entries, page.entries, shown.current.nextBefore, page.nextBefore);
        setEntries(merged.entries);
        setNextBefore(merged.nextBefore);
        setTotal(page.total);
      } catch {
        // The next tick tries again; a lost connection shows in the banner.
      }
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [running]);

  const more = async (): Promise<void> => {
    if (nextBefore === undefined) return;
    setLoading(true);
    try {
      const page = await hostClient().call('audit.list', { ...auditFilterOf(view), limit: PAGE, before: nextBefore });
      setEntries((e) => [...e, ...page.entries.filter((x) => x.id < (e.at(-1)?.id ?? Infinity))]);
      setNextBefore(page.nextBefore);
      setTotal(page.total);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  };

  const exportCsv = async (): Promise<void> => {
    try {
      const { csv, rows } = await hostClient().call('audit.export', auditFilterOf(view));
      downloadText(auditFileName(), csv);
      notify(`Exported ${rows.toLocaleString()} audit entries`, 'ok');
    } catch (err) {
      notify(`Export failed: ${errorText(err)}`, 'error');
    }
  };

  return (
    <div className="pb-audit" data-testid="audit">
      <div className="pb-toolbar">
        <label htmlFor="pb-audit-device">device</label>
        <select id="pb-audit-device" className="pb-input pb-input--inline" value={view.device} onChange={(e) => setView((v) => ({ ...v, device: e.target.value }))}>
          <option value="">any</option>
          {devices?.map((d) => (
            <option key={d.id} value={d.id}>
              {d.id}
            </option>
          ))}
        </select>
        <label htmlFor="pb-audit-result">result</label>
        <select id="pb-audit-result" className="pb-input pb-input--inline" value={view.result} onChange={(e) => setView((v) => ({ ...v, result: e.target.value as AuditView['result'] }))}>
          <option value="">any</option>
          {AUDIT_RESULTS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label htmlFor="pb-audit-since">since</label>
        <select id="pb-audit-since" className="pb-input pb-input--inline" value={view.since} onChange={(e) => setView((v) => ({ ...v, since: e.target.value as AuditView['since'] }))}>
          {SINCE_CHOICES.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
        <button type="button" className="pb-btn" onClick={() => void load(view)} disabled={loading} title="Read the log again">
          ↻
        </button>
        <span className="pb-muted" data-testid="audit-count">
          {total === undefined ? '…' : `${entries.length.toLocaleString()} of ${total.toLocaleString()} entries`}
          {running ? ' · live' : ''}
        </span>
        <span className="pb-toolbar__spacer" />
        <button type="button" className="pb-btn" onClick={() => void exportCsv()} disabled={!total} data-testid="audit-export">
          Export CSV
        </button>
      </div>
      {error && (
        <p className="pb-audit__error pb-pad" role="alert">
          {error}
        </p>
      )}
      <div className="pb-audit__row pb-audit__row--head">
        <span>time</span>
        <span>mode</span>
        <span>pipeline</span>
        <span>node</span>
        <span>device</span>
        <span>tag</span>
        <span className="pb-num">old</span>
        <span className="pb-num">new</span>
        <span>result</span>
        <span>status</span>
        <span>user@host</span>
      </div>
      <VirtualRows
        rows={entries}
        rowHeight={22}
        className="pb-audit__rows"
        empty={<p className="pb-muted pb-pad">{loading ? 'Loading…' : 'No audit entries match. Every write and would-be write to a device lands here.'}</p>}
        render={(e) => <Row key={e.id} e={e} />}
      />
      {nextBefore !== undefined && (
        <button type="button" className="pb-btn pb-btn--block" onClick={() => void more()} disabled={loading} data-testid="audit-more">
          More (older entries)
        </button>
      )}
    </div>
  );
}
