// The workbench's state outside the canvas' own React Flow store: the project, the open pipeline
// documents with their undo history, problems, the run, and what the panels show. One store,
// replaced on every change (see lib/store.ts); actions live in state/actions.ts.
import type { Problem } from '../../shared/problem.ts';
import type { RecordingStatus } from '../../shared/recording.ts';
import type { ProjectSummary } from '../../shared/rpc/methods/project.ts';
import type { RunStatus } from '../../shared/rpc/methods/run.ts';
import type { WorkspaceStatus } from '../../shared/rpc/methods/workspace.ts';
import type { DeviceIndex, Graph, Header } from '../features/canvas/doc.ts';
import { createStore } from '../lib/store.ts';

export type RunMode = 'simulated' | 'live-read-only' | 'live-armed';

export interface PipelineDoc {
  readonly id: string;
  /** Project-relative path, for display. */
  readonly file: string;
  readonly header: Header;
  readonly graph: Graph;
  readonly past: readonly Graph[];
  readonly future: readonly Graph[];
  /** What the last history entry was for, so typing in one field makes one undo step. */
  readonly lastEdit?: { key: string; at: number };
  readonly version: number;
  readonly savedVersion: number;
  /** The file's hash when loaded or saved: a save is refused if the file changed on disk since. */
  readonly baseHash?: string;
  /** New pipelines are not on disk yet. */
  readonly isNew?: boolean;
}

export type LeftTab = 'devices' | 'palette' | 'pipelines' | 'simulators';
export type BottomTab = 'values' | 'trends' | 'log' | 'problems' | 'revisions' | 'audit' | 'recordings';

export interface Notice {
  readonly text: string;
  readonly kind: 'info' | 'ok' | 'error';
  readonly at: number;
}

export interface WorkbenchState {
  readonly connection: 'connecting' | 'open' | 'lost' | 'failed';
  readonly connectionError?: string;
  readonly project?: ProjectSummary;
  /** Device files as written (for the Devices panel) and parsed (for port types). */
  readonly deviceData: Readonly<Record<string, unknown>>;
  readonly devices: DeviceIndex;
  readonly docs: Readonly<Record<string, PipelineDoc>>;
  readonly active?: string;
  /** Problems of the project as last read (project.get). */
  readonly projectProblems: readonly Problem[];
  /** Problems of edited files (file.validate / file.save), replacing the project's for those files. */
  readonly fileProblems: Readonly<Record<string, readonly Problem[]>>;
  readonly run: RunStatus;
  readonly mode: RunMode;
  readonly workspace?: WorkspaceStatus;
  readonly notice?: Notice;
  /** The canvas centres on this node when `seq` changes. */
  readonly focus?: { readonly node: string; readonly seq: number };
  readonly leftTab: LeftTab;
  readonly bottomTab: BottomTab;
  readonly bottomOpen: boolean;
  readonly dialog?: 'search' | 'shortcuts' | 'new-pipeline' | 'arm' | 'export';
  /** The recorder (recording.status), while it records and after it stopped. */
  readonly recording?: RecordingStatus;
  readonly saving: boolean;
  /** Topic prefix MQTT sinks publish under instead of the real UNS in live runs ('' = as configured). */
  readonly mqttSandbox: string;
}

export const STOPPED: RunStatus = { state: 'stopped', pipelines: [], simulators: [], problems: [] };

export const workbench = createStore<WorkbenchState>({
  connection: 'connecting',
  deviceData: {},
  devices: { valid: new Map(), invalid: new Set() },
  docs: {},
  projectProblems: [],
  fileProblems: {},
  run: STOPPED,
  mode: 'simulated',
  leftTab: 'devices',
  bottomTab: 'values',
  bottomOpen: true,
  saving: false,
  mqttSandbox: '',
});

export const isDirty = (doc: PipelineDoc | undefined): boolean => !!doc && (doc.version !== doc.savedVersion || !!doc.isNew);

export function activeDoc(s: WorkbenchState): PipelineDoc | undefined {
  return s.active === undefined ? undefined : s.docs[s.active];
}

/** Every problem to list: the project's, with edited files' problems in place of what was read from disk. */
export function allProblems(s: WorkbenchState): Problem[] {
  const edited = new Set(Object.keys(s.fileProblems));
  return [...s.projectProblems.filter((p) => !edited.has(p.file)), ...Object.values(s.fileProblems).flat()];
}
