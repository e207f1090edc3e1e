import { useState } from 'react';
import type { ModbusArea } from '../../../../shared/codec/modbus.ts';
import { PROBE_AREAS, type ModbusProbeRequest } from '../../../../shared/discovery/modbus.ts';
import { FormRow } from '../../../lib/FormRow.tsx';
import { AREA_LABEL, defaultProbeForm, probeRequest, type ModbusDevice, type ProbeForm as Form, type ProbeFormErrors } from './probe-model.ts';

const AREA_CHECK: Readonly<Record<ModbusArea, string>> = { holding: 'holding', input: 'input', coil: 'coils', 'discrete-input': 'discrete' };

/** What to probe: units, areas, address window, request budget and resolution. */
export function ProbeForm({ device, running, onRun }: { device: ModbusDevice; running: boolean; onRun(request: ModbusProbeRequest): void }) {
  const [form, setForm] = useState<Form>(() => defaultProbeForm(device));
  const [errors, setErrors] = useState<ProbeFormErrors>({});
  const id = (field: string): string => `pb-mb-${device.id}-${field}`;
  const set = (patch: Partial<Form>): void => {
    setForm({ ...form, ...patch });
    setErrors({});
  };
  const text = (field: 'units' | 'window' | 'budget' | 'resolution', label: string, title: string) => (
    <FormRow label={label} htmlFor={id(field)} title={title} error={errors[field]} field={field}>
      <input id={id(field)} className="pb-input pb-input--mono" value={form[field]} spellCheck={false} onChange={(e) => set({ [field]: e.target.value })} />
    </FormRow>
  );
  const submit = (): void => {
    const { request, errors: found } = probeRequest(device, form);
    setErrors(found);
    if (request) onRun(request);
  };
  return (
    <form
      className="pb-mb-form"
      aria-label="Probe"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {text('units', 'units', 'Unit ids to sweep: 1, 1-247, 1,3,10-12')}
      <FormRow label="areas" error={errors.areas} field="areas">
        <div className="pb-checks">
          {PROBE_AREAS.map((a) => (
            <label key={a} className="pb-check" title={AREA_LABEL[a]}>
              <input
                type="checkbox"
                checked={form.areas.includes(a)}
                onChange={(e) => set({ areas: PROBE_AREAS.filter((x) => (x === a ? e.target.checked : form.areas.includes(x))) })}
              />
              {AREA_CHECK[a]}
            </label>
          ))}
        </div>
      </FormRow>
      {text('window', 'addresses', 'Wire offsets to probe, both ends included: 0-65535, 0-999')}
      {text('budget', 'budget', 'Most requests the whole probe may send, unit sweep included')}
      {text('resolution', 'resolution', 'Stop refining once every readable range of at least this many addresses is sure to be found (1: try every address)')}
      <div className="pb-mb-form__buttons">
        <button type="submit" className="pb-btn pb-btn--primary" disabled={running}>
          Probe
        </button>
        <button type="button" className="pb-btn pb-btn--link" onClick={() => set(defaultProbeForm(device))}>
          defaults
        </button>
      </div>
    </form>
  );
}
