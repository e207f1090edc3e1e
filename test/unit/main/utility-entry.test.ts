import { EventEmitter } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mainSecrets, runUtilityHost, type MessagePortLike, type ParentPortLike, type PortMessageEvent, type WorkbenchFactory } from '../../../src/host/utility-entry.ts';
import type { HostToMain, MainToHost } from '../../../src/host/utility-protocol.ts';
import { createWorkbench, type Workbench } from '../../../src/host/workbench.ts';
import { createRpcClient } from '../../../src/shared/rpc/client.ts';
import type { Events, Methods } from '../../../src/shared/rpc/contract.ts';
import { memoryPortPair, type RpcPort } from '../../../src/shared/rpc/wire.ts';
import { cleanupAfterEach } from '../../helpers/cleanups.ts';
import { copyExample } from '../../helpers/project.ts';

// The host as it runs in Electron's utilityProcess, with main played by the test: a fake
// process.parentPort, and renderer connections made of memoryPortPair ends dressed as
// MessagePortMain. The workbench behind it is the real one, on a copy of the example project.

const cleanups = cleanupAfterEach();

/** process.parentPort as Electron gives it to the utilityProcess; `sent` is what the host told main. */
class FakeParentPort extends EventEmitter implements ParentPortLike {
  readonly sent: HostToMain[] = [];
  postMessage(message: unknown): void {
    this.sent.push(structuredClone(message) as HostToMain);
  }
  tell(data: MainToHost, ports: MessagePortLike[] = []): void {
    this.emit('message', { data, ports } satisfies PortMessageEvent);
  }
  async next<T extends HostToMain['t']>(t: T, after = 0): Promise<Extract<HostToMain, { t: T }>> {
    await vi.waitFor(() => expect(this.sent.slice(after).some((m) => m.t === t)).toBe(true), { timeout: 10_000 });
    return this.sent.slice(after).find((m) => m.t === t) as Extract<HostToMain, { t: T }>;
  }
}

/** One end of a memory pair with the MessagePortMain interface (message events carry `data`). */
function asMessagePortMain(port: RpcPort): MessagePortLike & { started: boolean } {
  const emitter = new EventEmitter();
  port.onMessage((data) => emitter.emit('message', { data }));
  port.onClose?.(() => emitter.emit('close'));
  return Object.assign(emitter, {
    started: false,
    postMessage: (message: unknown) => port.send(message),
    start() {
      this.started = true;
    },
    close: () => (port as RpcPort & { close(): void }).close(),
  });
}

/** A window: the host gets a MessagePortMain, the page a typed client. */
function connectWindow(parent: FakeParentPort, window: number) {
  const [hostEnd, pageEnd] = memoryPortPair();
  const port = asMessagePortMain(hostEnd);
  parent.tell({ t: 'connect', window }, [port]);
  const client = createRpcClient<Methods, Events>(pageEnd);
  cleanups.push(() => client.close());
  return { client, port, close: () => (pageEnd as RpcPort & { close(): void }).close() };
}

/** The real createWorkbench, keeping each workbench and its options so tests can look inside. */
function recordingFactory(change?: (w: Workbench) => Workbench) {
  const made: { options: Parameters<WorkbenchFactory>[0]; workbench: Workbench; closed: boolean }[] = [];
  const factory: WorkbenchFactory = (options) => {
    const real = createWorkbench({ ...options, log: () => {} });
    const entry = { options, workbench: real, closed: false };
    const workbench: Workbench = {
      ...(change ? change(real) : real),
      close: async () => {
        entry.closed = true;
        await real.close();
      },
    };
    entry.workbench = workbench;
    made.push(entry);
    cleanups.push(() => (entry.closed ? undefined : real.close()));
    return workbench;
  };
  return { factory, made };
}

