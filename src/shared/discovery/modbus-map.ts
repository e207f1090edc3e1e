import { z } from 'zod';
import { MODBUS_AREAS, MODBUS_ORDERS, MODBUS_TYPES, modbusTag, type ModbusTag } from '../model/device.ts';
import { registerCount, type ModbusArea, type ModbusOrder, type ModbusType } from '../codec/modbus.ts';
import type { ViewValue } from './modbus-view.ts';

// Register maps: what a Modbus device holds where, as rows an engineer keeps in a spreadsheet.
// Pure (no Node). CSV columns:
//
//   address  wire offset, 0-65535 (holding 0 is 400001)
//   area     holding, input, coil, discrete-input (also hr, ir, co, di)
//   type     int16 uint16 int32 uint32 int64 uint64 float32 float64 bool string:<registers> bit:<0-15>
//   order    ABCD (default), CDAB, BADC, DCBA
//   name     the tag name (made a valid tag name on import: other characters become "_")
//   unit     engineering unit, optional
//   scale    raw × factor + offset: "0.1", "0.1+5", "2-40", "1e-3"; empty for none
//
// Fields with a comma, a quote or a line break are double-quoted, with "" for a quote. The header
// row names the columns in any order; address, area, type and name are required. A file whose
// header has semicolons and no commas is read with ";" as the separator (spreadsheets in many
// locales save so).

export const AREA_ALIASES: Readonly<Record<string, ModbusArea>> = {
  holding: 'holding', hr: 'holding', '4': 'holding', '4x': 'holding',
  input: 'input', ir: 'input', '3': 'input', '3x': 'input',
  coil: 'coil', coils: 'coil', co: 'coil', '0': 'coil', '0x': 'coil',
  'discrete-input': 'discrete-input', 'discrete-inputs': 'discrete-input', discrete: 'discrete-input', di: 'discrete-input', '1': 'discrete-input', '1x': 'discrete-input',
};

/** "hr", "holding", "coils"… → the area, or undefined. */
export function parseArea(text: string): ModbusArea | undefined {
  return AREA_ALIASES[text.trim().toLowerCase()];
}

/** hr, ir, co, di: short names for tag names and tables. */
export const AREA_SHORT: Readonly<Record<ModbusArea, string>> = { holding: 'hr', input: 'ir', coil: 'co', 'discrete-input': 'di' };

export const registerMapRow = z
  .object({
    /** Wire offset (0-based). */
    address: z.number().int().min(0).max(65535),
    area: z.enum(MODBUS_AREAS),
    type: z.enum(MODBUS_TYPES),
    order: z.enum(MODBUS_ORDERS).default('ABCD'),
    bit: z.number().int().min(0).max(15).optional(),
    length: z.number().int().min(1).max(125).optional(),
    name: z.string().min(1),
    unit: z.string().optional(),
    scale: z.object({ factor: z.number(), offset: z.number() }).strict().optional(),
  })
  .strict();
export type RegisterMapRow = z.infer<typeof registerMapRow>;

export const CSV_COLUMNS = ['address', 'area', 'type', 'order', 'name', 'unit', 'scale'] as const;
type Column = (typeof CSV_COLUMNS)[number];
const REQUIRED: readonly Column[] = ['address', 'area', 'type', 'name'];

export interface CsvProblem {
  /** 1-based line of the file. */
  readonly line: number;
  /** 1-based character column where the field starts. */
  readonly column: number;
  /** The column's name, when the problem is in a known column. */
  readonly field?: string;
  readonly message: string;
}

/** "map.csv:3:9 (area): ..." */
export function formatCsvProblem(p: CsvProblem, file = 'csv'): string {
  return `${file}:${p.line}:${p.column}${p.field ? ` (${p.field})` : ''}: ${p.message}`;
}

// ---------- format ----------

function csvField(text: string, separator: string): string {
  return text.includes(separator) || /["\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatType(row: Pick<RegisterMapRow, 'type' | 'bit' | 'length'>): string {
  if (row.type === 'bit') return `bit:${row.bit ?? 0}`;
  if (row.type === 'string') return `string:${row.length ?? 1}`;
  return row.type;
}

export function formatScale(scale: RegisterMapRow['scale']): string {
  if (!scale) return '';
  if (scale.offset === 0) return String(scale.factor);
  return `${scale.factor}${scale.offset < 0 ? '' : '+'}${scale.offset}`;
}

/** The rows as CSV text with a header row and a final newline. */
export function formatRegisterMapCsv(rows: readonly RegisterMapRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    const cells = [String(r.address), r.area, formatType(r), r.order ?? 'ABCD', r.name, r.unit ?? '', formatScale(r.scale)];
    lines.push(cells.map((c) => csvField(c, ',')).join(','));
  }
  return `${lines.join('\n')}\n`;
}

// ---------- parse ----------

