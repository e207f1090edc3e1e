import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { analyzeGraph } from '../shared/graph.ts';
import { FILE_SCHEMAS, type FileKind } from '../shared/model/index.ts';
import type { DeviceFile } from '../shared/model/device.ts';
import { parsePortRef, type PipelineFile } from '../shared/model/pipeline.ts';
import type { PipelineTestFile } from '../shared/model/pipeline-test.ts';
import type { ProjectFile } from '../shared/model/project.ts';
import type { SimulatorFile } from '../shared/model/simulator.ts';
import { ERROR_PORT, NODE_SPEC_BY_TYPE } from '../shared/nodes/index.ts';
import type { Problem } from '../shared/problem.ts';
import { findSecretRefs, resolveSecretRefs, type SecretLookup } from '../shared/secret-refs.ts';
import { parseYamlSource, problemAt, zodProblems, type YamlSource } from './yaml-source.ts';

/** One project file: its source (for locating problems), raw data (for saving) and parsed model. */
export interface ProjectEntry<T> {
  readonly file: string;
  readonly source: YamlSource;
  /** The data as written, references unresolved: what a save writes back. */
  readonly raw: unknown;
  /** The validated model with defaults, when the file is valid. */
  readonly model?: T;
}

export interface LoadedProject {
  readonly root: string;
  readonly project?: ProjectEntry<ProjectFile>;
  readonly devices: Map<string, ProjectEntry<DeviceFile>>;
  readonly pipelines: Map<string, ProjectEntry<PipelineFile>>;
  readonly tests: ProjectEntry<PipelineTestFile>[];
  readonly simulators: Map<string, ProjectEntry<SimulatorFile>>;
  readonly problems: Problem[];
}

/** Project files are hand-sized configuration; anything larger is a mistake (or an attack). */
const MAX_FILE_BYTES = 16 * 2 ** 20;

const KIND_BY_NAME: Record<string, FileKind> = {
  Project: 'project',
  Device: 'device',
  Pipeline: 'pipeline',
  PipelineTest: 'pipeline-test',
  Simulator: 'simulator',
};

/** Parses and schema-checks one file. Problems are located in the file. */
export function parseProjectFile<K extends FileKind>(
  kind: K,
  file: string,
  text: string,
): { entry: ProjectEntry<z.output<(typeof FILE_SCHEMAS)[K]>>; problems: Problem[] } {
  const source = parseYamlSource(file, text);
  if (source.syntaxProblems.length) return { entry: { file, source, raw: undefined }, problems: source.syntaxProblems };
  if (source.data === null || typeof source.data !== 'object' || Array.isArray(source.data)) {
    return { entry: { file, source, raw: source.data }, problems: [problemAt(source, [], 'expected a YAML map (key: value) at the top')] };
  }
  const result = FILE_SCHEMAS[kind].safeParse(source.data);
  if (!result.success) return { entry: { file, source, raw: source.data }, problems: zodProblems(source, result.error) };
  return { entry: { file, source, raw: source.data, model: result.data as z.output<(typeof FILE_SCHEMAS)[K]> }, problems: [] };
}

type Parsed<K extends FileKind> = ReturnType<typeof parseProjectFile<K>>;

/**
 * Parsed files kept by name while their text stays the same. Parsing is most of what loading a
 * project costs (the YAML parser composes about 1 MB/s: ~150 ms for a 1,000-node pipeline), and the
 * workbench loads the whole project for every file it opens, validates or saves. A file is parsed
 * again only when its text changed. Entries are shared between loads: treat them as read-only.
 */
export class ParseCache {
  private readonly files = new Map<string, { text: string; parsed: Parsed<FileKind> }>();
  private seen = new Set<string>();

  /** parseProjectFile, answered from the cache when `text` is what this file held last time. */
  parse<K extends FileKind>(kind: K, file: string, text: string): Parsed<K> {
    const key = `${kind}\0${file}`;
    this.seen.add(key);
    const hit = this.files.get(key);
    if (hit?.text === text) return hit.parsed as Parsed<K>;
    const parsed = parseProjectFile(kind, file, text);
    this.files.set(key, { text, parsed });
    return parsed;
  }

  /** Forgets files not parsed since the last sweep (deleted or renamed ones). Called after a whole load. */
  sweep(): void {
    for (const key of this.files.keys()) if (!this.seen.has(key)) this.files.delete(key);
    this.seen = new Set();
  }
}

