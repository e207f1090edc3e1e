// `plantbench discover modbus <host[:port]|serial-port>`: sweep the unit ids, probe the readable
// register ranges of each unit that answers, show a register view of one range, export or import a
// register map as CSV, import tags into a project device, and snapshot what was found as a
// simulator profile. The services are in src/connectors/modbus/discovery.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probeModbus, readModbusMap, readRegisters, withSession } from '../../../connectors/modbus/discovery/probe.ts';
import { isBitArea, modiconReference, type ModbusArea } from '../../../shared/codec/modbus.ts';
import {
  AREA_SHORT,
  describeProbeRange,
  describeReading,
  formatCsvProblem,
  formatRegisterMapCsv,
  formatType,
  formatUnitList,
  guessReadings,
  modbusProbeRequest,
  modbusTarget,
  parseAddressWindow,
  parseArea,
  parseAreaList,
  parseRegisterMapCsv,
  parseUnitList,
  rangesToRows,
  readingsToRows,
  registerView,
  snapshotProfile,
  toModbusTags,
  type ModbusMapValue,
  type ModbusProbeResult,
  type ModbusReadResult,
  type ModbusTarget,
  type RegisterMapRow,
  type RegisterView,
} from '../../../shared/discovery/modbus.ts';
import { id as idSchema } from '../../../shared/model/common.ts';
import type { ImportTagsResult } from '../../../store/project-writes.ts';
import { paint, printJson, UsageError } from '../../output.ts';
import { cancelOnSigint, parseDuration, progressBar } from '../../progress.ts';

export const DISCOVER_MODBUS_HELP = `Usage: plantbench discover modbus <host[:port]|serial-port> [options]

Sweeps the unit ids, then finds the readable address ranges of each unit that answers: single
addresses are sampled coarse to fine, each hit grows into its range with 125-register (2000-bit)
reads, and exception 02 at the range's end is bisected to the exact boundary. Ranges show both the
wire offset and the Modicon reference (holding 0 = 400001). Ctrl-C stops and shows what was found.

Target:
  host[:port]             Modbus TCP (port 502 unless given; [::1]:502 for IPv6)
  /dev/ttyUSB0, COM3      Modbus RTU with --baud (9600), --parity (even), --data-bits (8), --stop-bits (1)

Probe:
  --units LIST            Unit ids to sweep: 1-247 (default), 1,3,10-12
  --areas LIST            hr,ir,co,di (default: all four; also holding, input, coil, discrete-input)
  --range A-B             Wire offsets to probe (default 0-65535)
  --resolution N          Stop once every readable range of at least N addresses is sure to be found
                          (default 1: every address, as far as the budget goes)
  --budget N              Most requests in all, sweep included (default 5000)
  --timeout TIME          Answer timeout per read (default 1000 ms)
  --sweep-timeout TIME    Answer timeout per unit in the sweep (default 250 ms)

Register view (no sweep, no probe):
  --view AREA:START:COUNT Read a range twice and show every register as uint16/int16/hex and every
                          pair and quad as int32/uint32/float32/float64 in ABCD, CDAB, BADC, DCBA,
                          marking the plausible readings (e.g. hr:100:20)
  --unit N                Unit id for --view and --import-csv (default 1); after a probe, the unit
                          for --export-csv, --import and --to-simulator (default: the first with ranges)
  --interval TIME         Time between the two reads (default 1s)

Register maps, tags and snapshots:
  --export-csv FILE       Write a register map (address, area, type, order, name, unit, scale): the
                          view's best guess, or one row per register found by the probe
  --import-csv FILE       Read a register map; with a target, read and show each row's value
  --import DEVICE_ID      Add the rows (--import-csv, else the view's guess, else the probe's
                          registers) as tags of devices/<id>.yaml, creating it from the target if needed
  --project DIR           Project for --import (default: the project folder containing the cwd)
  --to-simulator FILE     Write a simulator profile serving the ranges found, with their values
  --json                  Machine-readable result on stdout

Exit code: 0 done, 1 the target failed or no unit answered (or a file has problems), 2 usage
error, 130 cancelled with Ctrl-C (partial results are printed).
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean', default: false },
  units: { type: 'string' },
  areas: { type: 'string' },
  range: { type: 'string' },
  resolution: { type: 'string' },
  budget: { type: 'string' },
  timeout: { type: 'string' },
  'sweep-timeout': { type: 'string' },
  view: { type: 'string' },
  unit: { type: 'string' },
  interval: { type: 'string' },
  'export-csv': { type: 'string' },
  'import-csv': { type: 'string' },
  import: { type: 'string' },
  project: { type: 'string' },
  'to-simulator': { type: 'string' },
  baud: { type: 'string' },
  parity: { type: 'string' },
  'data-bits': { type: 'string' },
  'stop-bits': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function wholeNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${option} needs a whole number, got "${text}"`);
  return Number(text);
}

