// The Modbus connector (through real PipelineRuns, real clock) against the Modbus simulator
// (modbus-serial's ServerTCP) on 127.0.0.1, port 0.
import { afterEach, describe, expect, it } from 'vitest';
import { planReads } from '../../src/connectors/modbus/plan.ts';
import { MODBUS_ORDERS, type ModbusTag } from '../../src/shared/model/device.ts';
import type { Sample } from '../../src/shared/sample.ts';
import type { RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { latest } from '../helpers/live-run.ts';
import { modbusDevice, startModbusRun, startSim, type ModbusRun } from '../helpers/modbus.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

let sims: RunningModbusSimulator[] = [];
let runs: ModbusRun[] = [];
afterEach(async () => {
  await Promise.all(runs.map((r) => r.stop()));
  await Promise.all(sims.map((s) => s.stop()));
  runs = [];
  sims = [];
});

async function sim(points: unknown[], options: Parameters<typeof startSim>[1] = {}): Promise<RunningModbusSimulator> {
  const s = await startSim(points, options);
  sims.push(s);
  return s;
}

async function start(...args: Parameters<typeof startModbusRun>): Promise<ModbusRun> {
  const r = await startModbusRun(...args);
  runs.push(r);
  return r;
}

const VALUES = {
  int16: -12345,
  uint16: 54321,
  int32: -123456789,
  uint32: 3456789012,
  int64: '-1234567890123456789',
  uint64: '12345678901234567890',
  float32: 123.456,
  float64: -9876.54321,
} as const;

describe('modbus-source against the simulator', () => {
  it('reads every type in every byte/word order, bits, strings, coils and inputs', async () => {
    const points: Record<string, unknown>[] = [];
    let address = 0;
    for (const [type, value] of Object.entries(VALUES)) {
      const width = type.endsWith('64') ? 4 : type.endsWith('32') ? 2 : 1;
      for (const order of MODBUS_ORDERS) {
        points.push({ name: `${type}_${order}`, area: 'holding', address, type, order, value });
        address += width;
      }
    }
    points.push(
      { name: 'bool_on', area: 'holding', address: 200, type: 'bool', value: true },
      { name: 'bit0', area: 'holding', address: 201, type: 'bit', bit: 0, value: true },
      { name: 'bit7', area: 'holding', address: 201, type: 'bit', bit: 7, value: false },
      { name: 'bit15', area: 'holding', address: 201, type: 'bit', bit: 15, value: true },
      { name: 'text', area: 'holding', address: 210, type: 'string', length: 8, value: 'FL-100 line 1' },
      { name: 'text_badc', area: 'holding', address: 220, type: 'string', length: 4, order: 'BADC', value: 'Capper' },
      { name: 'motor', area: 'coil', address: 3, type: 'bool', value: true },
      { name: 'door', area: 'discrete-input', address: 9, type: 'bool', value: true },
      { name: 'temp', area: 'input', address: 7, type: 'float32', order: 'DCBA', value: -40.25 },
    );
    const s = await sim(points);
    // Address base 1: the device names the same registers one higher.
    const tags = points.map(({ value: _v, ...p }) => ({ ...p, address: (p.address as number) + 1 }));
    const device = modbusDevice('plc', s, { addressBase: 1, pollGroups: [{ id: 'all', intervalMs: 500 }], tags });
    const r = await start({ src: { type: 'modbus-source', config: { device: 'plc' } } }, [], [device]);
    await waitFor('one value of every tag', () => r.out['src.out']!.length >= points.length);

    const got = latest(r.out['src.out']!);
    for (const p of points) {
      const sample = got.get(`plc/${p.name as string}`)!;
      expect(sample, `plc/${p.name as string}`).toBeDefined();
      expect([p.name, sample.value, sample.quality]).toEqual([p.name, p.value, 'good']);
      expect(sample.meta?.dataType).toBe(p.type);
    }
    expect(r.out['src.error']).toEqual([]);
  });

  it('applies scale, unit and range and stamps samples with the response time', async () => {
    const s = await sim([{ name: 'raw', area: 'input', address: 0, type: 'int16', value: 1234 }]);
    const device = modbusDevice('m', s, {
      tags: [{ name: 'flow', area: 'input', address: 0, type: 'int16', scale: { factor: 0.1, offset: -3 }, unit: 'm3/h', range: { low: 0, high: 200 } }],
      pollGroups: [{ id: 'g', intervalMs: 200 }],
    });
    const before = Date.now();
    const r = await start({ src: { type: 'modbus-source', config: { device: 'm' } } }, [], [device]);
    await waitFor('a sample', () => r.out['src.out']!.length > 0);
    const sample = r.out['src.out']![0]!;
    expect(sample.path).toBe('m/flow');
    expect(sample.value).toBeCloseTo(120.4);
    expect(sample.meta).toEqual({ dataType: 'int16', unit: 'm3/h', range: { low: 0, high: 200 } });
    expect(sample.ts).toBeGreaterThanOrEqual(before);
    expect(sample.ts).toBeLessThanOrEqual(Date.now());
  });

  it('coalesces the tags of every node of a poll group into the planned requests', async () => {
    const points = [
      ...Array.from({ length: 300 }, (_, i) => ({ name: `r${i}`, area: 'holding', address: i, type: 'uint16', value: i })),
      ...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, area: 'holding', address: 1000 + i * 2, type: 'float32', value: i + 0.5 })),
      ...Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, area: 'coil', address: i, type: 'bool', value: i % 2 === 0 })),
    ];
    const s = await sim(points);
    const tags: Record<string, unknown>[] = [
      // Every third register: gaps of 2 merge (maxGap 10) into requests of at most 125 registers.
      ...Array.from({ length: 100 }, (_, i) => ({ name: `r${i * 3}`, area: 'holding', address: i * 3, type: 'uint16' })),
      ...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, area: 'holding', address: 1000 + i * 2, type: 'float32' })),
      ...Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, area: 'coil', address: i, type: 'bool' })),
    ];
    const device = modbusDevice('d', s, { pollGroups: [{ id: 'slow', intervalMs: 60_000 }], tags });
    const planned = planReads(device.protocol === 'modbus' ? (device.tags as ModbusTag[]) : [], { unit: 1, addressBase: 0, maxGap: 10 }).reads;
    expect(planned.map((p) => [p.area, p.offset, p.count])).toEqual([
      ['holding', 0, 124],
      ['holding', 126, 124],
      ['holding', 252, 46],
      ['holding', 1000, 40],
      ['coil', 0, 100],
    ]);
    // Two nodes split the tags between them; the group is polled once for both.
    const names = tags.map((t) => t.name as string);
    const r = await start(
      {
        a: { type: 'modbus-source', config: { device: 'd', tags: names.filter((_, i) => i % 2 === 0) } },
        b: { type: 'modbus-source', config: { device: 'd', tags: names.filter((_, i) => i % 2 === 1) } },
      },
      [],
      [device],
    );
    await waitFor('the first poll in both nodes', () => r.out['a.out']!.length === 110 && r.out['b.out']!.length === 110);
    expect(s.stats().requests).toBe(planned.length);
    expect(s.stats().byFunction).toEqual({ 1: 1, 3: 4 });
    expect(s.stats().connections).toBe(1);
    expect(r.status('a')).toMatchObject({ polls: 1, requests: planned.length, requestErrors: 0, connection: 'connected' });
    const values = latest([...r.out['a.out']!, ...r.out['b.out']!]);
    expect(values.get('d/r297')!.value).toBe(297);
    expect(values.get('d/f19')!.value).toBe(19.5);
    expect(values.get('d/c98')!.value).toBe(true);
  });

  it('skips a poll that is due while the previous one is still running, never stacks it', async () => {
    const points = Array.from({ length: 3000 }, (_, i) => ({ name: `r${i}`, area: 'holding', address: i, type: 'uint16', value: i }));
    const s = await sim(points);
    const device = modbusDevice('big', s, {
      pollGroups: [{ id: 'fast', intervalMs: 10, maxGap: 0 }],
      tags: points.map(({ value: _v, ...p }) => p),
    });
    const perPoll = 24; // 3000 registers / 125
    const r = await start({ src: { type: 'modbus-source', config: { device: 'big' } } }, [], [device]);
    await waitFor('skipped polls', () => Number(r.status('src').pollsSkipped ?? 0) >= 5 && Number(r.status('src').polls ?? 0) >= 5);
    await r.stop();
    const { polls, pollsSkipped, requests } = r.status('src') as { polls: number; pollsSkipped: number; requests: number };
    const sent = s.stats().requests;
    // Every poll sent its 24 requests (the last one may have been cut short by the stop) ...
    expect(requests).toBeGreaterThanOrEqual((polls - 1) * perPoll);
    expect(sent).toBeLessThanOrEqual((polls + 1) * perPoll);
    expect(sent).toBeGreaterThanOrEqual((polls - 1) * perPoll);
    // ... and the skipped ticks sent nothing.
    expect(sent).toBeLessThan((polls + pollsSkipped) * perPoll);
    expect(r.out['src.out']!.length % 3000).toBe(0);
  });

  it('turns exception responses into bad quality with the exception text, once, and isolates the bad address', async () => {
    const s = await sim([
      ...Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, area: 'holding', address: i, type: 'uint16', value: 100 + i })),
      { name: 'f', area: 'holding', address: 20, type: 'float32', value: 1.5 },
    ]);
    const device = modbusDevice('d', s, {
      pollGroups: [{ id: 'g', intervalMs: 100, maxGap: 10 }],
      tags: [
        { name: 'a', area: 'holding', address: 0, type: 'uint16' },
        { name: 'b', area: 'holding', address: 5, type: 'uint16' },
        // Not mapped: the merged read 0..21 answers exception 2 and is split.
        { name: 'missing', area: 'holding', address: 12, type: 'uint16' },
        { name: 'f', area: 'holding', address: 20, type: 'float32' },
        { name: 'nowhere', area: 'input', address: 100, type: 'int32' },
      ],
    });
    const r = await start({ src: { type: 'modbus-source', config: { device: 'd' } } }, [], [device]);
    await waitFor('four polls', () => Number(r.status('src').polls ?? 0) >= 4);
    const out = r.out['src.out']!;
    const byPath = (path: string): Sample[] => out.filter((x) => x.path === path);
    for (const path of ['d/missing', 'd/nowhere']) {
      // Bad once, not on every poll.
      expect(byPath(path).map((x) => [x.value, x.quality, x.status])).toEqual([[null, 'bad', { code: 2, text: 'Illegal data address (exception 2)' }]]);
    }
    expect(byPath('d/a').length).toBeGreaterThanOrEqual(3);
    expect(byPath('d/a').every((x) => x.quality === 'good' && x.value === 100)).toBe(true);
    expect(byPath('d/b').every((x) => x.quality === 'good' && x.value === 105)).toBe(true);
    expect(byPath('d/f').every((x) => x.quality === 'good' && x.value === 1.5)).toBe(true);
    const status = r.status('src');
    expect(Number(status.requestErrors)).toBeGreaterThan(0);
    expect(String(status.lastError)).toMatch(/^d: modbus 127\.0\.0\.1:\d+ unit 1: read (holding register 12 \(400013\)|input registers 100-101 \(300101-300102\)): Illegal data address \(exception 2\)$/);
  });

  it('keeps polling a healthy unit at its rate while another unit on the same connection does not answer', async () => {
    const s = await sim(
      [{ name: 'speed', area: 'holding', address: 0, type: 'uint16', value: 1500 }],
      { unitId: 1 },
    );
    const at = { host: s.host, port: s.port };
    const healthy = modbusDevice('healthy', at, { unitId: 1, pollGroups: [{ id: 'g', intervalMs: 50 }], tags: [{ name: 'speed', area: 'holding', address: 0 }] });
    const dead = modbusDevice('dead', at, { unitId: 2, timeoutMs: 150, retries: 1, pollGroups: [{ id: 'g', intervalMs: 50 }], tags: [{ name: 'speed', area: 'holding', address: 0 }] });
    const r = await start(
      { ok: { type: 'modbus-source', config: { device: 'healthy' } }, gone: { type: 'modbus-source', config: { device: 'dead' } } },
      [],
      [healthy, dead],
    );
    const started = Date.now();
    await sleep(3000);
    const elapsed = Date.now() - started;
    const ok = r.status('ok');
    // One TCP connection for both units.
    expect(s.stats().connections).toBe(1);
    // The healthy unit kept most of its polls (no timing assertion: a generous share of the ticks).
    expect(Number(ok.polls)).toBeGreaterThan((elapsed / 50) * 0.6);
    expect(r.out['ok.out']!.every((x) => x.quality === 'good' && x.value === 1500)).toBe(true);
    // The dead unit is backed off: two attempts, then a probe at 1, 2 (and 4) s, not one per tick.
    expect(s.stats().byUnit[2]).toBeLessThanOrEqual(8);
    expect(Number(r.status('gone').pollsSkipped)).toBeGreaterThan(20);
    expect(r.out['gone.out']!.map((x) => [x.quality, x.status?.text])).toEqual([['bad', 'Timeout after 150 ms']]);
    expect(r.status('gone').unitAnswering).toBe(false);
  });

  it('backs off a lone unit that never answers without churning the connection', async () => {
    const s = await sim([{ name: 'x', area: 'holding', address: 0, value: 1 }], { unitId: 1 });
    const dead = modbusDevice('dead', s, { unitId: 9, timeoutMs: 100, retries: 1, pollGroups: [{ id: 'g', intervalMs: 50 }], tags: [{ name: 'x', area: 'holding', address: 0 }] });
    const r = await start({ src: { type: 'modbus-source', config: { device: 'dead' } } }, [], [dead]);
    await sleep(2500);
    // Two attempts, a probe after 1 s, then (at most) one re-open of the silent socket.
    expect(s.stats().requests).toBeLessThanOrEqual(5);
    expect(s.stats().connections).toBeLessThanOrEqual(2);
    const out = r.out['src.out']!;
    expect(out.length).toBeGreaterThanOrEqual(1);
    expect(out.length).toBeLessThanOrEqual(3);
    expect(out.every((x) => x.quality === 'bad' && x.value === null)).toBe(true);
    expect(out[0]!.status).toEqual({ code: 0x100, text: 'Timeout after 100 ms' });
  });

  it('reports connection, queue depth, staleness and counters in the node status', async () => {
    const s = await sim([{ name: 'x', area: 'holding', address: 0, type: 'uint16', value: 1 }]);
    const device = modbusDevice('d', s, { pollGroups: [{ id: 'g', intervalMs: 50 }], tags: [{ name: 'x', area: 'holding', address: 0 }] });
    const r = await start({ src: { type: 'modbus-source', config: { device: 'd' } } }, [], [device]);
    await waitFor('three polls', () => Number(r.status('src').polls ?? 0) >= 3);
    const status = r.status('src');
    expect(status).toMatchObject({ connection: 'connected', queueDepth: 0, requestErrors: 0, pollsSkipped: 0, samplesSkipped: 0, unitAnswering: true });
    expect(typeof status.stalenessMs).toBe('number');
    expect(Number(status.stalenessMs)).toBeLessThan(60_000);
    expect(Number(status.requests)).toBeGreaterThanOrEqual(3);
  });

  it('reports problems with tags and poll groups on the error port and polls the rest', async () => {
    const s = await sim([{ name: 'x', area: 'holding', address: 0, type: 'uint16', value: 7 }]);
    const device = modbusDevice('d', s, {
      addressBase: 1,
      pollGroups: [{ id: 'g', intervalMs: 50 }],
      tags: [
        { name: 'x', area: 'holding', address: 1 },
        { name: 'zero', area: 'holding', address: 0 },
        { name: 'lost', area: 'holding', address: 2, pollGroup: 'nope' },
      ],
    });
    const r = await start({ src: { type: 'modbus-source', config: { device: 'd' } } }, [], [device]);
    await waitFor('a sample', () => r.out['src.out']!.length > 0);
    expect(r.out['src.error']!.map((x) => x.error?.message)).toEqual([
      'tag "lost" names poll group "nope", which device "d" does not define (it has: g)',
      'device "d": tag "zero": holding register address 0 (base 1) is outside the wire range 0..65535',
    ]);
    expect(r.out['src.out']![0]).toMatchObject({ path: 'd/x', value: 7, quality: 'good' });
  });
});

