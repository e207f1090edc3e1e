import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { createRpcHost } from '../../src/host/rpc/server.ts';
import { createAccess } from '../../src/host/transport/access.ts';
import { attachWebSocketRpc } from '../../src/host/transport/websocket.ts';
import { startWebServer, type WebServer } from '../../src/host/web-server.ts';
import { createWorkbench, type Workbench } from '../../src/host/workbench.ts';
import { createRpcClient } from '../../src/shared/rpc/client.ts';
import type { Events, Methods, WorkbenchClient } from '../../src/shared/rpc/contract.ts';
import type { PayloadOf } from '../../src/shared/rpc/define.ts';
import { method } from '../../src/shared/rpc/define.ts';
import { runEvents } from '../../src/shared/rpc/methods/run.ts';
import { RPC_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, websocketPort, type WebSocketLike } from '../../src/shared/rpc/websocket-port.ts';
import { copyExample } from '../helpers/project.ts';
import { waitFor } from '../helpers/wait.ts';

// Browser mode end to end below the UI: the workbench host behind the web server on 127.0.0.1,
// reached over HTTP and a real WebSocket, running the simulated bottling line.

const HANDLES = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'];
const handles = (): Record<string, number> =>
  Object.fromEntries(HANDLES.map((h) => [h, process.getActiveResourcesInfo().filter((r) => r === h).length]));

let project: ReturnType<typeof copyExample>;
let bundle: string;
let workbench: Workbench;
let server: WebServer;
let before: Record<string, number>;
let cookie: string;

