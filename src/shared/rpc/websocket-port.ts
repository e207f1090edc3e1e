import type { RpcPort } from './wire.ts';

// The renderer's side of the WebSocket transport (browser mode): the standard WebSocket API seen
// through a structural type, so this file needs no DOM or Node types. Messages are JSON text.

/** The subprotocol the host speaks; offer it when connecting. */
export const RPC_SUBPROTOCOL = 'plantbench.rpc.v1';
/** Prefix of a second subprotocol that carries the access token, for clients that cannot send the cookie. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'plantbench.token.';

interface MessageEventLike {
  readonly data: unknown;
}

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
}

const CONNECTING = 0;
const OPEN = 1;

/**
 * An RpcPort over a WebSocket. Messages sent before the socket opens are queued; onClose fires
 * once when the socket closes or fails. Text frames that are not JSON are ignored.
 */
export function websocketPort(ws: WebSocketLike): RpcPort & { close(): void } {
  const receivers = new Set<(message: unknown) => void>();
  const closers: (() => void)[] = [];
  const queued: string[] = [];
  let closed = false;

  const close = (): void => {
    if (closed) return;
    closed = true;
    queued.length = 0;
    for (const c of closers.splice(0)) c();
  };
  ws.addEventListener('open', () => {
    for (const text of queued.splice(0)) ws.send(text);
  });
  ws.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    for (const r of receivers) r(message);
  });
  ws.addEventListener('close', close);
  ws.addEventListener('error', close);

  return {
    send(message) {
      if (closed) return;
      const text = JSON.stringify(message);
      if (ws.readyState === CONNECTING) queued.push(text);
      else if (ws.readyState === OPEN) ws.send(text);
    },
    onMessage(receive) {
      receivers.add(receive);
      return () => receivers.delete(receive);
    },
    onClose(closed_) {
      if (closed) closed_();
      else closers.push(closed_);
    },
    close() {
      ws.close(1000, 'closed by the client');
      close();
    },
  };
}
