// The gateway's health server (docs/health-and-metrics.md): /healthz (the process's event loop
// answers), /readyz (every pipeline started and its sources connected) and /metrics (Prometheus
// text). Loopback only unless the configuration allows a remote address.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';
import type { ProjectRunner } from '../host/project-runner.ts';
import { NODE_SPEC_BY_TYPE } from '../shared/nodes/index.ts';

// Not an ES import: that reads every export of node:http, and its WebSocket getter loads Node's
// bundled undici (about 13 ms and 1 MB at start) that the gateway never uses.
const { createServer } = process.getBuiltinModule('node:http');

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface HealthServerOptions {
  readonly host: string;
  /** 0 picks a free port (see the returned url). */
  readonly port: number;
  readonly ready: () => Readiness;
  readonly metrics: () => string;
  /** Bind a non-loopback address (metrics and readiness then reach the network). */
  readonly allowRemote?: boolean;
}

export interface HealthServer {
  readonly url: string;
  close(): Promise<void>;
}

export class HealthConfigError extends Error {}

/** 127.0.0.0/8, ::1, ::ffff:127.x and "localhost". */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || (h.startsWith('::ffff:') && isIPv4(h.slice(7)) && h.slice(7).startsWith('127.'));
  return false;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  if (!opts.allowRemote && !isLoopback(opts.host)) {
    throw new HealthConfigError(`health.host "${opts.host}" is not a loopback address; set health.allowRemote: true to serve health and metrics on the network`);
  }
  const server = createServer((req, res) => handle(req, res, opts));
  // A scrape every few seconds: no reason to keep idle sockets, and close() must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${isIPv6(address) ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(req: IncomingMessage, res: ServerResponse, opts: HealthServerOptions): void {
  const path = (req.url ?? '/').split('?')[0];
  const send = (status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return send(404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz or /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
  try {
    if (path === '/healthz') return send(200, 'text/plain; charset=utf-8', 'ok\n');
    if (path === '/readyz') {
      const r = opts.ready();
      return send(r.ready ? 200 : 503, 'text/plain; charset=utf-8', r.ready ? 'ready\n' : `not ready: ${r.reason ?? 'starting'}\n`);
    }
    return send(200, PROMETHEUS_TEXT, opts.metrics());
  } catch (err) {
    return send(500, 'text/plain; charset=utf-8', `${path}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/** Source node types whose readiness waits for their connection. */
const CONNECTED_SOURCES = new Set(['modbus-source', 'opcua-source', 'mqtt-source']);

/**
 * Ready once every pipeline runs and every protocol source reports `connection: connected`: the
 * Modbus TCP socket is open, the OPC UA session is active, the MQTT client has its CONNACK. Sources
 * without a device (signal, test inputs) are ready once started. Sinks do not count: while a
 * broker is away the store-and-forward buffer holds the samples, and a restart would not help.
 */
export function projectReadiness(runner: ProjectRunner | undefined): Readiness {
  if (!runner) return { ready: false, reason: 'no pipeline is running' };
  const waiting: string[] = [];
  for (const run of runner.runs) {
    if (!run.running) return { ready: false, reason: `pipeline ${run.id} is not running` };
    for (const [node, s] of Object.entries(run.stats().nodes)) {
      const type = run.pipeline.nodes[node]?.type ?? '';
      if (NODE_SPEC_BY_TYPE.get(type)?.category !== 'source') continue;
      const connection = s.status?.connection;
      if (connection === undefined ? CONNECTED_SOURCES.has(type) : connection !== 'connected') {
        waiting.push(`${run.id}/${node} (${typeof connection === 'string' ? connection : 'no connection yet'})`);
      }
    }
  }
  return waiting.length ? { ready: false, reason: `sources not connected: ${waiting.join(', ')}` } : { ready: true };
}
