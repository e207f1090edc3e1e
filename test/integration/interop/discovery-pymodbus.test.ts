// Interop: Modbus discovery against pymodbus (Debian's python3-pymodbus), a Modbus implementation we
// did not write, serving two units with disjoint ranges in every area (pymodbus_server.py discovery):
// - over TCP as a gateway that answers exception 0B for missing units;
// - over Modbus RTU through a pseudo-terminal pair (the script relays two ptys like a serial cable),
//   where missing units stay silent as on a real bus.
// The served ranges come from the server itself (its "ready" line), clipped to each probe's window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModbus, readModbusRegisters } from '../../../src/connectors/modbus/discovery/probe.ts';
import { registerView, snapshotProfile, type ModbusProbeResult, type ModbusReadResult, type ModbusTarget } from '../../../src/shared/discovery/modbus.ts';
import { simulatorFile } from '../../../src/shared/model/simulator.ts';
import { startModbusSimulator, type ModbusProfile } from '../../../src/simulators/modbus/index.ts';
import { cleanupAfterEach } from '../../helpers/cleanups.ts';
import { quietLog } from '../../helpers/modbus.ts';
import { freePort } from '../../helpers/net.ts';
import { startPymodbus, type PymodbusServer } from '../../helpers/pymodbus.ts';

type Served = Record<string, Record<string, [number, number][]>>;

/** The served ranges of a unit in the window (clipped), per area. */
function served(all: Served, unit: number, window: { start: number; end: number }, area: string): [number, number][] {
  return (all[String(unit)]![area] ?? [])
    .map(([s, n]): [number, number] => [Math.max(s, window.start), Math.min(s + n - 1, window.end)])
    .filter(([s, e]) => s <= e)
    .map(([s, e]): [number, number] => [s, e - s + 1]);
}

/**
 * Checks a unit's probe against what the server serves: every range the probe is sure to find
 * (at least `resolution` long) is found, and every range found is one the server serves.
 */
function expectFound(result: ModbusProbeResult, all: Served, unit: number, window: { start: number; end: number }, resolution: number): void {
  const probed = result.units.find((u) => u.unit === unit)!;
  expect(probed.areas.length).toBeGreaterThan(0);
  for (const a of probed.areas) {
    const truth = served(all, unit, window, a.area);
    expect(a.resolution, a.area).toBeLessThanOrEqual(resolution);
    expect(a.ranges, a.area).toEqual(expect.arrayContaining(truth.filter(([, n]) => n >= resolution)));
    for (const range of a.ranges) expect(truth, a.area).toContainEqual(range);
  }
}

function found(result: ModbusProbeResult, unit: number): Record<string, [number, number][]> {
  return Object.fromEntries(result.units.find((u) => u.unit === unit)!.areas.map((a) => [a.area, a.ranges]));
}

const cleanups = cleanupAfterEach();

