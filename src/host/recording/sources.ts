import { pipelineFile, type PipelineFile, type PipelineNode } from '../../shared/model/pipeline.ts';
import { NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import { splitTagPath } from '../../shared/recording.ts';
import { toCanonicalYaml } from '../../store/canonical.ts';
import { sourcePaths } from './offline.ts';
import { parseProjectFile, type LoadedProject, type ProjectEntry } from '../../store/project.ts';

// What `plantbench record` runs: only the sources of the chosen pipelines (or one source node per
// device for a list of tags), never a transform or a sink. A recording reads; it writes nothing to
// a device or a broker, in any mode.

export interface RecordSelection {
  /** "device/tag" paths; with pipelines they filter what is kept, alone they are what is read. */
  readonly tags?: readonly string[];
  readonly pipelines?: readonly string[];
}

export class SelectionError extends Error {}

/** Id of the pipeline that reads a list of tags. */
export const TAGS_PIPELINE = 'recording';

/** Checks tags against the project's devices; throws naming what does not exist. */
export function checkTags(loaded: LoadedProject, tags: readonly string[]): void {
  for (const path of tags) {
    const where = splitTagPath(path);
    if (!where) throw new SelectionError(`"${path}" is not a tag: write device/tag, e.g. filler/level`);
    const device = loaded.devices.get(where.device)?.model;
    if (!device) throw new SelectionError(`"${path}": there is no device "${where.device}" (devices: ${[...loaded.devices.keys()].join(', ') || 'none'})`);
    if (!device.tags.some((t) => t.name === where.tag)) {
      throw new SelectionError(`"${path}": device "${where.device}" has no tag "${where.tag}" (tags: ${device.tags.map((t) => t.name).join(', ') || 'none'})`);
    }
  }
}

/** The source-only pipelines a recording of `selection` runs. */
export function recordingPipelines(loaded: LoadedProject, selection: RecordSelection): PipelineFile[] {
  if (selection.tags?.length && !selection.pipelines?.length) {
    checkTags(loaded, selection.tags);
    const byDevice = new Map<string, string[]>();
    for (const path of selection.tags) {
      const { device, tag } = splitTagPath(path)!;
      byDevice.set(device, [...(byDevice.get(device) ?? []), tag]);
    }
    const nodes: Record<string, PipelineNode> = {};
    for (const [device, tags] of byDevice) {
      const protocol = loaded.devices.get(device)!.model!.protocol;
      nodes[device] = { type: `${protocol}-source`, config: { device, tags } } as PipelineNode;
    }
    return [pipelineFile.parse({ apiVersion: 'plantbench/v1', kind: 'Pipeline', id: TAGS_PIPELINE, name: 'Recording', nodes }) as PipelineFile];
  }
  const ids = selection.pipelines?.length ? selection.pipelines : [...loaded.pipelines.keys()];
  const device = (id: string) => loaded.devices.get(id)?.model;
  const read = new Set<string>();
  const pipelines = ids.map((id) => {
    const pipeline = loaded.pipelines.get(id)?.model;
    if (!pipeline) throw new SelectionError(`there is no pipeline "${id}" (pipelines: ${[...loaded.pipelines.keys()].join(', ') || 'none'})`);
    const sources = Object.entries(pipeline.nodes).filter(([, node]) => NODE_SPEC_BY_TYPE.get(node.type)?.category === 'source');
    if (sources.length === 0) throw new SelectionError(`pipeline "${id}" has no source node: there is nothing to record`);
    for (const [, node] of sources) for (const path of sourcePaths(node, device)) read.add(path);
    return { ...pipeline, nodes: Object.fromEntries(sources), edges: [] };
  });
  // With pipelines, tags pick among what their sources read.
  const unread = (selection.tags ?? []).filter((t) => !read.has(t));
  if (unread.length) throw new SelectionError(`not read by ${ids.join(', ')}: ${unread.join(', ')} (they read ${[...read].join(', ') || 'nothing'})`);
  return pipelines;
}

/** The project with only these pipelines, for startProjectSession's `adjust`. */
export function withPipelines(loaded: LoadedProject, pipelines: readonly PipelineFile[]): LoadedProject {
  const entries = pipelines.map((p) => {
    const file = `pipelines/${p.id}.yaml`;
    const { entry, problems } = parseProjectFile('pipeline', file, toCanonicalYaml(p, pipelineFile));
    if (problems.length) throw new Error(`${file} (for the recording): ${problems[0]!.message}`);
    return [p.id, entry] as const;
  });
  return { ...loaded, pipelines: new Map(entries) as Map<string, ProjectEntry<PipelineFile>>, tests: [] };
}
