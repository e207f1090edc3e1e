import { useCallback, useMemo, useState } from 'react';
import { isBitArea, type ModbusOrder } from '../../../../shared/codec/modbus.ts';
import { describeProbeRange, guessReadings, registerView, VIEW_ORDERS, type ViewType } from '../../../../shared/discovery/modbus.ts';
import { formatTime } from '../../../lib/format.ts';
import { BitTable } from './BitTable.tsx';
import { Overlay, OverlayHead } from './Overlay.tsx';
import { AREA_LABEL, itemKey, newItem, pageWindow, readingKey, toggleItem, VIEW_TYPES, WORD_TYPES, type ModbusDevice, type SelectionItem } from './probe-model.ts';
import type { OpenRange } from './ProbeResults.tsx';
import { SelectionPanel } from './SelectionPanel.tsx';
import { AUTO_REFRESH_MS, useRegisterRead } from './use-register-read.ts';
import { WordTable } from './WordTable.tsx';

/**
 * The register view of one readable range: read from the device (page by page for big ranges),
 * refreshed on demand or every second, with every reading of each address and the picked ones
 * below, ready to become tags.
 */
export function RegisterDialog({ device, open, items, onItems, onClose }: { device: ModbusDevice; open: OpenRange; items: readonly SelectionItem[]; onItems(items: SelectionItem[]): void; onClose(): void }) {
  const { unit, area, range } = open;
  const bits = isBitArea(area);
  const [page, setPage] = useState(0);
  const [auto, setAuto] = useState(false);
  const [as, setAs] = useState<{ type: ViewType; order?: ModbusOrder }>({ type: 'uint16' });
  const win = pageWindow(range, page, bits);
  const read = useRegisterRead(device, unit, area, win.start, win.read, auto);
  const values = read.read?.values;
  const view = useMemo(() => (!bits && values && values.length > 0 ? registerView(area as 'holding' | 'input', win.start, values, read.previous) : undefined), [bits, area, win.start, values, read.previous]);

  const mine = items.filter((i) => i.area === area);
  const picked = new Map(mine.map((i) => [i.address, readingKey(i.type as ViewType, i.order)]));
  const onPick = useCallback(
    (address: number, type: ViewType, order?: ModbusOrder) => {
      onItems(toggleItem(items, newItem(area, address, type, order)));
      setAs({ type, ...(order ? { order } : {}) });
    },
    [items, onItems, area],
  );
  const onCheck = useCallback(
    (address: number) => {
      const old = items.find((i) => i.area === area && i.address === address);
      onItems(old ? items.filter((i) => i !== old) : toggleItem(items, newItem(area, address, as.type, as.order)));
    },
    [items, onItems, area, as],
  );
  const pickLikely = (): void => {
    if (!view) return;
    let next = [...items];
    for (const v of guessReadings(view)) {
      if (!v.likely || v.address >= win.start + win.shown) continue;
      const item = newItem(area, v.address, v.type, v.order);
      if (!next.some((i) => itemKey(i) === itemKey(item) && i.type === item.type && i.order === item.order)) next = toggleItem(next, item);
    }
    onItems(next);
  };

  const wordAs = WORD_TYPES.includes(as.type);
  return (
    <Overlay label="Register view" onClose={onClose} className="pb-mb-regview">
      <OverlayHead
        title={
          <>
            unit {unit} · {AREA_LABEL[area]} {describeProbeRange(area, range)}
          </>
        }
        onClose={onClose}
      >
        <span className="pb-muted pb-mb-dialog__sub">{device.id}</span>
      </OverlayHead>
      <div className="pb-mb-toolbar">
        {win.pages > 1 && (
          <span className="pb-mb-pager">
            <button type="button" className="pb-btn pb-btn--small" disabled={page === 0} onClick={() => setPage(page - 1)} aria-label="previous page">
              ‹
            </button>
            <span className="pb-mono">
              {win.start}–{win.start + win.shown - 1}
            </span>
            <span className="pb-muted">
              page {Math.min(page, win.pages - 1) + 1}/{win.pages}
            </span>
            <button type="button" className="pb-btn pb-btn--small" disabled={page >= win.pages - 1} onClick={() => setPage(page + 1)} aria-label="next page">
              ›
            </button>
          </span>
        )}
        <button type="button" className="pb-btn" onClick={read.refresh} disabled={auto}>
          Refresh
        </button>
        <button type="button" className={`pb-btn${auto ? ' is-on' : ''}`} aria-pressed={auto} title={`Read again every ${AUTO_REFRESH_MS / 1000} s, to see counters count and values drift`} onClick={() => setAuto(!auto)}>
          Auto {AUTO_REFRESH_MS / 1000} s
        </button>
        <span className="pb-muted" data-testid="read-at">
          {read.read ? `read at ${formatTime(read.read.readAt)}${read.previous ? ', compared with the read before' : ''}` : read.loading ? 'reading…' : ''}
        </span>
        {!bits && (
          <>
            <span className="pb-mb-toolbar__spacer" />
            <label className="pb-mb-inline" title="What a ticked row becomes; clicking a reading picks exactly that one">
              ticked rows as
              <select className="pb-input pb-input--inline" aria-label="type for ticked rows" value={as.type} onChange={(e) => setAs({ type: e.target.value as ViewType, ...(WORD_TYPES.includes(e.target.value as ViewType) ? {} : { order: as.order ?? 'ABCD' }) })}>
                {VIEW_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
              <select className="pb-input pb-input--inline" aria-label="order for ticked rows" disabled={wordAs} value={wordAs ? '' : (as.order ?? 'ABCD')} onChange={(e) => setAs({ ...as, order: e.target.value as ModbusOrder })}>
                {wordAs && <option value="">–</option>}
                {VIEW_ORDERS.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            </label>
            <button type="button" className="pb-btn" disabled={!view} title="Pick the likely readings of this page (a best guess without overlaps)" onClick={pickLikely}>
              Pick likely
            </button>
            <span className="pb-mb-legend">
              <span className="pb-mb-cell is-likely">likely</span>
              <span className="pb-mb-cell is-plausible">plausible</span>
            </span>
          </>
        )}
      </div>
      {read.error && (
        <div className="pb-mb-error" role="alert">
          {read.error}
        </div>
      )}
      <div className="pb-mb-regview__body">
        {view && <WordTable view={view} page={win} picked={picked} onPick={onPick} onCheck={onCheck} />}
        {bits && values && <BitTable area={area} start={win.start} values={values} {...(read.previous ? { previous: read.previous } : {})} picked={new Set(picked.keys())} onCheck={onCheck} />}
        {!values && read.loading && <p className="pb-muted pb-pad">Reading {win.read} addresses…</p>}
      </div>
      <SelectionPanel
        device={device}
        unit={unit}
        items={items}
        onChange={onItems}
        {...(view ? { view } : {})}
        {...(bits && values ? { bits: { start: win.start, values } } : {})}
      />
    </Overlay>
  );
}
