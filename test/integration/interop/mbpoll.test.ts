// Interop: Debian's mbpoll (a Modbus master we did not write) against our simulator: it reads the
// values the simulator serves, in mbpoll's own word orders, and writes values our connector reads.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningModbusSimulator } from '../../../src/simulators/modbus/index.ts';
import { latest } from '../../helpers/live-run.ts';
import { modbusDevice, startModbusRun, startSim } from '../../helpers/modbus.ts';
import { waitFor } from '../../helpers/wait.ts';

const MBPOLL = '/usr/bin/mbpoll';
const UNIT = 3;

let sim: RunningModbusSimulator;

beforeAll(async () => {
  if (!existsSync(MBPOLL)) throw new Error(`${MBPOLL} is missing: install the apt package mbpoll`);
  sim = await startSim(
    [
      // mbpoll's 32-bit types use little-endian word order (CDAB) unless given -B (ABCD).
      { name: 'level', area: 'holding', address: 0, type: 'float32', order: 'CDAB', value: 123.456 },
      { name: 'level_be', area: 'holding', address: 2, type: 'float32', order: 'ABCD', value: -0.5 },
      { name: 'count', area: 'holding', address: 4, type: 'int32', order: 'CDAB', value: -123456 },
      { name: 'count_be', area: 'holding', address: 6, type: 'int32', order: 'ABCD', value: 2000000000 },
      { name: 'speed', area: 'holding', address: 8, type: 'uint16', value: 1500 },
      { name: 'delta', area: 'holding', address: 9, type: 'int16', value: -5 },
      { name: 'setpoint', area: 'holding', address: 20, type: 'uint16', value: 0 },
      { name: 'target', area: 'holding', address: 22, type: 'float32', order: 'CDAB', value: 0 },
      { name: 'temp', area: 'input', address: 0, type: 'float32', order: 'CDAB', value: -40.25 },
      { name: 'motor', area: 'coil', address: 0, type: 'bool', value: true },
      { name: 'pump', area: 'coil', address: 1, type: 'bool', value: false },
      { name: 'door', area: 'discrete-input', address: 0, type: 'bool', value: true },
    ],
    { unitId: UNIT },
  );
});

afterAll(async () => {
  await sim?.stop();
});

/** Runs mbpoll once against the simulator (async: the simulator runs in this process). */
function mbpoll(args: string[]): Promise<{ code: number; out: string }> {
  const all = ['-m', 'tcp', '-a', String(UNIT), '-p', String(sim.port), '-o', '0.5', ...args];
  return new Promise((resolve) => {
    execFile(MBPOLL, all, { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

/** The values of "[ref]: value" lines. */
async function read(args: string[]): Promise<string[]> {
  const { out } = await mbpoll([...args, '-1', '127.0.0.1']);
  const values = [...out.matchAll(/^\[(\d+)\]:\s+(.+)$/gm)].map((m) => m[2]!.trim());
  if (values.length === 0) throw new Error(`mbpoll ${args.join(' ')} printed no values:\n${out}`);
  return values;
}

describe('interop: mbpoll against the Modbus simulator', () => {
  it('reads 32-bit floats and integers in both word orders', async () => {
    expect(await read(['-t', '4:float', '-r', '1', '-c', '1'])).toEqual(['123.456']);
    expect(await read(['-t', '4:float', '-B', '-r', '3', '-c', '1'])).toEqual(['-0.5']);
    expect(await read(['-t', '4:int', '-r', '5', '-c', '1'])).toEqual(['-123456']);
    expect(await read(['-t', '4:int', '-B', '-r', '7', '-c', '1'])).toEqual(['2000000000']);
    expect(await read(['-t', '3:float', '-r', '1', '-c', '1'])).toEqual(['-40.25']);
  });

  it('reads 16-bit registers, coils and discrete inputs, with 0-based references too', async () => {
    expect(await read(['-t', '4', '-r', '9', '-c', '2'])).toEqual(['1500', '65531 (-5)']);
    expect(await read(['-t', '4', '-0', '-r', '8', '-c', '1'])).toEqual(['1500']);
    expect(await read(['-t', '0', '-r', '1', '-c', '2'])).toEqual(['1', '0']);
    expect(await read(['-t', '1', '-r', '1', '-c', '1'])).toEqual(['1']);
  });

  it('gets exception 2 for unmapped registers and no answer for another unit', async () => {
    const unmapped = await mbpoll(['-t', '4', '-r', '11', '-c', '1', '-1', '127.0.0.1']);
    expect(unmapped.out).toContain('Illegal data address');
    // A read that only partly covers mapped registers fails as a whole.
    const partly = await mbpoll(['-t', '4', '-r', '9', '-c', '3', '-1', '127.0.0.1']);
    expect(partly.out).toContain('Illegal data address');
    const otherUnit = await mbpoll(['-a', '9', '-t', '4', '-r', '1', '-c', '1', '-1', '127.0.0.1']);
    expect(otherUnit.out).toContain('timed out');
  });

  it('writes registers that the simulator keeps and our connector reads', async () => {
    expect((await mbpoll(['-t', '4', '-r', '21', '127.0.0.1', '4321'])).out).toContain('Written 1 references');
    expect((await mbpoll(['-t', '4:float', '-r', '23', '127.0.0.1', '--', '-2.5'])).out).toContain('Written 1 references');
    expect(await read(['-t', '4', '-r', '21', '-c', '1'])).toEqual(['4321']);

    const device = modbusDevice('sim', sim, {
      unitId: UNIT,
      pollGroups: [{ id: 'g', intervalMs: 100 }],
      tags: [
        { name: 'setpoint', area: 'holding', address: 20, type: 'uint16' },
        { name: 'target', area: 'holding', address: 22, type: 'float32', order: 'CDAB' },
      ],
    });
    const r = await startModbusRun({ src: { type: 'modbus-source', config: { device: 'sim' } } }, [], [device]);
    try {
      await waitFor('both values', () => latest(r.out['src.out']!).size === 2);
      const values = Object.fromEntries([...latest(r.out['src.out']!)].map(([path, s]) => [path, s.value]));
      expect(values).toEqual({ 'sim/setpoint': 4321, 'sim/target': -2.5 });
    } finally {
      await r.stop();
    }
  });
});
