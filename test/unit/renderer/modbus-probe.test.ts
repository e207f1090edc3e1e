import { describe, expect, it } from 'vitest';
import {
  areaStatus,
  defaultProbeForm,
  formatReading,
  importSummary,
  newItem,
  pageWindow,
  PAGE_SIZE,
  probeCacheKey,
  probeRequest,
  READING_COLUMNS,
  readingAt,
  selectionRows,
  toggleItem,
  type ModbusDevice,
} from '../../../src/renderer/features/devices/modbus/probe-model.ts';
import { encodeRegisters } from '../../../src/shared/codec/modbus.ts';
import { parseRegisterMapCsv, formatRegisterMapCsv, registerView, toModbusTags, type ModbusAreaProbe } from '../../../src/shared/discovery/modbus.ts';
import { deviceFile } from '../../../src/shared/model/device.ts';

// The pure part of the Modbus probe view: form → request, result wording, register-view lookups,
// and selection → register-map rows (the same rows the CSV and tag import take).

const device = deviceFile.parse({
  apiVersion: 'plantbench/v1',
  kind: 'Device',
  id: 'filler',
  protocol: 'modbus',
  transport: { kind: 'tcp', host: '127.0.0.11', port: 5020 },
  unitId: 3,
  timeoutMs: 500,
}) as ModbusDevice;

describe('probe form', () => {
  it('starts from the device unit and the schema defaults, and builds a valid request', () => {
    const form = defaultProbeForm(device);
    expect(form.units).toBe('3');
    const { request, errors } = probeRequest(device, form);
    expect(errors).toEqual({});
    expect(request).toMatchObject({ target: { transport: device.transport, timeoutMs: 500 }, units: [3], window: { start: 0, end: 65535 } });
  });

  it('takes unit ranges and names the field of each problem', () => {
    const form = defaultProbeForm(device);
    expect(probeRequest(device, { ...form, units: '1-3,7' }).request?.units).toEqual([1, 2, 3, 7]);
    const { request, errors } = probeRequest(device, { ...form, units: '1-300', window: '9-2', budget: 'lots', areas: [] });
    expect(request).toBeUndefined();
    expect(Object.keys(errors).sort()).toEqual(['areas', 'budget', 'units', 'window']);
    expect(errors.window).toMatch(/ends before it starts/);
    // Bounds the schema knows (budget ≤ 1,000,000) come back under their field too.
    expect(probeRequest(device, { ...form, budget: '5000000' }).errors.budget).toBeTruthy();
  });

  it('keys the cache the way the host does', () => {
    expect(probeCacheKey(device.transport)).toBe('127.0.0.11:5020');
    expect(probeCacheKey({ kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 })).toBe('/dev/ttyUSB0');
  });
});

describe('probe results', () => {
  const area = (over: Partial<ModbusAreaProbe>): ModbusAreaProbe => ({ area: 'holding', supported: true, ranges: [[0, 5]], resolution: 1, complete: true, requests: 10, refusals: {}, ...over });
  it('says whether bounds are exact or only within the resolution', () => {
    expect(areaStatus(area({})).kind).toBe('exact');
    expect(areaStatus(area({ resolution: 16 })).label).toBe('exact ≥ 16');
    expect(areaStatus(area({ resolution: 500, complete: false }))).toMatchObject({ kind: 'partial', label: 'within 500' });
    expect(areaStatus(area({ supported: false })).kind).toBe('unsupported');
    expect(areaStatus(area({ error: 'timeout', complete: false })).kind).toBe('error');
  });

  it('pages big ranges and reads a little past a page for the pairs at its end', () => {
    expect(pageWindow([0, 5], 0, false)).toEqual({ start: 0, shown: 5, read: 5, pages: 1 });
    const big: [number, number] = [100, 1000];
    expect(pageWindow(big, 0, false)).toEqual({ start: 100, shown: PAGE_SIZE.registers, read: PAGE_SIZE.registers + 3, pages: 4 });
    const last = pageWindow(big, 3, false);
    expect(last.start + last.shown).toBe(1100);
    expect(last.read).toBe(last.shown);
    expect(pageWindow(big, 99, false)).toEqual(last);
    expect(pageWindow([0, 5000], 1, true)).toMatchObject({ start: PAGE_SIZE.bits, read: PAGE_SIZE.bits });
  });
});

