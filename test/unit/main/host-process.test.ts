import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import { startHostProcess } from '../../../src/main/host-process.ts';
import { IPC } from '../../../src/main/ipc-channels.ts';
import { createSecretStore } from '../../../src/main/secrets.ts';
import { fake, FakeMessagePortMain, FakeWebContents, safeStorage, utilityProcess, type FakeUtilityProcess } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts').then((m) => m.electronModule));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plantbench-hostproc-'));
  fake.children.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  const secrets = createSecretStore(join(dir, 'secrets.json'), safeStorage, 'linux');
  const onRestart = vi.fn();
  const onGiveUp = vi.fn();
  const logs: string[] = [];
  const host = startHostProcess({ entry: '/app/out/main/host.js', secrets, onRestart, onGiveUp, log: (m) => logs.push(m) });
  const child = (): FakeUtilityProcess => fake.children.at(-1)!;
  return { host, secrets, onRestart, onGiveUp, logs, child };
}

/** The host's answer to main's latest "open". */
function answerOpen(child: FakeUtilityProcess, name = 'Bottling line'): void {
  const open = child.sent('open').at(-1)!;
  child.reply({ t: 'opened', id: open.id, root: open.root, name });
}

describe('the host utilityProcess, seen from main', () => {
  it('forks out/main/host.js and opens projects in it', async () => {
    const { host, child } = setup();
    expect(utilityProcess.fork).toHaveBeenCalledWith('/app/out/main/host.js', [], expect.objectContaining({ serviceName: 'Plantbench host' }));

    const opened = host.open('/work/line', true);
    expect(child().sent('open')).toEqual([{ t: 'open', id: expect.any(Number), root: '/work/line', simulate: true }]);
    answerOpen(child());
    await expect(opened).resolves.toEqual({ root: '/work/line', name: 'Bottling line' });

    const failing = host.open('/work/broken', false);
    child().reply({ t: 'open-failed', id: child().sent('open').at(-1)!.id, message: 'plantbench.yaml:3: name is required' });
    await expect(failing).rejects.toThrow('plantbench.yaml:3: name is required');
  });

  it('gives each page its own channel: one port to the host, the other to the page', () => {
    const { host, child } = setup();
    const page = new FakeWebContents();
    host.connect(page as unknown as WebContents);
    host.connect(page as unknown as WebContents);

    const connects = child().posted.filter((p) => (p.message as { t: string }).t === 'connect');
    expect(connects).toHaveLength(2);
    expect(connects[0]!.message).toEqual({ t: 'connect', window: page.id });
    expect(page.postMessage).toHaveBeenCalledTimes(2);
    const [channel, message, transfer] = page.postMessage.mock.calls[0]!;
    expect([channel, message]).toEqual([IPC.port, null]);
    const hostPort = connects[0]!.transfer![0] as FakeMessagePortMain;
    const pagePort = (transfer as FakeMessagePortMain[])[0]!;
    expect(hostPort).toBeInstanceOf(FakeMessagePortMain);
    expect(pagePort).toBeInstanceOf(FakeMessagePortMain);
    expect(pagePort).not.toBe(hostPort);
    // A second connection never reuses a port.
    expect(connects[1]!.transfer![0]).not.toBe(hostPort);
  });

  it("answers the host's secret requests from the safeStorage store", async () => {
    const { secrets, child } = setup();
    await secrets.set('UNS_PASSWORD', 's3cret');
    const replies = async (): Promise<Record<string, unknown>[]> => {
      await vi.waitFor(() => expect(child().sent('secret-reply').length).toBeGreaterThan(0));
      return child().sent('secret-reply');
    };

    child().reply({ t: 'secret', id: 1, op: 'get', name: 'UNS_PASSWORD' });
    expect(await replies()).toEqual([{ t: 'secret-reply', id: 1, ok: true, value: 's3cret' }]);

    child().reply({ t: 'secret', id: 2, op: 'set', name: 'BROKER_TOKEN', value: 'tok' });
    await vi.waitFor(() => expect(child().sent('secret-reply')).toHaveLength(2));
    expect(await secrets.get('BROKER_TOKEN')).toBe('tok');

    child().reply({ t: 'secret', id: 3, op: 'list' });
    child().reply({ t: 'secret', id: 4, op: 'delete', name: 'BROKER_TOKEN' });
    child().reply({ t: 'secret', id: 5, op: 'get', name: 'bad name' });
    child().reply({ t: 'secret', id: 6, op: 'get' });
    await vi.waitFor(() => expect(child().sent('secret-reply')).toHaveLength(6));
    const byId = new Map(child().sent('secret-reply').map((r) => [r.id, r]));
    expect(byId.get(3)).toEqual({ t: 'secret-reply', id: 3, ok: true, names: ['BROKER_TOKEN', 'UNS_PASSWORD'] });
    expect(byId.get(4)).toEqual({ t: 'secret-reply', id: 4, ok: true, deleted: true });
    expect(byId.get(5)).toEqual({ t: 'secret-reply', id: 5, ok: false, message: expect.stringContaining('secret name "bad name"') });
    expect(byId.get(6)).toEqual({ t: 'secret-reply', id: 6, ok: false, message: 'secret get: no name given' });
  });

  it('passes the refusal on when encryption is unavailable', async () => {
    const { child } = setup();
    safeStorage.isAsyncEncryptionAvailable.mockResolvedValueOnce(false);
    child().reply({ t: 'secret', id: 1, op: 'set', name: 'A', value: 'x' });
    await vi.waitFor(() => expect(child().sent('secret-reply')).toHaveLength(1));
    expect(child().sent('secret-reply')[0]).toMatchObject({ ok: false, message: expect.stringMatching(/cannot store secret "A": .*no keychain/) });
  });

  it('starts a crashed host again with the same project, and gives up when it keeps crashing', async () => {
    const { host, child, onRestart, onGiveUp } = setup();
    const opened = host.open('/work/line', true);
    answerOpen(child());
    await opened;

    const pendingOpen = host.open('/work/other', false);
    child().emit('exit', 134);
    await expect(pendingOpen).rejects.toThrow('the host process exited (code 134)');
    expect(fake.children).toHaveLength(2);
    expect(child().sent('open')).toEqual([{ t: 'open', id: expect.any(Number), root: '/work/line', simulate: true }]);
    expect(onRestart).toHaveBeenCalledOnce();

    for (let i = 0; i < 3; i++) child().emit('exit', 1);
    expect(onGiveUp).toHaveBeenCalledExactlyOnceWith(expect.stringContaining('4 times within a minute'));
    expect(fake.children).toHaveLength(4);
  });

  it('stops by asking the host to shut down, and kills it if it does not', async () => {
    vi.useFakeTimers();
    try {
      const { host, child, logs } = setup();
      const stopped = host.stop();
      expect(child().sent('shutdown')).toHaveLength(1);
      expect(host.stop()).toBe(stopped);
      child().emit('exit', 0);
      await stopped;
      expect(child().kill).not.toHaveBeenCalled();

      const second = setup();
      const stopping = second.host.stop();
      await vi.advanceTimersByTimeAsync(5_000);
      await stopping;
      expect(second.child().kill).toHaveBeenCalledOnce();
      expect(second.logs).toContain('the host did not stop in time; killing it');
      expect(logs).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
