// A simulated Modbus TCP device: modbus-serial's ServerTCP serving a register image built from a
// simulator profile.
//
// - Addresses in a profile are wire offsets (0-based PDU addresses): point address 0 is 400001.
// - Points hold their signal's value (updated every updateMs), their constant `value`, or 0.
//   A replay signal sets the recorded values at their recorded times instead (../replay.ts).
//   Blocks (from a discovery snapshot) map raw registers or bits with their values as given.
//   Values are encoded with the shared codec in the point's type and order; numbers are rounded and
//   clamped to integer types.
// - Clients may write coils and holding registers of mapped points (FC5, FC6, FC15, FC16). A written
//   constant point keeps the written value until the simulator stops; a signal-driven point is
//   overwritten at its next update, like a PLC register its program recomputes every scan.
// - Any read or write touching an unmapped address, even partly, answers exception 2 (Illegal data
//   address); a register read of more than 125 answers exception 3.
// - Unit id: requests for another unit get no answer at all, as from a gateway whose target is
//   missing, so clients see a timeout. unitId 0 answers every unit id.
import type { Server, Socket } from 'node:net';
import { removeScale } from '../../shared/codec/modbus.ts';
import type { ReplaySignal } from '../../shared/model/simulator.ts';
import { createSignal, type SignalValue } from '../../shared/signals.ts';
import { readCsvSeries } from '../csv-series.ts';
import { loadReplay, playReplay, reportMissing } from '../replay.ts';
import type { RunningSimulator, SimulatorEnv } from '../simulator.ts';
import { RegisterImage, type ModbusPoint, type ModbusProfile } from './registers.ts';

export type { ModbusProfile } from './registers.ts';

export interface ModbusSimulatorStats {
  /** Requests received (answered or not), by unit id and function code. */
  readonly requests: number;
  readonly byUnit: Readonly<Record<number, number>>;
  readonly byFunction: Readonly<Record<number, number>>;
  /** Client connections accepted since start. */
  readonly connections: number;
}

export interface RunningModbusSimulator extends RunningSimulator {
  readonly protocol: 'modbus';
  readonly unitId: number;
  stats(): ModbusSimulatorStats;
  resetStats(): void;
}

interface ServerTCPLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  close(cb: (err?: Error | null) => void): void;
  _server: Server;
}

type ServerTCPClass = new (vector: object, options: { host: string; port: number; unitID: number }) => ServerTCPLike;

async function loadServerTCP(): Promise<ServerTCPClass> {
  const m = await import('modbus-serial');
  return (m.default as unknown as { ServerTCP: ServerTCPClass }).ServerTCP;
}

interface Driver {
  readonly point: ModbusPoint;
  readonly signal: (elapsedMs: number) => SignalValue;
}