describe('register view lookups', () => {
  // A float32 in CDAB at 0, as the filler simulator serves its level.
  const regs = [...encodeRegisters(251.25, { type: 'float32', order: 'CDAB' }), 0, 7];
  const view = registerView('holding', 0, regs);

  it('finds each column of the view, with the right order flagged likely', () => {
    expect(READING_COLUMNS).toHaveLength(16);
    expect(readingAt(view, 0, 'float32', 'CDAB')).toMatchObject({ value: 251.25, likely: true });
    expect(readingAt(view, 0, 'float32', 'BADC')).toMatchObject({ type: 'float32', order: 'BADC', address: 0 });
    expect(readingAt(view, 3, 'uint16')?.value).toBe(7);
    expect(readingAt(view, 3, 'float32', 'ABCD')).toBeUndefined();
    expect(readingAt(view, 1, 'float64', 'ABCD')).toBeUndefined();
  });

  it('formats readings to fit a cell', () => {
    expect(formatReading(7)).toBe('7');
    expect(formatReading(251.2500061)).toBe('251.25');
    expect(formatReading(1.5e20)).toBe('1.500e+20');
    expect(formatReading(-0.000420532)).toBe('-4.205e-4');
    expect(formatReading('NaN')).toBe('NaN');
  });
});

describe('selection', () => {
  it('keeps one reading per address, toggles it off, and keeps a name across a change of reading', () => {
    let list = toggleItem([], newItem('holding', 4, 'uint16'));
    list = toggleItem(list, newItem('holding', 0, 'float32', 'CDAB'));
    expect(list.map((i) => i.address)).toEqual([0, 4]);
    list = list.map((i) => (i.address === 0 ? { ...i, name: 'probe/level' } : i));
    list = toggleItem(list, newItem('holding', 0, 'float32', 'ABCD'));
    expect(list[0]).toMatchObject({ order: 'ABCD', name: 'probe/level' });
    list = toggleItem(list, newItem('holding', 0, 'float32', 'ABCD'));
    expect(list.map((i) => i.address)).toEqual([4]);
    expect(newItem('coil', 3, 'float32', 'CDAB')).toMatchObject({ type: 'bool', name: 'co3' });
    expect(newItem('holding', 3, 'uint16', 'CDAB').order).toBeUndefined();
  });

  it('becomes register-map rows that round-trip through CSV and become tags', () => {
    const items = [
      { ...newItem('holding', 0, 'float32', 'CDAB'), name: 'probe/level', unit: 'mm' },
      { ...newItem('holding', 2, 'uint32', 'ABCD'), factor: '0.1', offset: '' },
      { ...newItem('input', 9, 'int16'), name: '' },
      { ...newItem('holding', 12, 'uint16'), factor: 'x' },
    ];
    const { rows, problems } = selectionRows(items);
    expect(problems).toHaveLength(2);
    expect(rows).toEqual([
      { address: 0, area: 'holding', type: 'float32', order: 'CDAB', name: 'probe/level', unit: 'mm' },
      { address: 2, area: 'holding', type: 'uint32', order: 'ABCD', name: 'hr2', scale: { factor: 0.1, offset: 0 } },
    ]);
    expect(parseRegisterMapCsv(formatRegisterMapCsv(rows))).toEqual({ rows, problems: [] });
    expect(toModbusTags(rows, { addressBase: 1 })[0]).toMatchObject({ name: 'probe/level', address: 1, type: 'float32', order: 'CDAB', unit: 'mm', writable: false });
  });

  it('sums up an import', () => {
    expect(importSummary({ file: 'devices/filler.yaml', created: false, added: ['probe/level'], replaced: [], skipped: ['level'], unchanged: [] })).toBe(
      'devices/filler.yaml: added 1 (probe/level), skipped 1 (level: a tag of that name exists)',
    );
    expect(importSummary({ file: 'devices/x.yaml', created: true, added: [], replaced: [], skipped: [], unchanged: [] })).toBe('devices/x.yaml (new): nothing to import');
  });
});
