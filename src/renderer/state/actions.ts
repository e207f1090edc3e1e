// What the user can do, as plain functions over the workbench store and the RPC client. The
// components call these; keyboard shortcuts and menus call the same ones.
import { deviceFile } from '../../shared/model/device.ts';
import { NODE_SPEC_BY_TYPE } from '../../shared/nodes/index.ts';
import type { Problem } from '../../shared/problem.ts';
import type { WorkbenchClient } from '../../shared/rpc/contract.ts';
import type { RunStatus } from '../../shared/rpc/methods/run.ts';
import { RpcError } from '../../shared/rpc/wire.ts';
import {
  copySelection,
  deleteSelection,
  fileFromGraph,
  flowType,
  graphFromFile,
  pasteClip,
  uniqueId,
  type Clip,
  type DeviceIndex,
  type Graph,
  type PbNode,
} from '../features/canvas/doc.ts';
import { autoLayout } from '../features/canvas/layout.ts';
import { connectToHost, type HostConnection } from '../rpc.ts';
import { liveData } from './live.ts';
import { activeDoc, isDirty, STOPPED, workbench, type PipelineDoc, type RunMode, type WorkbenchState } from './workbench.ts';

const HISTORY_LIMIT = 200;
/** Edits of one field within this time make one undo step. */
const COALESCE_MS = 1200;
const VALIDATE_DELAY_MS = 400;

let host: HostConnection | undefined;

function client(): WorkbenchClient {
  if (!host) throw new Error('not connected to the host');
  return host.client;
}

/** The typed RPC client, for panels that call the host directly (the discovery trees). */
export const hostClient = client;

const set = (patch: Partial<WorkbenchState> | ((s: WorkbenchState) => Partial<WorkbenchState>)): void =>
  workbench.set((s) => ({ ...s, ...(typeof patch === 'function' ? patch(s) : patch) }));

export function notify(text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  set({ notice: { text, kind, at: Date.now() } });
}

export const errorText = (err: unknown): string => (err instanceof RpcError || err instanceof Error ? err.message : String(err));

// ---------- canvas hooks (the canvas registers what needs its viewport) ----------

export interface CanvasApi {
  /** The flow position at the centre of the visible canvas. */
  center(): { x: number; y: number };
  fitView(): void;
  centreOn(nodeId: string): void;
}
let canvas: CanvasApi | undefined;
export function registerCanvas(api: CanvasApi | undefined): void {
  canvas = api;
}
export const fitView = (): void => canvas?.fitView();

// ---------- connection and project ----------

export async function start(connection: HostConnection = connectToHost()): Promise<void> {
  host = connection;
  host.onLost(() => set({ connection: 'lost' }));
  host.onCommand((command) => {
    if (command === 'save') void save();
    else void reopenProject();
  });
  try {
    await host.ready;
  } catch (err) {
    set({ connection: 'failed', connectionError: errorText(err) });
    return;
  }
  const c = host.client;
  c.on('run.state', (status) => applyRunStatus(status));
  c.on('run.stats', (p) => liveData.pushStats(p));
  c.on('run.samples', (p) => liveData.pushSamples(p));
  c.on('run.log', (p) => liveData.pushLog(p.entries));
  c.on('project.changed', (p) => void onProjectChanged(p.files, p.source));
  c.on('workspace.status', (w) => set({ workspace: w }));
  c.on('recording.status', (recording) => set({ recording }));
  try {
    await loadProject();
    set({ connection: 'open' });
    const [run, workspace, recording] = await Promise.all([
      c.call('run.status', {}),
      c.call('workspace.status', {}).catch(() => undefined),
      c.call('recording.status', {}).catch(() => undefined),
    ]);
    applyRunStatus(run);
    if (workspace) set({ workspace });
    if (recording) set({ recording });
  } catch (err) {
    set({ connection: 'failed', connectionError: errorText(err) });
  }
}

async function loadDevices(ids: readonly string[]): Promise<void> {
  const files = await Promise.all(ids.map((id) => client().call('file.get', { kind: 'device', id }).then((f) => [id, f.data] as const, () => [id, undefined] as const)));
  const valid = new Map<string, ReturnType<typeof deviceFile.parse>>();
  const invalid = new Set<string>();
  const deviceData: Record<string, unknown> = {};
  for (const [id, data] of files) {
    deviceData[id] = data;
    const parsed = deviceFile.safeParse(data);
    if (parsed.success) valid.set(id, parsed.data);
    else invalid.add(id);
  }
  const devices: DeviceIndex = { valid, invalid };
  set({ deviceData, devices });
}

