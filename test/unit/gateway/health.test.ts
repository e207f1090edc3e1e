import { afterEach, describe, expect, it } from 'vitest';
import { HealthConfigError, isLoopback, startHealthServer, type HealthServer, type Readiness } from '../../../src/gateway/health.ts';

// The health server on loopback (127.0.0.180, a free port): paths, methods, readiness, metrics errors.

const servers: HealthServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(ready: () => Readiness, metrics: () => string = () => '# HELP a a\n# TYPE a gauge\na 1\n'): Promise<string> {
  const server = await startHealthServer({ host: '127.0.0.180', port: 0, ready, metrics });
  servers.push(server);
  return server.url;
}

describe('startHealthServer', () => {
  it('answers /healthz, /readyz and /metrics; 404 elsewhere; GET and HEAD only', async () => {
    let state: Readiness = { ready: false, reason: 'sources not connected: p/src (reconnecting)' };
    const url = await start(() => state);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.180:\d+$/);

    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);

    const notReady = await fetch(`${url}/readyz`);
    expect([notReady.status, await notReady.text()]).toEqual([503, 'not ready: sources not connected: p/src (reconnecting)\n']);
    state = { ready: true };
    const ready = await fetch(`${url}/readyz?verbose`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);

    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toBe('# HELP a a\n# TYPE a gauge\na 1\n');

    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, String(Buffer.byteLength('# HELP a a\n# TYPE a gauge\na 1\n')), '']);

    const post = await fetch(`${url}/metrics`, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics/x`)).status).toBe(404);
  });

  it('answers 500 with the reason when the metrics cannot be rendered', async () => {
    const url = await start(
      () => ({ ready: true }),
      () => {
        throw new Error('metric b is a gauge, not a counter');
      },
    );
    const res = await fetch(`${url}/metrics`);
    expect([res.status, await res.text()]).toEqual([500, '/metrics: metric b is a gauge, not a counter\n']);
  });

  it('refuses a non-loopback address unless allowed, and a port in use', async () => {
    await expect(startHealthServer({ host: '0.0.0.0', port: 0, ready: () => ({ ready: true }), metrics: () => '' })).rejects.toThrow(HealthConfigError);
    await expect(startHealthServer({ host: '10.1.2.3', port: 0, ready: () => ({ ready: true }), metrics: () => '' })).rejects.toThrow(
      'health.host "10.1.2.3" is not a loopback address; set health.allowRemote: true',
    );
    const url = await start(() => ({ ready: true }));
    const port = Number(new URL(url).port);
    await expect(startHealthServer({ host: '127.0.0.180', port, ready: () => ({ ready: true }), metrics: () => '' })).rejects.toThrow('EADDRINUSE');
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.0.0.185', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '::ffff:10.0.0.1', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });
});
