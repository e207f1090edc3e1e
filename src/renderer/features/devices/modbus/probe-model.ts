import type { ModbusArea, ModbusOrder } from '../../../../shared/codec/modbus.ts';
import {
  AREA_SHORT,
  modbusProbeRequest,
  parseAddressWindow,
  parseUnitList,
  PROBE_AREAS,
  VIEW_ORDERS,
  type ModbusAreaProbe,
  type ModbusProbeRequest,
  type RegisterMapRow,
  type RegisterView,
  type ViewType,
  type ViewValue,
} from '../../../../shared/discovery/modbus.ts';
import type { DeviceFile } from '../../../../shared/model/device.ts';
import type { Methods } from '../../../../shared/rpc/contract.ts';
import type { ResponseOf } from '../../../../shared/rpc/define.ts';

// The pure part of the Modbus probe view: the form → request, how results and readings read, the
// register view's columns, the selection → register-map rows. The components only render these.

export type ModbusDevice = Extract<DeviceFile, { protocol: 'modbus' }>;

export { probeCacheKey } from '../../../../shared/discovery/modbus.ts';

export const AREA_LABEL: Readonly<Record<ModbusArea, string>> = {
  holding: 'holding registers',
  input: 'input registers',
  coil: 'coils',
  'discrete-input': 'discrete inputs',
};

// ---------- the probe form ----------

export interface ProbeForm {
  readonly units: string;
  readonly areas: readonly ModbusArea[];
  readonly window: string;
  readonly budget: string;
  readonly resolution: string;
}
export type ProbeFormErrors = Partial<Record<keyof ProbeForm, string>>;

export function defaultProbeForm(device: ModbusDevice): ProbeForm {
  const d = modbusProbeRequest.parse({ target: { transport: device.transport } });
  return { units: String(device.unitId), areas: [...PROBE_AREAS], window: `${d.window.start}-${d.window.end}`, budget: String(d.budget), resolution: String(d.resolution) };
}

/** The device's transport and answer timeout, as discovery calls take them. */
export function targetOf(device: ModbusDevice): ModbusProbeRequest['target'] {
  return { transport: device.transport, timeoutMs: Math.min(60_000, Math.max(10, device.timeoutMs)) };
}

/** The probe request of a filled-in form, or the problems by field. Bounds come from the request schema. */
export function probeRequest(device: ModbusDevice, form: ProbeForm): { request?: ModbusProbeRequest; errors: ProbeFormErrors } {
  const errors: ProbeFormErrors = {};
  const attempt = <T,>(field: keyof ProbeForm, f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      errors[field] = (err as Error).message;
      return undefined;
    }
  };
  const integer = (text: string): number => {
    if (!/^\s*\d+\s*$/.test(text)) throw new Error(`"${text}" is not a whole number`);
    return Number(text);
  };
  const units = attempt('units', () => parseUnitList(form.units));
  const window = attempt('window', () => parseAddressWindow(form.window));
  const budget = attempt('budget', () => integer(form.budget));
  const resolution = attempt('resolution', () => integer(form.resolution));
  if (form.areas.length === 0) errors.areas = 'choose at least one area';
  if (Object.keys(errors).length) return { errors };
  const request = { target: targetOf(device), units: units!, areas: [...form.areas], window: window!, budget: budget!, resolution: resolution! };
  const parsed = modbusProbeRequest.safeParse(request);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as keyof ProbeForm | 'target';
      if (field === 'target') errors.units = `device ${device.id}: ${issue.path.join('.')}: ${issue.message}`;
      else errors[field] ??= issue.message;
    }
    return { errors };
  }
  return { request, errors };
}

// ---------- results ----------

export interface AreaStatus {
  readonly kind: 'exact' | 'partial' | 'unsupported' | 'error';
  /** Short, for the badge. */
  readonly label: string;
  /** What it means, for the tooltip and the line under the area. */
  readonly detail: string;
}