function duration(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${option} needs a duration such as 500ms or 2s, got "${text}"`);
  return ms;
}

/** Wraps a parse error of a value as a usage error naming the option. */
function option<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}

/** host, host:port, [v6]:port, or a serial port path (/dev/…, COMn) with the line options. */
export function parseTarget(text: string, values: Values): ModbusTarget {
  const serial = text.startsWith('/') || /^COM\d+$/i.test(text);
  let transport: Record<string, unknown>;
  if (serial) {
    transport = {
      kind: 'rtu',
      path: text,
      baudRate: wholeNumber('baud', values.baud),
      parity: values.parity,
      dataBits: wholeNumber('data-bits', values['data-bits']),
      stopBits: wholeNumber('stop-bits', values['stop-bits']),
    };
  } else {
    if (values.baud ?? values.parity ?? values['data-bits'] ?? values['stop-bits']) throw new UsageError('--baud, --parity, --data-bits and --stop-bits are for serial ports (/dev/ttyUSB0, COM3)');
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(text);
    if (!m) throw new UsageError(`"${text}" is not host, host:port, [IPv6]:port or a serial port such as /dev/ttyUSB0`);
    transport = { kind: 'tcp', host: m[1], port: m[2] === undefined ? 502 : Number(m[2]) };
  }
  const parsed = modbusTarget.safeParse({ transport: JSON.parse(JSON.stringify(transport)), timeoutMs: duration('timeout', values.timeout) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const names: Record<string, string> = { port: 'the port', baudRate: '--baud', parity: '--parity', dataBits: '--data-bits', stopBits: '--stop-bits', timeoutMs: '--timeout' };
    const field = String(issue.path.at(-1));
    throw new UsageError(`${names[field] ?? field}: ${issue.message}`);
  }
  return parsed.data;
}

/** "hr:100:20" → area, start, count. */
function parseView(text: string): { area: ModbusArea; start: number; count: number } {
  const [a, s, c, ...rest] = text.split(':');
  const area = a === undefined ? undefined : parseArea(a);
  const start = Number(s);
  const count = c === undefined ? 1 : Number(c);
  if (!area || rest.length || !Number.isInteger(start) || !Number.isInteger(count) || start < 0 || start > 65535 || count < 1) {
    throw new UsageError(`--view needs AREA:START:COUNT with wire offsets, such as hr:100:20 (areas hr, ir, co, di), got "${text}"`);
  }
  if (count > 1000) throw new UsageError(`--view shows at most 1000 addresses at a time, got ${count}`);
  if (start + count > 65536) throw new UsageError(`--view ${text} runs past address 65535`);
  return { area, start, count };
}

// ---------- entry ----------

export async function discoverModbus(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  if (values.help) {
    process.stdout.write(DISCOVER_MODBUS_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`discover modbus takes one target, got ${positionals.length}: ${positionals.join(' ')}`);
  const target = positionals[0] === undefined ? undefined : parseTarget(positionals[0], values);
  if (values.view !== undefined && values['import-csv'] !== undefined) throw new UsageError('--view and --import-csv do not go together: view a range, or read a register map');
  if (values['to-simulator'] !== undefined && (values.view !== undefined || values['import-csv'] !== undefined)) {
    throw new UsageError('--to-simulator snapshots what a probe finds: use it without --view and --import-csv');
  }
  const needsUnit = ['view', 'import-csv', 'to-simulator', 'export-csv', 'import'] as const;
  if (values.unit !== undefined && needsUnit.every((o) => values[o] === undefined)) {
    throw new UsageError('--unit chooses the unit for --view, --import-csv, --export-csv, --import and --to-simulator; the probe sweeps --units');
  }
  const unit = option('unit', () => {
    const u = wholeNumber('unit', values.unit);
    if (u !== undefined && u > 255) throw new Error(`a unit id is 0-255, got ${u}`);
    return u;
  });
  if (values['import-csv'] !== undefined) return mapMode(values, target, unit ?? 1);
  if (!target) throw new UsageError('discover modbus needs a target: host[:port] or a serial port such as /dev/ttyUSB0');
  if (values.view !== undefined) return viewMode(values, target, parseView(values.view), unit ?? 1);
  return probeMode(values, target, unit);
}

// ---------- probe ----------

async function probeMode(values: Values, target: ModbusTarget, unit: number | undefined): Promise<number> {
  const parsed = modbusProbeRequest.safeParse({
    target,
    units: values.units === undefined ? undefined : option('units', () => parseUnitList(values.units!)),
    areas: values.areas === undefined ? undefined : option('areas', () => parseAreaList(values.areas!, parseArea)),
    window: values.range === undefined ? undefined : option('range', () => parseAddressWindow(values.range!)),
    resolution: wholeNumber('resolution', values.resolution),
    budget: wholeNumber('budget', values.budget),
    sweepTimeoutMs: duration('sweep-timeout', values['sweep-timeout']),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const names: Record<string, string> = { units: '--units', areas: '--areas', window: '--range', resolution: '--resolution', budget: '--budget', sweepTimeoutMs: '--sweep-timeout' };
    throw new UsageError(`${names[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`);
  }
  const toSimulator = values['to-simulator'];
  const simulatorId = toSimulator === undefined ? undefined : basename(toSimulator).replace(/\.ya?ml$/, '');
  if (simulatorId !== undefined && !idSchema.safeParse(simulatorId).success) {
    throw new UsageError(`--to-simulator: the file name "${basename(toSimulator!)}" must be <id>.yaml with an id of lowercase letters, digits and dashes`);
  }
  if (values.import !== undefined && !idSchema.safeParse(values.import).success) throw new UsageError(`--import: "${values.import}" is not a device id (lowercase letters, digits, dashes)`);

  const bar = progressBar('probe');
  const sigint = cancelOnSigint();
  let result: ModbusProbeResult;
  let chosen: ModbusProbeResult['units'] = [];
  let reads: ModbusReadResult[] = [];
  try {
    if (!values.json) {
      const d = parsed.data;
      const units = d.units.length === 1 ? `unit ${d.units[0]}` : `units ${formatUnitList(d.units)}`;
      process.stderr.write(paint('dim', `Probing ${units} of ${target.transport.kind === 'tcp' ? `${target.transport.host}:${target.transport.port}` : target.transport.path}, ${d.areas.map((a) => AREA_SHORT[a]).join(',')} ${d.window.start}-${d.window.end}, budget ${d.budget} requests…\n`, process.stderr));
    }
    result = await probeModbus(parsed.data, { signal: sigint.signal, onProgress: bar.update });
    // The map, tags and snapshot are of one unit: --unit, else the first with readable ranges.
    chosen = unit === undefined ? result.units.filter((u) => u.areas.some((a) => a.ranges.length)) : result.units.filter((u) => u.unit === unit);
    const snapped = chosen[0];
    if (toSimulator !== undefined && snapped && !result.error && !sigint.signal.aborted) {
      const failed = (error: string): ModbusReadResult[] => [{ unit: snapped.unit, area: 'holding', start: 0, values: [], requests: 0, readAt: Date.now(), error }];
      reads = await withSession(
        target,
        sigint.signal,
        async (session) => {
          const all: ModbusReadResult[] = [];
          for (const area of snapped.areas) {
            for (const [start, count] of area.ranges) all.push(await readRegisters(session, snapped.unit, area.area, start, count, { timeoutMs: target.timeoutMs, signal: sigint.signal }));
          }
          return all;
        },
        failed,
      );
    }
  } finally {
    bar.done();
    sigint.dispose();
  }

  const out: Record<string, unknown> = { probe: result };
  const notes: string[] = [];
  let failed = Boolean(result.error) || result.units.length === 0;
  const rows = (chosen[0]?.areas ?? []).flatMap((a) => rangesToRows(a.area, a.ranges));
  if (chosen.length > 1 && (values['export-csv'] !== undefined || values.import !== undefined || toSimulator !== undefined)) {
    notes.push(`units ${formatUnitList(chosen.map((u) => u.unit))} have ranges; the map, tags and snapshot are of unit ${chosen[0]!.unit} (choose with --unit)`);
  }
  if (values['export-csv'] !== undefined && chosen[0]) out.csv = exportCsv(values['export-csv'], rows);
  if (values.import !== undefined && chosen[0]) {
    const imported = await importRows(values, rows, target, chosen[0].unit);
    if ('error' in imported) failed = true;
    out.import = imported;
  }
  if (toSimulator !== undefined) {
    if (!chosen[0] && !result.error) notes.push(unit === undefined ? 'nothing to snapshot: no unit has readable ranges' : `unit ${unit} did not answer: nothing to snapshot`);
    const broken = reads.find((r) => r.error);
    if (broken) {
      failed = true;
      out.simulator = { error: `reading the values for the snapshot failed: ${broken.error}` };
    } else if (chosen[0]) {
      const profile = snapshotProfile(result, reads, { id: simulatorId!, unit: chosen[0].unit, takenAt: Date.now(), ...(values.import ? { device: values.import } : {}) });
      const { writeSimulatorProfile } = await import('../../../store/project-writes.ts');
      writeSimulatorProfile(toSimulator, profile);
      out.simulator = { file: toSimulator, id: simulatorId, unit: chosen[0].unit, blocks: profile.blocks.length };
    }
  }
  if (values.json) printJson({ ...out, ...(notes.length ? { notes } : {}) });
  else process.stdout.write(formatProbe(result) + formatExtras(out, notes));
  if (result.cancelled) return 130;
  return failed ? 1 : 0;
}

const AREA_TITLE: Record<ModbusArea, [string, string]> = {
  holding: ['holding register', 'holding registers'],
  input: ['input register', 'input registers'],
  coil: ['coil', 'coils'],
  'discrete-input': ['discrete input', 'discrete inputs'],
};

export function formatProbe(r: ModbusProbeResult): string {
  const lines: string[] = [];
  const swept = r.units.length + r.silent.length;
  if (r.error) lines.push(paint('red', r.error));
  else {
    const silent = r.silent.length ? paint('dim', ` (no answer from ${formatUnitList(r.silent)})`) : '';
    lines.push(paint('bold', `Modbus ${r.endpoint}: ${r.units.length} of ${swept} unit(s) answered${r.units.length ? `: ${formatUnitList(r.units.map((u) => u.unit))}` : ''}`) + silent);
  }
  for (const u of r.units) {
    const how = u.answer === 'data' ? 'answered with data' : u.answer === 'exception' ? `answered with exception ${u.exception}` : paint('red', `error: ${u.error}`);
    lines.push('', `${paint('bold', `unit ${u.unit}`)}  ${how}`);
    for (const a of u.areas) {
      const title = AREA_TITLE[a.area][1].padEnd(18);
      if (!a.supported) {
        lines.push(`  ${title} ${paint('dim', 'not supported (exception 1)')}`);
        continue;
      }
      const sure = a.resolution <= 1 ? 'every address tried' : `every range of ${a.resolution}+ addresses found`;
      const count = a.ranges.length === 0 ? 'none readable' : `${a.ranges.length} range(s)`;
      lines.push(`  ${title} ${count}  ${paint(a.complete ? 'dim' : 'yellow', `(${sure}${a.complete ? '' : ', incomplete'}; ${a.requests} requests)`)}`);
      for (const range of a.ranges) {
        const n = range[1];
        lines.push(`      ${describeProbeRange(a.area, range).padEnd(34)} ${n} ${AREA_TITLE[a.area][n === 1 ? 0 : 1]}`);
      }
      if (a.error) lines.push(paint('red', `      stopped: ${a.error}`));
    }
    if (u.error && u.answer !== 'error' && !u.areas.some((a) => a.error)) lines.push(paint('red', `  ${u.error}`));
  }
  const seconds = (r.durationMs / 1000).toFixed(1);
  lines.push('', `${r.requests} request(s) of a budget of ${r.budget} in ${seconds} s.`);
  if (r.notSwept.length && !r.error) lines.push(paint('yellow', `Not swept: units ${formatUnitList(r.notSwept)}.`));
  if (r.cancelled) lines.push(paint('yellow', 'Cancelled: these are the results so far.'));
  else if (r.budgetExhausted) lines.push(paint('yellow', 'The budget ran out before the probe finished: raise --budget, narrow --range or --units, or accept a coarser --resolution.'));
  if (r.units.length > 8 && r.units.every((u) => u.answer === 'data')) {
    lines.push(paint('dim', 'Every unit id answers: the device probably ignores the unit id (common for Modbus TCP); probe one with --units N.'));
  }
  return `${lines.join('\n')}\n`;
}

function formatExtras(out: Record<string, unknown>, notes: readonly string[]): string {
  const lines: string[] = [];
  const csv = out.csv as { file: string; rows: number } | undefined;
  if (csv) lines.push(`Register map with ${csv.rows} row(s) written to ${csv.file}`);
  const imp = out.import as (ImportTagsResult & { error?: undefined }) | { error: string } | undefined;
  if (imp && 'error' in imp && imp.error) lines.push(paint('red', imp.error));
  else if (imp && 'file' in imp) {
    const parts = [`${imp.added.length} added`, `${imp.unchanged.length} unchanged`];
    if (imp.skipped.length) parts.push(`${imp.skipped.length} skipped (same name, other definition: ${imp.skipped.slice(0, 5).join(', ')}${imp.skipped.length > 5 ? ', …' : ''})`);
    lines.push(`Tags ${imp.created ? 'of the new device ' : ''}in ${imp.file}: ${parts.join(', ')}`);
  }
  const sim = out.simulator as { file?: string; unit?: number; blocks?: number; error?: string } | undefined;
  if (sim?.error) lines.push(paint('red', sim.error));
  else if (sim?.file) lines.push(`Simulator profile of unit ${sim.unit} (${sim.blocks} blocks) written to ${sim.file}`);
  for (const n of notes) lines.push(paint('yellow', n));
  return lines.length ? `\n${lines.join('\n')}\n` : '';
}

// ---------- register view ----------

async function viewMode(values: Values, target: ModbusTarget, range: { area: ModbusArea; start: number; count: number }, unit: number): Promise<number> {
  const intervalMs = duration('interval', values.interval) ?? 1000;
  const sigint = cancelOnSigint();
  let reads: ModbusReadResult[];
  try {
    reads = await withSession(
      target,
      sigint.signal,
      async (session) => {
        const opts = { timeoutMs: target.timeoutMs, signal: sigint.signal };
        const first = await readRegisters(session, unit, range.area, range.start, range.count, opts);
        if (first.error || intervalMs === 0) return [first];
        await new Promise((r) => setTimeout(r, intervalMs));
        return [first, await readRegisters(session, unit, range.area, range.start, range.count, opts)];
      },
      (error) => [{ unit, area: range.area, start: range.start, values: [], requests: 0, readAt: Date.now(), error }],
    );
  } finally {
    sigint.dispose();
  }
  const last = reads.at(-1)!;
  const previous = reads.length === 2 && !reads[0]!.error ? reads[0] : undefined;
  const out: Record<string, unknown> = { read: last, ...(previous ? { previous } : {}) };
  let rows: RegisterMapRow[] = [];
  let view: RegisterView | undefined;
  if (!last.error) {
    if (range.area === 'holding' || range.area === 'input') {
      view = registerView(range.area, range.start, last.values, previous?.values);
      rows = readingsToRows(range.area, guessReadings(view));
      out.view = view;
    } else rows = rangesToRows(range.area, [[range.start, range.count]]);
    out.guess = rows;
  }
  let failed = Boolean(last.error);
  if (values['export-csv'] !== undefined && rows.length) out.csv = exportCsv(values['export-csv'], rows);
  if (values.import !== undefined && rows.length) {
    const imported = await importRows(values, rows, target, unit);
    if ('error' in imported) failed = true;
    out.import = imported;
  }
  if (values.json) printJson(out);
  else {
    let text: string;
    if (last.error) text = `${paint('red', last.error)}\n${/exception 2\)/.test(last.error) ? paint('dim', 'Some address of the range is not readable: probe first to find the readable ranges.\n') : ''}`;
    else if (view) text = formatView(view, unit, previous ? intervalMs : undefined);
    else text = formatBits(range.area, range.start, last.values, unit);
    process.stdout.write(text + formatExtras(out, []));
  }
  if (sigint.signal.aborted) return 130;
  return failed ? 1 : 0;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

export function formatView(view: RegisterView, unit: number, intervalMs: number | undefined): string {
  const last = view.start + view.count - 1;
  const head = `${AREA_TITLE[view.area][1]} ${view.start}-${last} (${modiconReference(view.area, view.start)}-${modiconReference(view.area, last)}) of unit ${unit}`;
  const how = intervalMs === undefined ? 'read once' : `read twice, ${intervalMs} ms apart`;
  const byAddress = new Map<number, string[]>();
  for (const v of view.likely) {
    const flags = v.flags.filter((f) => f !== 'plausible').join(', ');
    const text = `${describeReading(v)} = ${v.value}${flags ? ` (${flags})` : ''}`;
    byAddress.set(v.address, [...(byAddress.get(v.address) ?? []), text]);
  }
  const rows: string[][] = [['address', 'ref', 'hex', 'uint16', 'int16', 'text', 'flags', 'likely readings from here']];
  for (const r of view.registers) {
    const likely = byAddress.get(r.address) ?? [];
    const flags = r.flags.join(',');
    rows.push([String(r.address), r.reference, r.hex, String(r.uint16), String(r.int16), r.ascii ? JSON.stringify(r.ascii) : '', flags, paint('green', likely[0] ?? '')]);
    for (const more of likely.slice(1)) rows.push(['', '', '', '', '', '', '', paint('green', more)]);
  }
  const lines = [paint('bold', head) + paint('dim', `, ${how}`), ...table(rows)];
  if (view.likely.length === 0) lines.push(paint('dim', 'No reading stands out as a plausible engineering value.'));
  lines.push(paint('dim', '--json gives every reading of every pair (int32/uint32/float32) and quad (float64) in all four orders.'));
  return `${lines.join('\n')}\n`;
}

function formatBits(area: ModbusArea, start: number, bits: readonly number[], unit: number): string {
  const lines = [paint('bold', `${AREA_TITLE[area][1]} ${start}-${start + bits.length - 1} of unit ${unit}`)];
  for (let i = 0; i < bits.length; i += 16) {
    const chunk = bits.slice(i, i + 16).join(' ');
    lines.push(`${String(start + i).padStart(5)}  ${modiconReference(area, start + i)}  ${chunk}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------- register maps and tags ----------

function exportCsv(file: string, rows: readonly RegisterMapRow[]): { file: string; rows: number } {
  writeFileSync(file, formatRegisterMapCsv(rows));
  return { file, rows: rows.length };
}

/** Rows as tags of devices/<id>.yaml in the project; the device is created from the target when missing. */
async function importRows(values: Values, rows: readonly RegisterMapRow[], target: ModbusTarget | undefined, unit: number): Promise<ImportTagsResult | { error: string }> {
  // The project store loads only when something is imported: a plain probe starts faster without it.
  const { findProjectRoot, parseProjectFile } = await import('../../../store/project.ts');
  const { importDeviceTags, ProjectWriteError } = await import('../../../store/project-writes.ts');
  const deviceId = values.import!;
  if (!idSchema.safeParse(deviceId).success) throw new UsageError(`--import: "${deviceId}" is not a device id (lowercase letters, digits, dashes)`);
  const root = findProjectRoot(resolve(values.project ?? process.cwd()));
  if (!root) {
    throw new UsageError(values.project ? `--project: ${values.project} is not inside a project (no plantbench.yaml)` : '--import needs a project: run inside a project folder or give --project DIR');
  }
  const file = join(root, 'devices', `${deviceId}.yaml`);
  let addressBase: 0 | 1 = 0;
  if (existsSync(file)) {
    const { entry } = parseProjectFile('device', relative(root, file), readFileSync(file, 'utf8'));
    if (entry.model?.protocol === 'modbus') addressBase = entry.model.addressBase;
  } else if (!target) {
    return { error: `devices/${deviceId}.yaml does not exist: give the target (host[:port] or serial port) to create it` };
  }
  try {
    const tags = toModbusTags(rows, { addressBase });
    const create = target
      ? { apiVersion: 'plantbench/v1' as const, kind: 'Device' as const, id: deviceId, protocol: 'modbus' as const, transport: target.transport, unitId: unit, addressBase: 0 as const, timeoutMs: target.timeoutMs, retries: 1, pollGroups: [] }
      : undefined;
    return importDeviceTags(root, deviceId, 'modbus', tags, { ...(create ? { create } : {}) });
  } catch (err) {
    if (err instanceof ProjectWriteError) return { error: err.message };
    throw err;
  }
}

async function mapMode(values: Values, target: ModbusTarget | undefined, unit: number): Promise<number> {
  const file = values['import-csv']!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--import-csv: cannot read ${file}: ${(err as Error).message}`);
  }
  const { rows, problems } = parseRegisterMapCsv(text);
  const out: Record<string, unknown> = { rows, problems };
  if (problems.length) {
    if (values.json) printJson(out);
    else process.stderr.write(`${problems.map((p) => formatCsvProblem(p, file)).join('\n')}\n${problems.length} problem(s) in ${file}; nothing imported.\n`);
    return 1;
  }
  let failed = false;
  let read: ModbusMapValue[] | undefined;
  if (target) {
    const sigint = cancelOnSigint();
    try {
      read = await readModbusMap({ target, unit, rows }, { signal: sigint.signal });
    } finally {
      sigint.dispose();
    }
    out.values = read;
    failed = read.every((v) => v.error !== undefined);
  }
  if (values['export-csv'] !== undefined) out.csv = exportCsv(values['export-csv'], rows);
  if (values.import !== undefined) {
    const imported = await importRows(values, rows, target, unit);
    if ('error' in imported) failed = true;
    out.import = imported;
  }
  if (values.json) printJson(out);
  else process.stdout.write(formatMap(rows, read, file) + formatExtras(out, []));
  return failed ? 1 : 0;
}

function formatMap(rows: readonly RegisterMapRow[], read: readonly ModbusMapValue[] | undefined, file: string): string {
  const header = ['address', 'ref', 'area', 'type', 'order', 'name', 'unit', ...(read ? ['value'] : [])];
  const body = rows.map((r, i) => {
    const v = read?.[i];
    const value = v === undefined ? [] : [v.error ? paint('red', v.error) : String(v.value)];
    return [String(r.address), modiconReference(r.area, r.address), AREA_SHORT[r.area], formatType(r), isBitArea(r.area) ? '' : r.order, r.name, r.unit ?? '', ...value];
  });
  return `${paint('bold', `${file}: ${rows.length} row(s)`)}\n${table([header, ...body]).join('\n')}\n`;
}
