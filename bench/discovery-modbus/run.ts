// Modbus register-map probe benchmark: requests (and time) to map a device with 5 disjoint holding
// register ranges in 0-65535, with the bisecting probe at several resolutions and with a naive
// linear scan (one read per address), in the same run, against our Modbus simulator.
//
//   node bench/discovery-modbus/run.ts              full run (window 0-65535), appends to bench/RESULTS.md
//   node bench/discovery-modbus/run.ts --quick      window 0-8191 (the ranges scaled into it)
//   node bench/discovery-modbus/run.ts --no-write   print only
//
// Method:
// - The simulator (modbus-serial's ServerTCP + our register image) runs in a child process
//   (bench/modbus/sim-process.ts) on 127.0.0.1 and counts the requests it receives.
// - One unit (1), holding registers only, a window of the whole address space. The ranges have
//   round and odd starts and lengths 20-64, one of them at the very end of the space.
// - Probe: probeModbus (unit sweep of unit 1 included) with `resolution` R: it stops once every
//   readable range of at least R registers is sure to be found; budget unlimited. "Default" is the
//   CLI's defaults: budget 5000, resolution 1 (as fine as the budget allows).
// - Linear scan: one read of one register per address over one connection, one request in flight,
//   exactly like the probe's requests; it finds every range of any length.
// - Figures: requests sent (the probe's count, checked against the simulator's), wall time, the
//   ranges found exactly. The time is dominated by the simulator: ServerTCP answers each request
//   after a setTimeout(…, 0), about 600 requests/s (see the Modbus connector benchmark).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConnectionPool } from '../../src/connectors/modbus/connection.ts';
import { probeModbus } from '../../src/connectors/modbus/discovery/probe.ts';
import { ModbusRequestError } from '../../src/connectors/modbus/errors.ts';
import type { ModbusProbeResult } from '../../src/shared/discovery/modbus.ts';
import { appendResults, machineLine, markdownTable, shouldWrite, textTable } from '../lib/report.ts';

const QUICK = process.argv.includes('--quick');
const WRITE = shouldWrite();
const WINDOW = { start: 0, end: QUICK ? 8191 : 65535 };
const RANGES: [number, number][] = QUICK
  ? [[0, 20], [1000, 50], [2345, 30], [5000, 64], [8156, 36]]
  : [[0, 20], [1000, 50], [12345, 30], [40000, 64], [65500, 36]];
const RESOLUTIONS = QUICK ? [256, 64, 16] : [1024, 256, 64, 16];

// ---------- simulator process ----------

class SimChild {
  private readonly child: ChildProcess;
  private waiting: ((msg: Record<string, number>) => void)[] = [];

