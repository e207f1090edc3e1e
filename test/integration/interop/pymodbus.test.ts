// Interop: our modbus-source and modbus-sink against a pymodbus server (Debian's python3-pymodbus),
// a Modbus implementation we did not write, whose registers are computed with Python's struct.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latest } from '../../helpers/live-run.ts';
import { modbusDevice, startModbusRun, type ModbusRun } from '../../helpers/modbus.ts';
import { freePort } from '../../helpers/net.ts';
import { startPymodbus, type PymodbusServer } from '../../helpers/pymodbus.ts';
import { waitFor } from '../../helpers/wait.ts';

let server: PymodbusServer | undefined;
let port = 0;

beforeAll(async () => {
  port = await freePort();
  server = await startPymodbus([String(port)]);
});

afterAll(async () => server?.stop());

describe('interop with a pymodbus server', () => {
  let run: ModbusRun | undefined;
  afterAll(async () => run?.stop());

  it('reads its registers, coils and input registers with the right values', async () => {
    const device = modbusDevice('py', { host: '127.0.0.1', port }, {
      unitId: 1,
      pollGroups: [{ id: 'g', intervalMs: 200 }],
      tags: [
        { name: 'level', area: 'holding', address: 0, type: 'float32', order: 'CDAB' },
        { name: 'count', area: 'holding', address: 2, type: 'uint32', order: 'ABCD' },
        { name: 'delta', area: 'holding', address: 4, type: 'int16' },
        { name: 'pi', area: 'holding', address: 10, type: 'float64' },
        { name: 'big', area: 'holding', address: 14, type: 'int64' },
        { name: 'minus2', area: 'holding', address: 18, type: 'int32', order: 'BADC' },
        { name: 'temp', area: 'input', address: 0, type: 'float32', order: 'DCBA' },
        ...[0, 1, 2, 3, 7].map((i) => ({ name: `coil${i}`, area: 'coil', address: i, type: 'bool' })),
        { name: 'beyond', area: 'holding', address: 40, type: 'uint16' },
      ],
    });
    run = await startModbusRun({ src: { type: 'modbus-source', config: { device: 'py' } } }, [], [device]);
    const r = run;
    await waitFor('a value of every tag', () => latest(r.out['src.out']!).size === 13);
    const values = Object.fromEntries([...latest(r.out['src.out']!)].map(([path, s]) => [path, s.quality === 'good' ? s.value : s.status?.text]));
    expect(values).toEqual({
      'py/level': 123.456,
      'py/count': 3456789012,
      'py/delta': -1234,
      'py/pi': 3.14159265358979,
      'py/big': '-9007199254740993',
      'py/minus2': -2,
      'py/temp': -40.25,
      'py/coil0': true,
      'py/coil1': false,
      'py/coil2': true,
      'py/coil3': true,
      'py/coil7': true,
      'py/beyond': 'Illegal data address (exception 2)',
    });
  });

  it('writes a float32 (FC16), an int16 (FC6) and a coil (FC5) that pymodbus stores', async () => {
    const device = modbusDevice('py', { host: '127.0.0.1', port }, {
      unitId: 1,
      pollGroups: [{ id: 'g', intervalMs: 100 }],
      tags: [
        { name: 'level', area: 'holding', address: 0, type: 'float32', order: 'CDAB', writable: true },
        { name: 'delta', area: 'holding', address: 4, type: 'int16', writable: true },
        { name: 'coil1', area: 'coil', address: 1, type: 'bool', writable: true },
      ],
    });
    const w = await startModbusRun(
      {
        'w-level': { type: 'modbus-sink', config: { device: 'py', tag: 'level' } },
        'w-delta': { type: 'modbus-sink', config: { device: 'py', tag: 'delta' } },
        'w-coil1': { type: 'modbus-sink', config: { device: 'py', tag: 'coil1' } },
        src: { type: 'modbus-source', config: { device: 'py' } },
      },
      [],
      [device],
    );
    try {
      const now = Date.now();
      w.run.inject('w-level', 'in', [{ path: 'x', value: -7.125, quality: 'good', ts: now }]);
      w.run.inject('w-delta', 'in', [{ path: 'x', value: 321, quality: 'good', ts: now }]);
      w.run.inject('w-coil1', 'in', [{ path: 'x', value: true, quality: 'good', ts: now }]);
      await waitFor('three writes', () => ['w-level', 'w-delta', 'w-coil1'].every((id) => w.status(id).writes === 1));
      const after = w.out['src.out']!.length;
      await waitFor('values read after the writes', () => latest(w.out['src.out']!.slice(after)).size === 3);
      const values = Object.fromEntries([...latest(w.out['src.out']!.slice(after))].map(([path, s]) => [path, s.value]));
      expect(values).toEqual({ 'py/level': -7.125, 'py/delta': 321, 'py/coil1': true });
      expect(['w-level', 'w-delta', 'w-coil1'].flatMap((id) => w.out[`${id}.error`]!)).toEqual([]);
    } finally {
      await w.stop();
    }
  });
});
