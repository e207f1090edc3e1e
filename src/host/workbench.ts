import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { LogEntry } from '../engine/runtime.ts';
import type { PayloadOf } from '../shared/rpc/define.ts';
import { METHODS, type Events, type Methods } from '../shared/rpc/contract.ts';
import type { SecretLookup } from '../shared/secret-refs.ts';
import { DiscoveryCache } from '../store/discovery-cache.ts';
import { listSecretRefs, loadProject } from '../store/project.ts';
import { AuditStore } from '../store/audit.ts';
import { RecordingStore } from '../store/recordings.ts';
import { RevisionStore } from '../store/revisions.ts';
import { createRpcHost, type Handlers, type RpcHost } from './rpc/server.ts';
import { createAuditHandlers } from './services/audit.ts';
import { createDiscoveryHandlers } from './services/discovery.ts';
import { createExportHandlers } from './services/export.ts';
import { createProjectService } from './services/project.ts';
import { createRecordingService } from './services/recording.ts';
import { createRunService } from './services/run.ts';
import type { RunStatus } from '../shared/rpc/methods/run.ts';
import { createWorkspaceHandlers, openWorkspace } from './services/workspace.ts';

// The host of one open project: every service of the RPC contract behind one RpcHost, whatever
// carries it (a MessagePort from Electron's utilityProcess, a WebSocket under `plantbench serve`).

/** Secrets kept elsewhere and asked for by name (Electron main keeps them with safeStorage). */
export interface SecretSource {
  get(name: string): Promise<string | undefined>;
}

export interface WorkbenchOptions {
  readonly projectRoot: string;
  /** A synchronous lookup (headless: env and secrets file), or a source asked before each run. */
  readonly secrets: SecretLookup | SecretSource;
  /** Host messages worth a look (warnings of a run, a damaged workspace DB, failing handlers). */
  readonly log?: (message: string, level: LogEntry['level']) => void;
  /** Recorded with each revision; the OS user by default. */
  readonly author?: string;
}

export interface Workbench {
  readonly rpc: RpcHost<Events>;
  readonly projectRoot: string;
  /** Starts a run as run.start would (`plantbench serve --simulate`, Electron's start-up). */
  startRun(request: { pipelines?: string[]; mode?: RunStatus['mode'] }): Promise<RunStatus>;
  /** Stops the run, the folder watcher and the services, and closes the workspace DB. */
  close(): Promise<void>;
}

/** A synchronous lookup for a run: a SecretSource is asked for every ${secret:…} the project's devices use. */
async function secretLookup(projectRoot: string, secrets: SecretLookup | SecretSource): Promise<SecretLookup> {
  if (typeof secrets === 'function') return secrets;
  const names = listSecretRefs(loadProject(projectRoot)).filter((r) => r.kind === 'secret').map((r) => r.name);
  const values = new Map<string, string | undefined>();
  for (const name of names) values.set(name, await secrets.get(name));
  return (kind, name) => (kind === 'env' ? process.env[name] : values.get(name));
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'plantbench';
  }
}

export function createWorkbench(options: WorkbenchOptions): Workbench {
  const projectRoot = resolve(options.projectRoot);
  // Opening is not creating: nothing (not even .plantbench/) is written into a folder that is not a project.
  if (!existsSync(join(projectRoot, 'plantbench.yaml'))) throw new Error(`${projectRoot} is not a Plantbench project folder (it has no plantbench.yaml)`);
  const log = (level: LogEntry['level'], message: string): void => options.log?.(message, level);
  const workspace = openWorkspace(projectRoot, (m) => log('warn', m));
  let revisions = new RevisionStore(workspace.db);
  let audit = new AuditStore(workspace.db);
  let recordings = new RecordingStore(workspace.db);

  // Late-bound: the services emit through the host that is built from their handlers.
  let rpc: RpcHost<Events> | undefined;
  const emit = <K extends keyof Events & string>(event: K, payload: PayloadOf<Events, K>): void => {
    // A recording ends with the run it records.
    if (event === 'run.state') recording.onRunState((payload as RunStatus).state);
    rpc?.emit(event, payload);
  };

  const project = createProjectService({
    projectRoot,
    revisions: () => revisions,
    revisionWarning: () => (workspace.status().state === 'ok' ? undefined : `the revision is kept for this session only: ${workspace.status().message ?? 'the workspace database cannot be used'}`),
    author: options.author ?? osUser(),
    emit: (payload) => emit('project.changed', payload),
    log: (m) => log('warn', m),
  });
  const run = createRunService({
    projectRoot,
    secrets: () => secretLookup(projectRoot, options.secrets),
    emit,
    log: (level, m) => log(level, m),
    // The sink follows the database in use (a repair replaces it).
    audit: () => ({ sink: { add: (entry) => audit.add(entry) }, ...(workspace.status().state === 'ok' ? {} : { problem: workspace.status().message ?? 'the workspace database cannot be used' }) }),
  });

  const recording = createRecordingService({
    projectRoot,
    recordings: () => recordings,
    revisions: () => revisions,
    run: () => run.current(),
    emit: (payload) => emit('recording.status', payload),
    log: (m) => log('warn', m),
  });

  const discoveryContext = () => ({ projectRoot, dataDir: join(projectRoot, '.plantbench'), cache: new DiscoveryCache(workspace.db), secrets: () => secretLookup(projectRoot, options.secrets) });
  let discovery = createDiscoveryHandlers(discoveryContext());
  workspace.onReplaced((db) => {
    revisions = new RevisionStore(db);
    audit = new AuditStore(db);
    recordings = new RecordingStore(db);
    void discovery.dispose();
    discovery = createDiscoveryHandlers(discoveryContext());
    emit('workspace.status', workspace.status());
  });
  // Calls go to the discovery handlers of the current database (they are rebuilt after a repair).
  const discoveryHandlers = Object.fromEntries(
    Object.keys(discovery.handlers).map((name) => [name, (params: never, ctx: never) => (discovery.handlers as Record<string, (p: never, c: never) => unknown>)[name]!(params, ctx)]),
  ) as typeof discovery.handlers;

  // Typed against the whole contract: a METHODS entry without a handler fails the type-check.
  const handlers: Handlers<Methods> = {
    ...project.handlers,
    ...run.handlers,
    ...createWorkspaceHandlers(workspace),
    ...createAuditHandlers(() => audit),
    ...createExportHandlers(projectRoot),
    ...recording.handlers,
    ...discoveryHandlers,
  };
  rpc = createRpcHost<Methods, Events>(METHODS, handlers, { log: (m) => log('error', m) });

  return {
    rpc,
    projectRoot,
    startRun: (request) => run.start({ pipelines: request.pipelines ?? [], mode: request.mode ?? 'simulated' }),
    async close() {
      project.dispose();
      recording.dispose();
      await run.dispose();
      await discovery.dispose();
      workspace.close();
    },
  };
}
