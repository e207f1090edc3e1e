import { createHash } from 'node:crypto';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DeviceFile } from '../../shared/model/device.ts';
import { FILE_SCHEMAS } from '../../shared/model/index.ts';
import type { Problem } from '../../shared/problem.ts';
import type { PayloadOf } from '../../shared/rpc/define.ts';
import type { FileRef, ProjectSummary, projectEvents, projectMethods } from '../../shared/rpc/methods/project.ts';
import { toCanonicalYaml } from '../../store/canonical.ts';
import { loadProject, ParseCache, type LoadedProject } from '../../store/project.ts';
import { writeAtomic } from '../../store/project-writes.ts';
import type { RevisionStore } from '../../store/revisions.ts';
import { RpcFailure, type Handlers } from '../rpc/server.ts';

// The open project over RPC. The UI names files by kind and id; this maps them to files inside the
// project folder and nowhere else. Saving checks the data exactly as `plantbench validate` would
// (the project is loaded with the new text in place of the file), writes canonical YAML through a
// temp file and a rename, and records the text as a revision in the workspace DB.

export interface ProjectServiceContext {
  readonly projectRoot: string;
  /** The revision history of the workspace DB in use (it changes after a repair). */
  revisions(): RevisionStore;
  /** Why revisions are not kept across sessions right now (workspace DB damaged), if so. */
  revisionWarning(): string | undefined;
  readonly author: string;
  emit(payload: PayloadOf<typeof projectEvents, 'project.changed'>): void;
  log(message: string): void;
  /** Quiet time before edits on disk are reported (ms). */
  readonly debounceMs?: number;
}

const FOLDERS = { device: 'devices', pipeline: 'pipelines', simulator: 'simulators' } as const;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** Project-relative paths in the UI use "/" on every platform. */
const toPosix = (rel: string): string => rel.split(sep).join('/');

interface Located {
  readonly kind: keyof typeof FILE_SCHEMAS;
  /** Project-relative, "/"-separated. */
  readonly file: string;
  readonly path: string;
}

/** The file a reference names: always inside the project (ids cannot hold "/" or ".."). */
export function locateFile(root: string, ref: FileRef): Located {
  if (ref.kind === 'project') return { kind: 'project', file: 'plantbench.yaml', path: join(root, 'plantbench.yaml') };
  const folder = FOLDERS[ref.kind];
  // An existing .yml file keeps its name; new files are .yaml.
  const yml = join(root, folder, `${ref.id}.yml`);
  const name = !existsSync(join(root, folder, `${ref.id}.yaml`)) && existsSync(yml) ? `${ref.id}.yml` : `${ref.id}.yaml`;
  return { kind: ref.kind, file: `${folder}/${name}`, path: join(root, folder, name) };
}

const describe = (ref: FileRef): string => (ref.kind === 'project' ? 'plantbench.yaml' : `${ref.kind} "${ref.id}"`);

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function deviceEndpoint(device: DeviceFile): string {
  switch (device.protocol) {
    case 'modbus':
      return device.transport.kind === 'tcp' ? `modbus-tcp://${device.transport.host}:${device.transport.port}/${device.unitId}` : `modbus-rtu:${device.transport.path}/${device.unitId}`;
    case 'opcua':
      return device.endpoint;
    case 'mqtt':
      return device.url;
  }
}

export function summarize(loaded: LoadedProject): ProjectSummary {
  const project = loaded.project?.model;
  return {
    name: project?.name ?? '(no valid plantbench.yaml)',
    root: loaded.root,
    uns: project ? Object.fromEntries(Object.entries(project.uns).filter((e): e is [string, string] => typeof e[1] === 'string')) : {},
    devices: [...loaded.devices].map(([id, e]) => ({
      id,
      name: e.model?.name,
      protocol: e.model?.protocol ?? String((e.raw as { protocol?: unknown } | undefined)?.protocol ?? 'unknown'),
      tags: e.model?.tags.length ?? 0,
      endpoint: e.model ? deviceEndpoint(e.model) : '',
    })),
    pipelines: [...loaded.pipelines].map(([id, e]) => ({ id, name: e.model?.name, nodes: Object.keys(e.model?.nodes ?? {}).length })),
    simulators: [...loaded.simulators].map(([id, e]) => ({
      id,
      protocol: e.model?.protocol ?? String((e.raw as { protocol?: unknown } | undefined)?.protocol ?? 'unknown'),
      device: e.model?.device,
    })),
    problems: loaded.problems,
  };
}

export interface ProjectService {
  readonly handlers: Handlers<typeof projectMethods>;
  /** Stops watching the folder. */
  dispose(): void;
}