/** Re-reads the project summary and its device files (after a discovery import wrote one). */
export async function refreshDevices(): Promise<void> {
  const project = await client().call('project.get', {});
  set({ project, projectProblems: project.problems });
  await loadDevices(project.devices.map((d) => d.id));
}

export async function loadProject(): Promise<void> {
  const project = await client().call('project.get', {});
  set({ project, projectProblems: project.problems });
  await loadDevices(project.devices.map((d) => d.id));
  const s = workbench.get();
  const target = s.active ?? project.pipelines[0]?.id;
  if (target !== undefined && !s.docs[target]) await openPipeline(target);
}

/** Another project was opened (Electron menu): forget the old one's documents and load the new one. */
async function reopenProject(): Promise<void> {
  liveData.resetRun();
  set({ docs: {}, active: undefined, fileProblems: {}, projectProblems: [], project: undefined, deviceData: {} });
  try {
    await loadProject();
  } catch (err) {
    notify(`Cannot open the project: ${errorText(err)}`, 'error');
  }
}

async function onProjectChanged(files: readonly string[], source: 'save' | 'disk'): Promise<void> {
  if (source === 'save') return; // our own save already updated the state
  const project = await client().call('project.get', {});
  set({ project, projectProblems: project.problems });
  if (files.some((f) => f.startsWith('devices/'))) await loadDevices(project.devices.map((d) => d.id));
  for (const doc of Object.values(workbench.get().docs)) {
    if (!files.includes(doc.file)) continue;
    if (isDirty(doc)) notify(`${doc.file} changed on disk; your unsaved edits are kept (saving will ask before overwriting)`, 'info');
    else await reloadPipeline(doc.id);
  }
}

function docFrom(id: string, file: string, data: unknown, hash: string | undefined): PipelineDoc {
  const { header, graph, unplaced } = graphFromFile(data);
  const nodes = unplaced.length ? autoLayout(graph, unplaced.length === graph.nodes.length ? undefined : new Set(unplaced)) : graph.nodes;
  return { id, file, header, graph: { nodes, edges: graph.edges }, past: [], future: [], version: 0, savedVersion: 0, ...(hash ? { baseHash: hash } : {}) };
}

export async function openPipeline(id: string): Promise<void> {
  const existing = workbench.get().docs[id];
  if (existing) {
    set({ active: id });
    return;
  }
  const before = workbench.get().active;
  const f = await client().call('file.get', { kind: 'pipeline', id });
  const doc = docFrom(id, f.file, f.data, f.hash);
  // Switch to it unless the user went elsewhere while it loaded.
  set((s) => ({ docs: { ...s.docs, [id]: s.docs[id] ?? doc }, active: s.active === before ? id : s.active, fileProblems: { ...s.fileProblems, [f.file]: f.problems } }));
}

async function reloadPipeline(id: string): Promise<void> {
  const f = await client().call('file.get', { kind: 'pipeline', id });
  set((s) => ({ docs: { ...s.docs, [id]: docFrom(id, f.file, f.data, f.hash) }, fileProblems: { ...s.fileProblems, [f.file]: f.problems } }));
}

/** Throws away unsaved edits of the open pipeline and reads it again from disk. */
export async function revertPipeline(): Promise<void> {
  const doc = activeDoc(workbench.get());
  if (!doc || doc.isNew) return;
  await reloadPipeline(doc.id);
  notify(`Reverted ${doc.file} to what is on disk`);
}

export function newPipeline(id: string, name: string): string | undefined {
  const s = workbench.get();
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) return 'an id uses lowercase letters, digits and "-" (at most 63)';
  if (s.docs[id] || s.project?.pipelines.some((p) => p.id === id)) return `a pipeline "${id}" already exists`;
  const header = { apiVersion: 'plantbench/v1', kind: 'Pipeline', id, name: name.trim() || id };
  const doc: PipelineDoc = { id, file: `pipelines/${id}.yaml`, header, graph: { nodes: [], edges: [] }, past: [], future: [], version: 0, savedVersion: 0, isNew: true };
  set((st) => ({ docs: { ...st.docs, [id]: doc }, active: id, dialog: undefined }));
  return undefined;
}