interface Field {
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/** Splits CSV text into records of fields with their positions; quoted fields may span lines. */
function tokenize(text: string, separator: string, problems: CsvProblem[]): Field[][] {
  const records: Field[][] = [];
  let record: Field[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const n = text.length;
  const newline = (): void => {
    line++;
    col = 1;
  };
  while (i <= n) {
    // At the start of a field.
    const startLine = line;
    const startCol = col;
    let value = '';
    while (i < n && (text[i] === ' ' || text[i] === '\t')) {
      value += text[i];
      i++;
      col++;
    }
    if (text[i] === '"') {
      i++;
      col++;
      value = '';
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        if (c === '"' && text[i + 1] === '"') {
          value += '"';
          i += 2;
          col += 2;
        } else if (c === '"') {
          i++;
          col++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
          if (c === '\n') newline();
          else col++;
        }
      }
      if (!closed) {
        problems.push({ line: startLine, column: startCol, message: 'the quoted field is not closed (a " is missing)' });
        records.push([...record, { text: value, line: startLine, column: startCol }]);
        return records;
      }
      while (i < n && (text[i] === ' ' || text[i] === '\t')) {
        i++;
        col++;
      }
      if (i < n && text[i] !== separator && text[i] !== '\n' && text[i] !== '\r') {
        problems.push({ line, column: col, message: `unexpected text after a quoted field: put the whole field in quotes, or separate it with "${separator}"` });
        while (i < n && text[i] !== separator && text[i] !== '\n') {
          i++;
          col++;
        }
      }
    } else {
      while (i < n && text[i] !== separator && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] === '"') problems.push({ line, column: col, message: 'a quote inside an unquoted field: quote the whole field and double the quote ("")' });
        value += text[i];
        i++;
        col++;
      }
      value = value.trim();
    }
    record.push({ text: value, line: startLine, column: startCol });
    if (i < n && text[i] === separator) {
      i++;
      col++;
      continue;
    }
    // End of record: \r\n, \n or end of text.
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    records.push(record);
    record = [];
    newline();
    if (i >= n) break;
  }
  return records;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i;

function parseScale(text: string): { factor: number; offset: number } | undefined {
  const t = text.replace(/\s+/g, '');
  const f = NUMBER.exec(t);
  if (!f) return undefined;
  const rest = t.slice(f[0].length);
  if (rest === '') return { factor: Number(f[0]), offset: 0 };
  const o = /^[-+]/.test(rest) ? NUMBER.exec(rest) : null;
  if (!o || o[0].length !== rest.length) return undefined;
  return { factor: Number(f[0]), offset: Number(o[0]) };
}

function parseType(text: string): { type: ModbusType; bit?: number; length?: number } | string {
  const m = /^([a-z0-9]+)(?::(\d+))?$/i.exec(text.trim());
  const type = m?.[1]!.toLowerCase() as ModbusType | undefined;
  if (!m || !type || !(MODBUS_TYPES as readonly string[]).includes(type)) {
    return `"${text}" is not a type (${MODBUS_TYPES.filter((t) => t !== 'bit' && t !== 'string').join(', ')}, bit:<0-15>, string:<registers>)`;
  }
  const arg = m[2] === undefined ? undefined : Number(m[2]);
  if (type === 'bit') {
    if (arg === undefined || arg > 15) return `type bit needs its bit number 0-15, as bit:3`;
    return { type, bit: arg };
  }
  if (type === 'string') {
    if (arg === undefined || arg < 1 || arg > 125) return `type string needs its length in registers 1-125, as string:10`;
    return { type, length: arg };
  }
  if (arg !== undefined) return `type ${type} takes no ":${arg}"`;
  return { type };
}

/**
 * Parses a register map. Every problem is reported with its line and column (and the rows that
 * parsed are returned too), so a file with one typo still shows what else is wrong.
 */
