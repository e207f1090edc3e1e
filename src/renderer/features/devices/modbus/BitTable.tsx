import type { ModbusArea } from '../../../../shared/codec/modbus.ts';
import { modiconReference } from '../../../../shared/codec/modbus.ts';
import { VirtualRows } from '../../../lib/VirtualRows.tsx';
import { HeadRow } from './HeadRow.tsx';

const ROW_HEIGHT = 21;

/** Coils and discrete inputs: 0/1 per address, changes since the last read marked. */
export function BitTable({ area, start, values, previous, picked, onCheck }: {
  area: ModbusArea;
  start: number;
  values: readonly number[];
  previous?: readonly number[];
  picked: ReadonlySet<number>;
  onCheck(address: number): void;
}) {
  return (
    <div className="pb-mb-table pb-mb-table--bits" role="table" aria-label="Bits">
      <HeadRow className="pb-mb-bit pb-mb-row--head" cells={['', 'addr', 'ref', 'value']} />
      <VirtualRows
        className="pb-mb-table__body"
        rows={values}
        rowHeight={ROW_HEIGHT}
        render={(v, i) => {
          const a = start + i;
          const changed = previous !== undefined && previous[i] !== v;
          return (
            <div key={a} className={`pb-mb-bit${picked.has(a) ? ' is-picked' : ''}`} role="row" data-address={a}>
              <span>
                <input type="checkbox" aria-label={`pick ${a}`} checked={picked.has(a)} onChange={() => onCheck(a)} />
              </span>
              <span className="pb-mb-row__addr">{a}</span>
              <span className="pb-muted">{modiconReference(area, a)}</span>
              <span className={`pb-mb-bit__value${v ? ' is-on' : ''}${changed ? ' is-changed' : ''}`}>{v}</span>
            </div>
          );
        }}
      />
    </div>
  );
}