export function createProjectService(ctx: ProjectServiceContext): ProjectService {
  const root = ctx.projectRoot;
  /** What this service last wrote per file, so the watcher does not report our own saves as disk edits. */
  const written = new Map<string, string>();
  /** Every request loads the whole project; files whose text did not change are not parsed again. */
  const cache = new ParseCache();

  /** The problems the project has with `text` as this file; only the file's own problems count. */
  const check = (at: Located, text: string): { problems: Problem[]; loaded: LoadedProject } => {
    const loaded = loadProject(root, { overlay: { file: at.file, text }, cache });
    return { loaded, problems: loaded.problems.filter((p) => toPosix(p.file) === at.file) };
  };

  const canonical = (at: Located, data: unknown): string => toCanonicalYaml(data, FILE_SCHEMAS[at.kind]);

  const handlers: Handlers<typeof projectMethods> = {
    'project.get': async () => summarize(loadProject(root, { cache })),

    'file.get': async (ref) => {
      const at = locateFile(root, ref);
      const text = readText(at.path);
      if (text === undefined) throw new RpcFailure(`there is no ${describe(ref)} in this project (no ${at.file})`);
      const { problems } = check(at, text);
      return { file: at.file, data: cache.parse(at.kind, at.file, text).entry.raw, text, hash: sha256(text), problems };
    },

    'file.validate': async (request) => {
      const at = locateFile(root, request);
      return { file: at.file, problems: check(at, canonical(at, request.data)).problems };
    },

    'file.save': async (request) => {
      const at = locateFile(root, request);
      const text = canonical(at, request.data);
      const { problems } = check(at, text);
      if (problems.length) return { saved: false, changed: false, file: at.file, problems };
      const current = readText(at.path);
      if (request.baseHash !== undefined && (current === undefined || sha256(current) !== request.baseHash)) {
        throw new RpcFailure(`${at.file} changed on disk since it was opened: reload it, or save again to overwrite the change`);
      }
      const revisions = ctx.revisions();
      const warning = ctx.revisionWarning();
      if (current === text) {
        return { saved: true, changed: false, file: at.file, hash: sha256(text), revision: revisions.latest(at.file)?.revision, problems: [] };
      }
      writeAtomic(at.path, text);
      written.set(at.file, text);
      let revision: number | undefined;
      let failed: string | undefined;
      try {
        // The file as found on disk becomes a revision first when the history does not have it
        // (the first save of a file, or edits made outside the workbench), so every change can be diffed.
        if (current !== undefined && revisions.latest(at.file)?.content !== current) revisions.add(at.file, current, 'disk');
        revision = revisions.add(at.file, text, ctx.author);
      } catch (err) {
        failed = `${at.file} was saved, but its revision could not be recorded: ${(err as Error).message}`;
        ctx.log(failed);
      }
      ctx.emit({ files: [at.file], source: 'save' });
      return { saved: true, changed: true, file: at.file, hash: sha256(text), revision, problems: [], ...(failed || warning ? { warning: failed ?? warning } : {}) };
    },

    'revision.list': async (ref) => ctx.revisions().list(locateFile(root, ref).file),

    'revision.get': async ({ revision }) => {
      const found = ctx.revisions().get(revision);
      if (!found) throw new RpcFailure(`there is no revision ${revision} in this workspace`);
      const { bytes: _bytes, ...rest } = found;
      return rest;
    },
  };

  const watcher = watchProject(root, ctx.debounceMs ?? 150, (files) => {
    // Report a file unless its content is what this service just wrote.
    const changed = files.filter((file) => {
      const mine = written.get(file);
      if (mine === undefined) return true;
      written.delete(file);
      return readText(join(root, file)) !== mine;
    });
    if (changed.length) ctx.emit({ files: changed, source: 'disk' });
  }, ctx.log);

  return { handlers, dispose: () => watcher.close() };
}

/**
 * Watches plantbench.yaml and the devices, pipelines and simulators folders (also when a folder
 * is created later) and reports the YAML files that changed, after `debounceMs` of quiet.
 */
export function watchProject(root: string, debounceMs: number, changed: (files: string[]) => void, log: (message: string) => void): { close(): void } {
  const watchers = new Map<string, FSWatcher>();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const note = (file: string): void => {
    if (!/\.ya?ml$/.test(file)) return;
    pending.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const files = [...pending].sort();
      pending.clear();
      changed(files);
    }, debounceMs);
  };

  const watchDir = (dir: string, prefix: string): void => {
    if (closed || watchers.has(dir) || !existsSync(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (!name) return;
        const file = prefix + name.toString();
        if (prefix === '' && Object.values(FOLDERS).includes(file as never)) watchFolder(file);
        else if (prefix !== '' || file === 'plantbench.yaml') note(file);
      });
      w.on('error', (err) => {
        log(`stopped watching ${relative(root, dir) || '.'}: ${err.message}`);
        w.close();
        watchers.delete(dir);
      });
      watchers.set(dir, w);
    } catch (err) {
      log(`cannot watch ${relative(root, dir) || '.'} for changes: ${(err as Error).message}`);
    }
  };
  const watchFolder = (folder: string): void => watchDir(join(root, folder), `${folder}/`);

  watchDir(root, '');
  for (const folder of Object.values(FOLDERS)) watchFolder(folder);

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
