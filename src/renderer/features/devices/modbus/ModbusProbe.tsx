import { useEffect, useState } from 'react';
import { modbusProbeResult, type ModbusProbeRequest, type ModbusProbeResult } from '../../../../shared/discovery/modbus.ts';
import { ProgressBar } from '../../../lib/ProgressBar.tsx';
import { useLongCall } from '../../../lib/use-long-call.ts';
import { hostClient } from '../../../state/actions.ts';
import { CsvImport } from './CsvImport.tsx';
import './modbus.css';
import { probeCacheKey, type ModbusDevice, type SelectionItem } from './probe-model.ts';
import { ProbeForm } from './ProbeForm.tsx';
import { ProbeResults, type OpenRange } from './ProbeResults.tsx';
import { RegisterDialog } from './RegisterDialog.tsx';

// The Modbus discovery view of a project device: probe which units and address ranges answer,
// look at a range in every reading (register view), and turn picked registers into tags. The last
// probe is cached by the host, so the view opens with it (also offline).

interface Shown {
  readonly result: ModbusProbeResult;
  readonly takenAt: number;
  readonly cached: boolean;
}

export function ModbusProbe({ device }: { device: ModbusDevice }) {
  const key = probeCacheKey(device.transport);
  const [shown, setShown] = useState<Shown>();
  const [cacheNote, setCacheNote] = useState<string>();
  const [open, setOpen] = useState<OpenRange>();
  /** Picked registers per unit; kept while the register view closes and opens again. */
  const [picks, setPicks] = useState<Readonly<Record<number, SelectionItem[]>>>({});
  const probe = useLongCall<ModbusProbeResult>();

  useEffect(() => {
    let live = true;
    hostClient()
      .call('discovery.last', { kind: 'modbus.probe', target: key })
      .then(
        (hit) => {
          if (!live || !hit) return;
          const parsed = modbusProbeResult.safeParse(hit.result);
          if (parsed.success) setShown((s) => s ?? { result: parsed.data, takenAt: hit.takenAt, cached: true });
        },
        () => live && setCacheNote('The last probe could not be read from the workspace.'),
      );
    return () => {
      live = false;
    };
  }, [key]);

  const run = async (request: ModbusProbeRequest): Promise<void> => {
    const result = await probe.run(({ signal, onProgress }) => hostClient().call('discovery.modbus.probe', request, { signal, onProgress }));
    if (result) setShown({ result, takenAt: Date.now(), cached: false });
  };

  return (
    <div className="pb-mb" data-testid="modbus-probe">
      <ProbeForm device={device} running={probe.running} onRun={(r) => void run(r)} />
      {probe.running && <ProgressBar progress={probe.progress} onCancel={probe.cancel} label="Modbus probe" />}
      {probe.error && (
        <div className="pb-mb-error" role="alert">
          {probe.error}
        </div>
      )}
      {shown ? (
        <ProbeResults deviceId={device.id} result={shown.result} takenAt={shown.takenAt} cached={shown.cached} onOpen={setOpen} />
      ) : (
        !probe.running && <p className="pb-muted pb-mb-note">{cacheNote ?? `No probe of ${key} yet: Probe finds which units and address ranges answer.`}</p>
      )}
      <div className="pb-mb-footer">
        <CsvImport device={device} />
      </div>
      {open && (
        <RegisterDialog
          key={`${open.unit}:${open.area}:${open.range[0]}`}
          device={device}
          open={open}
          items={picks[open.unit] ?? []}
          onItems={(items) => setPicks((p) => ({ ...p, [open.unit]: items }))}
          onClose={() => setOpen(undefined)}
        />
      )}
    </div>
  );
}