  constructor() {
    this.child = fork(fileURLToPath(new URL('../modbus/sim-process.ts', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (msg) => this.waiting.shift()?.(msg as Record<string, number>));
  }

  ask(msg: object): Promise<Record<string, number>> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(msg);
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.ask({ stop: true });
    await exited;
  }
}

// ---------- runs ----------

interface Row {
  readonly method: string;
  readonly resolution: string;
  readonly requests: number;
  readonly serverRequests: number;
  readonly seconds: number;
  readonly found: [number, number][];
}

const exact = (found: readonly [number, number][]): number => RANGES.filter(([s, n]) => found.some(([fs, fn]) => fs === s && fn === n)).length;

async function probe(sim: SimChild, port: number, label: string, request: { resolution?: number; budget?: number }): Promise<Row> {
  await sim.ask({ reset: true });
  const result: ModbusProbeResult = await probeModbus({
    target: { transport: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 1000 },
    units: [1],
    areas: ['holding'],
    window: WINDOW,
    ...request,
  });
  if (result.error) throw new Error(result.error);
  const area = result.units[0]!.areas[0]!;
  const { requests } = await sim.ask({ stats: true });
  return {
    method: label,
    resolution: `${request.resolution ?? 1} → ${area.resolution}`,
    requests: result.requests,
    serverRequests: requests!,
    seconds: result.durationMs / 1000,
    found: area.ranges,
  };
}

/** One read of one register per address, in order; consecutive readable addresses make a range. */
async function linearScan(sim: SimChild, port: number): Promise<Row> {
  await sim.ask({ reset: true });
  const pool = new ConnectionPool(() => {});
  const session = pool.open({ kind: 'tcp', host: '127.0.0.1', port });
  const started = performance.now();
  const found: [number, number][] = [];
  let requests = 0;
  try {
    for (let a = WINDOW.start; a <= WINDOW.end; a++) {
      requests++;
      try {
        await session.readRegisters(1, 'holding', a, 1, { timeoutMs: 1000, retries: 0 });
        const last = found.at(-1);
        if (last && last[0] + last[1] === a) last[1]++;
        else found.push([a, 1]);
      } catch (err) {
        if (!(err instanceof ModbusRequestError) || err.kind !== 'exception') throw err;
      }
    }
  } finally {
    await session.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const { requests: serverRequests } = await sim.ask({ stats: true });
  return { method: 'linear scan, 1 read per address', resolution: '1', requests, serverRequests: serverRequests!, seconds, found };
}

async function main(): Promise<void> {
  const machine = machineLine();
  console.log(`Modbus register-map probe — ${machine}`);
  console.log(`Device: unit 1, holding ranges ${RANGES.map(([s, n]) => `${s}-${s + n - 1}`).join(', ')}; window ${WINDOW.start}-${WINDOW.end}\n`);
  const sim = new SimChild();
  const points = RANGES.flatMap(([s, n]) => Array.from({ length: n }, (_, i) => ({ name: `r${s + i}`, area: 'holding', address: s + i, type: 'uint16', value: (s + i) & 0xffff })));
  const { port } = await sim.ask({ points });
  const rows: Row[] = [];
  try {
    for (const resolution of RESOLUTIONS) {
      rows.push(await probe(sim, port!, 'bisecting probe', { resolution, budget: 1_000_000 }));
      console.log(`probe, resolution ${resolution}: ${rows.at(-1)!.requests} requests, ${rows.at(-1)!.seconds.toFixed(1)} s`);
    }
    rows.push(await probe(sim, port!, 'bisecting probe, CLI defaults (budget 5000)', {}));
    console.log(`probe, defaults: ${rows.at(-1)!.requests} requests`);
    rows.push(await linearScan(sim, port!));
    console.log(`linear scan: ${rows.at(-1)!.requests} requests, ${rows.at(-1)!.seconds.toFixed(1)} s\n`);
  } finally {
    await sim.stop();
  }

  const linear = rows.at(-1)!;
  const header = ['method', 'resolution asked → reached', 'requests (device counted)', 'fewer than linear', 'time s', 'requests/s', `ranges found exactly (of ${RANGES.length})`];
  const cells = rows.map((r) => [
    r.method,
    r.resolution,
    `${r.requests.toLocaleString('en-US')} (${r.serverRequests.toLocaleString('en-US')})`,
    r === linear ? '–' : `${(linear.requests / r.requests).toFixed(1)}×`,
    r.seconds.toFixed(1),
    (r.requests / r.seconds).toFixed(0),
    String(exact(r.found)),
  ]);
  console.log(textTable([header, ...cells], { rule: true }));
  // The fewest requests that were sure to find every range (resolution reached ≤ the shortest range).
  const shortest = Math.min(...RANGES.map(([, n]) => n));
  const reached = (r: Row): number => Number(r.resolution.split(' → ')[1]);
  const sure = rows.filter((r) => r !== linear && reached(r) <= shortest).sort((a, b) => a.requests - b.requests)[0];
  const lucky = rows.filter((r) => r !== linear && reached(r) > shortest && exact(r.found) === RANGES.length);
  const summary = [
    sure
      ? `At resolution ${reached(sure)} (every range of ${reached(sure)}+ registers sure to be found; the shortest here is ${shortest}) the probe mapped ${exact(sure.found)} of ${RANGES.length} ranges exactly with ${sure.requests.toLocaleString('en-US')} requests against ${linear.requests.toLocaleString('en-US')} for the linear scan: ${(linear.requests / sure.requests).toFixed(0)}× fewer, ${sure.seconds.toFixed(1)} s against ${linear.seconds.toFixed(1)} s.`
      : `No probe setting reached a resolution of ${shortest} (the shortest range).`,
    ...lucky.map((r) => `At resolution ${reached(r)} it also found all ${RANGES.length} (${r.requests.toLocaleString('en-US')} requests), because each shorter range happens to contain a sampled address; that is not guaranteed.`),
  ].join(' ');
  console.log(`\n${summary}`);
  if (WRITE) {
    appendResults(
      `Modbus register-map probe${QUICK ? ' (quick)' : ''}`,
      [
        `Machine: ${machine}. \`node bench/discovery-modbus/run.ts${QUICK ? ' --quick' : ''}\` (method in its header).`,
        '',
        `Our Modbus simulator in a child process on 127.0.0.1, unit 1, holding registers ${RANGES.map(([s, n]) => `${s}-${s + n - 1}`).join(', ')}; window ${WINDOW.start}-${WINDOW.end}; one connection, one request in flight. "Resolution": every readable range at least that long is sure to be found.`,
        '',
        markdownTable([header, ...cells]),
        '',
        summary,
      ].join('\n'),
    );
  }
}

await main();
