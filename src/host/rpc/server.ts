import type { DiscoveryProgress } from '../../shared/discovery/progress.ts';
import type { EventMap, MethodMap, ParsedRequestOf, PayloadOf, ResponseOf } from '../../shared/rpc/define.ts';
import { clientMessage, type HostMessage, type RpcErrorBody, type RpcPort } from '../../shared/rpc/wire.ts';

// The host side of the RPC contract, independent of the transport. Every incoming message is
// validated; a request that does not match its method's schema is refused with the field paths.
// Calls run concurrently; each has an AbortSignal that a cancel message or a lost connection fires.

export interface CallContext {
  readonly signal: AbortSignal;
  /** Sends a progress event for this call (only methods declared with progress: true). */
  progress(p: DiscoveryProgress): void;
}

export type Handlers<M extends MethodMap> = {
  [K in keyof M]: (params: ParsedRequestOf<M, K>, ctx: CallContext) => Promise<ResponseOf<M, K>>;
};

/** A failure a handler reports to the caller as it is (no stack, no internals), with optional structured `detail` (plain JSON). */
export class RpcFailure extends Error {
  readonly detail?: unknown;
  constructor(message: string, options: { detail?: unknown } = {}) {
    super(message);
    if (options.detail !== undefined) this.detail = options.detail;
  }
}

export interface RpcHost<E extends EventMap> {
  /** Serves one connection until it closes or the returned function is called. */
  connect(port: RpcPort): () => void;
  /** Sends an event to every connection. */
  emit<K extends keyof E & string>(event: K, payload: PayloadOf<E, K>): void;
  readonly connections: number;
}

export function createRpcHost<M extends MethodMap, E extends EventMap>(
  methods: M,
  handlers: Handlers<M>,
  options: { log?: (message: string) => void } = {},
): RpcHost<E> {
  const ports = new Set<RpcPort>();
  const log = options.log ?? (() => {});

  function connect(port: RpcPort): () => void {
    const inflight = new Map<number, AbortController>();
    const send = (m: HostMessage): void => {
      if (ports.has(port)) port.send(m);
    };
    const fail = (id: number | null, error: RpcErrorBody): void => send({ t: 'error', id, error });

    async function call(id: number, name: string, params: unknown): Promise<void> {
      const def = Object.hasOwn(methods, name) ? methods[name] : undefined;
      if (!def) return fail(id, { code: 'unknown-method', message: `unknown method "${name}"` });
      const parsed = def.request.safeParse(params);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        return fail(id, { code: 'invalid-request', message: `${name}: ${issues.map((i) => `${i.path || '(request)'}: ${i.message}`).join('; ')}`, issues });
      }
      if (inflight.has(id)) return fail(id, { code: 'bad-message', message: `call id ${id} is already in use` });
      const controller = new AbortController();
      inflight.set(id, controller);
      const ctx: CallContext = {
        signal: controller.signal,
        progress: (p) => {
          if (def.progress && !controller.signal.aborted) send({ t: 'progress', id, progress: p });
        },
      };
      try {
        const result = await (handlers[name as keyof M] as (p: unknown, c: CallContext) => Promise<unknown>)(parsed.data, ctx);
        send({ t: 'result', id, result });
      } catch (err) {
        if (controller.signal.aborted) fail(id, { code: 'cancelled', message: `${name} was cancelled` });
        else if (err instanceof RpcFailure) fail(id, { code: 'failed', message: err.message, ...(err.detail !== undefined ? { detail: err.detail } : {}) });
        else {
          log(`rpc ${name} failed: ${(err as Error)?.stack ?? String(err)}`);
          fail(id, { code: 'failed', message: (err as Error)?.message ?? String(err) });
        }
      } finally {
        inflight.delete(id);
      }
    }

    const stop = port.onMessage((raw) => {
      const parsed = clientMessage.safeParse(raw);
      if (!parsed.success) {
        const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : null;
        return fail(id, { code: 'bad-message', message: `not an RPC message: ${parsed.error.issues[0]?.message ?? 'unreadable'}` });
      }
      const m = parsed.data;
      if (m.t === 'cancel') inflight.get(m.id)?.abort();
      else void call(m.id, m.method, m.params);
    });
    const disconnect = (): void => {
      if (!ports.delete(port)) return;
      stop();
      for (const c of inflight.values()) c.abort();
      inflight.clear();
    };
    ports.add(port);
    port.onClose?.(disconnect);
    return disconnect;
  }

  return {
    connect,
    emit(event, payload) {
      const m: HostMessage = { t: 'event', event, payload };
      for (const p of ports) p.send(m);
    },
    get connections() {
      return ports.size;
    },
  };
}
