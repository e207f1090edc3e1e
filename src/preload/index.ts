import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { APP_COMMAND_EVENT, APP_COMMANDS, IPC, type AppCommand } from '../main/ipc-channels.ts';

// Sandboxed preload (bundled as CommonJS: out/preload/index.cjs). It exposes exactly one thing,
// window.plantbench = { version, rpc }, where rpc is an RpcPort-shaped bridge to the MessagePort main
// hands this page: the renderer's typed client (src/shared/rpc/client.ts) runs on top of it. There is
// no ipcRenderer passthrough; menu commands arrive on the same stream as "app.command" events.

declare const __PLANTBENCH_VERSION__: string;

/** Calls sent before the port arrives (the page may start faster than main answers); bounded. */
const MAX_EARLY_MESSAGES = 1000;

type Listener = (message: unknown) => void;
const listeners = new Set<Listener>();
const early: unknown[] = [];
let port: IpcRendererEvent['ports'][number] | undefined;

function deliver(message: unknown): void {
  for (const listener of listeners) {
    try {
      listener(message);
    } catch (err) {
      console.error('plantbench: an RPC listener failed', err);
    }
  }
}

ipcRenderer.on(IPC.port, (event) => {
  const [next] = event.ports;
  if (next === undefined) return;
  port?.close();
  port = next;
  next.onmessage = (e: MessageEvent) => deliver(e.data);
  for (const message of early.splice(0)) next.postMessage(message);
});

ipcRenderer.on(IPC.command, (_event, command: unknown) => {
  if (APP_COMMANDS.includes(command as AppCommand)) deliver({ t: 'event', event: APP_COMMAND_EVENT, payload: { command } });
});

const rpc = Object.freeze({
  send(message: unknown): void {
    if (port !== undefined) port.postMessage(message);
    else if (early.length < MAX_EARLY_MESSAGES) early.push(message);
    else throw new Error('plantbench: no connection to the host yet, and too many messages are waiting');
  },
  onMessage(listener: Listener): () => void {
    if (typeof listener !== 'function') throw new TypeError('plantbench.rpc.onMessage needs a function');
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
});

contextBridge.exposeInMainWorld('plantbench', Object.freeze({ version: __PLANTBENCH_VERSION__, rpc }));

// Ask main for this page's connection (main checks that the sender is our window's main frame).
ipcRenderer.send(IPC.connect);
