import { z } from 'zod';
import { discoveryProgress } from '../discovery/progress.ts';

// The messages both transports carry (MessagePort under Electron, WebSocket in the browser). Ids
// are chosen by the client, unique per connection. The host validates every message it receives.

export const clientMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('call'), id: z.number().int().nonnegative(), method: z.string().min(1).max(200), params: z.unknown() }).strict(),
  z.object({ t: z.literal('cancel'), id: z.number().int().nonnegative() }).strict(),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export const RPC_ERROR_CODES = ['bad-message', 'unknown-method', 'invalid-request', 'failed', 'cancelled', 'internal'] as const;
export type RpcErrorCode = (typeof RPC_ERROR_CODES)[number];

export interface RpcErrorBody {
  readonly code: RpcErrorCode;
  readonly message: string;
  /** For invalid-request: each problem with its field path. */
  readonly issues?: readonly { path: string; message: string }[];
  /** For failed: structured facts a UI can act on (e.g. an untrusted certificate to decide on); each method documents its shapes. */
  readonly detail?: unknown;
}

export type HostMessage =
  | { t: 'result'; id: number; result: unknown }
  | { t: 'error'; id: number | null; error: RpcErrorBody }
  | { t: 'progress'; id: number; progress: z.infer<typeof discoveryProgress> }
  | { t: 'event'; event: string; payload: unknown };

/** A message channel: a MessagePort, a WebSocket, or an in-memory pair in tests. */
export interface RpcPort {
  send(message: unknown): void;
  /** Registers the receiver; returns a function that unregisters it. */
  onMessage(receive: (message: unknown) => void): () => void;
  /** Called once when the other side goes away. */
  onClose?(closed: () => void): void;
}

/** An error a caller sees: the host's code and message, field issues for invalid requests, and the failure's detail. */
export class RpcError extends Error {
  readonly code: RpcErrorCode;
  readonly issues: readonly { path: string; message: string }[];
  readonly detail?: unknown;

  constructor(body: RpcErrorBody) {
    super(body.message);
    this.name = 'RpcError';
    this.code = body.code;
    this.issues = body.issues ?? [];
    if (body.detail !== undefined) this.detail = body.detail;
  }
}

/**
 * Two connected ports in one process. Messages are structured-cloned and delivered on a later
 * microtask, as they would be across a real boundary, so nothing leaks by reference.
 */
export function memoryPortPair(): [RpcPort, RpcPort] {
  const receivers: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const closers: [(() => void)[], (() => void)[]] = [[], []];
  let open = true;
  const port = (self: 0 | 1): RpcPort & { close(): void } => ({
    send(message) {
      if (!open) return;
      const copy = structuredClone(message);
      queueMicrotask(() => {
        for (const r of receivers[1 - self]!) r(copy);
      });
    },
    onMessage(receive) {
      receivers[self].add(receive);
      return () => receivers[self].delete(receive);
    },
    onClose(closed) {
      closers[self].push(closed);
    },
    close() {
      if (!open) return;
      open = false;
      for (const c of [...closers[0], ...closers[1]]) c();
    },
  });
  return [port(0), port(1)];
}
