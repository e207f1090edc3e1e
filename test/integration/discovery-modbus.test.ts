// Modbus discovery against our Modbus simulator (a real modbus-serial server): the unit sweep, the
// register-map probe of disjoint ranges in every area, budget and cancellation, register reads and
// the register view, the snapshot round trip (probe → profile → new simulator → same probe), and
// the `plantbench discover modbus` command. Faults come from a small TCP device written here that
// answers short, resets the connection or answers garbage, as real devices do.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModbus, readModbusRegisters } from '../../src/connectors/modbus/discovery/probe.ts';
import { registerView, snapshotProfile, type ModbusProbeRequest, type ModbusProbeResult, type ModbusReadResult } from '../../src/shared/discovery/modbus.ts';
import type { SimulatorFile } from '../../src/shared/model/simulator.ts';
import { startSimulator } from '../../src/simulators/index.ts';
import type { RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { parseProjectFile } from '../../src/store/project.ts';
import { writeSimulatorProfile } from '../../src/store/project-writes.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { quietLog, startSim } from '../helpers/modbus.ts';
import { freePort } from '../helpers/net.ts';
import { copyExample } from '../helpers/project.ts';

const UNIT = 3;
/** Disjoint ranges in every area (wire offsets), with values that tell the registers apart. */
const POINTS = [
  { name: 'level', area: 'holding', address: 0, type: 'float32', order: 'CDAB', value: 123.456 },
  { name: 'count', area: 'holding', address: 2, type: 'uint32', value: 3_456_789_012 },
  { name: 'delta', area: 'holding', address: 4, type: 'int16', value: -1234 },
  ...Array.from({ length: 40 }, (_, i) => ({ name: `block${i}`, area: 'holding', address: 1000 + i, type: 'uint16', value: 5000 + i })),
  { name: 'far', area: 'holding', address: 3000, type: 'float64', value: Math.PI },
  { name: 'temp', area: 'input', address: 100, type: 'float32', order: 'DCBA', value: -40.25 },
  { name: 'temp2', area: 'input', address: 102, type: 'int32', order: 'BADC', value: -2 },
  ...Array.from({ length: 20 }, (_, i) => ({ name: `coil${i}`, area: 'coil', address: 2048 + i, type: 'bool', value: i % 3 === 0 })),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `door${i}`, area: 'discrete-input', address: 16 + i, type: 'bool', value: i === 7 })),
];
const EXPECTED = {
  holding: [
    [0, 5],
    [1000, 40],
    [3000, 4],
  ],
  input: [[100, 4]],
  coil: [[2048, 20]],
  'discrete-input': [[16, 8]],
};

let sim: RunningModbusSimulator;
const cleanups = cleanupAfterEach();

beforeAll(async () => {
  sim = await startSim(POINTS, { unitId: UNIT });
});
afterAll(async () => sim?.stop());

const tcp = (port: number) => ({ transport: { kind: 'tcp' as const, host: '127.0.0.1', port }, timeoutMs: 1000 });

function rangesOf(result: ModbusProbeResult, unit: number): Record<string, unknown> {
  return Object.fromEntries(result.units.find((u) => u.unit === unit)!.areas.map((a) => [a.area, a.ranges]));
}

/**
 * Window and resolution that keep a test short: every range of 16 or more addresses in 0-4095 is
 * sure to be found; the shorter ones above start on round addresses, which are sampled early.
 */
const PROBE: Omit<ModbusProbeRequest, 'target'> = { window: { start: 0, end: 4095 }, resolution: 16, budget: 20_000, sweepTimeoutMs: 100 };

