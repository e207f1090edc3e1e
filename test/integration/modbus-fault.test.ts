// Fault test: the simulated device dies mid-run and comes back on the same port.
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/shared/sample.ts';
import type { RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { modbusDevice, startModbusRun, startSim, type ModbusRun } from '../helpers/modbus.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

const POINTS = [
  { name: 'level', area: 'holding', address: 0, type: 'float32', order: 'CDAB', signal: { kind: 'ramp', from: 0, to: 100, periodMs: 10_000 }, updateMs: 100 },
  { name: 'count', area: 'holding', address: 2, type: 'uint32', signal: { kind: 'counter', everyMs: 100 }, updateMs: 100 },
];
const INTERVAL = 200;

let sim: RunningModbusSimulator | undefined;
let run: ModbusRun | undefined;
afterEach(async () => {
  await run?.stop();
  await sim?.stop();
  run = undefined;
  sim = undefined;
});

describe('modbus connector when the device goes away', () => {
  it('turns quality bad within two poll periods and reads values again within 5 s of the return', async () => {
    sim = await startSim(POINTS);
    const port = sim.port;
    const device = modbusDevice('filler', sim, {
      timeoutMs: 500,
      pollGroups: [{ id: 'fast', intervalMs: INTERVAL }],
      tags: [
        { name: 'level', area: 'holding', address: 0, type: 'float32', order: 'CDAB' },
        { name: 'count', area: 'holding', address: 2, type: 'uint32' },
      ],
    });
    run = await startModbusRun({ src: { type: 'modbus-source', config: { device: 'filler' } } }, [], [device]);
    const r = run;
    const polls = (): number => Number(r.status('src').polls ?? 0);
    // The poll count when each batch arrived: "within two periods" is counted in polls, not ms.
    const seen: { batch: readonly Sample[]; polls: number; at: number }[] = [];
    r.run.tap('src', 'out', (batch) => seen.push({ batch, polls: polls(), at: Date.now() }));

    await waitFor('good values', () => seen.filter((b) => b.batch.every((x) => x.quality === 'good')).length >= 3);
    const pollsAtKill = polls();
    await sim.stop();
    sim = undefined;
    const killedAt = seen.length;
    await waitFor('bad quality', () => seen.slice(killedAt).some((b) => b.batch.some((x) => x.quality === 'bad')), 5 * INTERVAL + 2000);
    const firstBad = seen.slice(killedAt).find((b) => b.batch.some((x) => x.quality === 'bad'))!;
    expect(firstBad.polls - pollsAtKill).toBeLessThanOrEqual(2);
    expect(firstBad.batch.map((x) => [x.path, x.quality, x.value])).toEqual([
      ['filler/level', 'bad', null],
      ['filler/count', 'bad', null],
    ]);
    expect(firstBad.batch[0]!.status!.text).toMatch(/connection lost|ECONNREFUSED/);
    expect(r.status('src').connection).not.toBe('connected');

    // Long enough for the reconnect back-off to reach its ceiling.
    await sleep(6000);
    expect(seen.slice(killedAt).flatMap((b) => b.batch).every((x) => x.quality === 'bad')).toBe(true);
    sim = await startSim(POINTS, { port });
    const returnedAt = Date.now();
    const back = seen.length;
    await waitFor('good values after the return', () => seen.slice(back).some((b) => b.batch.every((x) => x.quality === 'good')), 5000);
    const firstGood = seen.slice(back).find((b) => b.batch.every((x) => x.quality === 'good'))!;
    expect(firstGood.at - returnedAt).toBeLessThan(5000);
    expect(typeof firstGood.batch[1]!.value).toBe('number');
    await waitFor('connected status', () => r.status('src').connection === 'connected');
    expect(sim.stats().connections).toBe(1);
  });
});