/** The kind a standalone file declares in its `kind:` field. */
export function detectKind(text: string): FileKind | undefined {
  const match = /^kind:\s*["']?(\w+)/m.exec(text);
  // Own keys only: `kind: constructor` must not find Object.prototype.constructor.
  return match && Object.hasOwn(KIND_BY_NAME, match[1]!) ? KIND_BY_NAME[match[1]!] : undefined;
}

function yamlFiles(dir: string, accept: (name: string) => boolean, extra?: string): string[] {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  // A file not yet on disk (the overlay of an unsaved new file) is listed too.
  if (extra && dirname(extra) === dir && !names.includes(basename(extra))) names.push(basename(extra));
  return names
    .filter((n) => (n.endsWith('.yaml') || n.endsWith('.yml')) && accept(n))
    .sort()
    .map((n) => join(dir, n));
}

const stem = (file: string): string => basename(file).replace(/(\.test)?\.ya?ml$/, '');

/** The nearest folder at or above `path` that holds a plantbench.yaml. */
export function findProjectRoot(path: string): string | undefined {
  let dir = resolve(path);
  if (existsSync(dir) && !statSync(dir).isDirectory()) dir = dirname(dir);
  for (;;) {
    if (existsSync(join(dir, 'plantbench.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface LoadOptions {
  /**
   * One file read from this text instead of the disk (created if it does not exist): the project
   * as it would be after a save, so the workbench checks an edit exactly as `validate` would.
   */
  readonly overlay?: { readonly file: string; readonly text: string };
  /** Re-uses files parsed by earlier loads whose text has not changed. */
  readonly cache?: ParseCache;
}

/**
 * Loads every file of a project folder and checks it: YAML syntax, schemas, ids against file names,
 * duplicate ids, pipeline graphs (dangling edges, ports, cycles, types, device and tag references)
 * and test files against their pipelines. Nothing here throws for bad content.
 */
export function loadProject(root: string, options: LoadOptions = {}): LoadedProject {
  root = resolve(root);
  const problems: Problem[] = [];
  const rel = (f: string): string => relative(root, f) || basename(f);
  const overlay = options.overlay && { path: resolve(root, options.overlay.file), text: options.overlay.text };
  const cache = options.cache;
  const parse = <K extends FileKind>(kind: K, file: string, text: string): Parsed<K> => (cache ? cache.parse(kind, file, text) : parseProjectFile(kind, file, text));
  const read = <K extends FileKind>(kind: K, path: string) => {
    let text: string;
    if (overlay?.path === path) {
      if (Buffer.byteLength(overlay.text) > MAX_FILE_BYTES) {
        problems.push({ file: rel(path), line: 0, col: 0, path: [], message: `file would exceed ${MAX_FILE_BYTES / 2 ** 20} MiB, the limit of project files` });
        return undefined;
      }
      const { entry, problems: found } = parse(kind, rel(path), overlay.text);
      problems.push(...found);
      return entry;
    }
    try {
      const size = statSync(path).size;
      if (size > MAX_FILE_BYTES) {
        problems.push({ file: rel(path), line: 0, col: 0, path: [], message: `file is ${(size / 2 ** 20).toFixed(1)} MiB; project files are limited to ${MAX_FILE_BYTES / 2 ** 20} MiB` });
        return undefined;
      }
      text = readFileSync(path, 'utf8');
    } catch (err) {
      problems.push({ file: rel(path), line: 0, col: 0, path: [], message: `cannot read: ${(err as Error).message}` });
      return undefined;
    }
    const { entry, problems: found } = parse(kind, rel(path), text);
    problems.push(...found);
    return entry;
  };

  const projectPath = join(root, 'plantbench.yaml');
  const hasProjectFile = existsSync(projectPath) || overlay?.path === projectPath;
  const project = hasProjectFile ? read('project', projectPath) : undefined;
  if (!project) {
    if (!hasProjectFile) {
      problems.push({ file: 'plantbench.yaml', line: 0, col: 0, path: [], message: `no plantbench.yaml in ${root}: not a Plantbench project folder` });
    }
  }

  const byId = <T extends { id: string }>(kind: 'device' | 'pipeline' | 'simulator', folder: string, accept: (n: string) => boolean) => {
    const read_ = yamlFiles(join(root, folder), accept, overlay?.path).flatMap((path) => {
      const entry = read(kind, path) as ProjectEntry<T> | undefined;
      if (!entry) return [];
      // An unreadable file still claims its name, so references to it are not reported as missing.
      const rawId = (entry.raw as { id?: unknown } | undefined)?.id;
      const id = entry.model?.id ?? (typeof rawId === 'string' ? rawId : stem(path));
      if (entry.model && entry.model.id !== stem(path)) {
        problems.push(problemAt(entry.source, ['id'], `id "${entry.model.id}" must match the file name (${folder}/${entry.model.id}.yaml)`));
      }
      return [{ id, entry, named: id === stem(path) }];
    });
    // On a duplicate id, the file named after the id keeps it.
    read_.sort((a, b) => Number(b.named) - Number(a.named));
    const map = new Map<string, ProjectEntry<T>>();
    for (const { id, entry } of read_) {
      if (map.has(id)) problems.push(problemAt(entry.source, ['id'], `duplicate id "${id}": also used by ${map.get(id)!.file}`));
      else map.set(id, entry);
    }
    return map;
  };

  const devices = byId<DeviceFile>('device', 'devices', () => true);
  const pipelines = byId<PipelineFile>('pipeline', 'pipelines', (n) => !/\.test\.ya?ml$/.test(n));
  const simulators = byId<SimulatorFile>('simulator', 'simulators', () => true);
  const tests = yamlFiles(join(root, 'pipelines'), (n) => /\.test\.ya?ml$/.test(n), overlay?.path)
    .map((p) => read('pipeline-test', p))
    .filter((e): e is ProjectEntry<PipelineTestFile> => e !== undefined);

  const portContext = {
    device: (id: string): DeviceFile | undefined => devices.get(id)?.model,
    deviceFileInvalid: (id: string): boolean => devices.has(id) && !devices.get(id)!.model,
  };
  for (const entry of pipelines.values()) {
    if (!entry.model) continue;
    for (const p of analyzeGraph(entry.model, portContext).problems) {
      problems.push({ ...problemAt(entry.source, p.path, p.message), ...(p.node ? { node: p.node } : {}) });
    }
  }
  for (const entry of tests) problems.push(...checkTestFile(entry, pipelines));
  cache?.sweep();

  return { root, project, devices, pipelines, tests, simulators, problems };
}

function checkTestFile(entry: ProjectEntry<PipelineTestFile>, pipelines: Map<string, ProjectEntry<PipelineFile>>): Problem[] {
  const test = entry.model;
  if (!test) return [];
  const pipeline = pipelines.get(test.pipeline)?.model;
  if (!pipelines.has(test.pipeline)) {
    return [problemAt(entry.source, ['pipeline'], `pipeline "${test.pipeline}" does not exist (no pipelines/${test.pipeline}.yaml)`)];
  }
  if (!pipeline) return [];
  const problems: Problem[] = [];
  test.cases.forEach((tc, i) => {
    const check = (section: 'inputs' | 'expect', ref: string, defaultPort: string) => {
      const { node, port } = parsePortRef(ref, defaultPort);
      // Own keys only: a ref like "constructor" must not find Object.prototype.constructor.
      const def = Object.hasOwn(pipeline.nodes, node) ? pipeline.nodes[node] : undefined;
      const where = ['cases', i, section, ref];
      if (!def) {
        problems.push(problemAt(entry.source, where, `pipeline "${test.pipeline}" has no node "${node}"`, true));
        return;
      }
      const spec = NODE_SPEC_BY_TYPE.get(def.type)!;
      const ports = spec.ports(def.config as never, { device: () => undefined });
      const isSinkCapture = section === 'expect' && spec.category === 'sink' && !ref.includes('.');
      const known = section === 'inputs'
        ? spec.category === 'source' ? Object.keys(ports.outputs) : Object.keys(ports.inputs)
        : [...Object.keys(ports.outputs), ERROR_PORT];
      const effective = section === 'inputs' && spec.category === 'source' && !ref.includes('.') ? 'out' : port;
      if (!isSinkCapture && !known.includes(effective)) {
        problems.push(problemAt(entry.source, where, `node "${node}" (${def.type}) has no ${section === 'inputs' ? 'input' : 'output'} port "${effective}" (ports: ${known.join(', ') || 'none'})`, true));
      }
    };
    for (const ref of Object.keys(tc.inputs)) check('inputs', ref, 'in');
    for (const ref of Object.keys(tc.expect)) check('expect', ref, 'out');
  });
  return problems;
}

/**
 * Devices with every ${secret:…}/${env:…} resolved, for the devices a run uses. Unresolved
 * references come back as located problems, and the run must not start.
 */
export function resolveDeviceSecrets(
  loaded: LoadedProject,
  deviceIds: Iterable<string>,
  lookup: SecretLookup,
): { devices: Map<string, DeviceFile>; problems: Problem[] } {
  const devices = new Map<string, DeviceFile>();
  const problems: Problem[] = [];
  for (const id of deviceIds) {
    const entry = loaded.devices.get(id);
    if (!entry?.model) continue;
    const { value, missing } = resolveSecretRefs(entry.model, lookup);
    for (const m of missing) {
      const how = m.kind === 'env' ? `set environment variable ${m.name}` : `provide secret ${m.name} (env PLANTBENCH_SECRET_${m.name} or the secrets file)`;
      problems.push(problemAt(entry.source, m.path, `unresolved \${${m.kind}:${m.name}}: ${how}`));
    }
    devices.set(id, value);
  }
  return { devices, problems };
}

/** The names of every secret and env reference a project's devices need (for export and docs). */
export function listSecretRefs(loaded: LoadedProject): { kind: 'secret' | 'env'; name: string; file: string }[] {
  const out = new Map<string, { kind: 'secret' | 'env'; name: string; file: string }>();
  for (const entry of loaded.devices.values()) {
    for (const ref of findSecretRefs(entry.raw)) out.set(`${ref.kind}:${ref.name}`, { kind: ref.kind, name: ref.name, file: entry.file });
  }
  return [...out.values()];
}

/** The device ids the given pipelines use. */
export function devicesUsedBy(pipelines: Iterable<PipelineFile>): Set<string> {
  const ids = new Set<string>();
  for (const p of pipelines) {
    for (const node of Object.values(p.nodes)) {
      const device = (node.config as { device?: unknown }).device;
      if (typeof device === 'string') ids.add(device);
    }
  }
  return ids;
}