// ---------- editing ----------

export interface EditOptions {
  /** Record an undo step (default true). A string coalesces repeated edits with the same key. */
  readonly record?: boolean | string;
  /** Whether the change alters the file (default true; selection and measuring do not). */
  readonly dirty?: boolean;
}

/** Applies a change to the open pipeline's graph. */
export function edit(change: (g: Graph) => Graph, options: EditOptions = {}): void {
  const { record = true, dirty = true } = options;
  let changedFile = false;
  workbench.set((s) => {
    const doc = activeDoc(s);
    if (!doc) return s;
    const graph = change(doc.graph);
    if (graph === doc.graph) return s;
    let { past, future, lastEdit } = doc;
    if (record !== false) {
      const now = Date.now();
      const coalesce = typeof record === 'string' && lastEdit?.key === record && now - lastEdit.at < COALESCE_MS;
      if (!coalesce) past = [...past.slice(-(HISTORY_LIMIT - 1)), doc.graph];
      future = [];
      lastEdit = typeof record === 'string' ? { key: record, at: now } : undefined;
    }
    changedFile = dirty;
    const next: PipelineDoc = { ...doc, graph, past, future, ...(lastEdit ? { lastEdit } : { lastEdit: undefined }), version: dirty ? doc.version + 1 : doc.version };
    return { ...s, docs: { ...s.docs, [doc.id]: next } };
  });
  if (changedFile) validateSoon();
}

/** Changes a header field of the open pipeline (name, description); an empty description is removed. */
export function editHeader(key: 'name' | 'description', value: string): void {
  workbench.set((s) => {
    const doc = activeDoc(s);
    if (!doc) return s;
    const header = { ...doc.header };
    if (value || key === 'name') header[key] = value;
    else delete header[key];
    return { ...s, docs: { ...s.docs, [doc.id]: { ...doc, header, version: doc.version + 1 } } };
  });
  validateSoon();
}

/** Records the current graph as an undo step without changing it (before a drag moves nodes). */
export function checkpoint(): void {
  workbench.set((s) => {
    const doc = activeDoc(s);
    if (!doc) return s;
    return { ...s, docs: { ...s.docs, [doc.id]: { ...doc, past: [...doc.past.slice(-(HISTORY_LIMIT - 1)), doc.graph], future: [], lastEdit: undefined } } };
  });
}

function travel(direction: 'undo' | 'redo'): void {
  workbench.set((s) => {
    const doc = activeDoc(s);
    if (!doc) return s;
    const from = direction === 'undo' ? doc.past : doc.future;
    const to = direction === 'undo' ? doc.future : doc.past;
    const graph = from[from.length - 1];
    if (!graph) return s;
    const next: PipelineDoc = {
      ...doc,
      graph,
      ...(direction === 'undo' ? { past: from.slice(0, -1), future: [...to, doc.graph] } : { future: from.slice(0, -1), past: [...to, doc.graph] }),
      lastEdit: undefined,
      version: doc.version + 1,
    };
    return { ...s, docs: { ...s.docs, [doc.id]: next } };
  });
  validateSoon();
}
export const undo = (): void => travel('undo');
export const redo = (): void => travel('redo');

export function addNode(kind: string, config: unknown, position?: { x: number; y: number }, name?: string): string | undefined {
  const doc = activeDoc(workbench.get());
  if (!doc) {
    notify('Open or create a pipeline first', 'error');
    return undefined;
  }
  const spec = NODE_SPEC_BY_TYPE.get(kind);
  const id = uniqueId(name ?? kind, new Set(doc.graph.nodes.map((n) => n.id)));
  const at = position ?? canvas?.center() ?? { x: 0, y: 0 };
  const node: PbNode = { id, type: flowType(kind), position: at, selected: true, data: { kind, config, rest: {}, ...(name && name !== id ? { name } : {}) } };
  edit((g) => ({ nodes: [...g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node], edges: g.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) }));
  notify(`Added ${spec?.title ?? kind} "${id}"`);
  return id;
}

let clipboard: Clip | undefined;
let pasteCount = 0;

export function copy(): boolean {
  const doc = activeDoc(workbench.get());
  const clip = doc && copySelection(doc.graph);
  if (!clip) return false;
  clipboard = clip;
  pasteCount = 0;
  notify(`Copied ${clip.nodes.length} node${clip.nodes.length === 1 ? '' : 's'}`);
  return true;
}

