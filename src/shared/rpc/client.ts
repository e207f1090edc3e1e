import type { DiscoveryProgress } from '../discovery/progress.ts';
import type { EventMap, MethodMap, PayloadOf, RequestOf, ResponseOf } from './define.ts';
import { RpcError, type HostMessage, type RpcPort } from './wire.ts';

export interface CallOptions {
  /** Aborting sends a cancel to the host; the call then rejects with code "cancelled" or resolves with partial results. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DiscoveryProgress) => void;
}

export interface RpcClient<M extends MethodMap, E extends EventMap> {
  call<K extends keyof M & string>(method: K, params: RequestOf<M, K>, options?: CallOptions): Promise<ResponseOf<M, K>>;
  /** Subscribes to a host event; returns the unsubscribe function. */
  on<K extends keyof E & string>(event: K, listener: (payload: PayloadOf<E, K>) => void): () => void;
  /** Rejects every pending call and stops listening. */
  close(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (p: DiscoveryProgress) => void;
  unlinkSignal?: () => void;
}

/** The typed client the renderer uses (through the preload under Electron, a WebSocket in a browser). */
export function createRpcClient<M extends MethodMap, E extends EventMap>(port: RpcPort): RpcClient<M, E> {
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: never) => void>>();
  let closed = false;

  const settle = (id: number): Pending | undefined => {
    const p = pending.get(id);
    pending.delete(id);
    p?.unlinkSignal?.();
    return p;
  };

  const failAll = (message: string): void => {
    for (const id of [...pending.keys()]) settle(id)?.reject(new RpcError({ code: 'internal', message }));
  };

  const stop = port.onMessage((raw) => {
    const m = raw as HostMessage;
    switch (m?.t) {
      case 'result':
        settle(m.id)?.resolve(m.result);
        break;
      case 'error':
        if (m.id === null) console.warn(`rpc: ${m.error.message}`);
        else settle(m.id)?.reject(new RpcError(m.error));
        break;
      case 'progress':
        pending.get(m.id)?.onProgress?.(m.progress);
        break;
      case 'event':
        for (const l of listeners.get(m.event) ?? []) l(m.payload as never);
        break;
    }
  });
  port.onClose?.(() => failAll('the connection to the host was lost'));

  return {
    call(method, params, options = {}) {
      if (closed) return Promise.reject(new RpcError({ code: 'internal', message: 'the client is closed' }));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const entry: Pending = { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress };
        if (options.signal) {
          const signal = options.signal;
          const onAbort = (): void => port.send({ t: 'cancel', id });
          if (signal.aborted) queueMicrotask(onAbort);
          else signal.addEventListener('abort', onAbort, { once: true });
          entry.unlinkSignal = () => signal.removeEventListener('abort', onAbort);
        }
        pending.set(id, entry);
        port.send({ t: 'call', id, method, params });
      });
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    close() {
      closed = true;
      stop();
      failAll('the client was closed');
    },
  };
}