export function parseRegisterMapCsv(text: string): { rows: RegisterMapRow[]; problems: CsvProblem[] } {
  const problems: CsvProblem[] = [];
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const separator = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const records = tokenize(body, separator, problems).filter((r) => r.some((f) => f.text !== ''));
  const header = records.shift();
  if (!header) return { rows: [], problems: [...problems, { line: 1, column: 1, message: `empty file: the first row must name the columns (${CSV_COLUMNS.join(', ')})` }] };

  const columns: (Column | undefined)[] = [];
  for (const f of header) {
    const name = f.text.toLowerCase() as Column;
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      problems.push({ line: f.line, column: f.column, message: `unknown column "${f.text}" (columns: ${CSV_COLUMNS.join(', ')})` });
      columns.push(undefined);
    } else if (columns.includes(name)) {
      problems.push({ line: f.line, column: f.column, message: `column "${name}" appears twice` });
      columns.push(undefined);
    } else columns.push(name);
  }
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length) {
    problems.push({ line: header[0]!.line, column: 1, message: `the header lacks column(s) ${missing.join(', ')} (columns: ${CSV_COLUMNS.join(', ')})` });
    return { rows: [], problems };
  }

  const rows: RegisterMapRow[] = [];
  const names = new Map<string, number>();
  for (const record of records) {
    const line = record[0]!.line;
    if (record.length > header.length) {
      const extra = record[header.length]!;
      problems.push({ line: extra.line, column: extra.column, message: `${record.length} fields, but the header has ${header.length} columns` });
      continue;
    }
    const get = (c: Column): Field | undefined => {
      const i = columns.indexOf(c);
      return i < 0 ? undefined : record[i];
    };
    const fail = (c: Column, message: string): void => {
      const f = get(c);
      problems.push({ line: f?.line ?? line, column: f?.column ?? 1, field: c, message });
    };
    const before = problems.length;

    const addressText = get('address')?.text ?? '';
    const address = /^\d+$/.test(addressText) ? Number(addressText) : NaN;
    if (!(address >= 0 && address <= 65535)) fail('address', `"${addressText}" is not a wire offset 0-65535`);
    const areaText = get('area')?.text ?? '';
    const area = parseArea(areaText);
    if (!area) fail('area', `"${areaText}" is not an area (holding, input, coil, discrete-input; or hr, ir, co, di)`);
    const type = parseType(get('type')?.text ?? '');
    if (typeof type === 'string') fail('type', type);
    else if (area && (area === 'coil' || area === 'discrete-input') && type.type !== 'bool') fail('type', `a ${area} holds one bit: the type must be bool, not ${type.type}`);
    const orderText = (get('order')?.text ?? '').toUpperCase();
    const order = (orderText === '' ? 'ABCD' : orderText) as ModbusOrder;
    if (!(MODBUS_ORDERS as readonly string[]).includes(order)) fail('order', `"${get('order')?.text}" is not an order (${MODBUS_ORDERS.join(', ')})`);
    const name = get('name')?.text ?? '';
    if (name === '') fail('name', 'the name is empty');
    else if (names.has(name)) fail('name', `the name "${name}" is already used on line ${names.get(name)}`);
    else names.set(name, line);
    const unit = get('unit')?.text || undefined;
    const scaleText = get('scale')?.text ?? '';
    const scale = scaleText === '' ? undefined : parseScale(scaleText);
    if (scaleText !== '' && !scale) fail('scale', `"${scaleText}" is not a scale: give a factor (0.1) or factor and offset (0.1+5, 2-40)`);
    if (typeof type !== 'string' && address <= 65535 && address + registerCount(type) > 65536) {
      fail('address', `a ${type.type} at ${address} runs past 65535`);
    }
    if (problems.length > before || typeof type === 'string' || !area) continue;
    rows.push({ address, area, ...type, order, name, ...(unit ? { unit } : {}), ...(scale ? { scale } : {}) });
  }
  return { rows, problems };
}

// ---------- rows from discovery, rows to tags ----------

/** Rows for readings of a register view (a guess or the readings an engineer picked), named hr100, ir7… */
export function readingsToRows(area: 'holding' | 'input', readings: readonly Pick<ViewValue, 'address' | 'type' | 'order'>[]): RegisterMapRow[] {
  return readings.map((r) => ({ address: r.address, area, type: r.type, order: r.order ?? 'ABCD', name: `${AREA_SHORT[area]}${r.address}` }));
}

/** One row per register (uint16) or bit (bool) of readable ranges [start, count]. */
export function rangesToRows(area: ModbusArea, ranges: readonly (readonly [number, number])[]): RegisterMapRow[] {
  const type = area === 'coil' || area === 'discrete-input' ? 'bool' : 'uint16';
  return ranges.flatMap(([start, count]) =>
    Array.from({ length: count }, (_, i) => ({ address: start + i, area, type, order: 'ABCD' as const, name: `${AREA_SHORT[area]}${start + i}` })),
  );
}

/** A valid tag name: letters, digits, "_", "-", ".", "/"; anything else becomes "_". */
export function tagNameOf(name: string): string {
  const cleaned = name.trim().replace(/[^A-Za-z0-9_./-]/g, '_');
  return /^[A-Za-z0-9_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/**
 * Device tags for register-map rows, for a device whose addresses are in `addressBase` (0: wire
 * offsets; 1: offset + 1). Names are made valid tag names and unique (a second "level" becomes
 * "level_2"). Tags are read-only unless `writable` (then only holding registers and coils).
 */
export function toModbusTags(rows: readonly RegisterMapRow[], options: { addressBase?: 0 | 1; writable?: boolean } = {}): ModbusTag[] {
  const base = options.addressBase ?? 0;
  const used = new Set<string>();
  return rows.map((r) => {
    let name = tagNameOf(r.name);
    for (let k = 2; used.has(name); k++) name = `${tagNameOf(r.name)}_${k}`;
    used.add(name);
    return modbusTag.parse({
      name,
      area: r.area,
      address: r.address + base,
      type: r.type,
      order: r.order,
      ...(r.bit !== undefined ? { bit: r.bit } : {}),
      ...(r.length !== undefined ? { length: r.length } : {}),
      ...(r.scale ? { scale: r.scale } : {}),
      ...(r.unit ? { unit: r.unit } : {}),
      writable: Boolean(options.writable) && (r.area === 'holding' || r.area === 'coil'),
    });
  });
}