describe('discovery against a pymodbus TCP gateway', () => {
  let server: PymodbusServer;
  let truth: Served;
  let target: ModbusTarget;

  beforeAll(async () => {
    const port = await freePort();
    server = await startPymodbus([String(port), 'discovery']);
    truth = (JSON.parse(server.ready) as { units: Served }).units;
    target = { transport: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 1000 };
  });
  afterAll(async () => server?.stop());

  it('sweeps units (exception 0B means none) and finds every range of each unit', async () => {
    const window = { start: 0, end: 4095 };
    const result = await probeModbus({ target, units: [1, 2, 3, 4, 5], window, resolution: 16 });
    expect(result.error).toBeUndefined();
    expect(result.units.map((u) => [u.unit, u.answer])).toEqual([
      [1, 'data'],
      [4, 'exception'],
    ]);
    expect(result.units[1]!.exception).toBe(2);
    expect(result.silent).toEqual([2, 3, 5]);
    expectFound(result, truth, 1, window, 16);
    expectFound(result, truth, 4, window, 16);
    expect(result.units.every((u) => u.areas.every((a) => a.complete))).toBe(true);
  });

  it('finds ranges high in the address space, up to 65535, and reads a float there', async () => {
    const window = { start: 39_000, end: 65_535 };
    const result = await probeModbus({ target, units: [1], areas: ['holding'], window, resolution: 64 });
    expectFound(result, truth, 1, window, 64);
    // 40000 is sampled early (a multiple of 1000); a short range elsewhere needs a finer window.
    expect(found(result, 1).holding).toContainEqual([40_000, 4]);
    const top = { start: 65_500, end: 65_535 };
    const end = await probeModbus({ target, units: [1], areas: ['holding'], window: top });
    expect(found(end, 1).holding).toEqual(served(truth, 1, top, 'holding'));
    expect(end.units[0]!.areas[0]!.resolution).toBe(1);
    const read = await readModbusRegisters({ target, unit: 1, area: 'holding', start: 40_000, count: 4 });
    const likely = registerView('holding', read.start, read.values).likely.map((v) => `${v.type} ${v.order} ${v.value}`);
    expect(likely).toContain('float32 CDAB 123.456');
  });

  it('snapshots what it found into a profile our simulator serves the same way', async () => {
    const window = { start: 0, end: 4095 };
    const probe = { target, units: [1], areas: ['holding' as const, 'coil' as const], window, resolution: 16 };
    const first = await probeModbus(probe);
    const reads: ModbusReadResult[] = [];
    for (const area of first.units[0]!.areas) {
      for (const [start, count] of area.ranges) reads.push(await readModbusRegisters({ target, unit: 1, area: area.area, start, count }));
    }
    const profile = simulatorFile.parse(snapshotProfile(first, reads, { id: 'pymodbus-copy' })) as ModbusProfile;
    const copy = await startModbusSimulator(profile, { baseDir: process.cwd(), log: quietLog });
    cleanups.push(() => copy.stop());
    const copyTarget = { ...target, transport: { kind: 'tcp' as const, host: '127.0.0.1', port: copy.port } };
    const second = await probeModbus({ ...probe, target: copyTarget });
    expect(found(second, 1)).toEqual(found(first, 1));
    const again = await readModbusRegisters({ target: copyTarget, unit: 1, area: 'holding', start: 1000, count: 40 });
    expect(again.values).toEqual(reads.find((r) => r.area === 'holding' && r.start === 1000)!.values);
  });
});

describe('discovery over Modbus RTU (pymodbus on a pseudo-terminal pair)', () => {
  let server: PymodbusServer;
  let truth: Served;
  let target: ModbusTarget;

  beforeAll(async () => {
    server = await startPymodbus(['rtu', 'discovery']);
    const ready = JSON.parse(server.ready) as { pty: string; units: Served };
    truth = ready.units;
    target = { transport: { kind: 'rtu', path: ready.pty, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 }, timeoutMs: 1000 };
  });
  afterAll(async () => server?.stop());

  it('sweeps the bus (silence means no unit) and probes the ranges over the serial line', async () => {
    const window = { start: 0, end: 2099 };
    const result = await probeModbus({ target, units: [1, 2, 4], window, resolution: 32, sweepTimeoutMs: 200 });
    expect(result.error).toBeUndefined();
    expect(result.endpoint).toBe(`${(target.transport as { path: string }).path} 9600 8N1`);
    expect(result.units.map((u) => u.unit)).toEqual([1, 4]);
    expect(result.silent).toEqual([2]);
    expectFound(result, truth, 1, window, 32);
    expectFound(result, truth, 4, window, 32);
    const read = await readModbusRegisters({ target, unit: 1, area: 'coil', start: 2048, count: 20 });
    expect(read.values).toEqual(Array.from({ length: 20 }, (_, i) => ((2048 + i) % 3 === 0 ? 1 : 0)));
  });
});