/** A raw HTTP GET, so Host and paths go out exactly as written. */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with it, or with the HTTP status the upgrade was refused with. */
function connect(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [RPC_SUBPROTOCOL], { headers: options.headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

const rpcUrl = (): string => `${server.origin.replace('http', 'ws')}/rpc`;

beforeAll(async () => {
  before = handles();
  project = copyExample();
  rmSync(join(project.root, '.plantbench'), { recursive: true, force: true });
  // A small stand-in bundle: the server's job is serving whatever `npm run build` produced.
  bundle = mkdtempSync(join(tmpdir(), 'plantbench-bundle-'));
  mkdirSync(join(bundle, 'assets'));
  writeFileSync(join(bundle, 'index.html'), '<!doctype html><html><head><script type="module" src="./assets/app.js"></script></head><body></body></html>');
  writeFileSync(join(bundle, 'assets/app.js'), 'export const ok = 1;\n');
  writeFileSync(join(bundle, 'assets/style.css'), 'body{}\n');
  workbench = createWorkbench({ projectRoot: project.root, secrets: () => undefined, author: 'e2e' });
  server = await startWebServer({ connect: (port) => workbench.rpc.connect(port), host: '127.0.0.1', port: 0, rendererDir: bundle });
});

afterAll(async () => {
  await server?.close();
  await workbench?.close();
  project?.dispose();
  rmSync(bundle, { recursive: true, force: true });
});

describe('plantbench serve: HTTP', () => {
  it('prints a loopback URL with a token, and refuses requests without it', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{24}$/);
    const none = await get('/');
    expect(none.status).toBe(401);
    expect(none.body).toMatch(/Open the URL that <code>plantbench serve<\/code> printed/);
    expect((await get('/?token=wrong-token-wrong-token1')).status).toBe(401);
    expect((await get('/assets/app.js')).status).toBe(401);
  });

  it('trades the token in the URL for an HttpOnly SameSite=Strict cookie and serves the bundle with a strict CSP', async () => {
    const first = await get(`/?token=${server.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    cookie = setCookie.split(';')[0]!;
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`connect-src 'self' ${server.origin.replace('http', 'ws')}`);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/assets/app.js', { cookie })).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/assets/style.css', { cookie })).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('serves nothing outside the bundle and answers only its own host name', async () => {
    for (const path of ['/../package.json', '/assets/../../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/assets', '/nope.js']) {
      const res = await get(path, { cookie });
      expect([path, res.status]).toEqual([path, 404]);
    }
    // DNS rebinding: a foreign name that resolves to 127.0.0.1 gets nothing.
    const { port } = new URL(server.origin);
    expect((await get('/', { cookie, host: `attacker.example:${port}` })).status).toBe(421);
    expect((await get('/', { cookie, host: `localhost:${port}` })).status).toBe(200);
  });

  it('says how to build the UI when the bundle is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'plantbench-nobundle-'));
    const bare = await startWebServer({ connect: () => () => {}, rendererDir: empty });
    try {
      expect(bare.built).toBe(false);
      const res = await fetch(bare.url, { redirect: 'manual' });
      const page = await fetch(new URL('/', bare.url), { headers: { cookie: String(res.headers.get('set-cookie')).split(';')[0]! } });
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build');
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('plantbench serve: RPC over a WebSocket', () => {
  let ws: WebSocket;
  let client: WorkbenchClient;

  it('refuses a missing or wrong token and a foreign origin', async () => {
    expect(await connect(rpcUrl())).toBe(401);
    expect(await connect(rpcUrl(), { protocols: [RPC_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}wrong`] })).toBe(401);
    expect(await connect(rpcUrl(), { headers: { cookie, origin: 'http://attacker.example' } })).toBe(403);
    const { port } = new URL(server.origin);
    expect(await connect(rpcUrl(), { headers: { cookie, origin: `http://127.0.0.1:${Number(port) + 1}` } })).toBe(403);
    expect(await connect(rpcUrl().replace('/rpc', '/other'), { headers: { cookie } })).toBe(404);
    // The token as a subprotocol works for clients without the cookie.
    const byProtocol = await connect(rpcUrl(), { protocols: [RPC_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${server.token}`] });
    expect(byProtocol).toBeInstanceOf(WebSocket);
    (byProtocol as WebSocket).close();
  });

  it('serves the contract to the page origin with the cookie', async () => {
    const opened = await connect(rpcUrl(), { headers: { cookie, origin: server.origin } });
    expect(opened).toBeInstanceOf(WebSocket);
    ws = opened as WebSocket;
    expect(ws.protocol).toBe(RPC_SUBPROTOCOL);
    client = createRpcClient<Methods, Events>(websocketPort(ws as unknown as WebSocketLike));
    const summary = await client.call('project.get', {});
    expect(summary.name).toBe('Bottling line');
    expect(summary.problems).toEqual([]);
  });

  it('saves a pipeline and reads back its revision', async () => {
    const file = await client.call('file.get', { kind: 'pipeline', id: 'capper-uns' });
    const saved = await client.call('file.save', { kind: 'pipeline', id: 'capper-uns', data: { ...(file.data as object), name: 'Capper (edited in the browser)' }, baseHash: file.hash });
    expect(saved).toMatchObject({ saved: true, changed: true, file: 'pipelines/capper-uns.yaml' });
    const onDisk = readFileSync(join(project.root, 'pipelines/capper-uns.yaml'), 'utf8');
    expect(onDisk).toContain('name: Capper (edited in the browser)');
    const [latest] = await client.call('revision.list', { kind: 'pipeline', id: 'capper-uns' });
    expect(latest).toMatchObject({ revision: saved.revision, author: 'e2e' });
    expect((await client.call('revision.get', { revision: latest!.revision })).content).toBe(onDisk);
    const invalid = await client.call('file.save', { kind: 'pipeline', id: 'capper-uns', data: { ...(file.data as object), edges: [{ from: 'nowhere', to: 'uns' }] } });
    expect(invalid.saved).toBe(false);
    expect(invalid.problems[0]?.message).toBe('edge starts at node "nowhere", which does not exist');
  });

  it('runs the simulated line and pushes bounded batches of stats and samples', async () => {
    const stats: PayloadOf<Events, 'run.stats'>[] = [];
    const samples: PayloadOf<Events, 'run.samples'>[] = [];
    const states: string[] = [];
    client.on('run.stats', (s) => stats.push(s));
    client.on('run.samples', (s) => samples.push(s));
    client.on('run.state', (s) => states.push(s.state));
    const status = await client.call('run.start', { mode: 'simulated' });
    expect(status).toMatchObject({ state: 'running', mode: 'simulated' });
    expect(status.pipelines.sort()).toEqual(['capper-uns', 'filler-uns', 'palletizer-sparkplug']);
    expect(status.simulators.map((s) => s.id).sort()).toEqual(['capper', 'filler', 'palletizer', 'uns-broker']);
    const seen = (): Set<string> => new Set(samples.flatMap((b) => b.samples.map((s) => `${s.pipeline}/${s.node}`)));
    await waitFor(() => `values from the sources and at the UNS sinks (seen: ${[...seen()].join(', ')})`, () => {
      const nodes = seen();
      return ['filler-uns/level', 'filler-uns/uns', 'capper-uns/process', 'capper-uns/uns'].every((n) => nodes.has(n));
    }, 20_000);

    // Over a window of at least a second, no more than 20 batches of each per second (plus the edges of the window).
    const window = { start: Date.now(), stats: stats.length, samples: samples.length };
    await new Promise((r) => setTimeout(r, 1500));
    const seconds = (Date.now() - window.start) / 1000;
    const statsIn = stats.length - window.stats;
    const samplesIn = samples.length - window.samples;
    expect(statsIn).toBeGreaterThan(0);
    expect(statsIn).toBeLessThanOrEqual(Math.ceil(20 * seconds) + 1);
    expect(samplesIn).toBeLessThanOrEqual(Math.ceil(20 * seconds) + 1);
    // Batches, not messages per sample: the samples of the window outnumber the messages.
    const carried = samples.slice(window.samples).reduce((n, b) => n + b.samples.length + b.omitted, 0);
    expect(carried).toBeGreaterThan(samplesIn);

    const filler = stats.at(-1)!.pipelines['filler-uns']!;
    expect(filler.nodes.level?.out).toBeGreaterThan(0);
    expect(filler.edges.find((e) => e.from === 'level.out' && e.to === 'level-pct.in')?.last).toMatchObject({ path: 'filler/level', quality: 'good' });

    const stopped = await client.call('run.stop', {});
    expect(stopped.state).toBe('stopped');
    await waitFor('the stopped state', () => states.at(-1) === 'stopped');
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
  });

  it('closes without leaving sockets, servers or timers behind', async () => {
    client.close();
    ws.close();
    await server.close();
    await workbench.close();
    // Let closed handles leave the event loop's list.
    await new Promise((r) => setTimeout(r, 50));
    const after = handles();
    for (const h of HANDLES) expect(after[h], h).toBeLessThanOrEqual(before[h]!);
  });
});

describe('backpressure', () => {
  it('drops high-rate events for a client that does not read, counts them, and never blocks', async () => {
    const events = { 'run.samples': runEvents['run.samples'], 'run.log': runEvents['run.log'] };
    const methods = { 'ping.me': method({ summary: 'ping', request: z.object({}).strict(), response: z.object({ pong: z.boolean() }) }) };
    const rpc = createRpcHost<typeof methods, typeof events>(methods, { 'ping.me': async () => ({ pong: true }) });
    const http = createServer();
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const port = (http.address() as AddressInfo).port;
    const access = createAccess({ port, tls: false, loopback: true });
    const transport = attachWebSocketRpc({ server: http, access, connect: (p) => rpc.connect(p), highWaterBytes: 64 * 1024 });
    try {
      const opened = await connect(`ws://127.0.0.1:${port}/rpc`, { protocols: [RPC_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${access.token}`] });
      const ws = opened as WebSocket;
      const received: PayloadOf<typeof events, 'run.samples'>[] = [];
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { t: string; event?: string; payload?: PayloadOf<typeof events, 'run.samples'> };
        if (m.event === 'run.samples') received.push(m.payload!);
      });
      await waitFor('the host to see the client', () => rpc.connections === 1);
      // The client stops reading: the kernel buffers fill, then the host's unsent bytes grow.
      (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const batch = (n: number): PayloadOf<typeof events, 'run.samples'> => ({
        ts: n,
        omitted: 1,
        samples: Array.from({ length: 100 }, (_, i) => ({ pipeline: 'p', node: 'n', sample: { path: `tag/${i}`, value: 'x'.repeat(1000), quality: 'good' as const, ts: n } })),
      });
      let sent = 0;
      await waitFor('events dropped for the slow client', () => {
        // emit() returns at once whatever the client does: the host is never blocked.
        for (let i = 0; i < 20; i++) rpc.emit('run.samples', batch(sent++));
        return (transport.dropped['run.samples'] ?? 0) > 0;
      }, 20_000);
      const dropped = transport.dropped['run.samples']!;
      (ws as unknown as { _socket: { resume(): void } })._socket.resume();
      // Once it caught up, the next batch carries what it missed in `omitted`.
      await waitFor('the buffered batches', () => received.length === sent - dropped, 20_000);
      rpc.emit('run.samples', batch(sent++));
      await waitFor('the batch after the drop', () => received.length === sent - dropped);
      const last = received.at(-1)!;
      expect(last.omitted).toBe(1 + dropped * (100 + 1));
      expect(received.slice(0, -1).every((b) => b.omitted === 1)).toBe(true);
      ws.close();
    } finally {
      await transport.close();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});
