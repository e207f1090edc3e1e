import { z } from 'zod';
import { isBitArea, modiconReference, type ModbusArea } from '../codec/modbus.ts';
import { deviceFile, MODBUS_AREAS } from '../model/device.ts';
import { registerMapRow } from './modbus-map.ts';
import type { SimulatorFile } from '../model/simulator.ts';

// Modbus discovery: the device to talk to, the unit sweep and register-map probe, register reads,
// and the snapshot of what was found as a simulator profile. Pure (no Node), so the renderer builds
// requests and shows results with the shapes the host validates. The register view is in
// modbus-view.ts, register maps (CSV, tags) in modbus-map.ts; both are re-exported here.
//
// How the probe works (src/connectors/modbus/discovery/probe.ts):
// - Unit sweep: one read of one holding register per unit id, with a short timeout. Data or an
//   exception means a unit answered; a timeout or exception 0A/0B (gateway: no path / no answer from
//   the target) means there is none.
// - Per unit and area, single addresses are sampled coarse to fine (every 4096th address, then 2048,
//   1024, 1000, 512, 500 … down to every one), so the budget is spent evenly and round addresses come
//   first. A readable address grows into its range with reads of 125 registers (2000 bits); the read
//   that crosses the end is answered with exception 02 (or a short answer), and the boundary is
//   found by bisecting it. Exception 01 means the unit does not have the area.
// - `resolution` in a result: every readable range of at least that many addresses was found
//   (1: every address of the window was tested). Ranges are [start, count] in wire offsets.

export { AREA_ALIASES, AREA_SHORT, CSV_COLUMNS, formatCsvProblem, formatRegisterMapCsv, formatScale, formatType, parseArea, parseRegisterMapCsv, rangesToRows, readingsToRows, registerMapRow, tagNameOf, toModbusTags } from './modbus-map.ts';
export type { CsvProblem, RegisterMapRow } from './modbus-map.ts';
export { describeReading, guessReadings, registerView, VIEW_ORDERS } from './modbus-view.ts';
export type { RegisterView, ViewFlag, ViewRegister, ViewType, ViewValue } from './modbus-view.ts';

/** The order in which areas are probed and listed. */
export const PROBE_AREAS = ['holding', 'input', 'coil', 'discrete-input'] as const satisfies readonly ModbusArea[];

/** TCP host/port or serial port with its line settings: the same fields as a Modbus device's transport. */
export const modbusTransport = deviceFile.options[0].shape.transport;
export type ModbusTransportSpec = z.infer<typeof modbusTransport>;

/** The key probes are cached under in the workspace DB (the last probe of a device's connection). */
export function probeCacheKey(t: ModbusTransportSpec): string {
  return t.kind === 'tcp' ? `${t.host}:${t.port}` : t.path;
}

export const modbusTarget = z
  .object({
    transport: modbusTransport,
    /** Answer timeout of each read (the unit sweep has its own, shorter one). */
    timeoutMs: z.number().int().min(10).max(60_000).default(1000),
  })
  .strict();
export type ModbusTarget = z.infer<typeof modbusTarget>;

const unitId = z.number().int().min(0).max(255);
const offset = z.number().int().min(0).max(65535);

/** Units 1-247, the unit ids a Modbus serial bus allows (TCP gateways use the same). */
export const DEFAULT_UNITS: readonly number[] = Array.from({ length: 247 }, (_, i) => i + 1);

export const addressWindow = z
  .object({ start: offset, end: offset })
  .strict()
  .refine((w) => w.start <= w.end, { path: ['end'], message: 'the window ends before it starts' });
export type AddressWindow = z.infer<typeof addressWindow>;

export const modbusProbeRequest = z
  .object({
    target: modbusTarget,
    /** Unit ids to sweep; a single one is still checked with one read before its areas are probed. */
    units: z.array(unitId).min(1).max(256).default([...DEFAULT_UNITS]),
    areas: z.array(z.enum(MODBUS_AREAS)).min(1).default([...PROBE_AREAS]),
    /** Wire offsets to probe, both ends included. */
    window: addressWindow.default({ start: 0, end: 65535 }),
    /** Stop refining an area once every readable range of at least this many addresses is sure to be found. */
    resolution: z.number().int().min(1).max(65536).default(1),
    /** Most requests the whole probe may send, unit sweep included. */
    budget: z.number().int().min(1).max(1_000_000).default(5000),
    /** Answer timeout per unit in the sweep. */
    sweepTimeoutMs: z.number().int().min(10).max(60_000).default(250),
  })
  .strict();
