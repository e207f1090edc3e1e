import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRpcHost, RpcFailure, type Handlers } from '../../../src/host/rpc/server.ts';
import { createRpcClient } from '../../../src/shared/rpc/client.ts';
import { event, method } from '../../../src/shared/rpc/define.ts';
import { memoryPortPair, RpcError } from '../../../src/shared/rpc/wire.ts';

const methods = {
  'math.add': method({ summary: 'adds', request: z.object({ a: z.number(), b: z.number().default(1) }).strict(), response: z.object({ sum: z.number() }) }),
  'work.long': method({ summary: 'counts until cancelled', request: z.object({ steps: z.number().int() }), response: z.object({ done: z.number(), cancelled: z.boolean() }), progress: true }),
  'work.fail': method({ summary: 'fails', request: z.object({ internal: z.boolean() }), response: z.object({}) }),
};
const events = { tick: event({ summary: 'a tick', payload: z.object({ n: z.number() }) }) };

function setup() {
  const seen: { aborted: boolean }[] = [];
  const handlers: Handlers<typeof methods> = {
    'math.add': async ({ a, b }) => ({ sum: a + b }),
    'work.long': async ({ steps }, ctx) => {
      const state = { aborted: false };
      seen.push(state);
      let done = 0;
      while (done < steps && !ctx.signal.aborted) {
        done++;
        ctx.progress({ done, total: steps });
        await new Promise((r) => setTimeout(r, 1));
      }
      state.aborted = ctx.signal.aborted;
      return { done, cancelled: ctx.signal.aborted };
    },
    'work.fail': async ({ internal }) => {
      if (internal) throw new TypeError('boom inside');
      throw new RpcFailure('127.0.0.1:502: connection refused');
    },
  };
  const logs: string[] = [];
  const host = createRpcHost<typeof methods, typeof events>(methods, handlers, { log: (m) => logs.push(m) });
  const [hostPort, clientPort] = memoryPortPair();
  host.connect(hostPort);
  const client = createRpcClient<typeof methods, typeof events>(clientPort);
  return { host, client, seen, logs, close: () => (hostPort as unknown as { close(): void }).close() };
}

describe('RPC over a port pair', () => {
  it('calls a method with defaults applied at the host', async () => {
    const { client } = setup();
    await expect(client.call('math.add', { a: 2 })).resolves.toEqual({ sum: 3 });
  });

  it('refuses a request that does not match its schema, naming the field', async () => {
    const { client } = setup();
    const err = (await client.call('math.add', { a: 'two' } as never).catch((e: unknown) => e)) as RpcError;
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe('invalid-request');
    expect(err.issues[0]?.path).toBe('a');
    const extra = (await client.call('math.add', { a: 1, sql: 'DROP TABLE x' } as never).catch((e: unknown) => e)) as RpcError;
    expect(extra.code).toBe('invalid-request');
  });

  it('refuses unknown methods and malformed messages', async () => {
    const { client } = setup();
    const err = (await client.call('fs.readFile' as never, {} as never).catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe('unknown-method');
    const proto = (await client.call('__proto__' as never, {} as never).catch((e: unknown) => e)) as RpcError;
    expect(proto.code).toBe('unknown-method');
  });

  it('reports a failure with its message, without internals', async () => {
    const { client, logs } = setup();
    await expect(client.call('work.fail', { internal: false })).rejects.toMatchObject({ code: 'failed', message: '127.0.0.1:502: connection refused' });
    await expect(client.call('work.fail', { internal: true })).rejects.toMatchObject({ code: 'failed', message: 'boom inside' });
    expect(logs.join('\n')).toMatch(/TypeError: boom inside/);
  });

  it('streams progress and cancels a running call', async () => {
    const { client } = setup();
    const progress: number[] = [];
    const controller = new AbortController();
    const result = client.call('work.long', { steps: 10_000 }, {
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p.done);
        if (p.done === 5) controller.abort();
      },
    });
    const out = await result;
    expect(out.cancelled).toBe(true);
    expect(out.done).toBeLessThan(10_000);
    expect(progress.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
  });

  it('aborts running calls when the connection closes, and the client rejects pending calls', async () => {
    const { client, seen, close } = setup();
    const pending = client.call('work.long', { steps: 100_000 });
    await new Promise((r) => setTimeout(r, 20));
    close();
    await expect(pending).rejects.toMatchObject({ message: /connection to the host was lost/ });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen[0]?.aborted).toBe(true);
  });

  it('delivers events to subscribers until they unsubscribe', async () => {
    const { client, host } = setup();
    const got: number[] = [];
    const off = client.on('tick', (p) => got.push(p.n));
    host.emit('tick', { n: 1 });
    await new Promise((r) => setTimeout(r, 0));
    off();
    host.emit('tick', { n: 2 });
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual([1]);
  });
});
