// The one RPC contract between the renderer and the host (ARCHITECTURE §1). Every method and
// event the UI may use is listed here; the host implements exactly these (src/host/workbench.ts).
import type { RpcClient } from './client.ts';
import { auditEvents, auditMethods } from './methods/audit.ts';
import { discoveryEvents, discoveryMethods } from './methods/discovery.ts';
import { exportEvents, exportMethods } from './methods/export.ts';
import { projectEvents, projectMethods } from './methods/project.ts';
import { recordingEvents, recordingMethods } from './methods/recording.ts';
import { runEvents, runMethods } from './methods/run.ts';
import { workspaceEvents, workspaceMethods } from './methods/workspace.ts';

export const METHODS = { ...projectMethods, ...runMethods, ...workspaceMethods, ...discoveryMethods, ...auditMethods, ...recordingMethods, ...exportMethods };
export const EVENTS = { ...projectEvents, ...runEvents, ...workspaceEvents, ...discoveryEvents, ...auditEvents, ...recordingEvents, ...exportEvents };

export type Methods = typeof METHODS;
export type Events = typeof EVENTS;
export type WorkbenchClient = RpcClient<Methods, Events>;
export type MethodName = keyof Methods & string;
export type EventName = keyof Events & string;
