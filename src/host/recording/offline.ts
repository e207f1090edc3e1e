import { ENGINE_KINDS, kindRegistry } from '../../engine/nodes/index.ts';
import { runTestCase, type CaseResult, type TestContext } from '../../engine/testing/runner.ts';
import type { DeviceFile } from '../../shared/model/device.ts';
import { parsePortRef, type PipelineFile } from '../../shared/model/pipeline.ts';
import type { TestCase } from '../../shared/model/pipeline-test.ts';
import { NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import type { Sample } from '../../shared/sample.ts';
import type { LoadedProject } from '../../store/project.ts';
import type { RecordingStore } from '../../store/recordings.ts';

// A pipeline run on a recording, offline: the recorded samples are fed into the pipeline's source
// nodes on the virtual clock of the engine's test runner (sources inert, sinks recording what they
// receive, every transform real), exactly as `plantbench test` runs a *.test.yaml. Used to turn a
// recording into a test and to compare two revisions of a pipeline.

export interface RecordedInputs {
  /** Source node → the recorded samples it read, in time order. */
  readonly inputs: Record<string, Sample[]>;
  readonly count: number;
  /** Paths the pipeline's sources read that the recording has no samples of. */
  readonly missing: readonly string[];
  /** Inputs left out beyond the limit. */
  readonly leftOut: number;
}

export interface InputOptions {
  readonly from?: number;
  readonly to?: number;
  /** At most this many input samples (the earliest). */
  readonly limit?: number;
}

/** The sample paths a source node reads: device/tag for device sources, its path for a signal. */
export function sourcePaths(node: PipelineFile['nodes'][string], device: (id: string) => DeviceFile | undefined): string[] {
  const config = node.config as { device?: string; tags?: string[]; path?: string };
  if (config.device === undefined) return config.path !== undefined ? [config.path] : [];
  const tags = config.tags?.length ? config.tags : (device(config.device)?.tags.map((t) => t.name) ?? []);
  return tags.map((t) => `${config.device}/${t}`);
}

/** The recorded samples at each source node of `pipeline`. */
export function recordedInputs(store: RecordingStore, recording: number, pipeline: PipelineFile, loaded: LoadedProject, options: InputOptions = {}): RecordedInputs {
  const device = (id: string) => loaded.devices.get(id)?.model;
  const readers = new Map<string, string[]>();
  for (const [id, node] of Object.entries(pipeline.nodes)) {
    if (NODE_SPEC_BY_TYPE.get(node.type)?.category !== 'source') continue;
    for (const path of sourcePaths(node, device)) readers.set(path, [...(readers.get(path) ?? []), id]);
  }
  const tags = store.tags(recording).filter((t) => readers.has(t.path) && t.samples > 0);
  const recorded = new Set(tags.map((t) => t.path));
  const inputs: Record<string, Sample[]> = {};
  let count = 0;
  let leftOut = 0;
  const limit = options.limit ?? Infinity;
  if (tags.length) {
    for (const { sample } of store.samples(recording, { tags: tags.map((t) => t.index), from: options.from, to: options.to })) {
      if (count >= limit) {
        leftOut++;
        continue;
      }
      for (const node of readers.get(sample.path)!) (inputs[node] ??= []).push(sample);
      count++;
    }
  }
  // Sorted by node, as a test file holds them (canonical YAML): inputs at the same time go in in that order.
  const sorted = Object.fromEntries(Object.keys(inputs).sort().map((k) => [k, inputs[k]!]));
  return { inputs: sorted, count, missing: [...readers.keys()].filter((p) => !recorded.has(p)), leftOut };
}

/** The outputs worth keeping: what each sink receives, or the out port of nodes nothing follows. */
export function outputRefs(pipeline: PipelineFile): string[] {
  const sinks = Object.entries(pipeline.nodes).filter(([, n]) => NODE_SPEC_BY_TYPE.get(n.type)?.category === 'sink').map(([id]) => id);
  if (sinks.length) return sinks.sort();
  const feeding = new Set(pipeline.edges.map((e) => parsePortRef(e.from, 'out').node));
  return Object.entries(pipeline.nodes)
    .filter(([id, n]) => !feeding.has(id) && NODE_SPEC_BY_TYPE.get(n.type)?.category !== 'source')
    .map(([id]) => id)
    .sort();
}

export function testContext(loaded: LoadedProject): TestContext {
  const project = loaded.project!.model!;
  return {
    kinds: kindRegistry(ENGINE_KINDS),
    project: { uns: project.uns, topicTemplate: project.defaults?.topicTemplate, queue: project.defaults?.queue },
    devices: (id: string) => loaded.devices.get(id)?.model,
  };
}

/** Runs the pipeline on the inputs; returns each output's samples (by ref) and the runner's result. */
export async function runOnInputs(pipeline: PipelineFile, inputs: Record<string, Sample[]>, refs: readonly string[], ctx: TestContext, name = 'recording'): Promise<{ outputs: Record<string, Sample[]>; result: CaseResult }> {
  const tc: TestCase = { name, inputs, expect: Object.fromEntries(refs.map((r) => [r, []])) };
  const result = await runTestCase(pipeline, tc, ctx);
  const outputs = Object.fromEntries(refs.map((ref) => [ref, result.outputs[ref] ?? result.outputs[`${ref}.out`] ?? []]));
  return { outputs, result };
}
