import { basename } from 'node:path';
import { createRpcClient } from '../shared/rpc/client.ts';
import type { Events, Methods } from '../shared/rpc/contract.ts';
import { memoryPortPair, type RpcPort } from '../shared/rpc/wire.ts';
import type { HostToMain, MainToHost, SecretOp, SecretReply } from './utility-protocol.ts';
import { createWorkbench, type Workbench, type WorkbenchOptions } from './workbench.ts';

// The host as Electron runs it: a utilityProcess started by main (out/main/host.js). It never
// imports electron; it talks to main over process.parentPort. Main opens projects and hands over
// one MessagePort per window; each port becomes an RpcPort served by the workbench. Secrets are
// asked of main, which keeps them encrypted with safeStorage.

/** The message event of Electron's ParentPort and MessagePortMain (structural, for tests). */
export interface PortMessageEvent {
  readonly data: unknown;
  readonly ports?: readonly MessagePortLike[];
}

export interface ParentPortLike {
  on(event: 'message', listener: (event: PortMessageEvent) => void): unknown;
  postMessage(message: unknown): void;
}

export interface MessagePortLike {
  on(event: 'message', listener: (event: PortMessageEvent) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

/** Secrets kept by main, asked for by name. */
export interface MainSecrets {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
  list(): Promise<readonly string[]>;
}

export type WorkbenchFactory = (options: WorkbenchOptions) => Workbench | Promise<Workbench>;
type LogLevel = Parameters<NonNullable<WorkbenchOptions['log']>>[1];

export interface UtilityHostOptions {
  readonly createWorkbench?: WorkbenchFactory;
  readonly log?: (message: string, level: LogLevel) => void;
  /** Called after a "shutdown" once everything is closed (process.exit in the real host). */
  readonly exit?: (code: number) => void;
  /** How long to wait for main to answer a secret request. */
  readonly secretTimeoutMs?: number;
}

/** Messages a window sends before its project is open wait for it; bounded. */
const MAX_WAITING_MESSAGES = 1000;

/**
 * A MessagePortMain as the RpcPort the workbench serves. What arrives while nobody listens (the
 * window connected before the project was open) is kept and handed to the first receiver.
 */
export function messagePortAsRpcPort(port: MessagePortLike): RpcPort & { close(): void } {
  const receivers = new Set<(message: unknown) => void>();
  const waiting: unknown[] = [];
  const closers: (() => void)[] = [];
  let open = true;
  const closed = (): void => {
    if (!open) return;
    open = false;
    for (const c of closers.splice(0)) c();
  };
  port.on('message', (event) => {
    if (receivers.size === 0) {
      if (waiting.length < MAX_WAITING_MESSAGES) waiting.push(event.data);
      return;
    }
    for (const receive of receivers) receive(event.data);
  });
  port.on('close', closed); // the window closed or reloaded
  port.start();
  return {
    send(message) {
      if (open) port.postMessage(message);
    },
    onMessage(receive) {
      receivers.add(receive);
      for (const message of waiting.splice(0)) receive(message);
      return () => receivers.delete(receive);
    },
    onClose(c) {
      if (open) closers.push(c);
      else c();
    },
    close() {
      port.close();
      closed();
    },
  };
}

/** Asks main for secrets over the parent port; `answer` feeds main's replies back in. */
export function mainSecrets(parent: ParentPortLike, timeoutMs = 10_000): MainSecrets & { answer(reply: SecretReply): void } {
  let nextId = 1;
  const pending = new Map<number, { resolve(reply: SecretReply): void; timer: NodeJS.Timeout }>();
  const ask = (op: SecretOp, name?: string, value?: string): Promise<SecretReply & { ok: true }> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`secret ${op}${name ? ` "${name}"` : ''}: the desktop app did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      timer.unref();
      pending.set(id, {
        timer,
        resolve: (reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.message))),
      });
      const message: HostToMain = { t: 'secret', id, op, name, value };
      parent.postMessage(message);
    });
  return {
    get: async (name) => (await ask('get', name)).value,
    set: async (name, value) => void (await ask('set', name, value)),
    delete: async (name) => (await ask('delete', name)).deleted === true,
    list: async () => (await ask('list')).names ?? [],
    answer(reply) {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      clearTimeout(p.timer);
      p.resolve(reply);
    },
  };
}

/**
 * Serves main's messages until "shutdown". Connections that arrive before the first project is open
 * wait for it; opening another project moves every connection over to the new workbench.
 */
export function runUtilityHost(parent: ParentPortLike, options: UtilityHostOptions = {}): void {
  const log = options.log ?? ((message: string, level: LogLevel) => void process.stderr.write(`plantbench host ${level}: ${message}\n`));
  const create = options.createWorkbench ?? createWorkbench;
  const secrets = mainSecrets(parent, options.secretTimeoutMs);
  const post = (message: HostToMain): void => parent.postMessage(message);

  let workbench: Workbench | undefined;
  /** Each renderer connection and how to detach it from the current workbench. */
  const connections = new Map<RpcPort & { close(): void }, (() => void) | undefined>();
  // Opens run one at a time, in the order main sent them.
  let opening: Promise<void> = Promise.resolve();

  async function open(id: number, root: string, simulate: boolean): Promise<void> {
    let next: Workbench;
    try {
      next = await create({ projectRoot: root, secrets, log });
    } catch (err) {
      log(`cannot open ${root}: ${(err as Error)?.stack ?? String(err)}`, 'error');
      post({ t: 'open-failed', id, message: (err as Error)?.message ?? String(err) });
      return;
    }
    const previous = workbench;
    workbench = next;
    for (const [port, detach] of connections) {
      detach?.();
      connections.set(port, next.rpc.connect(port));
    }
    await previous?.close().catch((err: unknown) => log(`closing the previous project failed: ${(err as Error)?.stack ?? String(err)}`, 'error'));

    // The project's name for the recent list, asked through the contract like any client would.
    const [mine, theirs] = memoryPortPair();
    const detach = next.rpc.connect(theirs);
    const client = createRpcClient<Methods, Events>(mine);
    const name = await client
      .call('project.get', {})
      .then((p) => p.name || basename(root))
      .catch(() => basename(root))
      .finally(() => {
        client.close();
        detach();
      });
    post({ t: 'opened', id, root, name });
    // After "opened": starting the simulators can take a while, and the UI shows the run's state.
    if (simulate) {
      try {
        const status = await next.startRun({ mode: 'simulated' });
        if (status.problems.length) log(`the simulated run did not start: ${status.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join('; ')}`, 'warn');
      } catch (err) {
        log(`starting the simulated run failed: ${(err as Error)?.stack ?? String(err)}`, 'error');
      }
    }
  }

  function connect(port: MessagePortLike): void {
    const rpcPort = messagePortAsRpcPort(port);
    connections.set(rpcPort, workbench?.rpc.connect(rpcPort));
    rpcPort.onClose?.(() => connections.delete(rpcPort));
  }

  async function shutdown(): Promise<void> {
    await opening.catch(() => undefined);
    for (const port of [...connections.keys()]) port.close();
    connections.clear();
    await workbench?.close();
    workbench = undefined;
    post({ t: 'closed' });
    options.exit?.(0);
  }

  parent.on('message', (event) => {
    const m = event.data as MainToHost | null;
    switch (m?.t) {
      case 'open':
        opening = opening
          .then(() => open(m.id, m.root, m.simulate))
          .catch((err: unknown) => {
            log(`opening ${m.root} failed: ${(err as Error)?.stack ?? String(err)}`, 'error');
            post({ t: 'open-failed', id: m.id, message: (err as Error)?.message ?? String(err) });
          });
        break;
      case 'connect': {
        const [port] = event.ports ?? [];
        if (port) connect(port);
        else log('a connect message came without its MessagePort', 'warn');
        break;
      }
      case 'secret-reply':
        secrets.answer(m);
        break;
      case 'shutdown':
        void shutdown().catch((err: unknown) => {
          log(`shutdown failed: ${(err as Error)?.stack ?? String(err)}`, 'error');
          options.exit?.(1);
        });
        break;
      default:
        log(`ignored an unknown message from main: ${JSON.stringify(m)?.slice(0, 200)}`, 'warn');
    }
  });
}

// Started by utilityProcess.fork: Electron gives the process a parentPort. Imported anywhere else
// (tests), this module only defines the functions above.
const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) runUtilityHost(parentPort, { exit: (code) => process.exit(code) });