export type ModbusProbeRequest = z.input<typeof modbusProbeRequest>;
export type ModbusProbeSpec = z.output<typeof modbusProbeRequest>;

/** [start, count]: a readable run of addresses (wire offsets). */
export const probeRange = z.tuple([offset, z.number().int().min(1).max(65536)]);
export type ProbeRange = z.infer<typeof probeRange>;

export const modbusAreaProbe = z
  .object({
    area: z.enum(MODBUS_AREAS),
    /** False when the unit answered exception 01 (illegal function) for this area. */
    supported: z.boolean(),
    ranges: z.array(probeRange),
    /** Every readable range of at least this many addresses was found (1: every address was tried). */
    resolution: z.number().int().min(1),
    /** True when the probe reached the requested resolution and every range found has both ends. */
    complete: z.boolean(),
    requests: z.number().int().min(0),
    /** How often each refusal came back: exception codes ("2", "3"…) and "short" for answers with fewer values than asked. */
    refusals: z.record(z.string(), z.number().int()),
    /** Why probing this area stopped early (timeouts, a lost connection, garbled answers). */
    error: z.string().optional(),
  })
  .strict();
export type ModbusAreaProbe = z.infer<typeof modbusAreaProbe>;

export const modbusUnitProbe = z
  .object({
    unit: unitId,
    /** How the unit answered the sweep's read: with data, with an exception, or with something broken. */
    answer: z.enum(['data', 'exception', 'error']),
    exception: z.number().int().optional(),
    /** For answer "error", or when probing the unit stopped early. */
    error: z.string().optional(),
    areas: z.array(modbusAreaProbe),
  })
  .strict();
export type ModbusUnitProbe = z.infer<typeof modbusUnitProbe>;

export const modbusProbeResult = z
  .object({
    /** "127.0.0.1:502" or "/dev/ttyUSB0 9600 8E1". */
    endpoint: z.string(),
    window: addressWindow,
    /** Units that answered, in sweep order. */
    units: z.array(modbusUnitProbe),
    /** Units that did not answer (timeout, or a gateway's exception 0A/0B). */
    silent: z.array(unitId),
    /** Units the sweep did not reach (cancelled or out of budget). */
    notSwept: z.array(unitId),
    requests: z.number().int().min(0),
    budget: z.number().int(),
    budgetExhausted: z.boolean(),
    cancelled: z.boolean(),
    durationMs: z.number().min(0),
    /** The target itself failed (cannot connect); nothing else is known. */
    error: z.string().optional(),
  })
  .strict();
export type ModbusProbeResult = z.infer<typeof modbusProbeResult>;

// ---------- register reads ----------

export const modbusReadRequest = z
  .object({
    target: modbusTarget,
    unit: unitId.default(1),
    area: z.enum(MODBUS_AREAS),
    start: offset,
    /** Split into reads of 125 registers (2000 bits). */
    count: z.number().int().min(1).max(65536),
  })
  .strict()
  .refine((r) => r.start + r.count <= 65536, { path: ['count'], message: 'the range runs past address 65535' });
export type ModbusReadRequest = z.input<typeof modbusReadRequest>;

export const modbusReadResult = z
  .object({
    unit: unitId,
    area: z.enum(MODBUS_AREAS),
    start: offset,
    /** Registers as 0-65535, bits as 0/1; fewer than asked when a read failed (see error). */
    values: z.array(z.number().int().min(0).max(65535)),
    requests: z.number().int().min(0),
    /** When the last value arrived, epoch ms. */
    readAt: z.number(),
    error: z.string().optional(),
  })
  .strict();
export type ModbusReadResult = z.infer<typeof modbusReadResult>;

/** Values of register-map rows (a CSV the engineer wrote, or a guess) read from one unit. */
export const modbusMapReadRequest = z
  .object({
    target: modbusTarget,
    unit: unitId.default(1),
    rows: z.array(registerMapRow).min(1).max(5000),
  })
  .strict();
export type ModbusMapReadRequest = z.input<typeof modbusMapReadRequest>;

export const modbusMapValue = z
  .object({
    name: z.string(),
    /** Decoded and scaled; non-finite floats as "NaN", "Infinity", "-Infinity". Absent when the read failed. */
    value: z.union([z.number(), z.string(), z.boolean()]).optional(),
    error: z.string().optional(),
  })
  .strict();
