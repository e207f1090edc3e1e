import { z } from 'zod';
import { event, method } from '../define.ts';

// The workspace database (.plantbench/workspace.db: revisions, caches, later audit and recordings).
// The workbench starts even when it is damaged: it then keeps that data in memory for the session,
// says so, and offers a repair that moves the damaged file aside. Nothing is ever deleted.

export const workspaceStatus = z.object({
  /** Shown to the user. */
  file: z.string(),
  /**
   * ok: in use. damaged: cannot be read; repair moves it aside. unavailable: cannot be used for
   * another reason (written by a newer Plantbench, no permission); repair does not apply.
   */
  state: z.enum(['ok', 'damaged', 'unavailable']),
  message: z.string().optional(),
  /** Where repairs in this session moved damaged files. */
  movedAside: z.array(z.string()),
});
export type WorkspaceStatus = z.infer<typeof workspaceStatus>;

export const workspaceMethods = {
  'workspace.status': method({ summary: 'Whether the workspace database is in use, damaged or unavailable.', request: z.object({}).strict(), response: workspaceStatus }),
  'workspace.repair': method({
    summary: 'Moves a damaged workspace database aside (with its -wal/-shm, never deleted) and starts a new one.',
    request: z.object({}).strict(),
    response: workspaceStatus,
  }),
};

export const workspaceEvents = {
  'workspace.status': event({ summary: 'The workspace database changed state (after a repair).', payload: workspaceStatus }),
};
