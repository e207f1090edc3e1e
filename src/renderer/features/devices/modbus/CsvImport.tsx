import { useRef, useState } from 'react';
import { CSV_COLUMNS, formatCsvProblem, formatScale, formatType, parseRegisterMapCsv, type CsvProblem, type RegisterMapRow } from '../../../../shared/discovery/modbus.ts';
import { VirtualRows } from '../../../lib/VirtualRows.tsx';
import { errorText } from '../../../state/actions.ts';
import { HeadRow } from './HeadRow.tsx';
import { ImportBar } from './ImportBar.tsx';
import { Overlay, OverlayHead } from './Overlay.tsx';
import type { ModbusDevice } from './probe-model.ts';

/** Problems listed in the preview; the rest are counted. */
const PROBLEMS_SHOWN = 50;

/** A register-map CSV from disk, previewed with its problems, then imported as tags. */
export function CsvImport({ device }: { device: ModbusDevice }) {
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<{ name: string; rows: RegisterMapRow[]; problems: CsvProblem[] }>();
  const [error, setError] = useState<string>();
  const close = (): void => setFile(undefined);
  return (
    <>
      <button type="button" className="pb-btn" title="Import a register-map CSV (address, area, type, order, name, unit, scale) as tags, after a preview" onClick={() => input.current?.click()}>
        Import CSV…
      </button>
      <input
        ref={input}
        type="file"
        accept=".csv,text/csv"
        className="pb-mb-file"
        aria-label="register-map CSV file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (!f) return;
          setError(undefined);
          f.text().then(
            (text) => setFile({ name: f.name, ...parseRegisterMapCsv(text) }),
            (err: unknown) => setError(`${f.name}: ${errorText(err)}`),
          );
        }}
      />
      {error && (
        <div className="pb-mb-error" role="alert">
          {error}
        </div>
      )}
      {file && (
        <Overlay label="Register-map CSV" onClose={close} className="pb-mb-csv">
          <OverlayHead title={`Import ${file.name} into ${device.id}`} onClose={close} />
          <p className="pb-muted">
            {file.rows.length} row{file.rows.length === 1 ? '' : 's'} read{file.problems.length ? `, ${file.problems.length} problem${file.problems.length === 1 ? '' : 's'} (those rows are left out)` : ''}.
          </p>
          {file.problems.length > 0 && (
            <ul className="pb-mb-problems" role="alert">
              {file.problems.slice(0, PROBLEMS_SHOWN).map((p) => (
                <li key={`${p.line}:${p.column}:${p.message}`} className="pb-mono">
                  {formatCsvProblem(p, file.name)}
                </li>
              ))}
              {file.problems.length > PROBLEMS_SHOWN && <li className="pb-muted">… {file.problems.length - PROBLEMS_SHOWN} more</li>}
            </ul>
          )}
          <div className="pb-mb-table pb-mb-table--csv" role="table" aria-label="Rows to import">
            <HeadRow className="pb-mb-csvrow pb-mb-row--head" cells={CSV_COLUMNS} />
            <VirtualRows
              className="pb-mb-table__body"
              rows={file.rows}
              rowHeight={21}
              empty={<p className="pb-muted pb-pad">No rows to import.</p>}
              render={(r) => (
                <div key={r.name} className="pb-mb-csvrow" role="row">
                  <span>{r.address}</span>
                  <span>{r.area}</span>
                  <span>{formatType(r)}</span>
                  <span>{r.order}</span>
                  <span>{r.name}</span>
                  <span>{r.unit ?? ''}</span>
                  <span>{formatScale(r.scale)}</span>
                </div>
              )}
            />
          </div>
          <ImportBar device={device} rows={file.rows} />
        </Overlay>
      )}
    </>
  );
}
