// opcua-sink against the simulator: values coerced to the variable's DataType, refusals on the error port.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/shared/sample.ts';
import type { RunningOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { cleanupTempDirs, opcuaDevice, startOpcuaRun, startSim, type OpcuaRun } from '../helpers/opcua.ts';
import { waitFor } from '../helpers/wait.ts';

let sim: RunningOpcuaSimulator;
let live: OpcuaRun | undefined;

beforeEach(async () => {
  sim = await startSim(
    {
      variables: [
        { path: 'Set/Int16', dataType: 'Int16', writable: true, value: 0 },
        { path: 'Set/Float', dataType: 'Float', writable: true, value: 0 },
        { path: 'Set/Flag', dataType: 'Boolean', writable: true, value: false },
        { path: 'Set/Stamp', dataType: 'DateTime', writable: true, value: '2020-01-01T00:00:00Z' },
        { path: 'Set/Total', dataType: 'UInt64', writable: true, value: 0 },
        { path: 'Set/Label', dataType: 'String', writable: true, value: '' },
        { path: 'Status/Speed', dataType: 'Double', value: 1 },
      ],
      packml: { folder: 'Capper' },
    },
    { packmlTransitionMs: 100 },
  );
});
afterEach(async () => {
  await live?.stop();
  await sim.stop();
  live = undefined;
});
afterAll(cleanupTempDirs);

const TAGS = [
  { name: 'int16', nodeId: 'ns=1;s=Set.Int16', writable: true },
  { name: 'float', nodeId: 'ns=1;s=Set.Float', writable: true },
  { name: 'flag', nodeId: 'ns=1;s=Set.Flag', writable: true },
  { name: 'stamp', nodeId: 'ns=1;s=Set.Stamp', writable: true },
  { name: 'total', nodeId: 'ns=1;s=Set.Total', writable: true },
  { name: 'label', nodeId: 'ns=1;s=Set.Label', writable: true },
  // Marked writable in the project, but read-only on the server.
  { name: 'speed', nodeId: 'ns=1;s=Status.Speed', writable: true },
  { name: 'command', nodeId: 'ns=1;s=Capper.Command', writable: true },
  { name: 'ghost', nodeId: 'ns=1;s=Set.Ghost', writable: true },
];

async function sinks(names: string[]): Promise<OpcuaRun> {
  const nodes = Object.fromEntries(names.map((n) => [n, { type: 'opcua-sink', config: { device: 'plc', tag: n } }]));
  live = await startOpcuaRun(nodes, [], [opcuaDevice('plc', { endpoint: sim.endpoint, tags: TAGS })], names.map((n) => `${n}.error`));
  return live;
}

const sample = (value: Sample['value'], quality: Sample['quality'] = 'good'): Sample => ({ path: 'in', value, quality, ts: Date.now() });

async function settle(run: OpcuaRun, node: string, samples: number): Promise<void> {
  await waitFor(`${node} to handle ${samples} samples`, () => run.stats(node).in >= samples && !run.run.stats().nodes[node]!.queued);
  await run.run.settle();
}

describe('opcua-sink', () => {
  it('coerces to Int16, Float, Boolean, DateTime, UInt64 and String, and the server keeps the value', async () => {
    const run = await sinks(['int16', 'float', 'flag', 'stamp', 'total', 'label']);
    run.send('int16', [sample(12.6)]);
    run.send('float', [sample('1.5')]);
    run.send('flag', [sample(1)]);
    run.send('stamp', [sample(Date.parse('2024-03-04T05:06:07.000Z'))]);
    run.send('total', [sample('18446744073709551615')]);
    run.send('label', [sample(42)]);
    for (const n of ['int16', 'float', 'flag', 'stamp', 'total', 'label']) await settle(run, n, 1);
    expect(sim.readValue('Set/Int16')).toBe(13);
    expect(sim.readValue('Set/Float')).toBe(1.5);
    expect(sim.readValue('Set/Flag')).toBe(true);
    expect((sim.readValue('Set/Stamp') as Date).toISOString()).toBe('2024-03-04T05:06:07.000Z');
    expect(sim.readValue('Set/Total')).toEqual([0xffffffff, 0xffffffff]);
    expect(sim.readValue('Set/Label')).toBe('42');
    for (const n of ['int16', 'float', 'flag', 'stamp', 'total', 'label']) {
      expect(run.out[`${n}.error`]).toEqual([]);
      expect(run.stats(n).status).toMatchObject({ connection: 'connected', written: 1 });
    }
  });

  it('sends out-of-range and unconvertible values to the error port, and never writes a bad sample', async () => {
    const run = await sinks(['int16', 'flag']);
    run.send('int16', [sample(40000), sample('abc'), sample(7, 'bad'), sample(-5)]);
    run.send('flag', [sample('maybe')]);
    await settle(run, 'int16', 4);
    await settle(run, 'flag', 1);
    expect(run.out['int16.error']!.map((s) => s.error!.message)).toEqual([
      'plc/int16: 40000 is out of range for Int16 (-32768..32767)',
      'plc/int16: "abc" is not a number (Int16)',
      "plc/int16: not written: the sample's quality is bad",
    ]);
    expect(run.out['flag.error']!.map((s) => s.error!.message)).toEqual(['plc/flag: "maybe" is not a boolean (true/false, 1/0)']);
    expect(sim.readValue('Set/Int16')).toBe(-5);
  });

  it('reports the status the server refuses a write with', async () => {
    const run = await sinks(['speed', 'ghost']);
    run.send('speed', [sample(3)]);
    run.send('ghost', [sample(3)]);
    await settle(run, 'speed', 1);
    await settle(run, 'ghost', 1);
    expect(run.out['speed.error']).toEqual([expect.objectContaining({ value: 3, error: { node: 'speed', message: 'plc/speed: BadNotWritable' } })]);
    expect(run.out['ghost.error']!.map((s) => s.error!.message)).toEqual(['plc/ghost: BadNodeIdUnknown']);
    expect(sim.readValue('Status/Speed')).toBe(1);
  });

  it('drives the simulated PackML state machine through its Command variable', async () => {
    const run = await sinks(['command']);
    expect(sim.packmlState()).toBe(6); // Execute
    run.send('command', [sample(3)]); // Stop
    await settle(run, 'command', 1);
    expect(sim.packmlState()).toBe(7); // Stopping
    await waitFor('Stopped', () => sim.packmlState() === 2);
    run.send('command', [sample(2)]); // Start is not allowed in Stopped
    await settle(run, 'command', 2);
    expect(run.out['command.error']!.map((s) => s.error!.message)).toEqual(['plc/command: BadInvalidState']);
    run.send('command', [sample(1)]); // Reset → Resetting → Idle
    await settle(run, 'command', 3);
    await waitFor('Idle', () => sim.packmlState() === 4);
    run.send('command', [sample(2)]); // Start → Starting → Execute
    await settle(run, 'command', 4);
    await waitFor('Execute', () => sim.packmlState() === 6);
  });

  it('fails writes with the reason while the device is unreachable', async () => {
    const port = sim.port;
    await sim.stop();
    live = await startOpcuaRun(
      { int16: { type: 'opcua-sink', config: { device: 'plc', tag: 'int16' } } },
      [],
      [opcuaDevice('plc', { endpoint: `opc.tcp://127.0.0.1:${port}/plantbench`, tags: TAGS })],
      ['int16.error'],
    );
    live.send('int16', [sample(1)]);
    await settle(live, 'int16', 1);
    expect(live.out['int16.error']!.map((s) => s.error!.message)).toEqual([
      `plc/int16: not connected (opc.tcp://127.0.0.1:${port}/plantbench: connection refused (is the server running, and is the port right?))`,
    ]);
    sim = await startSim({ variables: [{ path: 'Set/Int16', dataType: 'Int16', writable: true, value: 0 }] });
  });
});
