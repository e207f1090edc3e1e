import type { Handlers } from '../rpc/server.ts';
import { RpcFailure } from '../rpc/server.ts';
import type { WorkspaceStatus, workspaceMethods } from '../../shared/rpc/methods/workspace.ts';
import { moveDamagedDbAside, openWorkspaceDb, WorkspaceDbError, workspaceDbPath, type WorkspaceDb } from '../../store/workspace-db.ts';

// The workspace DB as the workbench holds it. A database that cannot be opened never stops the
// app: the session then works on an in-memory database (revisions and caches are not kept), the
// status says why, and repair moves a damaged file aside and opens a fresh one. Nothing is deleted.

export interface Workspace {
  /** The database in use: the project's file, or an in-memory stand-in while it cannot be used. */
  readonly db: WorkspaceDb;
  status(): WorkspaceStatus;
  /** Moves a damaged database aside and opens a new one; refuses when there is nothing to repair. */
  repair(): WorkspaceStatus;
  /** Called after the database in use was replaced (a repair). */
  onReplaced(listener: (db: WorkspaceDb) => void): void;
  close(): void;
}

export function openWorkspace(projectRoot: string, log: (message: string) => void = () => {}): Workspace {
  const file = workspaceDbPath(projectRoot);
  const movedAside: string[] = [];
  const listeners: ((db: WorkspaceDb) => void)[] = [];
  let problem: WorkspaceDbError | undefined;

  const open = (): WorkspaceDb => {
    try {
      problem = undefined;
      return openWorkspaceDb(file);
    } catch (err) {
      problem = err instanceof WorkspaceDbError ? err : new WorkspaceDbError(file, `${file}: cannot open the workspace database: ${(err as Error).message}`, false);
      log(`${problem.message} Working without it: revisions and caches of this session are kept in memory only.`);
      return openWorkspaceDb(':memory:');
    }
  };
  let db = open();

  const status = (): WorkspaceStatus => ({
    file,
    state: !problem ? 'ok' : problem.damaged ? 'damaged' : 'unavailable',
    ...(problem ? { message: problem.message } : {}),
    movedAside: [...movedAside],
  });

  return {
    get db() {
      return db;
    },
    status,
    repair() {
      if (!problem) throw new RpcFailure(`${file} is in good order; there is nothing to repair`);
      if (!problem.damaged) throw new RpcFailure(`${problem.message} (repair only moves a damaged database aside)`);
      const aside = moveDamagedDbAside(file);
      movedAside.push(aside);
      log(`moved the damaged workspace database to ${aside}`);
      db.close();
      db = open();
      for (const l of listeners) l(db);
      return status();
    },
    onReplaced(listener) {
      listeners.push(listener);
    },
    close() {
      if (db.open) db.close();
    },
  };
}

export function createWorkspaceHandlers(workspace: Workspace): Handlers<typeof workspaceMethods> {
  return {
    'workspace.status': async () => workspace.status(),
    'workspace.repair': async () => workspace.repair(),
  };
}
