import { RealClock, type Clock } from '../engine/clock.ts';
import type { DeviceWriteGate } from '../engine/device-writes.ts';
import type { NodeKindRegistry } from '../engine/node-kind.ts';
import { PipelineRun, type LogEntry, type NodeStats } from '../engine/runtime.ts';
import type { DeviceFile } from '../shared/model/device.ts';
import type { PipelineFile } from '../shared/model/pipeline.ts';
import type { Problem } from '../shared/problem.ts';
import type { SecretLookup } from '../shared/secret-refs.ts';
import { devicesUsedBy, resolveDeviceSecrets, type LoadedProject } from '../store/project.ts';
import { problemAt } from '../store/yaml-source.ts';

export interface ProjectRunOptions {
  /** Pipeline ids to run; all when empty. */
  readonly pipelines?: readonly string[];
  readonly kinds: NodeKindRegistry;
  readonly secrets: SecretLookup;
  readonly log: (entry: LogEntry) => void;
  readonly clock?: Clock;
  /** Devices that run against simulators: used as given, their secrets are not needed. */
  readonly simulated?: ReadonlyMap<string, DeviceFile>;
  /** The gate device writes go through; without one, every write is refused. */
  readonly writes?: DeviceWriteGate;
}

/**
 * Runs a project's pipelines with the one engine. Used by `plantbench run`, `plantbench serve` and
 * the gateway runtime. It refuses to start on any located problem: invalid files, unknown
 * pipelines, unresolved secrets, or node types this build has no runtime for.
 */
export class ProjectRunner {
  readonly runs: PipelineRun[];

  private constructor(runs: PipelineRun[]) {
    this.runs = runs;
  }

  static prepare(loaded: LoadedProject, options: ProjectRunOptions): { runner?: ProjectRunner; problems: Problem[] } {
    if (loaded.problems.length) return { problems: loaded.problems };
    const project = loaded.project!.model!;
    const wanted = options.pipelines?.length ? options.pipelines : [...loaded.pipelines.keys()];
    const problems: Problem[] = [];
    const selected: PipelineFile[] = [];
    for (const id of wanted) {
      const entry = loaded.pipelines.get(id);
      if (!entry?.model) {
        problems.push({ file: `pipelines/${id}.yaml`, line: 0, col: 0, path: [], message: `no pipeline "${id}" in this project` });
        continue;
      }
      selected.push(entry.model);
      for (const [nodeId, node] of Object.entries(entry.model.nodes)) {
        if (!options.kinds.has(node.type)) {
          problems.push({
            ...problemAt(entry.source, ['nodes', nodeId, 'type'], `node type "${node.type}" has no runtime in this build`),
            node: nodeId,
          });
        }
      }
    }
    const real = [...devicesUsedBy(selected)].filter((id) => !options.simulated?.has(id));
    const { devices, problems: secretProblems } = resolveDeviceSecrets(loaded, real, options.secrets);
    problems.push(...secretProblems);
    for (const [id, device] of options.simulated ?? []) devices.set(id, device);
    if (problems.length) return { problems };
    const clock = options.clock ?? new RealClock();
    const runs = selected.map(
      (pipeline) =>
        new PipelineRun({
          pipeline,
          kinds: options.kinds,
          clock,
          project: { uns: project.uns, topicTemplate: project.defaults?.topicTemplate, queue: project.defaults?.queue },
          devices: (id) => devices.get(id),
          writes: options.writes,
          log: options.log,
        }),
    );
    return { runner: new ProjectRunner(runs), problems: [] };
  }

  async start(): Promise<void> {
    for (const run of this.runs) await run.start();
  }

  /** Drains every pipeline: sources stop, queued samples reach the sinks, timers are disposed. */
  async stop(): Promise<void> {
    await Promise.all(this.runs.map((r) => r.stop()));
  }

  stats(): Record<string, Record<string, NodeStats>> {
    return Object.fromEntries(this.runs.map((r) => [r.id, r.stats().nodes]));
  }
}