export function cut(): boolean {
  if (!copy()) return false;
  edit(deleteSelection);
  return true;
}

export function paste(): void {
  if (!clipboard) return;
  const clip = clipboard;
  pasteCount++;
  edit((g) => pasteClip(g, clip, { x: 40 * pasteCount, y: 40 * pasteCount }));
}

export function deleteSelected(): void {
  edit((g) => {
    const next = deleteSelection(g);
    return next.nodes.length === g.nodes.length && next.edges.length === g.edges.length ? g : next;
  });
}

export function selectAll(): void {
  edit((g) => ({ nodes: g.nodes.map((n) => (n.selected ? n : { ...n, selected: true })), edges: g.edges }), { record: false, dirty: false });
}

export function layout(): void {
  edit((g) => ({ nodes: autoLayout(g), edges: g.edges }));
  requestAnimationFrame(() => canvas?.fitView());
}

/** Opens the pipeline (if needed), selects the node and centres the canvas on it. */
export async function focusNode(node: string, pipeline?: string): Promise<void> {
  if (pipeline !== undefined && workbench.get().active !== pipeline) await openPipeline(pipeline);
  const doc = activeDoc(workbench.get());
  if (!doc?.graph.nodes.some((n) => n.id === node)) {
    notify(`No node "${node}" in this pipeline`, 'error');
    return;
  }
  edit(
    (g) => ({
      nodes: g.nodes.map((n) => (n.id === node ? (n.selected ? n : { ...n, selected: true }) : n.selected ? { ...n, selected: false } : n)),
      edges: g.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    }),
    { record: false, dirty: false },
  );
  set((s) => ({ focus: { node, seq: (s.focus?.seq ?? 0) + 1 } }));
}

/** The node a problem belongs to: its `node`, or the node its field path is in (nodes.<id>...). */
export function problemNode(p: Problem): string | undefined {
  if (p.node !== undefined) return p.node;
  return pipelineOfProblem(p) !== undefined && p.path[0] === 'nodes' && typeof p.path[1] === 'string' ? p.path[1] : undefined;
}

/** The problem's pipeline, from its file path (pipelines/<id>.yaml). */
export function pipelineOfProblem(p: Problem): string | undefined {
  return /^pipelines\/([a-z0-9][a-z0-9-]*)\.ya?ml$/.exec(p.file)?.[1];
}

// ---------- validation and saving ----------

let validateTimer: ReturnType<typeof setTimeout> | undefined;
let validateSeq = 0;

export function validateSoon(): void {
  if (validateTimer !== undefined) clearTimeout(validateTimer);
  validateTimer = setTimeout(() => void validateNow(), VALIDATE_DELAY_MS);
}

export async function validateNow(): Promise<void> {
  const doc = activeDoc(workbench.get());
  if (!doc || !host) return;
  const seq = ++validateSeq;
  try {
    const r = await client().call('file.validate', { kind: 'pipeline', id: doc.id, data: fileFromGraph(doc.header, doc.graph) });
    if (seq === validateSeq) set((s) => ({ fileProblems: { ...s.fileProblems, [r.file]: r.problems } }));
  } catch (err) {
    notify(`Validation failed: ${errorText(err)}`, 'error');
  }
}

