import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import modbusSerial from 'modbus-serial';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import type { Sample } from '../../src/shared/sample.ts';
import { startSimulator } from '../../src/simulators/index.ts';
import { RecordingStore } from '../../src/store/recordings.ts';
import { openWorkspaceDb, workspaceDbPath } from '../../src/store/workspace-db.ts';
import { cleanupAfterEach } from '../helpers/cleanups.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

// Simulators replaying a recording from the project's workspace DB: the Modbus server serves the
// recorded values in the point's type (engineering values scaled back to raw), holds the last good
// value through a bad sample, and stops at the end when not looping; the MQTT simulator publishes a
// topic's replayed fields together at the recorded times. Servers on 127.0.0.75/76.

const cleanups = cleanupAfterEach();
const T0 = 1_763_800_000_000;

/** A project folder whose workspace DB holds one recording of these samples; returns its id. */
function recorded(samples: Sample[]): { root: string; id: number } {
  const root = mkdtempSync(join(tmpdir(), 'plantbench-replay-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const db = openWorkspaceDb(workspaceDbPath(root));
  const store = new RecordingStore(db);
  const id = store.create({ name: 'replay', mode: 'live-read-only', pipelines: [] });
  const tags = new Map<string, number>();
  for (const s of samples) if (!tags.has(s.path)) tags.set(s.path, store.addTag(id, { path: s.path }));
  store.append(id, samples.map((s) => ({ tag: tags.get(s.path)!, sample: s })));
  store.finish(id, { stopReason: 'stopped' });
  db.close();
  return { root, id };
}

/** A simulator profile replaying `recording`, bound to our own loopback address. */
const replaying = (protocol: 'modbus' | 'mqtt', host: string, replay: Record<string, unknown>, fields: Record<string, unknown>) =>
  simulatorFile.parse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: protocol === 'modbus' ? 'plc' : 'pal', protocol, bind: { host, port: 0 }, replay, ...fields });

const at = (path: string, value: Sample['value'], ms: number, quality: Sample['quality'] = 'good'): Sample => ({ path, value, quality, ts: T0 + ms });

describe('replay in the simulators', () => {
  it('Modbus: recorded engineering values become raw registers at their times; a bad sample holds the last value; once stops at the end', async () => {
    const { root, id } = recorded([at('plc/temp', 20.5, 0), at('plc/temp', 21, 300), at('plc/temp', null, 600, 'bad'), at('plc/temp', 22.5, 900)]);
    const logs: string[] = [];
    const profile = replaying('modbus', '127.0.0.75', { recording: id, loop: false }, {
      points: [
        { name: 'temp', area: 'holding', address: 0, type: 'int16', signal: { kind: 'replay', tag: 'plc/temp', scale: { factor: 0.1 } } },
        { name: 'gone', area: 'holding', address: 1, type: 'int16', signal: { kind: 'replay', tag: 'plc/gone' } },
      ],
    });
    const sim = await startSimulator(profile, { baseDir: root, log: (level, message) => logs.push(`${level} ${message}`) });
    cleanups.push(() => sim.stop());
    expect(logs).toContain(`warn simulator "plc": recording ${id} has no samples of plc/gone; they keep their start value`);
    const ModbusRTU = modbusSerial as unknown as typeof import('modbus-serial/ModbusRTU.js').ModbusRTU;
    const client = new ModbusRTU();
    cleanups.push(() => new Promise<void>((done) => (client.isOpen ? client.close(() => done()) : done())));
    await client.connectTCP(sim.host, { port: sim.port });
    client.setID(1);
    const seen: number[] = [];
    await waitFor(
      () => `205, 210, 225 in turn (read ${seen.join(', ')})`,
      () => seen.at(-1) === 225,
      10_000,
      async () => {
        const [temp, gone] = (await client.readHoldingRegisters(0, 2)).data;
        expect(gone).toBe(0);
        if (seen.at(-1) !== temp) seen.push(temp!);
      },
    );
    expect(seen).toEqual([205, 210, 225]);
    // Played once: past where a loop would start over (one period after the start), it still holds the last value.
    await sleep(1300);
    expect((await client.readHoldingRegisters(0, 1)).data).toEqual([225]);
  });

  it('MQTT: the fields of a topic are published together when the recording says, at N× speed', async () => {
    const samples = [0, 1, 2, 3].flatMap((i) => [at('pal/pallets', i, i * 400), at('pal/mode', i < 2 ? 'auto' : 'manual', i * 400)]);
    const { root, id } = recorded(samples);
    const profile = replaying('mqtt', '127.0.0.76', { recording: id, speed: 2 }, {
      topics: [{ topic: 'pal/status', fields: { pallets: { kind: 'replay', tag: 'pal/pallets' }, mode: { kind: 'replay', tag: 'pal/mode' } } }],
    });
    const sim = await startSimulator(profile, { baseDir: root, log: () => {} });
    cleanups.push(() => sim.stop());
    const client = await mqtt.connectAsync(sim.endpoint, { protocolVersion: 4 });
    cleanups.push(() => client.endAsync());
    const got: { pallets: number; mode: string }[] = [];
    client.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString()) as { pallets: number; mode: string }));
    await client.subscribeAsync('pal/status');
    // Looped: once a whole round has been seen after the first wrap, the order is the recorded one.
    await waitFor(() => `two rounds (got ${JSON.stringify(got)})`, () => got.filter((m) => m.pallets === 0).length >= 2 && got.at(-1)?.pallets === 3, 10_000);
    const round = got.slice(got.findIndex((m) => m.pallets === 0));
    expect(round.slice(0, 4).map((m) => [m.pallets, m.mode])).toEqual([
      [0, 'auto'],
      [1, 'auto'],
      [2, 'manual'],
      [3, 'manual'],
    ]);
  });

  it('refuses to start on a recording that is not there, naming it', async () => {
    const { root } = recorded([at('plc/temp', 1, 0)]);
    const profile = replaying('modbus', '127.0.0.75', { recording: 42 }, { points: [{ name: 'temp', area: 'holding', address: 0, signal: { kind: 'replay', tag: 'plc/temp' } }] });
    await expect(startSimulator(profile, { baseDir: root, log: () => {} })).rejects.toThrow(`there is no recording 42 in ${workspaceDbPath(root)}`);
  });
});
