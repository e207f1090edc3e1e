// A pipeline run with one protocol connector on the real clock, for integration tests: devices by
// id, what tapped ports emit, the run's and the connector's log, and stats per node.
import { RealClock } from '../../src/engine/clock.ts';
import { ENGINE_KINDS, kindRegistry } from '../../src/engine/nodes/index.ts';
import { UNGUARDED_WRITES, type DeviceWriteGate } from '../../src/engine/device-writes.ts';
import type { StatusValue } from '../../src/engine/node-kind.ts';
import { PipelineRun, type NodeStats } from '../../src/engine/runtime.ts';
import type { Connector, ConnectorEnv } from '../../src/connectors/connector.ts';
import type { DeviceFile } from '../../src/shared/model/device.ts';
import type { Batch, Sample } from '../../src/shared/sample.ts';
import { pipeline, TEST_PROJECT } from './pipeline.ts';

export interface LiveLog {
  readonly level: string;
  readonly message: string;
}

export interface LiveRun<C extends Connector = Connector> {
  readonly run: PipelineRun;
  readonly connector: C;
  /** What each tapped "node.port" emitted. */
  readonly out: Record<string, Sample[]>;
  /** Connector log and run log (run entries as "node: message"). */
  readonly logs: LiveLog[];
  stats(node: string): NodeStats;
  status(node: string): Record<string, StatusValue>;
  send(node: string, batch: Batch): void;
  stop(): Promise<void>;
}

export interface LiveRunOptions {
  /** "node.port" to collect; every node's out and error unless given. */
  taps?: string[];
  /** Whether stop() disposes the connector (default true). */
  disposeConnector?: boolean;
  /** Runs once after stop() has stopped the run (and disposed the connector). */
  onStop?: () => void;
  /** The device-write gate; connector tests write straight through to their simulators unless given. */
  writes?: DeviceWriteGate;
}

/**
 * Starts a pipeline with the engine kinds and a connector's kinds. `connector` is given the log
 * that ends up in `logs`.
 */
export async function startLiveRun<C extends Connector>(
  connector: (log: ConnectorEnv['log']) => C,
  nodes: Record<string, unknown>,
  edges: { from: string; to: string }[],
  devices: readonly DeviceFile[],
  options: LiveRunOptions = {},
): Promise<LiveRun<C>> {
  const logs: LiveLog[] = [];
  const conn = connector((level, message) => logs.push({ level, message }));
  const byId = new Map(devices.map((d) => [d.id, d]));
  const run = new PipelineRun({
    pipeline: pipeline(nodes, edges),
    kinds: kindRegistry(ENGINE_KINDS, conn.kinds),
    clock: new RealClock(),
    project: TEST_PROJECT,
    devices: (id) => byId.get(id),
    writes: options.writes ?? UNGUARDED_WRITES,
    log: (e) => logs.push({ level: e.level, message: `${e.node ?? ''}: ${e.message}` }),
  });
  const out: Record<string, Sample[]> = {};
  for (const tap of options.taps ?? Object.keys(nodes).flatMap((id) => [`${id}.out`, `${id}.error`])) {
    const [node, port] = tap.split('.') as [string, string];
    const list: Sample[] = [];
    out[tap] = list;
    run.tap(node, port, (batch) => list.push(...batch));
  }
  await run.start();
  let stopped = false;
  return {
    run,
    connector: conn,
    out,
    logs,
    stats: (node) => run.stats().nodes[node]!,
    status: (node) => run.stats().nodes[node]!.status ?? {},
    send: (node, batch) => run.inject(node, 'in', batch),
    async stop() {
      if (stopped) return;
      stopped = true;
      await run.stop();
      if (options.disposeConnector ?? true) await conn.dispose();
      options.onStop?.();
    },
  };
}

/** The latest sample per path. */
export function latest(samples: readonly Sample[]): Map<string, Sample> {
  const map = new Map<string, Sample>();
  for (const s of samples) map.set(s.path, s);
  return map;
}
