import { MessageChannelMain, utilityProcess } from 'electron';
import type { MessagePortMain, UtilityProcess, WebContents } from 'electron';
import type { HostToMain, MainToHost } from '../host/utility-protocol.ts';
import { IPC } from './ipc-channels.ts';
import type { SecretStore } from './secrets.ts';

// Main's side of the host utilityProcess (src/host/utility-entry.ts): starts it, opens projects in
// it, gives each window its own MessageChannelMain (one end to the host, the other to the page) and
// answers the host's secret requests from the safeStorage store. A host that dies is started again
// with the same project, up to a few times a minute.

export interface OpenedProject {
  readonly root: string;
  readonly name: string;
}

export interface HostProcess {
  open(root: string, simulate: boolean): Promise<OpenedProject>;
  /** Gives one page a fresh connection to the host. */
  connect(contents: WebContents): void;
  /** Closes the project (stopping its run) and ends the process. */
  stop(): Promise<void>;
}

export interface HostProcessOptions {
  /** out/main/host.js */
  readonly entry: string;
  readonly secrets: SecretStore;
  /** The host was started again after a crash: pages should reload to reconnect. */
  readonly onRestart: () => void;
  /** The host keeps crashing and was not started again. */
  readonly onGiveUp: (reason: string) => void;
  readonly log?: (message: string) => void;
}

const MAX_RESTARTS_PER_MINUTE = 3;
const STOP_TIMEOUT_MS = 5_000;

export function startHostProcess(options: HostProcessOptions): HostProcess {
  const log = options.log ?? ((m: string) => console.error(`plantbench: ${m}`));
  let child: UtilityProcess;
  let stopping = false;
  let alive = false;
  let stopped: Promise<void> | undefined;
  let nextId = 1;
  let current: { root: string; simulate: boolean } | undefined;
  const pending = new Map<number, { resolve(p: OpenedProject): void; reject(e: Error): void }>();
  const restarts: number[] = [];

  const post = (message: MainToHost, transfer?: MessagePortMain[]): void => child.postMessage(message, transfer);

  async function answerSecret(m: Extract<HostToMain, { t: 'secret' }>): Promise<MainToHost> {
    const { secrets } = options;
    try {
      if (m.op === 'list') return { t: 'secret-reply', id: m.id, ok: true, names: secrets.names() };
      if (typeof m.name !== 'string') throw new Error(`secret ${m.op}: no name given`);
      switch (m.op) {
        case 'get':
          return { t: 'secret-reply', id: m.id, ok: true, value: await secrets.get(m.name) };
        case 'set':
          if (typeof m.value !== 'string') throw new Error(`secret set "${m.name}": no value given`);
          await secrets.set(m.name, m.value);
          return { t: 'secret-reply', id: m.id, ok: true };
        case 'delete':
          return { t: 'secret-reply', id: m.id, ok: true, deleted: await secrets.delete(m.name) };
        default:
          throw new Error(`unknown secret operation "${String(m.op)}"`);
      }
    } catch (err) {
      return { t: 'secret-reply', id: m.id, ok: false, message: (err as Error)?.message ?? String(err) };
    }
  }

  function onMessage(m: HostToMain): void {
    switch (m?.t) {
      case 'opened':
        pending.get(m.id)?.resolve({ root: m.root, name: m.name });
        pending.delete(m.id);
        break;
      case 'open-failed':
        pending.get(m.id)?.reject(new Error(m.message));
        pending.delete(m.id);
        break;
      case 'secret':
        void answerSecret(m).then((reply) => post(reply));
        break;
      case 'closed':
        break;
      default:
        log(`ignored an unknown message from the host: ${JSON.stringify(m)?.slice(0, 200)}`);
    }
  }

  function onExit(code: number): void {
    alive = false;
    for (const p of pending.values()) p.reject(new Error(`the host process exited (code ${code})`));
    pending.clear();
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
      options.onGiveUp(`the host process exited (code ${code}) ${restarts.length} times within a minute`);
      return;
    }
    log(`the host process exited (code ${code}); starting it again`);
    spawn();
    if (current) void open(current.root, current.simulate).catch((err: unknown) => log(`reopening ${current?.root}: ${(err as Error).message}`));
    options.onRestart();
  }

  function spawn(): void {
    child = utilityProcess.fork(options.entry, [], { serviceName: 'Plantbench host', stdio: 'inherit' });
    alive = true;
    child.on('message', onMessage);
    child.once('exit', onExit);
  }

  function open(root: string, simulate: boolean): Promise<OpenedProject> {
    const id = nextId++;
    return new Promise<OpenedProject>((resolve, reject) => {
      pending.set(id, {
        resolve: (p) => {
          current = { root: p.root, simulate };
          resolve(p);
        },
        reject,
      });
      post({ t: 'open', id, root, simulate });
    });
  }

  spawn();

  return {
    open,
    connect(contents) {
      const { port1, port2 } = new MessageChannelMain();
      post({ t: 'connect', window: contents.id }, [port1]);
      contents.postMessage(IPC.port, null, [port2]);
    },
    stop() {
      stopping = true;
      stopped ??= alive
        ? new Promise<void>((done) => {
            const timer = setTimeout(() => {
              log('the host did not stop in time; killing it');
              child.kill();
              done();
            }, STOP_TIMEOUT_MS);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            post({ t: 'shutdown' });
          })
        : Promise.resolve();
      return stopped;
    },
  };
}
