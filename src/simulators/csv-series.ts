// Reads one column of a CSV file into the CsvSeries a csv signal replays (src/shared/signals.ts).
// Enough CSV for recorded process data: a header row, comma-separated fields, double-quoted fields
// with "" for a quote, blank lines skipped. Numbers become numbers, true/false booleans, the rest text.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { CsvSeries, SignalShape, SignalValue } from '../shared/signals.ts';

export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  fields.push(quoted ? field : field.trim());
  return fields;
}

function toValue(text: string): SignalValue {
  if (text !== '' && Number.isFinite(Number(text))) return Number(text);
  if (text.toLowerCase() === 'true') return true;
  if (text.toLowerCase() === 'false') return false;
  return text;
}

/** Parses CSV text into the series of one column; `where` names the file in messages. */
export function csvSeries(text: string, shape: Extract<SignalShape, { kind: 'csv' }>, where: string): CsvSeries {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${where} is empty`);
  const header = parseCsvLine(lines[0]!.replace(/^\uFEFF/, ''));
  const column = header.indexOf(shape.column);
  if (column < 0) throw new Error(`${where} has no column "${shape.column}" (columns: ${header.join(', ')})`);
  const timeColumn = shape.timeColumn === undefined ? -1 : header.indexOf(shape.timeColumn);
  if (shape.timeColumn !== undefined && timeColumn < 0) {
    throw new Error(`${where} has no time column "${shape.timeColumn}" (columns: ${header.join(', ')})`);
  }
  const times: number[] = [];
  const values: SignalValue[] = [];
  for (let row = 1; row < lines.length; row++) {
    const fields = parseCsvLine(lines[row]!);
    const raw = fields[column];
    if (raw === undefined || raw === '') continue;
    let time = (row - 1) * shape.intervalMs;
    if (timeColumn >= 0) {
      time = Number(fields[timeColumn]);
      if (!Number.isFinite(time)) throw new Error(`${where} line ${row + 1}: time "${fields[timeColumn] ?? ''}" is not a number of milliseconds`);
      if (times.length > 0 && time < times[times.length - 1]!) throw new Error(`${where} line ${row + 1}: time goes backwards`);
    }
    times.push(time);
    values.push(toValue(raw));
  }
  if (values.length === 0) throw new Error(`${where} has no values in column "${shape.column}"`);
  return { times, values };
}

/** Reads the file of a csv signal, relative to `baseDir`. */
export async function readCsvSeries(shape: Extract<SignalShape, { kind: 'csv' }>, baseDir: string): Promise<CsvSeries> {
  const path = isAbsolute(shape.file) ? shape.file : resolve(baseDir, shape.file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`csv signal: cannot read ${shape.file}: ${(err as Error).message}`);
  }
  return csvSeries(text, shape, shape.file);
}
