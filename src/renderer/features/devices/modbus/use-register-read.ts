import { useCallback, useEffect, useRef, useState } from 'react';
import type { ModbusArea } from '../../../../shared/codec/modbus.ts';
import type { ModbusReadResult } from '../../../../shared/discovery/modbus.ts';
import { errorText, hostClient } from '../../../state/actions.ts';
import { targetOf, type ModbusDevice } from './probe-model.ts';

export interface RegisterRead {
  readonly read?: ModbusReadResult;
  /** The same addresses read the time before, so the view can tell stable, counting and drifting values. */
  readonly previous?: readonly number[];
  readonly error?: string;
  readonly loading: boolean;
  refresh(): void;
}

/** Auto-refresh period: fast enough to see counters move, slow enough for a serial line. */
export const AUTO_REFRESH_MS = 1000;

/**
 * Reads `count` addresses of one unit and area from `start`, again on refresh() and every second
 * while `auto`. A read still under way is not started twice; a page change cancels the old read.
 */
export function useRegisterRead(device: ModbusDevice, unit: number, area: ModbusArea, start: number, count: number, auto: boolean): RegisterRead {
  const target = JSON.stringify(targetOf(device));
  const key = `${target} ${unit} ${area} ${start} ${count}`;
  const [state, setState] = useState<Omit<RegisterRead, 'refresh'> & { key: string }>({ key, loading: false });
  const inflight = useRef<{ key: string; controller: AbortController } | undefined>(undefined);

  const refresh = useCallback(() => {
    if (inflight.current?.key === key) return;
    inflight.current?.controller.abort();
    const mine = { key, controller: new AbortController() };
    inflight.current = mine;
    setState((s) => (s.key === key ? { ...s, loading: true } : { key, loading: true }));
    hostClient()
      .call('discovery.modbus.read', { target: JSON.parse(target), unit, area, start, count }, { signal: mine.controller.signal })
      .then(
        (read) =>
          setState((s) => {
            if (s.key !== key || mine.controller.signal.aborted) return s;
            const before = s.read?.values;
            const previous = before && before.length === read.values.length ? before : undefined;
            return { key, read, loading: false, ...(previous ? { previous } : {}), ...(read.error ? { error: read.error } : {}) };
          }),
        (err: unknown) => {
          if (!mine.controller.signal.aborted) setState((s) => (s.key === key ? { ...s, loading: false, error: errorText(err) } : s));
        },
      )
      .finally(() => {
        if (inflight.current === mine) inflight.current = undefined;
      });
  }, [key, target, unit, area, start, count]);

  useEffect(() => {
    refresh();
  }, [refresh]);
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(refresh, AUTO_REFRESH_MS);
    return () => clearInterval(timer);
  }, [auto, refresh]);
  useEffect(
    () => () => {
      inflight.current?.controller.abort();
      inflight.current = undefined;
    },
    [],
  );

  const current = state.key === key ? state : { loading: true };
  return { ...current, refresh };
}
