// Modbus test helpers: a simulator from plain point data, devices pointing at it, and a real-clock
// PipelineRun with the Modbus connector's kinds whose outputs are collected per node and port.
import { RealClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun, type LogEntry, type NodeStats } from '../../src/engine/runtime.ts';
import { createModbusConnector, type ModbusConnector } from '../../src/connectors/modbus/index.ts';
import { deviceFile, type DeviceFile } from '../../src/shared/model/device.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import type { Sample } from '../../src/shared/sample.ts';
import { startModbusSimulator, type ModbusProfile, type RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { pipeline, TEST_PROJECT } from './pipeline.ts';

export const quietLog = (): void => {};

export async function startSim(points: unknown[], options: { unitId?: number; port?: number; id?: string; baseDir?: string } = {}): Promise<RunningModbusSimulator> {
  const profile = simulatorFile.parse({
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: options.id ?? 'sim',
    protocol: 'modbus',
    unitId: options.unitId ?? 1,
    bind: { host: '127.0.0.1', port: options.port ?? 0 },
    points,
  }) as ModbusProfile;
  return startModbusSimulator(profile, { baseDir: options.baseDir ?? process.cwd(), log: quietLog });
}

export function modbusDevice(id: string, at: { host: string; port: number }, fields: Record<string, unknown>): DeviceFile {
  return deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id, protocol: 'modbus', transport: { kind: 'tcp', host: at.host, port: at.port }, ...fields });
}

export interface ModbusRun {
  readonly run: PipelineRun;
  readonly connector: ModbusConnector;
  /** Everything each node emitted, by "node.port". */
  readonly outputs: Record<string, Sample[]>;
  readonly logs: LogEntry[];
  status(node: string): Record<string, string | number | boolean>;
  stats(node: string): NodeStats;
  stop(): Promise<void>;
}

/** Starts a pipeline on the real clock with the Modbus kinds and the engine's kinds. */
export async function startModbusRun(
  nodes: Record<string, unknown>,
  edges: { from: string; to: string }[],
  devices: DeviceFile[],
  options: { connector?: ModbusConnector } = {},
): Promise<ModbusRun> {
  const logs: LogEntry[] = [];
  const connector = options.connector ?? createModbusConnector({ dataDir: process.cwd(), log: quietLog });
  const byId = new Map(devices.map((d) => [d.id, d]));
  const run = new PipelineRun({
    pipeline: pipeline(nodes, edges),
    kinds: kindRegistry(ENGINE_KINDS, connector.kinds),
    clock: new RealClock(),
    project: TEST_PROJECT,
    devices: (id) => byId.get(id),
    log: (entry) => logs.push(entry),
  });
  const outputs: Record<string, Sample[]> = {};
  for (const id of Object.keys(nodes)) {
    for (const port of ['out', 'error']) {
      const list: Sample[] = [];
      outputs[`${id}.${port}`] = list;
      run.tap(id, port, (batch) => list.push(...batch));
    }
  }
  await run.start();
  return {
    run,
    connector,
    outputs,
    logs,
    stats: (node) => run.stats().nodes[node]!,
    status: (node) => run.stats().nodes[node]!.status ?? {},
    async stop() {
      await run.stop();
      if (!options.connector) await connector.dispose();
    },
  };
}

/** Waits until `check` is true, polling every 10 ms; fails after `ms` with `what`. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The latest sample per path. */
export function latest(samples: readonly Sample[]): Map<string, Sample> {
  const map = new Map<string, Sample>();
  for (const s of samples) map.set(s.path, s);
  return map;
}

/** A port that was free a moment ago (for peers that need one on their command line). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
