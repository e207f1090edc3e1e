import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { APP_COMMAND_EVENT, IPC } from '../../../src/main/ipc-channels.ts';
import { contextBridge, fake, ipcRenderer } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts').then((m) => m.electronModule));

// The preload runs once per page: import it once and look at what it exposed.
vi.stubGlobal('__PLANTBENCH_VERSION__', '9.8.7');
await import('../../../src/preload/index.ts');
// Taken now: mocks' call records are cleared before each test.
const atLoad = {
  exposed: [...contextBridge.exposeInMainWorld.mock.calls],
  sent: [...ipcRenderer.send.mock.calls],
  invoked: ipcRenderer.invoke.mock.calls.length + ipcRenderer.sendSync.mock.calls.length,
};

interface Bridge {
  version: string;
  rpc: { send(message: unknown): void; onMessage(listener: (message: unknown) => void): () => void };
}
const bridge = fake.exposed.get('plantbench') as Bridge;
const channels: MessageChannel[] = [];

afterAll(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
});

/** Main hands the page a port; returns the host's end. */
function handOverPort(): MessagePort {
  const channel = new MessageChannel();
  channels.push(channel);
  ipcRenderer.emit(IPC.port, { ports: [channel.port1] });
  return channel.port2;
}

const nextMessage = (port: MessagePort): Promise<unknown> => new Promise((resolve) => port.once('message', resolve));

describe('the preload', () => {
  it('exposes only window.plantbench = { version, rpc: { send, onMessage } }, frozen', () => {
    expect(atLoad.exposed).toHaveLength(1);
    expect([...fake.exposed.keys()]).toEqual(['plantbench']);
    expect(Object.keys(bridge).sort()).toEqual(['rpc', 'version']);
    expect(bridge.version).toBe('9.8.7');
    expect(Object.keys(bridge.rpc).sort()).toEqual(['onMessage', 'send']);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.isFrozen(bridge.rpc)).toBe(true);
    // Nothing of Electron leaks through: no ipcRenderer, no generic invoke/send-to-channel.
    const values = [...Object.values(bridge), ...Object.values(bridge.rpc)];
    expect(values).not.toContain(ipcRenderer);
    expect(values.every((v) => typeof v === 'string' || typeof v === 'function' || v === bridge.rpc)).toBe(true);
  });

  it('asks main for its connection once, on the connect channel only', () => {
    expect(atLoad.sent).toEqual([[IPC.connect]]);
    expect(atLoad.invoked).toBe(0);
    expect(ipcRenderer.eventNames().sort()).toEqual([IPC.command, IPC.port].sort());
  });

  it('queues calls until the port arrives, then carries messages both ways', async () => {
    const received: unknown[] = [];
    const unsubscribe = bridge.rpc.onMessage((m) => received.push(m));
    bridge.rpc.send({ t: 'call', id: 1, method: 'project.get', params: {} });

    const host = handOverPort();
    expect(await nextMessage(host)).toEqual({ t: 'call', id: 1, method: 'project.get', params: {} });
    bridge.rpc.send({ t: 'call', id: 2, method: 'run.status', params: {} });
    expect(await nextMessage(host)).toEqual({ t: 'call', id: 2, method: 'run.status', params: {} });

    host.postMessage({ t: 'result', id: 1, result: { name: 'Bottling line' } });
    await vi.waitFor(() => expect(received).toEqual([{ t: 'result', id: 1, result: { name: 'Bottling line' } }]));

    const other: unknown[] = [];
    bridge.rpc.onMessage((m) => other.push(m));
    unsubscribe();
    host.postMessage({ t: 'event', event: 'run.stats', payload: {} });
    await vi.waitFor(() => expect(other).toHaveLength(1));
    expect(received).toHaveLength(1);
  });

  it('switches to a new port after a reconnect (the host restarted)', async () => {
    const received: unknown[] = [];
    bridge.rpc.onMessage((m) => received.push(m));
    const host = handOverPort();
    bridge.rpc.send({ t: 'cancel', id: 9 });
    expect(await nextMessage(host)).toEqual({ t: 'cancel', id: 9 });
    host.postMessage({ t: 'result', id: 9, result: null });
    await vi.waitFor(() => expect(received).toContainEqual({ t: 'result', id: 9, result: null }));
  });

  it('delivers menu commands as app.command events and ignores anything else', () => {
    const received: unknown[] = [];
    bridge.rpc.onMessage((m) => received.push(m));
    ipcRenderer.emit(IPC.command, {}, 'save');
    ipcRenderer.emit(IPC.command, {}, 'format-disk');
    ipcRenderer.emit(IPC.command, {}, { command: 'save' });
    expect(received).toEqual([{ t: 'event', event: APP_COMMAND_EVENT, payload: { command: 'save' } }]);
  });

  it('keeps working when a listener throws', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const received: unknown[] = [];
    const stop = bridge.rpc.onMessage(() => {
      throw new Error('listener bug');
    });
    bridge.rpc.onMessage((m) => received.push(m));
    ipcRenderer.emit(IPC.command, {}, 'project-opened');
    expect(received).toEqual([{ t: 'event', event: APP_COMMAND_EVENT, payload: { command: 'project-opened' } }]);
    expect(spy).toHaveBeenCalled();
    stop();
    spy.mockRestore();
  });
});
