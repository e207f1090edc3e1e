import type { ModbusOrder } from '../../../../shared/codec/modbus.ts';
import { modiconReference } from '../../../../shared/codec/modbus.ts';
import { formatRegisterMapCsv, VIEW_ORDERS, type RegisterView, type ViewType } from '../../../../shared/discovery/modbus.ts';
import { downloadText } from '../../../lib/download.ts';
import { HeadRow } from './HeadRow.tsx';
import { ImportBar } from './ImportBar.tsx';
import { formatReading, itemKey, readingAt, selectionRows, VIEW_TYPES, WORD_TYPES, type ModbusDevice, type SelectionItem } from './probe-model.ts';

/** The current value of an item, when the open page shows its address. */
function currentValue(item: SelectionItem, view: RegisterView | undefined, bits: { start: number; values: readonly number[] } | undefined): string {
  if (item.type === 'bool') {
    const v = bits?.values[item.address - bits.start];
    return v === undefined ? '' : String(v);
  }
  if (!view || view.area !== item.area) return '';
  const r = readingAt(view, item.address, item.type, item.order);
  return r ? formatReading(r.value) : '';
}

/**
 * The picked addresses with their reading, name, unit and scale, ready to import as tags or to
 * download as a register-map CSV.
 */
export function SelectionPanel({
  device,
  unit,
  items,
  onChange,
  view,
  bits,
}: {
  device: ModbusDevice;
  unit: number;
  items: readonly SelectionItem[];
  onChange(items: SelectionItem[]): void;
  view?: RegisterView;
  bits?: { start: number; values: readonly number[] };
}) {
  const { rows, problems } = selectionRows(items);
  const update = (key: string, patch: Partial<SelectionItem>): void => onChange(items.map((i) => (itemKey(i) === key ? { ...i, ...patch } : i)));
  if (items.length === 0) {
    return <div className="pb-mb-selection pb-mb-selection--empty pb-muted">Click a reading (or tick rows) to pick registers, then name them and import them as tags.</div>;
  }
  return (
    <div className="pb-mb-selection" data-testid="modbus-selection">
      <div className="pb-mb-selection__head">
        <strong>
          {items.length} picked on unit {unit}
        </strong>
        <button type="button" className="pb-btn pb-btn--small" onClick={() => onChange([])}>
          Clear
        </button>
      </div>
      <div className="pb-mb-selection__table" role="table" aria-label="Picked registers">
        <HeadRow className="pb-mb-sel pb-mb-sel--head" cells={['address', 'reading', 'value', 'name', 'unit', { label: '× factor', title: 'raw × factor + offset' }, '+ offset', '']} />
        {items.map((it) => {
          const key = itemKey(it);
          const word = it.type === 'bool' || WORD_TYPES.includes(it.type);
          return (
            <div className="pb-mb-sel" role="row" key={key} data-address={it.address}>
              <span className="pb-mono" title={modiconReference(it.area, it.address)}>
                {it.address} <span className="pb-muted">{modiconReference(it.area, it.address)}</span>
              </span>
              <span className="pb-mb-sel__reading">
                {it.type === 'bool' ? (
                  <span className="pb-mono">bool</span>
                ) : (
                  <>
                    <select
                      className="pb-input pb-input--inline"
                      aria-label="type"
                      value={it.type}
                      onChange={(e) => {
                        const type = e.target.value as ViewType;
                        update(key, { type, order: WORD_TYPES.includes(type) ? undefined : (it.order ?? 'ABCD') });
                      }}
                    >
                      {VIEW_TYPES.map((t) => (
                        <option key={t}>{t}</option>
                      ))}
                    </select>
                    <select className="pb-input pb-input--inline" aria-label="order" disabled={word} value={it.order ?? ''} onChange={(e) => update(key, { order: e.target.value as ModbusOrder })}>
                      {word && <option value="">–</option>}
                      {VIEW_ORDERS.map((o) => (
                        <option key={o}>{o}</option>
                      ))}
                    </select>
                  </>
                )}
              </span>
              <span className="pb-mono pb-mb-sel__value">{currentValue(it, view, bits)}</span>
              <input className="pb-input pb-input--mono" aria-label="name" value={it.name} spellCheck={false} onChange={(e) => update(key, { name: e.target.value })} />
              <input className="pb-input" aria-label="unit" value={it.unit} onChange={(e) => update(key, { unit: e.target.value })} />
              <input className="pb-input pb-input--mono" aria-label="factor" value={it.factor} placeholder="1" onChange={(e) => update(key, { factor: e.target.value })} />
              <input className="pb-input pb-input--mono" aria-label="offset" value={it.offset} placeholder="0" onChange={(e) => update(key, { offset: e.target.value })} />
              <button type="button" className="pb-btn pb-btn--icon" aria-label={`unpick ${it.address}`} onClick={() => onChange(items.filter((i) => itemKey(i) !== key))}>
                ✕
              </button>
            </div>
          );
        })}
      </div>
      {problems.length > 0 && (
        <div className="pb-mb-error" role="alert">
          {problems.join('; ')}
        </div>
      )}
      <ImportBar device={device} rows={rows} unit={unit} blocked={problems.length ? 'fix the problems above first' : undefined}>
        <button type="button" className="pb-btn" disabled={rows.length === 0} title="Download the picked rows as a register-map CSV" onClick={() => downloadText(`${device.id}-unit${unit}-selection.csv`, formatRegisterMapCsv(rows))}>
          Export CSV
        </button>
      </ImportBar>
    </div>
  );
}