describe('modbus-sink against the simulator', () => {
  it('writes every kind of tag with the right function and reads the values back', async () => {
    const s = await sim([
      { name: 'sp', area: 'holding', address: 10, type: 'float32', order: 'CDAB', value: 0 },
      { name: 'speed', area: 'holding', address: 12, type: 'int16', value: 0 },
      { name: 'run', area: 'coil', address: 5, type: 'bool', value: false },
      { name: 'flag0', area: 'holding', address: 14, type: 'bit', bit: 0, value: true },
      { name: 'flag3', area: 'holding', address: 14, type: 'bit', bit: 3, value: false },
      { name: 'recipe', area: 'holding', address: 20, type: 'string', length: 5, value: '' },
      { name: 'count', area: 'holding', address: 30, type: 'uint64', order: 'DCBA', value: 0 },
      { name: 'temp', area: 'input', address: 40, type: 'int16', value: 0 },
    ]);
    const tags = [
      { name: 'sp', area: 'holding', address: 10, type: 'float32', order: 'CDAB', writable: true },
      { name: 'speed', area: 'holding', address: 12, type: 'int16', scale: { factor: 0.1, offset: 0 }, writable: true },
      { name: 'run', area: 'coil', address: 5, type: 'bool', writable: true },
      { name: 'flag0', area: 'holding', address: 14, type: 'bit', bit: 0, writable: true },
      { name: 'flag3', area: 'holding', address: 14, type: 'bit', bit: 3, writable: true },
      { name: 'recipe', area: 'holding', address: 20, type: 'string', length: 5, writable: true },
      { name: 'count', area: 'holding', address: 30, type: 'uint64', order: 'DCBA', writable: true },
      { name: 'temp', area: 'input', address: 40, type: 'int16', writable: true },
      { name: 'ghost', area: 'holding', address: 50, type: 'uint16', writable: true },
    ];
    const device = modbusDevice('d', s, { pollGroups: [{ id: 'g', intervalMs: 100 }], tags });
    const sinks = Object.fromEntries(tags.map((t) => [`w-${t.name}`, { type: 'modbus-sink', config: { device: 'd', tag: t.name } }]));
    const w = await start(sinks, [], [device]);
    const write = (tag: string, value: unknown, quality: Sample['quality'] = 'good'): void =>
      w.run.inject(`w-${tag}`, 'in', [{ path: `in/${tag}`, value: value as Sample['value'], quality, ts: Date.now() }]);
    write('sp', 42.5);
    write('speed', 123.4);
    write('run', true);
    write('flag3', true);
    write('recipe', 'PET-1L');
    write('count', '18446744073709551615');
    write('temp', 5);
    write('ghost', 1);
    write('sp', 'abc');
    write('speed', 99, 'bad');
    const written = ['sp', 'speed', 'run', 'flag3', 'recipe', 'count', 'temp', 'ghost'].map((t) => `w-${t}`);
    await waitFor('the writes', () => written.every((id) => w.stats(id).in > 0 && w.stats(id).queued === 0) && w.stats('w-sp').in === 2);
    await w.run.settle();

    expect(w.status('w-sp')).toMatchObject({ writes: 1, writeErrors: 1, connection: 'connected' });
    const errors = Object.keys(sinks).flatMap((id) => w.out[`${id}.error`]!.map((x) => x.error!.message));
    expect(errors.sort()).toEqual(
      [
        `d/ghost: Illegal data address (exception 2) (writing holding register 50 (400051) of unit 1 at 127.0.0.1:${s.port})`,
        'd/sp: cannot write "abc" as float32: not a number',
        "d/speed: not written, the sample's quality is bad",
        'd/temp: input register 40 (300041) is read-only; only coils and holding registers can be written',
      ].sort(),
    );
    expect(s.stats().byFunction).toMatchObject({ 3: 1, 5: 1, 6: 3, 16: 3 });

    const r = await start({ src: { type: 'modbus-source', config: { device: 'd', tags: ['sp', 'speed', 'run', 'flag0', 'flag3', 'recipe', 'count'] } } }, [], [device]);
    await waitFor('the values read back', () => r.out['src.out']!.length >= 7);
    const got = latest(r.out['src.out']!);
    expect(got.get('d/speed')!.value).toBeCloseTo(123.4, 9);
    got.delete('d/speed');
    expect(Object.fromEntries([...got].map(([path, x]) => [path, x.value]))).toEqual({
      'd/sp': 42.5,
      'd/run': true,
      'd/flag0': true,
      'd/flag3': true,
      'd/recipe': 'PET-1L',
      'd/count': '18446744073709551615',
    });
  });
});
