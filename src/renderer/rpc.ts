// The renderer's one way to the host: the typed client over the Electron preload's port, or a
// WebSocket to /rpc on the page's own origin in browser mode (`plantbench serve`).
import { createRpcClient } from '../shared/rpc/client.ts';
import type { Events, Methods, WorkbenchClient } from '../shared/rpc/contract.ts';
import { RPC_SUBPROTOCOL, websocketPort } from '../shared/rpc/websocket-port.ts';
import type { RpcPort } from '../shared/rpc/wire.ts';

export type Transport = 'electron' | 'websocket';

const APP_COMMAND_EVENT = 'app.command';

/** The host's WebSocket on the page's own origin. The access token travels in the cookie the page load set. */
export function rpcSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/rpc`;
}

function browserSocket(url: string): { port: RpcPort; ready: Promise<void> } {
  const ws = new WebSocket(url, [RPC_SUBPROTOCOL]);
  const port = websocketPort(ws);
  const ready = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('close', (e) => reject(new Error(`the host closed the connection${e.reason ? `: ${e.reason}` : ''} (${url}); reopen the URL plantbench serve printed`)));
  });
  ready.catch(() => {});
  return { port, ready };
}

/** Commands of the Electron application menu, delivered on the RPC stream by the preload. */
export type AppCommand = 'save' | 'project-opened';

export interface HostConnection {
  readonly client: WorkbenchClient;
  readonly transport: Transport;
  /** Resolves when the transport is up; rejects when it cannot be reached. */
  readonly ready: Promise<void>;
  /** Called once if the connection is lost. */
  onLost(fn: () => void): void;
  /** Application menu commands (Electron only). */
  onCommand(fn: (command: AppCommand) => void): void;
}

export function connectToHost(): HostConnection {
  const bridge = window.plantbench?.rpc;
  const lost: (() => void)[] = [];
  const commands: ((c: AppCommand) => void)[] = [];
  let port: RpcPort;
  let ready: Promise<void>;
  let transport: Transport;
  if (bridge) {
    port = bridge;
    ready = Promise.resolve();
    transport = 'electron';
  } else {
    ({ port, ready } = browserSocket(rpcSocketUrl(window.location)));
    transport = 'websocket';
  }
  port.onClose?.(() => {
    for (const fn of lost) fn();
  });
  // Menu commands are not part of the host contract: pick them off the stream before the client.
  port.onMessage((m) => {
    const msg = m as { t?: unknown; event?: unknown; payload?: { command?: unknown } };
    if (msg?.t !== 'event' || msg.event !== APP_COMMAND_EVENT) return;
    const command = msg.payload?.command;
    if (command === 'save' || command === 'project-opened') for (const fn of commands) fn(command);
  });
  return {
    client: createRpcClient<Methods, Events>(port),
    transport,
    ready,
    onLost: (fn) => void lost.push(fn),
    onCommand: (fn) => void commands.push(fn),
  };
}
