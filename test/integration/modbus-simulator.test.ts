// The Modbus simulator on its own, driven through the connector's ModbusSession (the interface
// discovery will use): port 0, signals, CSV replay, writes, sparse maps, unit ids, stop.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createModbusConnector, type ModbusSession } from '../../src/connectors/modbus/index.ts';
import { decodeRegisters } from '../../src/shared/codec/modbus.ts';
import type { RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { quietLog, startSim } from '../helpers/modbus.ts';
import { sleep } from '../helpers/wait.ts';

const OPTS = { timeoutMs: 300, retries: 0 };
const connector = createModbusConnector({ dataDir: tmpdir(), log: quietLog });
let sims: RunningModbusSimulator[] = [];
let sessions: ModbusSession[] = [];
let dirs: string[] = [];

afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(sims.map((s) => s.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  sessions = [];
  sims = [];
  dirs = [];
  await connector.dispose();
});

async function sim(points: unknown[], options: Parameters<typeof startSim>[1] = {}): Promise<RunningModbusSimulator> {
  const s = await startSim(points, options);
  sims.push(s);
  return s;
}

function session(s: RunningModbusSimulator): ModbusSession {
  const x = connector.openSession({ kind: 'tcp', host: s.host, port: s.port });
  sessions.push(x);
  return x;
}

/** The error a promise rejects with (its message). */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('modbus simulator', () => {
  it('listens on a free port when given port 0 and says where', async () => {
    const s = await sim([{ name: 'x', area: 'holding', address: 0, value: 7 }]);
    expect(s.port).toBeGreaterThan(0);
    expect(s.host).toBe('127.0.0.1');
    expect(s.endpoint).toBe(`modbus://127.0.0.1:${s.port} (unit 1)`);
    expect(await session(s).readRegisters(1, 'holding', 0, 1, OPTS)).toEqual([7]);
  });

  it('drives points from signals every updateMs', async () => {
    const s = await sim([{ name: 'n', area: 'input', address: 0, type: 'uint32', signal: { kind: 'counter', everyMs: 50 }, updateMs: 50 }]);
    const x = session(s);
    const first = decodeRegisters(await x.readRegisters(1, 'input', 0, 2, OPTS), { type: 'uint32' }) as number;
    await sleep(300);
    const later = decodeRegisters(await x.readRegisters(1, 'input', 0, 2, OPTS), { type: 'uint32' }) as number;
    expect(later).toBeGreaterThan(first);
  });

  it('replays a CSV column read relative to baseDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-csv-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'level.csv'), 'ms,level\n0,12.5\n60000,99\n');
    const s = await sim(
      [{ name: 'level', area: 'holding', address: 4, type: 'float32', order: 'CDAB', signal: { kind: 'csv', file: 'level.csv', column: 'level', timeColumn: 'ms' } }],
      { baseDir: dir },
    );
    expect(decodeRegisters(await session(s).readRegisters(1, 'holding', 4, 2, OPTS), { type: 'float32', order: 'CDAB' })).toBe(12.5);
  });

  it('keeps written values of constant points, and lets signals overwrite theirs', async () => {
    const s = await sim([
      { name: 'sp', area: 'holding', address: 0, type: 'uint16', value: 1 },
      { name: 'ramp', area: 'holding', address: 1, type: 'uint16', signal: { kind: 'sequence', values: [5], dwellMs: 1000 }, updateMs: 50 },
      { name: 'on', area: 'coil', address: 0, type: 'bool', value: false },
    ]);
    const x = session(s);
    await x.writeRegisters(1, 0, [999, 1], OPTS);
    await x.writeCoils(1, 0, [true], OPTS);
    await sleep(200);
    expect(await x.readRegisters(1, 'holding', 0, 2, OPTS)).toEqual([999, 5]);
    expect(await x.readBits(1, 'coil', 0, 1, OPTS)).toEqual([true]);
    await x.writeRegisterBit(1, 0, 15, true, OPTS);
    expect(await x.readRegisters(1, 'holding', 0, 1, OPTS)).toEqual([999 | 0x8000]);
  });

  it('answers exception 2 for any read or write touching an unmapped address, and 3 for too long a read', async () => {
    const s = await sim([
      { name: 'a', area: 'holding', address: 10, type: 'float32', value: 1 },
      { name: 'c', area: 'coil', address: 3, type: 'bool', value: true },
    ]);
    const x = session(s);
    const at = `modbus 127.0.0.1:${s.port} unit 1`;
    expect(await rejection(x.readRegisters(1, 'holding', 9, 2, OPTS))).toBe(`${at}: read holding registers 9-10 (400010-400011): Illegal data address (exception 2)`);
    expect(await rejection(x.readRegisters(1, 'holding', 10, 3, OPTS))).toMatch(/Illegal data address \(exception 2\)$/);
    expect(await rejection(x.readRegisters(1, 'input', 10, 1, OPTS))).toMatch(/Illegal data address \(exception 2\)$/);
    expect(await rejection(x.readBits(1, 'coil', 2, 2, OPTS))).toBe(`${at}: read coils 2-3 (000003-000004): Illegal data address (exception 2)`);
    expect(await rejection(x.writeRegisters(1, 11, [1, 2], OPTS))).toBe(`${at}: write holding registers 11-12 (400012-400013): Illegal data address (exception 2)`);
    // Nothing of a refused write lands.
    expect(await x.readRegisters(1, 'holding', 10, 2, OPTS)).toEqual([0x3f80, 0]);
    expect(await rejection(x.readRegisters(1, 'holding', 10, 126, OPTS))).toMatch(/Illegal data value \(exception 3\)$/);
  });

  it('does not answer other unit ids; unitId 0 answers all', async () => {
    const s = await sim([{ name: 'x', area: 'holding', address: 0, value: 1 }], { unitId: 5 });
    const x = session(s);
    expect(await x.readRegisters(5, 'holding', 0, 1, OPTS)).toEqual([1]);
    expect(await rejection(x.readRegisters(6, 'holding', 0, 1, OPTS))).toMatch(/unit 6: read holding register 0 \(400001\): Timeout after 300 ms$/);
    const any = await sim([{ name: 'x', area: 'holding', address: 0, value: 2 }], { unitId: 0 });
    const y = session(any);
    expect(await y.readRegisters(17, 'holding', 0, 1, OPTS)).toEqual([2]);
    expect(await y.readRegisters(1, 'holding', 0, 1, OPTS)).toEqual([2]);
    expect(any.stats().byUnit).toEqual({ 1: 1, 17: 1 });
  });

  it('refuses profiles whose points overlap or do not fit, naming the points', async () => {
    await expect(startSim([
      { name: 'a', area: 'holding', address: 0, type: 'float32' },
      { name: 'b', area: 'holding', address: 1, type: 'uint16' },
    ])).rejects.toThrow('points "a" and "b" overlap at holding 1');
    await expect(startSim([{ name: 'c', area: 'coil', address: 0, type: 'uint16' }])).rejects.toThrow('point "c": a coil holds one bit, so its type must be bool (it is uint16)');
    await expect(startSim([{ name: 'd', area: 'holding', address: 65535, type: 'float32' }])).rejects.toThrow('point "d": 2 registers from 65535 run past address 65535');
    // Constants are clamped to the type like signals: 40000 saturates an int16 at 32767.
    const clamped = await sim([{ name: 'e', area: 'holding', address: 0, type: 'int16', value: 40000 }]);
    expect(await session(clamped).readRegisters(1, 'holding', 0, 1, OPTS)).toEqual([32767]);
    await expect(startSim([{ name: 's', area: 'holding', address: 0, type: 'string', length: 2, value: 'too long' }])).rejects.toThrow(/point "s": cannot hold "too long" as string/);
    // Bit points may share a register.
    const ok = await sim([
      { name: 'b0', area: 'holding', address: 0, type: 'bit', bit: 0, value: true },
      { name: 'b2', area: 'holding', address: 0, type: 'bit', bit: 2, value: true },
    ]);
    expect(await session(ok).readRegisters(1, 'holding', 0, 1, OPTS)).toEqual([5]);
  });

  it('stop closes the server and its client connections, and the port can be reused', async () => {
    const s = await startSim([{ name: 'x', area: 'holding', address: 0, value: 1 }]);
    const socket = connect({ host: s.host, port: s.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await s.stop();
    await closed;
    const again = await sim([{ name: 'x', area: 'holding', address: 0, value: 2 }], { port: s.port });
    expect(await session(again).readRegisters(1, 'holding', 0, 1, OPTS)).toEqual([2]);
  });
});