function example() {
  const project = copyExample();
  cleanups.push(() => project.dispose());
  return project;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the utilityProcess host', () => {
  it("serves a window's port with the real workbench once main has opened the project", async () => {
    const project = example();
    const parent = new FakeParentPort();
    const { factory, made } = recordingFactory();
    runUtilityHost(parent, { createWorkbench: factory, log: () => {} });

    // The window connects before the project is open: its first call waits for it.
    const page = connectWindow(parent, 1);
    expect(page.port.started).toBe(true);
    const summary = page.client.call('project.get', {});
    parent.tell({ t: 'open', id: 1, root: project.root, simulate: false });

    expect(await parent.next('opened')).toEqual({ t: 'opened', id: 1, root: project.root, name: 'Bottling line' });
    const got = await summary;
    expect(got.name).toBe('Bottling line');
    const deviceFiles = readdirSync(join(project.root, 'devices')).map((f) => f.replace(/\.yaml$/, ''));
    expect(got.devices.map((d) => d.id).sort()).toEqual(deviceFiles.sort());
    expect(made).toHaveLength(1);
    expect(made[0]!.options.projectRoot).toBe(project.root);

    // Invalid requests are refused by the contract, as from any client.
    await expect(page.client.call('run.start', { mode: 'armed-and-dangerous' } as never)).rejects.toMatchObject({ code: 'invalid-request' });

    // A window that closes (or reloads) is let go.
    const second = connectWindow(parent, 2);
    await second.client.call('run.status', {});
    expect(made[0]!.workbench.rpc.connections).toBe(2);
    second.close();
    await vi.waitFor(() => expect(made[0]!.workbench.rpc.connections).toBe(1));
  });

  it('asks main for secrets by name over the parent port', async () => {
    const project = example();
    const parent = new FakeParentPort();
    const { factory, made } = recordingFactory();
    runUtilityHost(parent, { createWorkbench: factory, log: () => {} });
    parent.tell({ t: 'open', id: 1, root: project.root, simulate: false });
    await parent.next('opened');

    // What the workbench asks before a run (the example's MQTT broker uses ${secret:UNS_PASSWORD}).
    const secrets = made[0]!.options.secrets as { get(name: string): Promise<string | undefined> };
    const value = secrets.get('UNS_PASSWORD');
    const request = await parent.next('secret');
    expect(request).toEqual({ t: 'secret', id: expect.any(Number), op: 'get', name: 'UNS_PASSWORD' });
    parent.tell({ t: 'secret-reply', id: request.id, ok: true, value: 'from-the-keychain' });
    expect(await value).toBe('from-the-keychain');

    const count = parent.sent.length;
    const refused = secrets.get('UNS_PASSWORD');
    const again = await parent.next('secret', count);
    parent.tell({ t: 'secret-reply', id: again.id, ok: false, message: 'cannot read secret "UNS_PASSWORD": no keyring is running' });
    await expect(refused).rejects.toThrow('no keyring is running');
  });

  it('starts the simulated run after telling main the project is open (npm start)', async () => {
    const project = example();
    const parent = new FakeParentPort();
    const startRun = vi.fn(async () => ({ state: 'running' as const, mode: 'simulated' as const, pipelines: ['filler-uns'], simulators: [], problems: [] }));
    const { factory } = recordingFactory((real) => ({ ...real, startRun }));
    runUtilityHost(parent, { createWorkbench: factory, log: () => {} });
    parent.tell({ t: 'open', id: 7, root: project.root, simulate: true });
    await parent.next('opened');
    await vi.waitFor(() => expect(startRun).toHaveBeenCalledExactlyOnceWith({ mode: 'simulated' }));
  });

  it('moves every window to a project opened later, and closes the previous one', async () => {
    const first = example();
    const second = example();
    second.edit('plantbench.yaml', (text) => text.replace('name: Bottling line', 'name: Line two'));
    const parent = new FakeParentPort();
    const { factory, made } = recordingFactory();
    runUtilityHost(parent, { createWorkbench: factory, log: () => {} });
    const page = connectWindow(parent, 1);
    parent.tell({ t: 'open', id: 1, root: first.root, simulate: false });
    expect((await page.client.call('project.get', {})).name).toBe('Bottling line');
    await parent.next('opened');

    const count = parent.sent.length;
    parent.tell({ t: 'open', id: 2, root: second.root, simulate: false });
    expect(await parent.next('opened', count)).toMatchObject({ id: 2, name: 'Line two' });
    expect((await page.client.call('project.get', {})).name).toBe('Line two');
    expect(made.map((m) => m.closed)).toEqual([true, false]);
    expect(made[0]!.workbench.rpc.connections).toBe(0);
  });

  it('reports a project it cannot open and keeps the one that is open', async () => {
    const project = example();
    const parent = new FakeParentPort();
    const { factory } = recordingFactory();
    const failing: WorkbenchFactory = (options) => {
      if (options.projectRoot.endsWith('missing')) throw new Error(`${options.projectRoot}: no plantbench.yaml`);
      return factory(options);
    };
    const logs: string[] = [];
    runUtilityHost(parent, { createWorkbench: failing, log: (m) => logs.push(m) });
    const page = connectWindow(parent, 1);
    parent.tell({ t: 'open', id: 1, root: project.root, simulate: false });
    parent.tell({ t: 'open', id: 2, root: '/nowhere/missing', simulate: false });
    expect(await parent.next('open-failed')).toEqual({ t: 'open-failed', id: 2, message: '/nowhere/missing: no plantbench.yaml' });
    expect((await page.client.call('project.get', {})).name).toBe('Bottling line');
    expect(logs.some((m) => m.includes('cannot open /nowhere/missing'))).toBe(true);
  });

  it('shuts down on request: windows closed, project closed, "closed" sent, exit 0', async () => {
    const project = example();
    const parent = new FakeParentPort();
    const { factory, made } = recordingFactory();
    const exit = vi.fn();
    runUtilityHost(parent, { createWorkbench: factory, log: () => {}, exit });
    const page = connectWindow(parent, 1);
    const lost = vi.fn();
    page.port.on('close', lost);
    parent.tell({ t: 'open', id: 1, root: project.root, simulate: false });
    await parent.next('opened');
    parent.tell({ t: 'shutdown' });
    await parent.next('closed');
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
    expect(made[0]!.closed).toBe(true);
    expect(lost).toHaveBeenCalled();
  });

  it('ignores what it does not understand, and says so', () => {
    const parent = new FakeParentPort();
    const logs: string[] = [];
    runUtilityHost(parent, { createWorkbench: () => ({}) as never, log: (m) => logs.push(m) });
    parent.emit('message', { data: { t: 'format-disk' } });
    parent.emit('message', { data: { t: 'connect', window: 1 }, ports: [] });
    expect(logs).toEqual([expect.stringContaining('ignored an unknown message from main: {"t":"format-disk"}'), 'a connect message came without its MessagePort']);
    expect(parent.sent).toEqual([]);
  });
});

