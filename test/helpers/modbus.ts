// Modbus test helpers: a simulator from plain point data, devices pointing at it, and a real-clock
// pipeline run with the Modbus connector's kinds whose outputs are collected per node and port.
import { createModbusConnector, type ModbusConnector } from '../../src/connectors/modbus/index.ts';
import { deviceFile, type DeviceFile } from '../../src/shared/model/device.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import { startModbusSimulator, type ModbusProfile, type RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { startLiveRun, type LiveRun } from './live-run.ts';

export const quietLog = (): void => {};

export async function startSim(points: unknown[], options: { unitId?: number; port?: number; id?: string; baseDir?: string; host?: string } = {}): Promise<RunningModbusSimulator> {
  const profile = simulatorFile.parse({
    apiVersion: 'plantbench/v1',
    kind: 'Simulator',
    id: options.id ?? 'sim',
    protocol: 'modbus',
    unitId: options.unitId ?? 1,
    bind: { host: options.host ?? '127.0.0.1', port: options.port ?? 0 },
    points,
  }) as ModbusProfile;
  return startModbusSimulator(profile, { baseDir: options.baseDir ?? process.cwd(), log: quietLog });
}

export function modbusDevice(id: string, at: { host: string; port: number }, fields: Record<string, unknown>): DeviceFile {
  return deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id, protocol: 'modbus', transport: { kind: 'tcp', host: at.host, port: at.port }, ...fields });
}

/** A run whose `out` holds everything each node emitted on out and error, by "node.port". */
export type ModbusRun = LiveRun<ModbusConnector>;

/** Starts a pipeline on the real clock with the Modbus kinds and the engine's kinds (a connector of its own unless given). */
export async function startModbusRun(
  nodes: Record<string, unknown>,
  edges: { from: string; to: string }[],
  devices: DeviceFile[],
  options: { connector?: ModbusConnector } = {},
): Promise<ModbusRun> {
  const { connector } = options;
  return startLiveRun(connector ? () => connector : (log) => createModbusConnector({ dataDir: process.cwd(), log }), nodes, edges, devices, {
    disposeConnector: !connector,
  });
}