describe('probeModbus against the simulator', () => {
  it('sweeps units and finds the disjoint ranges of every area, counting the requests the device received', async () => {
    sim.resetStats();
    const progress: number[] = [];
    const result = await probeModbus({ target: tcp(sim.port), units: [1, 2, 3, 4], ...PROBE }, { onProgress: (p) => progress.push(p.done) });
    expect(result.error).toBeUndefined();
    expect(result.units.map((u) => [u.unit, u.answer])).toEqual([[UNIT, 'data']]);
    expect(result.silent).toEqual([1, 2, 4]);
    expect(rangesOf(result, UNIT)).toEqual(EXPECTED);
    const areas = result.units[0]!.areas;
    expect(areas.every((a) => a.complete && a.resolution <= 16 && a.refusals['2']! > 0)).toBe(true);
    expect(result.requests).toBe(sim.stats().requests);
    expect(result.requests).toBe(4 + areas.reduce((n, a) => n + a.requests, 0));
    expect(result.budgetExhausted).toBe(false);
    expect(progress.at(-1)).toBe(result.requests);
  });

  it('stops at the budget, and when cancelled, with what it found so far', async () => {
    sim.resetStats();
    const small = await probeModbus({ target: tcp(sim.port), units: [UNIT], ...PROBE, budget: 60 });
    expect(small.budgetExhausted).toBe(true);
    expect(small.requests).toBe(60);
    expect(sim.stats().requests).toBe(60);
    expect(small.units[0]!.areas.some((a) => !a.complete)).toBe(true);

    const controller = new AbortController();
    const cancelled = await probeModbus({ target: tcp(sim.port), units: [UNIT], ...PROBE }, {
      signal: controller.signal,
      onProgress: (p) => p.done >= 30 && controller.abort(),
    });
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.budgetExhausted).toBe(false);
    expect(cancelled.requests).toBeLessThan(500);
    // The window start (0) is sampled first and grows into its range before anything else.
    expect(cancelled.units[0]!.areas[0]!.ranges).toContainEqual([0, 5]);
  });

  it('reports a target it cannot connect to without throwing', async () => {
    const port = await freePort();
    const result = await probeModbus({ target: tcp(port), units: [1] });
    expect(result.error).toMatch(new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect(result.units).toEqual([]);
    expect(result.notSwept).toEqual([1]);
  });

  it('rejects an invalid request with the field that is wrong', async () => {
    await expect(probeModbus({ target: tcp(sim.port), window: { start: 10, end: 5 } })).rejects.toThrow(/the window ends before it starts/);
  });
});

describe('register reads, view and snapshot', () => {
  it('reads a range in 125-register requests and shows the plausible readings', async () => {
    const read = await readModbusRegisters({ target: tcp(sim.port), unit: UNIT, area: 'holding', start: 0, count: 5 });
    expect(read.error).toBeUndefined();
    const view = registerView('holding', read.start, read.values);
    const likely = view.likely.map((v) => `${v.address} ${v.type} ${v.order ?? ''} ${v.value}`.trim());
    expect(likely).toContain('0 float32 CDAB 123.456');
    expect(view.pairs[2]!.values.find((v) => v.type === 'uint32' && v.order === 'ABCD')!.value).toBe(3_456_789_012);
    expect(view.registers[4]!.int16).toBe(-1234);

    const long = await readModbusRegisters({ target: tcp(sim.port), unit: UNIT, area: 'holding', start: 1000, count: 40 });
    expect(long.values).toEqual(Array.from({ length: 40 }, (_, i) => 5000 + i));
    const failed = await readModbusRegisters({ target: tcp(sim.port), unit: UNIT, area: 'holding', start: 1030, count: 20 });
    expect(failed.error).toMatch(/holding registers 1030-1049 \(401031-401050\): Illegal data address \(exception 2\)/);
  });

  it('round-trips: probe, write the profile, start it, probe again: same ranges and values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plantbench-snapshot-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const readAll = async (port: number, result: ModbusProbeResult): Promise<ModbusReadResult[]> => {
      const reads: ModbusReadResult[] = [];
      for (const area of result.units[0]!.areas) {
        for (const [start, count] of area.ranges) reads.push(await readModbusRegisters({ target: tcp(port), unit: UNIT, area: area.area, start, count }));
      }
      return reads;
    };
    const probe: Omit<ModbusProbeRequest, 'target'> = { ...PROBE, areas: ['holding', 'input', 'coil'], resolution: 64 };
    const first = await probeModbus({ target: tcp(sim.port), units: [UNIT], ...probe });
    const values = await readAll(sim.port, first);
    const file = join(dir, 'plc-snapshot.yaml');
    writeSimulatorProfile(file, snapshotProfile(first, values, { id: 'plc-snapshot' }));

    const { entry, problems } = parseProjectFile('simulator', 'plc-snapshot.yaml', readFileSync(file, 'utf8'));
    expect(problems).toEqual([]);
    const copy = (await startSimulator(entry.model as SimulatorFile, { baseDir: dir, log: quietLog })) as RunningModbusSimulator;
    cleanups.push(() => copy.stop());
    expect(copy.unitId).toBe(UNIT);
    const second = await probeModbus({ target: tcp(copy.port), units: [UNIT], ...probe });
    expect(rangesOf(second, UNIT)).toEqual(rangesOf(first, UNIT));
    expect(rangesOf(second, UNIT)).toEqual({ holding: EXPECTED.holding, input: EXPECTED.input, coil: EXPECTED.coil });
    expect((await readAll(copy.port, second)).map((r) => r.values)).toEqual(values.map((r) => r.values));
  });
});

