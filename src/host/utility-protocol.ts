// Messages between Electron main and the host in its utilityProcess (process.parentPort). This is
// not the renderer's contract (that is src/shared/rpc): it carries only what main owns, namely which
// project is open, the renderer connections (one MessagePort per window) and secret look-ups.

export const SECRET_OPS = ['get', 'set', 'delete', 'list'] as const;
export type SecretOp = (typeof SECRET_OPS)[number];

/** Main → host. */
export type MainToHost =
  /** Open a project (closing the one open before). Answered by "opened" or "open-failed". */
  | { readonly t: 'open'; readonly id: number; readonly root: string; readonly simulate: boolean }
  /** A window's connection: the MessagePort travels in the message's ports. */
  | { readonly t: 'connect'; readonly window: number }
  | { readonly t: 'secret-reply'; readonly id: number; readonly ok: true; readonly value?: string; readonly deleted?: boolean; readonly names?: readonly string[] }
  | { readonly t: 'secret-reply'; readonly id: number; readonly ok: false; readonly message: string }
  /** Close the project (stopping its run) and exit. */
  | { readonly t: 'shutdown' };

/** Host → main. */
export type HostToMain =
  | { readonly t: 'opened'; readonly id: number; readonly root: string; readonly name: string }
  | { readonly t: 'open-failed'; readonly id: number; readonly message: string }
  | { readonly t: 'secret'; readonly id: number; readonly op: SecretOp; readonly name?: string; readonly value?: string }
  /** The host finished closing after "shutdown". */
  | { readonly t: 'closed' };

export type SecretReply = Extract<MainToHost, { t: 'secret-reply' }>;
