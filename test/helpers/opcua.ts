// Helpers for OPC UA integration tests: the simulator on 127.0.0.1 port 0 with its PKI in a temp
// folder, device files from plain data, and pipeline runs with the OPC UA connector on the real clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpcuaConnector } from '../../src/connectors/opcua/index.ts';
import type { OpcuaDevice } from '../../src/connectors/opcua/types.ts';
import { deviceFile } from '../../src/shared/model/device.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import {
  startOpcuaSimulator,
  type OpcuaSimulatorOptions,
  type OpcuaSimulatorProfile,
  type RunningOpcuaSimulator,
} from '../../src/simulators/opcua/index.ts';
import { startLiveRun, type LiveRun } from './live-run.ts';

const dirs: string[] = [];

/** A temp folder removed by cleanupTempDirs(). */
export function tempDir(prefix = 'plantbench-opcua-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A simulator profile from plain data (the same schema as simulators/<id>.yaml). */
export function simProfile(fields: Record<string, unknown>): OpcuaSimulatorProfile {
  const parsed = simulatorFile.parse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'sim', protocol: 'opcua', ...fields });
  if (parsed.protocol !== 'opcua') throw new Error('not an OPC UA profile');
  return parsed;
}

/** Starts the simulator on 127.0.0.1 (port 0 unless given); its PKI lives in a temp folder. */
export async function startSim(
  fields: Record<string, unknown>,
  options: OpcuaSimulatorOptions & { logs?: string[]; baseDir?: string } = {},
): Promise<RunningOpcuaSimulator> {
  const { logs, baseDir, ...rest } = options;
  return startOpcuaSimulator(simProfile(fields), {
    baseDir: baseDir ?? tmpdir(),
    log: (level, message) => logs?.push(`${level}: ${message}`),
    pkiDir: rest.pkiDir ?? join(tempDir('plantbench-opcua-sim-'), 'pki'),
    ...rest,
  });
}

/** A device file from plain data (defaults applied, like a devices/<id>.yaml). */
export function opcuaDevice(id: string, fields: Record<string, unknown>): OpcuaDevice {
  const parsed = deviceFile.parse({ apiVersion: 'plantbench/v1', kind: 'Device', id, protocol: 'opcua', ...fields });
  if (parsed.protocol !== 'opcua') throw new Error('not an OPC UA device');
  return parsed;
}

export type OpcuaRun = LiveRun;

/**
 * Starts a pipeline with the engine kinds and the OPC UA connector; taps "node.port" for each entry.
 * `dataDir` is the project's .plantbench folder (client PKI); a temp one unless given.
 */
export async function startOpcuaRun(
  nodes: Record<string, unknown>,
  edges: { from: string; to: string }[],
  devices: OpcuaDevice[],
  taps: string[],
  dataDir = join(tempDir(), '.plantbench'),
): Promise<OpcuaRun> {
  return startLiveRun((log) => createOpcuaConnector({ dataDir, log }), nodes, edges, devices, { taps });
}
