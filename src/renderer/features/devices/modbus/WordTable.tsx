import { memo } from 'react';
import type { ModbusOrder } from '../../../../shared/codec/modbus.ts';
import { describeReading, type RegisterView, type ViewRegister, type ViewType, type ViewValue } from '../../../../shared/discovery/modbus.ts';
import { VirtualRows } from '../../../lib/VirtualRows.tsx';
import { HeadRow } from './HeadRow.tsx';
import { formatReading, READING_COLUMNS, readingAt, readingKey, WIDE_TYPES, type PageWindow } from './probe-model.ts';

const ROW_HEIGHT = 21;
const HEAD = ['', 'addr', 'ref', 'hex', 'uint16', 'int16', 'text', ...READING_COLUMNS.map((c) => c.order)];

export type PickReading = (address: number, type: ViewType, order?: ModbusOrder) => void;

function cellClass(v: ViewValue | undefined, selected: boolean): string {
  const f = v?.flags ?? [];
  return [
    'pb-mb-cell',
    v?.likely ? 'is-likely' : f.includes('plausible') ? 'is-plausible' : '',
    f.includes('zero') ? 'is-zero' : '',
    f.includes('changed') ? 'is-changed' : '',
    selected ? 'is-selected' : '',
  ].join(' ');
}

function Cell({ v, address, type, order, picked, onPick }: { v: ViewValue | undefined; address: number; type: ViewType; order?: ModbusOrder; picked: string | undefined; onPick: PickReading }) {
  const key = readingKey(type, order);
  if (!v) return <span className="pb-mb-cell is-empty" />;
  const text = formatReading(v.value);
  return (
    <span
      className={cellClass(v, picked === key)}
      data-reading={key}
      title={`${address} ${describeReading({ type, ...(order ? { order } : {}) })} = ${v.value}${v.flags.length ? `\n${v.flags.join(', ')}` : ''}${v.likely ? '\nlikely' : ''}\nClick to pick this reading.`}
      onClick={() => onPick(address, type, order)}
    >
      {text}
    </span>
  );
}

const Row = memo(function Row({ view, reg, picked, onPick, onCheck }: { view: RegisterView; reg: ViewRegister; picked: string | undefined; onPick: PickReading; onCheck(address: number): void }) {
  const a = reg.address;
  return (
    <div className={`pb-mb-row${picked ? ' is-picked' : ''}`} role="row" data-address={a}>
      <span>
        <input type="checkbox" aria-label={`pick ${a}`} checked={picked !== undefined} onChange={() => onCheck(a)} />
      </span>
      <span className="pb-mb-row__addr">{a}</span>
      <span className="pb-muted">{reg.reference}</span>
      <span className={reg.flags.includes('changed') ? 'is-changed' : ''}>{reg.hex}</span>
      <Cell v={readingAt(view, a, 'uint16')} address={a} type="uint16" picked={picked} onPick={onPick} />
      <Cell v={readingAt(view, a, 'int16')} address={a} type="int16" picked={picked} onPick={onPick} />
      <span className="pb-mb-row__ascii">{reg.ascii ?? ''}</span>
      {READING_COLUMNS.map((c) => (
        <Cell key={c.key} v={readingAt(view, a, c.type, c.order)} address={a} type={c.type} order={c.order} picked={picked} onPick={onPick} />
      ))}
    </div>
  );
});

/**
 * The registers of one page: each as hex, uint16, int16 and text, and from each address the 32-bit
 * and 64-bit readings in the four orders. Likely readings are highlighted, plausible ones tinted.
 */
export function WordTable({ view, page, picked, onPick, onCheck }: { view: RegisterView; page: PageWindow; picked: ReadonlyMap<number, string>; onPick: PickReading; onCheck(address: number): void }) {
  const rows = view.registers.slice(0, page.shown);
  return (
    <div className="pb-mb-table" role="table" aria-label="Registers">
      <div className="pb-mb-row pb-mb-row--group" role="row">
        <span className="pb-mb-span7">16 bit</span>
        {WIDE_TYPES.map((t) => (
          <span key={t} className="pb-mb-span4">
            {t}
          </span>
        ))}
      </div>
      <HeadRow className="pb-mb-row pb-mb-row--head" cells={HEAD} />
      <VirtualRows
        className="pb-mb-table__body"
        rows={rows}
        rowHeight={ROW_HEIGHT}
        render={(reg) => <Row key={reg.address} view={view} reg={reg} picked={picked.get(reg.address)} onPick={onPick} onCheck={onCheck} />}
      />
    </div>
  );
}