export async function startModbusSimulator(profile: ModbusProfile, env: SimulatorEnv): Promise<RunningModbusSimulator> {
  const image = new RegisterImage(profile.points, profile.blocks);
  const warned = new Set<string>();
  const put = (point: ModbusPoint, value: SignalValue, strict: boolean): void => {
    try {
      image.set(point, value);
    } catch (err) {
      const message = `point "${point.name}": cannot hold ${JSON.stringify(value)} as ${point.type}: ${(err as Error).message}`;
      if (strict) throw new Error(message);
      if (!warned.has(point.name)) env.log('warn', `modbus simulator "${profile.id}": ${message}`);
      warned.add(point.name);
    }
  };

  const byInterval = new Map<number, Driver[]>();
  const replayed: { point: ModbusPoint; signal: ReplaySignal }[] = [];
  for (const point of profile.points) {
    if (point.signal?.kind === 'replay') {
      replayed.push({ point, signal: point.signal });
    } else if (point.signal) {
      const series = point.signal.kind === 'csv' ? await readCsvSeries(point.signal, env.baseDir) : undefined;
      const signal = createSignal(point.signal, series);
      const list = byInterval.get(point.updateMs) ?? [];
      byInterval.set(point.updateMs, list);
      list.push({ point, signal });
      put(point, signal(0), false);
    } else if (point.value !== undefined) {
      put(point, point.value, true);
    }
  }

  const vector = {
    getHoldingRegister: (addr: number) => image.readRegister('holding', addr),
    getInputRegister: (addr: number) => image.readRegister('input', addr),
    getMultipleHoldingRegisters: (addr: number, length: number) => image.readRegisters('holding', addr, length),
    getMultipleInputRegisters: (addr: number, length: number) => image.readRegisters('input', addr, length),
    getCoil: (addr: number) => image.readBit('coil', addr),
    getDiscreteInput: (addr: number) => image.readBit('discrete-input', addr),
    setRegister: (addr: number, value: number) => image.writeRegisters(addr, [value]),
    setRegisterArray: (addr: number, values: number[]) => image.writeRegisters(addr, values),
    setCoil: (addr: number, value: boolean) => image.writeCoil(addr, value),
  };

  // Recorded values are engineering values: the tag's scale is taken off again. A bad sample has no
  // value to serve, so the register keeps the last good one.
  const replay = replayed.length ? loadReplay(env.baseDir, profile.replay!.recording, replayed.map((r) => r.signal.tag)) : undefined;
  if (replay) reportMissing(env, profile.id, replay);

  const ServerTCP = await loadServerTCP();
  // modbus-serial's ServerTCP listens on `options.port || 502`: a numeric 0 would become 502, the
  // string "0" reaches net.Server.listen, which takes it as "pick a free port".
  const port = profile.bind.port === 0 ? ('0' as unknown as number) : profile.bind.port;
  const server = new ServerTCP(vector, { host: profile.bind.host, port, unitID: profile.unitId === 0 ? 255 : profile.unitId });
  server.on('error', (err) => env.log('debug', `modbus simulator "${profile.id}": ${(err as Error)?.message ?? String(err)}`));
  server.on('socketError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', (err) => reject(err as Error));
  });

  // Counts requests as they arrive (MBAP frames), whatever the unit: tests and benchmarks check
  // what a client really sent.
  let stats = { requests: 0, byUnit: {} as Record<number, number>, byFunction: {} as Record<number, number>, connections: 0 };
  const sockets = new Set<Socket>();
  server._server.on('connection', (sock: Socket) => {
    stats.connections++;
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.once('close', () => sockets.delete(sock));
    let pending: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const length = pending.readUInt16BE(4);
        if (pending.length < 6 + length) break;
        const unit = pending[6]!;
        const fc = pending[7]!;
        stats.requests++;
        stats.byUnit[unit] = (stats.byUnit[unit] ?? 0) + 1;
        stats.byFunction[fc] = (stats.byFunction[fc] ?? 0) + 1;
        pending = pending.subarray(6 + length);
      }
    });
  });

  const startedAt = Date.now();
  const timers = [...byInterval].map(([updateMs, drivers]) =>
    setInterval(() => {
      const elapsed = Date.now() - startedAt;
      for (const d of drivers) put(d.point, d.signal(elapsed), false);
    }, updateMs),
  );

  const player =
    replay &&
    playReplay(replay, profile.replay!, (events) => {
      for (const e of events) {
        if (e.quality === 'bad' || e.value === null) continue;
        const { point, signal } = replayed[e.tag]!;
        put(point, removeScale(e.value, signal.scale, point.type) as SignalValue, false);
      }
    });

  const address = server._server.address();
  if (!address || typeof address === 'string') throw new Error(`modbus simulator "${profile.id}" has no TCP address`);
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  env.log('info', `modbus simulator "${profile.id}" serves unit ${profile.unitId} on ${host}:${address.port} (${profile.points.length} points${profile.blocks.length ? `, ${profile.blocks.length} blocks` : ''}${replay ? `, replaying recording ${replay.recording}` : ''})`);

  let stopped: Promise<void> | undefined;
  return {
    id: profile.id,
    protocol: 'modbus',
    host,
    port: address.port,
    unitId: profile.unitId,
    endpoint: `modbus://${host}:${address.port} (unit ${profile.unitId})`,
    stats: () => ({ ...stats, byUnit: { ...stats.byUnit }, byFunction: { ...stats.byFunction } }),
    resetStats: () => {
      stats = { requests: 0, byUnit: {}, byFunction: {}, connections: stats.connections };
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        player?.stop();
        // ServerTCP.close destroys the client sockets it knows; ours covers any it missed.
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return stopped;
    },
  };
}
