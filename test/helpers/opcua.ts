// Helpers for OPC UA integration tests: the simulator on 127.0.0.1 port 0 with its PKI in a temp
// folder, device files from plain data, and pipeline runs with the OPC UA connector on the real clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { PipelineRun, type LogEntry, type NodeStats } from '../../src/engine/runtime.ts';
import type { Connector } from '../../src/connectors/connector.ts';
import { createOpcuaConnector } from '../../src/connectors/opcua/index.ts';
import type { OpcuaDevice } from '../../src/connectors/opcua/types.ts';
import { deviceFile } from '../../src/shared/model/device.ts';
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import type { Batch, Sample } from '../../src/shared/sample.ts';
import {
  startOpcuaSimulator,
  type OpcuaSimulatorOptions,
  type OpcuaSimulatorProfile,
  type RunningOpcuaSimulator,
} from '../../src/simulators/opcua/index.ts';
import { pipeline, TEST_PROJECT } from './pipeline.ts';

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

export async function waitFor(what: string | (() => string), ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

export interface OpcuaRun {
  readonly run: PipelineRun;
  readonly connector: Connector;
  /** What each tapped "node.port" emitted. */
  readonly out: Record<string, Sample[]>;
  readonly logs: { level: string; message: string }[];
  stats(node: string): NodeStats;
  send(node: string, batch: Batch): void;
  stop(): Promise<void>;
}

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
  const logs: { level: string; message: string }[] = [];
  const connector = createOpcuaConnector({ dataDir, log: (level, message) => logs.push({ level, message }) });
  const byId = new Map(devices.map((d) => [d.id, d]));
  const run = new PipelineRun({
    pipeline: pipeline(nodes, edges),
    kinds: kindRegistry(ENGINE_KINDS, connector.kinds),
    clock: new RealClock(),
    project: TEST_PROJECT,
    devices: (id) => byId.get(id),
    log: (e: LogEntry) => logs.push({ level: e.level, message: `${e.node ?? ''}: ${e.message}` }),
  });
  const out: Record<string, Sample[]> = {};
  for (const tap of taps) {
    const [node, port] = tap.split('.') as [string, string];
    const list: Sample[] = [];
    out[tap] = list;
    run.tap(node, port, (batch) => list.push(...batch));
  }
  await run.start();
  let stopped = false;
  return {
    run,
    connector,
    out,
    logs,
    stats: (node) => run.stats().nodes[node]!,
    send: (node, batch) => run.inject(node, 'in', batch),
    async stop() {
      if (stopped) return;
      stopped = true;
      await run.stop();
      await connector.dispose();
    },
  };
}

/** The latest sample per path. */
export function latest(samples: readonly Sample[]): Map<string, Sample> {
  const map = new Map<string, Sample>();
  for (const s of samples) map.set(s.path, s);
  return map;
}
