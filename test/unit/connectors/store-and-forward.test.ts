// Store-and-forward drain logic without a network: the confirm window, the token bucket, the
// outbox calls the sink uses, and the Forwarder against a scripted connection (which messages it
// sends, when it deletes them, what it sends again). Real brokers: test/integration/store-and-forward*.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Forwarder, type ForwarderHooks, type Pending } from '../../../src/connectors/mqtt/forwarder.ts';
import { NotConnectedError } from '../../../src/connectors/mqtt/connection.ts';
import { ConfirmWindow, storeAndForward, storeAndForwardProblem, TokenBucket, type StoreAndForwardOptions } from '../../../src/connectors/store-and-forward.ts';
import type { NodeContext } from '../../../src/engine/node-kind.ts';
import type { Sample } from '../../../src/shared/sample.ts';
import { Outbox, OutboxOpenError } from '../../../src/store/outbox.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

describe('ConfirmWindow', () => {
  it('confirms through the highest id below which everything sent is confirmed', () => {
    const w = new ConfirmWindow();
    for (const id of [3, 5, 8, 9]) w.sent(id);
    expect(w.inFlight).toBe(4);
    w.confirm(5);
    expect(w.confirmedThrough).toBe(0);
    w.confirm(3);
    expect(w.confirmedThrough).toBe(5);
    w.confirm(9);
    expect(w.confirmedThrough).toBe(5);
    expect(w.confirm(9)).toBe(false);
    w.confirm(8);
    expect([w.confirmedThrough, w.inFlight]).toEqual([9, 0]);
  });

  it('takes back an id and everything sent after it', () => {
    const w = new ConfirmWindow();
    for (let id = 1; id <= 6; id++) w.sent(id);
    w.confirm(1);
    w.confirm(5);
    expect(w.takeBackFrom(3)).toBe(4);
    expect([w.confirmedThrough, w.inFlight]).toEqual([1, 1]);
    expect(w.confirm(5)).toBe(false);
    w.confirm(2);
    expect(w.confirmedThrough).toBe(2);
  });
});

describe('TokenBucket', () => {
  it('grants at most the rate over time, with a bounded burst', () => {
    const b = new TokenBucket(1000, 50, 0);
    expect(b.available(0)).toBe(50);
    b.consume(50);
    expect(b.available(0)).toBe(0);
    expect(b.waitMs(0)).toBe(1);
    expect(b.available(20)).toBe(20);
    // A long pause refills only the burst.
    expect(b.available(10_000)).toBe(50);
    b.reset(10_000);
    expect(b.available(10_000)).toBe(0);
    let granted = 0;
    for (let t = 10_000; t <= 11_000; t += 7) {
      const n = b.available(t);
      b.consume(n);
      granted += n;
    }
    expect(granted).toBeGreaterThan(980);
    expect(granted).toBeLessThanOrEqual(1000);
  });
});

describe('store-and-forward options', () => {
  const ok: StoreAndForwardOptions = { file: '/x/outbox.db', maxEntries: 10, maxAgeMs: 0, whenFull: 'drop-oldest', drainPerSecond: 100 };
  it('names what is wrong', () => {
    expect(storeAndForwardProblem(ok)).toBeUndefined();
    expect(storeAndForwardProblem({ ...ok, maxEntries: 0 })).toBe('maxEntries must be a whole number above 0, got 0');
    expect(storeAndForwardProblem({ ...ok, whenFull: 'block' as never })).toBe('whenFull is drop-oldest or pause-sources, got "block"');
    expect(storeAndForwardProblem({ ...ok, drainPerSecond: -1 })).toBe('drainPerSecond must be above 0, got -1');
  });
});