/** Whether an area's ranges are exact or only known down to the probe's resolution. */
export function areaStatus(a: ModbusAreaProbe): AreaStatus {
  if (!a.supported) return { kind: 'unsupported', label: 'not supported', detail: 'the unit answered exception 01 (illegal function) for this area' };
  if (a.error) return { kind: 'error', label: 'stopped', detail: `probing stopped: ${a.error}` };
  if (a.complete) {
    return a.resolution === 1
      ? { kind: 'exact', label: 'exact', detail: 'every address was tried: these are all the readable ranges, with exact bounds' }
      : { kind: 'exact', label: `exact ≥ ${a.resolution}`, detail: `every readable range of at least ${a.resolution} addresses was found, with exact bounds; shorter ones may be missing` };
  }
  return {
    kind: 'partial',
    label: `within ${a.resolution}`,
    detail: `the probe stopped at a resolution of ${a.resolution} addresses: ranges shorter than that may be missing, and a range the probe was still growing may be longer`,
  };
}

/** "0–4" or "7". */
export function rangeText([start, count]: readonly [number, number]): string {
  return count === 1 ? String(start) : `${start}–${start + count - 1}`;
}

/** A time the result was taken, with the date when it is not today. */
export function takenAtText(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const time = d.toLocaleTimeString(undefined, { hour12: false });
  return new Date(now).toDateString() === d.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

// ---------- the register view ----------

export const PAGE_SIZE = { registers: 250, bits: 2000 } as const;
/** Registers read past a page's end so pairs and quads at its last addresses have their neighbours. */
const LOOKAHEAD = 3;

export interface PageWindow {
  /** First address of the page and how many rows it shows. */
  readonly start: number;
  readonly shown: number;
  /** How many addresses to read from `start` (shown plus look-ahead within the range). */
  readonly read: number;
  readonly pages: number;
}

export function pageWindow(range: readonly [number, number], page: number, bits: boolean): PageWindow {
  const [start, count] = range;
  const size = bits ? PAGE_SIZE.bits : PAGE_SIZE.registers;
  const pages = Math.max(1, Math.ceil(count / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  const first = start + p * size;
  const left = start + count - first;
  const shown = Math.min(size, left);
  return { start: first, shown, read: bits ? shown : Math.min(shown + LOOKAHEAD, left), pages };
}

/** One column of the register view's wide readings. */
export interface ReadingColumn {
  readonly type: ViewType;
  readonly order?: ModbusOrder;
  /** "float32 CDAB". */
  readonly key: string;
}

export const WORD_TYPES: readonly ViewType[] = ['uint16', 'int16'];
export const WIDE_TYPES: readonly ViewType[] = ['float32', 'int32', 'uint32', 'float64'];
export const VIEW_TYPES: readonly ViewType[] = [...WORD_TYPES, ...WIDE_TYPES];

/** float32, int32, uint32 and float64, each in the four orders: the columns right of the 16-bit ones. */
export const READING_COLUMNS: readonly ReadingColumn[] = WIDE_TYPES.flatMap((type) => VIEW_ORDERS.map((order) => ({ type, order, key: `${type} ${order}` })));

export const readingKey = (type: ViewType, order?: ModbusOrder): string => (order && !WORD_TYPES.includes(type) ? `${type} ${order}` : type);

/** The reading of `type`/`order` at `address` in a view, if the view reaches that far. */
export function readingAt(view: RegisterView, address: number, type: ViewType, order?: ModbusOrder): ViewValue | undefined {
  const i = address - view.start;
  const r = view.registers[i];
  if (!r) return undefined;
  if (type === 'uint16' || type === 'int16') {
    const counting = r.flags.includes('counting');
    return { address, type, value: r[type], flags: r.flags, likely: counting };
  }
  const list = type === 'float64' ? view.quads[i]?.values : view.pairs[i]?.values;
  return list?.find((v) => v.type === type && v.order === order);
}

/** A reading as it fits a table cell (10 characters): 32-bit integers whole, floats to 7 significant digits or in exponent form. */
export function formatReading(v: number | string): string {
  if (typeof v === 'string' || v === 0) return String(v);
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e10) return String(v);
  const plain = String(Number(v.toPrecision(7)));
  return a >= 1e7 || a < 1e-4 || plain.length > 10 ? v.toExponential(3) : plain;
}

// ---------- selection → register-map rows ----------

export interface SelectionItem {
  readonly area: ModbusArea;
  readonly address: number;
  /** A view type for registers, bool for bits. */
  readonly type: ViewType | 'bool';
  readonly order?: ModbusOrder;
  readonly name: string;
  readonly unit: string;
  /** raw × factor + offset; empty strings for none. */
  readonly factor: string;
  readonly offset: string;
}

export const itemKey = (i: Pick<SelectionItem, 'area' | 'address'>): string => `${i.area}:${i.address}`;

/** A new selection item for an address, named as readingsToRows names them (hr100, co7…). */
export function newItem(area: ModbusArea, address: number, type: SelectionItem['type'], order?: ModbusOrder): SelectionItem {
  const bits = area === 'coil' || area === 'discrete-input';
  return { area, address, type: bits ? 'bool' : type, ...(bits || WORD_TYPES.includes(type as ViewType) ? {} : { order: order ?? 'ABCD' }), name: `${AREA_SHORT[area]}${address}`, unit: '', factor: '', offset: '' };
}

/**
 * Adds an item, or replaces the one at the same address; one reading per address is picked (the
 * one clicked last). The list stays sorted by address.
 */
export function toggleItem(list: readonly SelectionItem[], item: SelectionItem): SelectionItem[] {
  const old = list.find((i) => itemKey(i) === itemKey(item));
  const rest = list.filter((i) => itemKey(i) !== itemKey(item));
  if (old && old.type === item.type && old.order === item.order) return rest;
  const kept = old ? { ...item, name: old.name, unit: old.unit, factor: old.factor, offset: old.offset } : item;
  return [...rest, kept].sort((a, b) => a.area.localeCompare(b.area) || a.address - b.address);
}

/** Rows for tags or CSV, or the problems by item (1-based position) when a scale is not a number. */
export function selectionRows(items: readonly SelectionItem[]): { rows: RegisterMapRow[]; problems: string[] } {
  const rows: RegisterMapRow[] = [];
  const problems: string[] = [];
  const num = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text));
  items.forEach((it, k) => {
    const factor = num(it.factor);
    const offset = num(it.offset);
    const bad = [factor, offset].some((v) => v !== undefined && !Number.isFinite(v));
    const name = it.name.trim();
    if (bad) problems.push(`${name || `row ${k + 1}`}: the scale factor and offset must be numbers`);
    if (name === '') problems.push(`row ${k + 1} (address ${it.address}): the name is empty`);
    if (bad || name === '') return;
    const scaled = factor !== undefined || offset !== undefined;
    rows.push({
      address: it.address,
      area: it.area,
      type: it.type,
      order: it.order ?? 'ABCD',
      name,
      ...(it.unit.trim() ? { unit: it.unit.trim() } : {}),
      ...(scaled ? { scale: { factor: factor ?? 1, offset: offset ?? 0 } } : {}),
    });
  });
  return { rows, problems };
}

export type ImportResult = ResponseOf<Methods, 'discovery.import'>;

/** "devices/filler.yaml: added 2 (a, b), skipped 1 (c: already there)". */
export function importSummary(r: ImportResult): string {
  const names = (list: readonly string[]): string => (list.length > 5 ? `${list.slice(0, 5).join(', ')}, …` : list.join(', '));
  const parts = [
    r.added.length && `added ${r.added.length} (${names(r.added)})`,
    r.replaced.length && `replaced ${r.replaced.length} (${names(r.replaced)})`,
    r.skipped.length && `skipped ${r.skipped.length} (${names(r.skipped)}: a tag of that name exists)`,
    r.unchanged.length && `unchanged ${r.unchanged.length} (${names(r.unchanged)})`,
  ].filter(Boolean);
  return `${r.file}${r.created ? ' (new)' : ''}: ${parts.length ? parts.join(', ') : 'nothing to import'}`;
}