// ---------- a device with faults ----------

/**
 * A Modbus TCP device for faults: unit 1 answers FC3 with the readable part of a read only (a short
 * answer) or exception 2; unit 2 resets the connection; unit 5 answers with a wrong function code;
 * other units stay silent. Register values are their addresses.
 */
async function quirkyDevice(readable: [number, number][]): Promise<{ port: number; server: Server }> {
  const map = new Uint8Array(65536);
  for (const [start, count] of readable) map.fill(1, start, start + count);
  const server = createServer((sock: Socket) => {
    let pending = Buffer.alloc(0);
    sock.on('error', () => {});
    sock.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 12 && pending.length >= 6 + pending.readUInt16BE(4)) {
        const frame = pending.subarray(0, 6 + pending.readUInt16BE(4));
        pending = pending.subarray(frame.length);
        const tid = frame.readUInt16BE(0);
        const unit = frame[6]!;
        const fc = frame[7]!;
        const address = frame.readUInt16BE(8);
        const count = frame.readUInt16BE(10);
        const reply = (pdu: Buffer): void => {
          const head = Buffer.alloc(7);
          head.writeUInt16BE(tid, 0);
          head.writeUInt16BE(pdu.length + 1, 4);
          head[6] = unit;
          sock.write(Buffer.concat([head, pdu]));
        };
        if (unit === 2) return void sock.resetAndDestroy();
        if (unit === 5) return reply(Buffer.from([0x07, 0x01, 0x02]));
        if (unit !== 1) continue;
        if (fc !== 3) {
          reply(Buffer.from([fc | 0x80, 1]));
          continue;
        }
        let ok = 0;
        while (ok < count && map[address + ok] === 1) ok++;
        if (ok === 0) {
          reply(Buffer.from([0x83, 2]));
          continue;
        }
        const pdu = Buffer.alloc(2 + ok * 2);
        pdu[0] = 3;
        pdu[1] = ok * 2;
        for (let i = 0; i < ok; i++) pdu.writeUInt16BE((address + i) & 0xffff, 2 + i * 2);
        reply(pdu);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('devices that misbehave', () => {
  it('bisects short answers, and a unit that resets or answers garbage is that unit\'s error while the probe goes on', async () => {
    const { port, server } = await quirkyDevice([
      [10, 30],
      [500, 7],
    ]);
    cleanups.push(() => new Promise((r) => server.close(r)));
    const result = await probeModbus({
      target: tcp(port),
      units: [1, 2, 3, 5],
      areas: ['holding', 'coil'],
      window: { start: 0, end: 1023 },
      resolution: 4,
      sweepTimeoutMs: 100,
    });
    expect(result.error).toBeUndefined();
    expect(result.units.map((u) => [u.unit, u.answer])).toEqual([
      [1, 'exception'],
      [2, 'error'],
      [5, 'error'],
    ]);
    expect(result.units[0]!.exception).toBe(2);
    expect(result.units[1]!.error).toMatch(/dropped the connection when asked for unit 2/);
    expect(result.units[2]!.error).toMatch(/garbled answer/);
    expect(result.silent).toEqual([3]);
    const [holding, coil] = result.units[0]!.areas;
    expect(holding!.ranges).toEqual([
      [10, 30],
      [500, 7],
    ]);
    expect(holding!.refusals.short).toBeGreaterThan(0);
    expect(coil).toMatchObject({ supported: false, requests: 1 });
  });
});

// ---------- the command ----------

const BIN = new URL('../../bin/plantbench.js', import.meta.url).pathname;

/** Runs `plantbench` asynchronously (the simulator answers from this process). */
function plantbench(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('plantbench discover modbus', () => {
  it('probes with --json, exports the map, imports tags into a project device and writes a snapshot', async () => {
    const project = copyExample();
    cleanups.push(() => project.dispose());
    const target = `127.0.0.1:${sim.port}`;
    const run = await plantbench(
      ['discover', 'modbus', target, '--units', '3', '--areas', 'hr,di', '--range', '0-4095', '--resolution', '16', '--json',
        '--export-csv', 'map.csv', '--import', 'probed-plc', '--to-simulator', 'simulators/probed-plc.yaml'],
      project.root,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { probe: ModbusProbeResult; csv: { rows: number }; import: { file: string; created: boolean; added: string[] }; simulator: { file: string; blocks: number } };
    expect(rangesOf(out.probe, UNIT)).toEqual({ holding: EXPECTED.holding, 'discrete-input': EXPECTED['discrete-input'] });
    expect(out.csv.rows).toBe(5 + 40 + 4 + 8);
    expect(readFileSync(join(project.root, 'map.csv'), 'utf8').split('\n').slice(0, 2)).toEqual(['address,area,type,order,name,unit,scale', '0,holding,uint16,ABCD,hr0,,']);
    expect(out.import).toMatchObject({ file: 'devices/probed-plc.yaml', created: true });
    expect(out.import.added).toHaveLength(57);
    const device = readFileSync(join(project.root, 'devices/probed-plc.yaml'), 'utf8');
    expect(device).toContain(`transport: { kind: tcp, host: 127.0.0.1, port: ${sim.port} }`);
    expect(device).toContain('unitId: 3');
    const snapshot = readFileSync(join(project.root, 'simulators/probed-plc.yaml'), 'utf8');
    expect(snapshot).toContain('device: probed-plc');
    expect(snapshot).toContain('values: [ 5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008, 5009 ]');

    // Both files validate.
    expect(parseProjectFile('device', 'devices/probed-plc.yaml', device).problems).toEqual([]);
    expect(parseProjectFile('simulator', 'simulators/probed-plc.yaml', snapshot).problems).toEqual([]);

    // A register map edited by hand: read its values, then import it over the probed tags.
    writeFileSync(join(project.root, 'edited.csv'), 'address,area,type,order,name,unit,scale\n0,hr,float32,CDAB,Tank level,%,\n2,hr,uint32,ABCD,count,,0.5\n100,ir,float32,DCBA,temp,°C,\n');
    const map = await plantbench(['discover', 'modbus', target, '--unit', '3', '--import-csv', 'edited.csv', '--json'], project.root);
    expect(map.code).toBe(0);
    expect((JSON.parse(map.stdout) as { values: unknown[] }).values).toEqual([
      { name: 'Tank level', value: 123.456 },
      { name: 'count', value: 1_728_394_506 },
      { name: 'temp', value: -40.25 },
    ]);
  });

  it('shows a register view, and answers bad usage and bad CSV with exit codes 2 and 1', async () => {
    const view = await plantbench(['discover', 'modbus', `127.0.0.1:${sim.port}`, '--unit', '3', '--view', 'ir:100:4', '--interval', '200ms']);
    expect(view.code).toBe(0);
    expect(view.stdout).toMatch(/^input registers 100-103 \(300101-300104\) of unit 3, read twice, 200 ms apart$/m);
    expect(view.stdout).toMatch(/^100\s+300101\s+.*float32 DCBA = -40\.25 \(stable\)$/m);

    const usage = await plantbench(['discover', 'modbus', `127.0.0.1:${sim.port}`, '--areas', 'hr,xx']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--areas: "xx" is not an area: hr, ir, co, di');

    const dir = mkdtempSync(join(tmpdir(), 'plantbench-csv-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'bad.csv'), 'address,area,type,name\n1,holding,float32,a\n2,hold,uint16,b\n');
    const bad = await plantbench(['discover', 'modbus', '--import-csv', 'bad.csv'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.csv:3:3 (area): "hold" is not an area');
  });
});
