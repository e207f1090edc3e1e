import { useState } from 'react';
import type { ModbusArea } from '../../../../shared/codec/modbus.ts';
import { describeProbeRange, formatRegisterMapCsv, formatUnitList, rangesToRows, type ModbusAreaProbe, type ModbusProbeResult, type ModbusUnitProbe, type ProbeRange } from '../../../../shared/discovery/modbus.ts';
import { downloadText } from '../../../lib/download.ts';
import { AREA_LABEL, areaStatus, rangeText, takenAtText } from './probe-model.ts';

/** Ranges listed per area before "show more": an odd device can have thousands. */
const RANGES_SHOWN = 100;

export interface OpenRange {
  readonly unit: number;
  readonly area: ModbusArea;
  readonly range: ProbeRange;
}

function AreaRanges({ unit, probe, onOpen }: { unit: number; probe: ModbusAreaProbe; onOpen(r: OpenRange): void }) {
  const [limit, setLimit] = useState(RANGES_SHOWN);
  const status = areaStatus(probe);
  const shown = probe.ranges.slice(0, limit);
  return (
    <li className="pb-mb-area" data-area={probe.area}>
      <div className="pb-mb-area__head">
        <span className="pb-mb-area__name">{AREA_LABEL[probe.area]}</span>
        <span className={`pb-mb-badge pb-mb-badge--${status.kind}`} title={status.detail}>
          {status.label}
        </span>
        <span className="pb-muted" title={`${probe.requests} requests; refusals ${JSON.stringify(probe.refusals)}`}>
          {probe.supported ? `${probe.ranges.length} range${probe.ranges.length === 1 ? '' : 's'}` : ''}
        </span>
      </div>
      {status.kind !== 'exact' && <div className="pb-mb-area__detail">{status.detail}</div>}
      {shown.length > 0 && (
        <ul className="pb-mb-ranges">
          {shown.map((r) => (
            <li key={r[0]}>
              <button
                type="button"
                className="pb-mb-range"
                data-start={r[0]}
                title={`Open the register view of ${describeProbeRange(probe.area, r)}`}
                onClick={() => onOpen({ unit, area: probe.area, range: r })}
              >
                <span className="pb-mb-range__span">{rangeText(r)}</span>
                <span className="pb-muted">{r[1]}</span>
                <span className="pb-mb-range__open">view ›</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {probe.ranges.length > limit && (
        <button type="button" className="pb-btn pb-btn--link" onClick={() => setLimit(limit + 500)}>
          {probe.ranges.length - limit} more…
        </button>
      )}
    </li>
  );
}

function UnitResult({ deviceId, unit, onOpen }: { deviceId: string; unit: ModbusUnitProbe; onOpen(r: OpenRange): void }) {
  const rows = unit.areas.flatMap((a) => rangesToRows(a.area, a.ranges));
  const answer = unit.answer === 'exception' ? `answered exception ${unit.exception ?? '?'}` : unit.answer === 'error' ? 'answered garbled data' : 'answered';
  return (
    <li className="pb-mb-unit" data-unit={unit.unit}>
      <div className="pb-mb-unit__head">
        <strong>unit {unit.unit}</strong>
        <span className="pb-muted">{answer}</span>
        <button
          type="button"
          className="pb-btn pb-btn--small"
          disabled={rows.length === 0}
          title="Download every readable address of this unit as a register-map CSV (uint16 / bool rows, to edit in a spreadsheet)"
          onClick={() => downloadText(`${deviceId}-unit${unit.unit}-map.csv`, formatRegisterMapCsv(rows))}
        >
          CSV
        </button>
      </div>
      {unit.error && <div className="pb-mb-error">{unit.error}</div>}
      <ul className="pb-mb-areas">
        {unit.areas.map((a) => (
          <AreaRanges key={a.area} unit={unit.unit} probe={a} onOpen={onOpen} />
        ))}
      </ul>
    </li>
  );
}

/** What a probe found, per unit and area, with how complete it is. */
export function ProbeResults({ deviceId, result, takenAt, cached, onOpen }: { deviceId: string; result: ModbusProbeResult; takenAt: number; cached: boolean; onOpen(r: OpenRange): void }) {
  return (
    <section className="pb-mb-results" aria-label="Probe result" data-testid="modbus-probe-result">
      <div className="pb-mb-results__head">
        <span>
          {cached ? 'last probe' : 'probe'} of {result.endpoint}, taken at {takenAtText(takenAt)}
        </span>
        <span className="pb-muted">
          {result.requests}/{result.budget} requests, {(result.durationMs / 1000).toFixed(1)} s
        </span>
      </div>
      {result.error && (
        <div className="pb-mb-error" role="alert">
          {result.error}
        </div>
      )}
      {result.cancelled && (
        <div className="pb-mb-note pb-mb-note--warn" data-testid="probe-cancelled">
          Probe cancelled: this is what it found until then.
        </div>
      )}
      {result.budgetExhausted && !result.cancelled && <div className="pb-mb-note">The request budget ran out: raise it for a finer result.</div>}
      {!result.error && result.units.length === 0 && <div className="pb-mb-note">No unit answered.</div>}
      <ul className="pb-mb-units">
        {result.units.map((u) => (
          <UnitResult key={u.unit} deviceId={deviceId} unit={u} onOpen={onOpen} />
        ))}
      </ul>
      {result.silent.length > 0 && <div className="pb-mb-note pb-muted">No answer from unit {formatUnitList(result.silent)}.</div>}
      {result.notSwept.length > 0 && <div className="pb-mb-note pb-muted">Not reached: unit {formatUnitList(result.notSwept)}.</div>}
    </section>
  );
}
