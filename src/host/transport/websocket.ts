import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { RPC_SUBPROTOCOL } from '../../shared/rpc/websocket-port.ts';
import type { HostMessage, RpcPort } from '../../shared/rpc/wire.ts';
import type { Access } from './access.ts';

// The RPC over a WebSocket (browser mode), on the HTTP(S) server at /rpc. The upgrade is refused
// unless the Host names this server, a browser's Origin is the served origin and the token comes
// along (cookie, or the plantbench.token.<token> subprotocol). A slow client never slows the host:
// above a high-water mark of unsent bytes, its run.stats and run.samples batches are dropped and
// counted (the count reaches it as `omitted` in the next samples batch); far above it, it is cut off.

export const RPC_PATH = '/rpc';
/** Project files are at most 16 MiB; a request carrying one as JSON fits. */
export const MAX_PAYLOAD_BYTES = 32 * 2 ** 20;
/** Unsent bytes above which high-rate events are dropped for that socket. */
export const HIGH_WATER_BYTES = 2 * 2 ** 20;
/** Unsent bytes above which the client is considered gone and the socket is closed. */
export const CUT_OFF_BYTES = 64 * 2 ** 20;
/** The events a socket may skip when it cannot keep up: the next batch supersedes them. */
export const DROPPABLE_EVENTS: ReadonlySet<string> = new Set(['run.stats', 'run.samples']);
const HEARTBEAT_MS = 30_000;

export interface WebSocketRpcOptions {
  readonly server: Server | HttpsServer;
  readonly access: Access;
  /** Serves one connection until it closes (RpcHost.connect). */
  readonly connect: (port: RpcPort) => () => void;
  readonly log?: (message: string) => void;
  readonly highWaterBytes?: number;
  readonly maxPayloadBytes?: number;
}

export interface WebSocketRpc {
  readonly clients: number;
  /** Events dropped for slow clients since start, by event name. */
  readonly dropped: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

function refuse(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.destroy();
}

/** A connected socket as an RpcPort, with the backpressure rules above. */
export function socketPort(ws: WebSocket, options: { highWaterBytes: number; dropped: Record<string, number>; log: (message: string) => void }): RpcPort {
  const receivers = new Set<(message: unknown) => void>();
  let omittedSamples = 0;
  let warned = false;

  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'text (JSON) messages only');
    let message: unknown = null;
    try {
      message = JSON.parse(data.toString());
    } catch {
      // Handed on as null: the RPC host answers it as a bad message.
    }
    for (const r of receivers) r(message);
  });

  return {
    send(message) {
      if (ws.readyState !== WebSocket.OPEN) return;
      let m = message as HostMessage;
      if (ws.bufferedAmount > CUT_OFF_BYTES) {
        options.log(`closing a WebSocket client that stopped reading (${Math.round(ws.bufferedAmount / 2 ** 20)} MiB unsent)`);
        ws.terminate();
        return;
      }
      if (m.t === 'event' && DROPPABLE_EVENTS.has(m.event)) {
        if (ws.bufferedAmount > options.highWaterBytes) {
          options.dropped[m.event] = (options.dropped[m.event] ?? 0) + 1;
          if (m.event === 'run.samples') {
            const p = m.payload as { samples: unknown[]; omitted: number };
            omittedSamples += p.samples.length + p.omitted;
          }
          if (!warned) options.log('a WebSocket client is slow: dropping live stats and samples for it until it catches up');
          warned = true;
          return;
        }
        if (m.event === 'run.samples' && omittedSamples > 0) {
          const p = m.payload as { omitted: number };
          m = { ...m, payload: { ...p, omitted: p.omitted + omittedSamples } };
          omittedSamples = 0;
        }
      }
      ws.send(JSON.stringify(m));
    },
    onMessage(receive) {
      receivers.add(receive);
      return () => receivers.delete(receive);
    },
    onClose(closed) {
      if (ws.readyState === WebSocket.CLOSED) closed();
      else ws.once('close', () => closed());
    },
  };
}

export function attachWebSocketRpc(options: WebSocketRpcOptions): WebSocketRpc {
  const log = options.log ?? (() => {});
  const dropped: Record<string, number> = {};
  const alive = new WeakSet<WebSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES,
    handleProtocols: (protocols) => (protocols.has(RPC_SUBPROTOCOL) ? RPC_SUBPROTOCOL : false),
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { access } = options;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== RPC_PATH) return refuse(socket, 404, 'Not Found', `no WebSocket at ${path}; the RPC is at ${RPC_PATH}\n`);
    if (!access.hostAllowed(req)) return refuse(socket, 421, 'Misdirected Request', 'this server does not serve that host name\n');
    if (!access.originAllowed(req)) return refuse(socket, 403, 'Forbidden', 'WebSocket from a foreign origin refused\n');
    if (!access.hasToken(req, { subprotocol: true })) return refuse(socket, 401, 'Unauthorized', 'open the URL with the access token printed by plantbench serve\n');
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      ws.on('error', (err) => log(`WebSocket error: ${err.message}`));
      // The RPC host detaches the connection when the socket closes (RpcPort.onClose).
      options.connect(socketPort(ws, { highWaterBytes: options.highWaterBytes ?? HIGH_WATER_BYTES, dropped, log }));
    });
  };
  options.server.on('upgrade', onUpgrade);

  // A peer that vanished without closing (laptop lid, cable) is found by a missed pong.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    get clients() {
      return wss.clients.size;
    },
    dropped,
    async close() {
      clearInterval(heartbeat);
      options.server.off('upgrade', onUpgrade);
      const closing = [...wss.clients].map((ws) => new Promise<void>((done) => {
        ws.once('close', () => done());
        ws.close(1001, 'the server is shutting down');
      }));
      // Peers get a moment to answer the close; then the sockets are cut.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closing), new Promise<void>((done) => (timer = setTimeout(done, 1000)))]);
      clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
    },
  };
}