export type ModbusMapValue = z.infer<typeof modbusMapValue>;

// ---------- command-line style parsing (CLI and UI fields) ----------

/** "1-247", "1,3,10-12" → unit ids in the order given, without duplicates. Throws naming the bad part. */
export function parseUnitList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const first = Number(m?.[1]);
    const last = m?.[2] === undefined ? first : Number(m[2]);
    if (!m || first > 255 || last > 255) throw new Error(`"${part}" is not a unit id 0-255 or a range such as 1-247`);
    if (last < first) throw new Error(`"${part}": the range ends before it starts`);
    for (let u = first; u <= last; u++) out.add(u);
  }
  return [...out];
}

/** [1, 2, 3, 7, 9, 10] → "1-3, 7, 9-10": the inverse of parseUnitList for messages. */
export function formatUnitList(units: readonly number[]): string {
  const sorted = [...new Set(units)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** "0-65535", "100-199" or "100" → an address window of wire offsets. Throws naming the problem. */
export function parseAddressWindow(text: string): AddressWindow {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? start : Number(m[2]);
  if (!m || start > 65535 || end > 65535) throw new Error(`"${text}" is not an address range of wire offsets 0-65535, such as 0-999`);
  if (end < start) throw new Error(`"${text}": the range ends before it starts`);
  return { start, end };
}

/** "hr,ir" → areas; accepts holding/input/coil/discrete-input and hr/ir/co/di. */
export function parseAreaList(text: string, parse: (t: string) => ModbusArea | undefined): ModbusArea[] {
  const out = new Set<ModbusArea>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const area = parse(part);
    if (!area) throw new Error(`"${part}" is not an area: hr, ir, co, di (or holding, input, coil, discrete-input)`);
    out.add(area);
  }
  return PROBE_AREAS.filter((a) => out.has(a));
}

/** "holding registers 100-119 (400101-400120)", "coils 0-7 (000001-000008)". */
export function describeProbeRange(area: ModbusArea, [start, count]: ProbeRange): string {
  const last = start + count - 1;
  return count === 1 ? `${start} (${modiconReference(area, start)})` : `${start}-${last} (${modiconReference(area, start)}-${modiconReference(area, last)})`;
}

// ---------- snapshot ----------

/** Values per block in a snapshot: a block of this many writes on one YAML line. */
export const SNAPSHOT_BLOCK = { registers: 10, bits: 20 } as const;

/**
 * A Modbus simulator profile that serves what a probe found on one unit: every read range with the
 * values read, as raw blocks (unit id and ranges as found). `reads` are register reads of that unit,
 * usually one per probed range; values of failed reads are used as far as they go.
 */
export function snapshotProfile(
  probe: ModbusProbeResult,
  reads: readonly ModbusReadResult[],
  options: { id: string; unit?: number; name?: string; device?: string; takenAt?: number },
): Extract<SimulatorFile, { protocol: 'modbus' }> {
  const withRanges = probe.units.filter((u) => u.areas.some((a) => a.ranges.length > 0));
  const unit = options.unit ?? withRanges[0]?.unit ?? probe.units[0]?.unit;
  if (unit === undefined) throw new Error(`nothing to snapshot: no unit of ${probe.endpoint} answered`);
  if (!probe.units.some((u) => u.unit === unit)) throw new Error(`unit ${unit} did not answer the probe of ${probe.endpoint}`);
  const blocks: { area: ModbusArea; address: number; values: number[] }[] = [];
  const mine = reads.filter((r) => r.unit === unit).sort((a, b) => PROBE_AREAS.indexOf(a.area) - PROBE_AREAS.indexOf(b.area) || a.start - b.start);
  for (const r of mine) {
    const size = isBitArea(r.area) ? SNAPSHOT_BLOCK.bits : SNAPSHOT_BLOCK.registers;
    for (let i = 0; i < r.values.length; i += size) blocks.push({ area: r.area, address: r.start + i, values: r.values.slice(i, i + size) });
  }
  const when = options.takenAt === undefined ? '' : ` on ${new Date(options.takenAt).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return {
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: options.id,
    ...(options.name ? { name: options.name } : {}),
    description: `Snapshot of Modbus ${probe.endpoint} unit ${unit}${when}: the readable ranges found by plantbench discover, with the values read.`,
    ...(options.device ? { device: options.device } : {}),
    bind: { host: '127.0.0.1', port: 0 },
    protocol: 'modbus',
    unitId: unit,
    points: [],
    blocks,
  };
}
