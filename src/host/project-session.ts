import { join, relative } from 'node:path';
import { createConnectors, type Connector } from '../connectors/index.ts';
import { storeAndForward, type StoreAndForwardOptions } from '../connectors/store-and-forward.ts';
import { ENGINE_KINDS, kindRegistry } from '../engine/nodes/index.ts';
import type { DeviceWriteGate } from '../engine/device-writes.ts';
import type { LogEntry } from '../engine/runtime.ts';
import type { DeviceFile } from '../shared/model/device.ts';
import type { Problem } from '../shared/problem.ts';
import type { SecretLookup } from '../shared/secret-refs.ts';
import { SimulatorStartError, startSimulators, type RunningSimulator } from '../simulators/index.ts';
import { Outbox, OutboxOpenError } from '../store/outbox.ts';
import { loadProject, type LoadedProject } from '../store/project.ts';
import { problemAt } from '../store/yaml-source.ts';
import { ProjectRunner } from './project-runner.ts';
import { publishesToMqtt } from './safety/targets.ts';
import { pointDeviceAt } from './simulated-devices.ts';

export interface SessionOptions {
  readonly pipelines?: readonly string[];
  /** Start the project's simulators and point the devices they stand in for at them. */
  readonly simulate?: boolean;
  readonly secrets: SecretLookup;
  readonly log: (entry: LogEntry) => void;
  /** Called with the prepared runner just before it starts (live-view taps see the first sample). */
  readonly beforeStart?: (runner: ProjectRunner, loaded: LoadedProject) => void;
  /** The gate device writes go through (src/host/safety); without one, every write is refused. */
  readonly writes?: (loaded: LoadedProject) => DeviceWriteGate;
  /** MQTT sinks publish under this topic prefix instead of the real UNS. */
  readonly mqttSandbox?: string;
  /** Replaces the loaded project before anything starts (a recording runs only the pipelines' sources). */
  readonly adjust?: (loaded: LoadedProject) => LoadedProject;
  /** Where connectors keep PKI, trust and caches; default: the project's `.plantbench` (a gateway uses its state folder). */
  readonly dataDir?: string;
  /**
   * MQTT sinks queue every message in this disk outbox and delete it once the broker has it
   * (docs/store-and-forward.md). Unset: they publish directly.
   */
  readonly storeAndForward?: StoreAndForwardOptions;
}

/** A running project: its simulators (when simulated), connectors and pipelines. */
export interface ProjectSession {
  readonly loaded: LoadedProject;
  readonly runner: ProjectRunner;
  readonly simulators: readonly RunningSimulator[];
  /** Drains the pipelines, then closes connections, then stops the simulators. */
  stop(): Promise<void>;
}

/**
 * Loads, checks and starts a project the same way for `plantbench run`, the app and the gateway.
 * Returns located problems instead when it cannot start; nothing is left running then.
 */
export async function startProjectSession(root: string, options: SessionOptions): Promise<{ session?: ProjectSession; problems: Problem[] }> {
  const found = loadProject(root);
  if (found.problems.length) return { problems: found.problems };
  const loaded = options.adjust ? options.adjust(found) : found;
  const event = (level: LogEntry['level'], message: string, fields?: Record<string, unknown>): void =>
    options.log({ ts: Date.now(), level, pipeline: 'plantbench', message, fields });

  let simulators: RunningSimulator[] = [];
  const simulated = new Map<string, DeviceFile>();
  if (options.simulate) {
    const profiles = [...loaded.simulators.values()].map((e) => e.model!);
    try {
      simulators = await startSimulators(profiles, { baseDir: loaded.root, log: (level, message, fields) => event(level, message, fields) }, { fallback: true });
    } catch (err) {
      if (!(err instanceof SimulatorStartError)) throw err;
      const entry = loaded.simulators.get(err.profileId)!;
      return { problems: [problemAt(entry.source, ['bind'], err.message)] };
    }
    for (const sim of simulators) {
      const profile = loaded.simulators.get(sim.id)!.model!;
      const device = profile.device ? loaded.devices.get(profile.device)?.model : undefined;
      if (device) simulated.set(device.id, pointDeviceAt(device, sim, profile));
    }
  }

  // One outbox file for the run, shared by its sinks (a queue each), closed when the run stops.
  // Only when an MQTT sink runs: nothing else uses it, and a run without one leaves no file behind.
  let outbox: Outbox | undefined;
  let saf: ReturnType<typeof storeAndForward> | undefined;
  if (options.storeAndForward && publishesToMqtt(loaded, options.pipelines)) {
    const o = options.storeAndForward;
    try {
      outbox = new Outbox(o.file, { maxEntries: o.maxEntries, maxAgeMs: o.maxAgeMs, whenFull: o.whenFull === 'drop-oldest' ? 'drop-oldest' : 'refuse' });
    } catch (err) {
      if (!(err instanceof OutboxOpenError)) throw err;
      await Promise.allSettled(simulators.map((s) => s.stop()));
      return { problems: [{ file: relative(loaded.root, o.file) || o.file, line: 0, col: 0, path: [], message: err.message }] };
    }
    saf = storeAndForward(outbox, o);
  }
  const connectors: Connector = createConnectors({
    dataDir: options.dataDir ?? join(loaded.root, '.plantbench'),
    log: (level, message, fields) => event(level, message, fields),
    ...(options.mqttSandbox ? { mqttSandbox: options.mqttSandbox } : {}),
    ...(saf ? { storeAndForward: saf } : {}),
  });
  const { runner, problems } = ProjectRunner.prepare(loaded, {
    pipelines: options.pipelines,
    kinds: kindRegistry(ENGINE_KINDS, connectors.kinds),
    secrets: options.secrets,
    log: options.log,
    simulated,
    writes: options.writes?.(loaded),
  });
  if (!runner) {
    await connectors.dispose();
    outbox?.close();
    await Promise.allSettled(simulators.map((s) => s.stop()));
    return { problems };
  }
  options.beforeStart?.(runner, loaded);
  await runner.start();
  return {
    problems: [],
    session: {
      loaded,
      runner,
      simulators,
      async stop() {
        // Sinks paused on a full outbox write over the cap now, so the pipelines can drain.
        saf?.beginClosing();
        await runner.stop();
        await connectors.dispose();
        outbox?.close();
        await Promise.allSettled(simulators.map((s) => s.stop()));
      },
    },
  };
}