/** Saves the open pipeline. Returns true when the file on disk now holds what the canvas shows. */
export async function save(): Promise<boolean> {
  const doc = activeDoc(workbench.get());
  if (!doc) return false;
  if (!isDirty(doc)) {
    notify(`${doc.file} has no unsaved changes`);
    return true;
  }
  const version = doc.version;
  set({ saving: true });
  try {
    const data = fileFromGraph(doc.header, doc.graph);
    const r = await client().call('file.save', { kind: 'pipeline', id: doc.id, data, ...(doc.baseHash ? { baseHash: doc.baseHash } : {}) });
    set((s) => ({ fileProblems: { ...s.fileProblems, [r.file]: r.problems } }));
    if (!r.saved) {
      const n = r.problems.length;
      notify(n ? `Not saved: ${n} problem${n === 1 ? '' : 's'} (see Problems)` : 'Not saved', 'error');
      if (n) set({ bottomTab: 'problems', bottomOpen: true });
      return false;
    }
    workbench.set((s) => {
      const current = s.docs[doc.id];
      if (!current) return s;
      const { isNew: _isNew, ...rest } = current;
      return { ...s, docs: { ...s.docs, [doc.id]: { ...rest, savedVersion: version, ...(r.hash ? { baseHash: r.hash } : {}) } } };
    });
    notify(r.changed ? `Saved ${r.file}${r.revision ? ` (revision ${r.revision})` : ''}` : `${r.file} is unchanged`, 'ok');
    if (r.warning) notify(`Saved ${r.file}, but: ${r.warning}`, 'error');
    const project = await client().call('project.get', {});
    set({ project, projectProblems: project.problems });
    return true;
  } catch (err) {
    const text = errorText(err);
    if (/changed on disk/.test(text)) {
      // The host refuses to overwrite someone else's edit unasked: the next save overwrites it.
      workbench.set((s) => {
        const current = s.docs[doc.id];
        if (!current) return s;
        const { baseHash: _old, ...rest } = current;
        return { ...s, docs: { ...s.docs, [doc.id]: rest } };
      });
      notify(`Not saved: ${text} (Ctrl+S again overwrites it)`, 'error');
    } else notify(`Save failed: ${text}`, 'error');
    return false;
  } finally {
    set({ saving: false });
  }
}

// ---------- running ----------

function applyRunStatus(status: RunStatus): void {
  const prev = workbench.get().run;
  if (status.state === 'starting' && prev.state !== 'starting') liveData.resetRun();
  if (status.state !== prev.state) {
    if (status.state === 'running') liveData.note(`run started (${status.mode ?? 'simulated'}): ${status.pipelines.join(', ') || 'no pipelines'}`);
    if (status.state === 'stopped' && prev.state !== 'stopped') liveData.note('run stopped');
  }
  for (const p of status.problems) liveData.note(`${p.file}:${p.line} ${p.message}`, 'error');
  set({ run: status });
}

export function setMode(mode: RunMode): void {
  set({ mode });
}

export function setMqttSandbox(prefix: string): void {
  set({ mqttSandbox: prefix });
}

export async function runStart(): Promise<void> {
  const s = workbench.get();
  if (s.run.state !== 'stopped') return;
  // A run reads the files on disk: save first, so what runs is what the canvas shows.
  if (isDirty(activeDoc(s)) && !(await save())) {
    notify('Not started: the pipeline could not be saved', 'error');
    return;
  }
  liveData.resetRun();
  set({ run: { ...STOPPED, state: 'starting' } });
  try {
    const { mode, mqttSandbox } = workbench.get();
    const sandbox = mode !== 'simulated' ? mqttSandbox.trim() : '';
    applyRunStatus(await client().call('run.start', { mode, ...(sandbox ? { mqttSandbox: sandbox } : {}) }));
    const run = workbench.get().run;
    if (run.problems.length) {
      set({ bottomTab: 'problems', bottomOpen: true });
      notify(`Run not started: ${run.problems.length} problem(s)`, 'error');
    } else if (run.mode === 'live-armed' && run.arming && !run.arming.armed) set({ dialog: 'arm' }); // a live-armed run starts disarmed
  } catch (err) {
    set({ run: STOPPED });
    notify(`Run failed: ${errorText(err)}`, 'error');
  }
}

export async function runStop(): Promise<void> {
  try {
    applyRunStatus(await client().call('run.stop', {}));
  } catch (err) {
    notify(`Stop failed: ${errorText(err)}`, 'error');
  }
}

export function toggleRun(): void {
  void (workbench.get().run.state === 'stopped' ? runStart() : runStop());
}

// ---------- revisions and the workspace ----------

export async function listRevisions(id: string) {
  return client().call('revision.list', { kind: 'pipeline', id });
}

export async function getRevision(revision: number) {
  return client().call('revision.get', { revision });
}

export async function repairWorkspace(): Promise<void> {
  try {
    const w = await client().call('workspace.repair', {});
    set({ workspace: w });
    notify(w.state === 'ok' ? `Workspace database repaired; the damaged file was moved to ${w.movedAside.at(-1) ?? 'a backup'}` : `Repair: ${w.message ?? w.state}`, w.state === 'ok' ? 'ok' : 'error');
  } catch (err) {
    notify(`Repair failed: ${errorText(err)}`, 'error');
  }
}

export function ui(patch: Partial<Pick<WorkbenchState, 'leftTab' | 'bottomTab' | 'bottomOpen' | 'dialog'>>): void {
  set(patch);
}