describe('secrets asked of main', () => {
  it('get, set, delete and list travel as requests and come back as replies', async () => {
    const parent = new FakeParentPort();
    const secrets = mainSecrets(parent);
    parent.on('message', (e: PortMessageEvent) => secrets.answer(e.data as never));
    const answer = async <T>(call: Promise<T>, reply: Record<string, unknown>): Promise<T> => {
      const request = parent.sent.at(-1) as { id: number };
      parent.tell({ t: 'secret-reply', id: request.id, ok: true, ...reply } as MainToHost);
      return call;
    };
    expect(await answer(secrets.get('A'), { value: '1' })).toBe('1');
    expect(await answer(secrets.get('B'), {})).toBeUndefined();
    expect(parent.sent.at(-1)).toEqual({ t: 'secret', id: expect.any(Number), op: 'get', name: 'B' });
    await answer(secrets.set('C', 'v'), {});
    expect(parent.sent.at(-1)).toEqual({ t: 'secret', id: expect.any(Number), op: 'set', name: 'C', value: 'v' });
    expect(await answer(secrets.delete('C'), { deleted: true })).toBe(true);
    expect(await answer(secrets.list(), { names: ['A'] })).toEqual(['A']);
    // A reply nobody waits for is dropped.
    parent.tell({ t: 'secret-reply', id: 999, ok: true, value: 'stray' });
  });

  it('gives up when main does not answer', async () => {
    vi.useFakeTimers();
    const secrets = mainSecrets(new FakeParentPort(), 2_000);
    const value = secrets.get('SLOW');
    const settled = expect(value).rejects.toThrow('secret get "SLOW": the desktop app did not answer within 2 s');
    await vi.advanceTimersByTimeAsync(2_000);
    await settled;
  });
});