describe('outbox as the sinks use it', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('gives consecutive ids per append, reads after an id, knows the newest', () => {
    const box = new Outbox(':memory:', { maxEntries: 100, maxAgeMs: 0, whenFull: 'refuse' });
    const a = box.append('a', [{ topic: 't', payload: 'x1' }, { topic: 't', payload: 'x2' }]);
    box.append('b', [{ topic: 't', payload: 'y' }]);
    const c = box.append('a', [{ topic: 't', payload: 'x3' }]);
    expect(a).toEqual({ firstId: 1, skipped: 0 });
    expect(c.firstId).toBe(4);
    expect(box.peekAfter('a', 1, 10).map((e) => e.payload)).toEqual(['x2', 'x3']);
    expect(box.newestId('a')).toBe(4);
    expect(box.newestId('none')).toBe(0);
    box.close();
  });

  it('writes over the cap when asked (a stopping sink keeps what it was given)', () => {
    const box = new Outbox(':memory:', { maxEntries: 2, maxAgeMs: 0, whenFull: 'refuse' });
    box.append('a', [{ topic: 't', payload: '1' }, { topic: 't', payload: '2' }]);
    box.append('a', [{ topic: 't', payload: '3' }], Date.now(), true);
    expect(box.stats('a')).toMatchObject({ queued: 3, dropped: 0 });
    box.close();
  });

  it('refuses a second process on the same file, naming it', { timeout: 20_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantbench-outbox-lock-'));
    const file = join(dir, 'outbox.db');
    const box = new Outbox(file, { maxEntries: 10, maxAgeMs: 0, whenFull: 'refuse' });
    const script = `
      const { Outbox } = await import(${JSON.stringify(new URL('../../../src/store/outbox.ts', import.meta.url).pathname)});
      try { new Outbox(${JSON.stringify(file)}, { maxEntries: 10, maxAgeMs: 0, whenFull: 'refuse' }); console.log('opened'); }
      catch (err) { console.log(err.constructor.name + ': ' + err.message); }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((done) => child.on('exit', done));
    expect(out.trim()).toBe(`${OutboxOpenError.name}: cannot open the store-and-forward outbox ${file}: it is in use by another Plantbench process (one run per outbox file)`);
    box.close();
  });
});

/** A scripted connection: records what the forwarder sends; the test confirms or fails each message. */
function harness(options: Partial<StoreAndForwardOptions> = {}, maxInFlight = 1000) {
  const box = new Outbox(':memory:', { maxEntries: options.maxEntries ?? 1000, maxAgeMs: 0, whenFull: options.whenFull === 'pause-sources' ? 'refuse' : 'drop-oldest' });
  const saf = storeAndForward(box, { file: ':memory:', maxEntries: 1000, maxAgeMs: 0, whenFull: 'drop-oldest', drainPerSecond: 1e9, ...options });
  let connected = false;
  const sent: { m: Pending; historical: boolean; settle: (err?: Error) => void }[] = [];
  const failed: string[] = [];
  const logs: string[] = [];
  const status: Record<string, unknown> = {};
  const ctx = {
    nodeId: 'out',
    pipelineId: 'p',
    fail: (s: Sample | undefined, message: string) => failed.push(`${String(s?.value)}: ${message}`),
    report: (f: Record<string, unknown>) => Object.assign(status, f),
    log: (_level: string, message: string) => logs.push(message),
    setTimeout: (fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms);
      return { dispose: () => clearTimeout(t) };
    },
  } as unknown as NodeContext;
  const hooks: ForwarderHooks = {
    saf,
    queue: 'p/out',
    ctx,
    connected: () => connected,
    maxInFlight: () => maxInFlight,
    historicalGroups: true,
    send(group, historical, settle) {
      group.forEach((m, i) => sent.push({ m, historical, settle: (err) => settle(i, err) }));
    },
    transient: (err) => err instanceof NotConnectedError,
    sampleOf: (m) => ({ path: m.topic, value: String(m.payload), quality: 'good', ts: 0 }),
    reason: (_m, err) => err.message,
  };
  const fw = new Forwarder(hooks);
  const msgs = (...values: number[]) => values.map((v) => ({ topic: 't', payload: String(v) }));
  return {
    box,
    fw,
    sent,
    failed,
    logs,
    status,
    msgs,
    payloads: () => sent.map((s) => Number(s.m.payload)),
    setConnected(up: boolean) {
      connected = up;
      fw.onConnection(up);
    },
    queued: () => box.peekAfter('p/out', 0, 1e6).map((e) => Number(e.payload)),
  };
}

describe('Forwarder', () => {
  afterEach(() => vi.useRealTimers());

  it('queues while disconnected, sends in order on connect, deletes through the contiguous confirmed id', async () => {
    const h = harness();
    h.fw.start();
    h.fw.append(h.msgs(1, 2, 3));
    expect(h.sent).toHaveLength(0);
    h.setConnected(true);
    expect(h.payloads()).toEqual([1, 2, 3]);
    // Backlog queued while disconnected: historical.
    expect(h.sent.every((s) => s.historical)).toBe(true);
    h.fw.append(h.msgs(4));
    expect(h.sent[3]!.historical).toBe(false);
    h.sent[1]!.settle();
    h.sent[0]!.settle();
    h.sent[3]!.settle();
    // stop() drains while connected (5 s at most); disconnected, it leaves the rest on disk at once.
    h.setConnected(false);
    await h.fw.stop();
    // 3 is not confirmed: it and 4 stay (4 is after it), to be sent again next start.
    expect(h.queued()).toEqual([3, 4]);
    h.box.close();
  });

  it('sends again, from disk, what a lost connection took back; a refusal goes to the error port', async () => {
    const h = harness();
    h.fw.start();
    h.setConnected(true);
    h.fw.append(h.msgs(1, 2, 3, 4));
    h.sent[0]!.settle();
    h.sent[1]!.settle(new Error('not authorized'));
    h.setConnected(false);
    h.sent[2]!.settle(new NotConnectedError('gone'));
    h.sent[3]!.settle(new NotConnectedError('gone'));
    expect(h.failed).toEqual(['2: not authorized']);
    h.fw.append(h.msgs(5));
    h.setConnected(true);
    // A recovery starts with an empty token bucket: the first tokens come within milliseconds.
    await vi.waitFor(() => expect(h.payloads()).toEqual([1, 2, 3, 4, 3, 4, 5]), { timeout: 1000, interval: 5 });
    for (const s of h.sent.slice(4)) s.settle();
    await h.fw.stop();
    expect(h.queued()).toEqual([]);
    expect(h.status).toMatchObject({ published: 4, queued: 0 });
    h.box.close();
  });

  it('picks up what a previous run left, as a paced historical backlog', async () => {
    const h = harness({ drainPerSecond: 200 });
    h.box.append('p/out', h.msgs(...Array.from({ length: 100 }, (_, i) => i)));
    h.fw.start();
    h.setConnected(true);
    // An empty bucket at the start of a recovery: nothing yet, then about 200/s.
    expect(h.sent).toHaveLength(0);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 250));
    for (const s of h.sent) s.settle();
    const rate = h.sent.length / ((Date.now() - started) / 1000);
    expect(h.sent.length).toBeGreaterThan(10);
    expect(rate).toBeLessThanOrEqual(200 * 1.3);
    expect(h.sent.every((s) => s.historical)).toBe(true);
    expect(h.logs[0]).toBe('store-and-forward: 100 message(s) from before are queued; sending them at most 200/s');
    h.setConnected(false);
    await h.fw.stop();
    h.box.close();
  });

  it('drops the oldest when full, counted and logged once', async () => {
    const h = harness({ maxEntries: 3 });
    h.fw.start();
    h.fw.append(h.msgs(1, 2));
    h.fw.append(h.msgs(3, 4, 5));
    h.fw.append(h.msgs(6));
    expect(h.queued()).toEqual([4, 5, 6]);
    await h.fw.stop();
    expect(h.status).toMatchObject({ queued: 3, dropped: 3 });
    expect(h.logs.filter((l) => l.includes('dropped'))).toEqual([
      'store-and-forward: outbox full (3 messages or older than 0 s): dropped the 2 oldest',
      'store-and-forward: outbox full (3 messages or older than 0 s): dropped the 1 oldest',
    ]);
    h.box.close();
  });

  it('pauses the sources when full and the policy says so, until confirmations make room', async () => {
    const h = harness({ maxEntries: 3, whenFull: 'pause-sources' });
    h.fw.start();
    expect(h.fw.append(h.msgs(1, 2))).toBeUndefined();
    const pending = h.fw.append(h.msgs(3, 4, 5));
    expect(pending).toBeInstanceOf(Promise);
    expect(h.queued()).toEqual([1, 2, 3]);
    expect(h.status.outboxFull).toBe(true);
    h.setConnected(true);
    for (const s of h.sent) s.settle();
    await pending;
    expect(h.queued()).toEqual([4, 5]);
    for (const s of h.sent.slice(3)) s.settle();
    await h.fw.stop();
    expect(h.payloads()).toEqual([1, 2, 3, 4, 5]);
    expect(h.status.dropped).toBe(0);
    h.box.close();
  });
});
