import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeStats } from '../engine/runtime.ts';
import { formatProblem } from '../shared/problem.ts';
import { NODE_SPEC_BY_TYPE } from '../shared/nodes/index.ts';
import { loadProject } from '../store/project.ts';

// Browser mode, first cut: a token-protected page with the project, its pipelines and its
// problems (re-read from disk on each request) and, while a run is going, the live counters and
// last value of every node. The full workbench UI (React Flow canvas, WebSocket RPC) replaces
// this page when it lands.

export interface StatusServer {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function tokenOk(req: IncomingMessage, token: string): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const given = url.searchParams.get('token') ?? /(?:^|;\s*)pb_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the page shows of a running project. */
export interface LiveView {
  readonly mode: 'simulated' | 'live';
  readonly simulators: readonly { id: string; protocol: string; endpoint: string }[];
  stats(): Record<string, Record<string, NodeStats>>;
}

function formatValue(stats: NodeStats): string {
  const last = stats.last;
  if (!last) return '';
  const value = typeof last.value === 'number' ? String(Math.round(last.value * 1000) / 1000) : JSON.stringify(last.value);
  return `${last.path} = ${value}${last.meta?.unit ? ` ${last.meta.unit}` : ''} (${last.quality})`;
}

function renderLive(live: LiveView): string {
  const stats = live.stats();
  const rows = Object.entries(stats).flatMap(([pipeline, nodes]) =>
    Object.entries(nodes).map(
      ([node, s]) =>
        `<tr><td>${escape(pipeline)}</td><td><code>${escape(node)}</code></td><td>${s.in}</td><td>${s.out}</td><td>${s.dropped}</td><td class="${s.errors ? 'bad' : ''}">${s.errors}</td><td>${escape(formatValue(s))}</td><td>${escape(s.status?.connection === undefined ? '' : String(s.status.connection))}</td></tr>`,
    ),
  );
  const sims = live.simulators.map((s) => `<li><code>${escape(s.id)}</code> ${escape(s.protocol)} <code>${escape(s.endpoint)}</code></li>`).join('');
  return `<h2>Live <small>(${live.mode}; this page refreshes every 2 s)</small></h2>
${sims ? `<p>Simulators:</p><ul>${sims}</ul>` : ''}
<table><tr><th>pipeline</th><th>node</th><th>in</th><th>out</th><th>dropped</th><th>errors</th><th>last value</th><th>connection</th></tr>${rows.join('')}</table>`;
}

export function renderStatusPage(root: string, live?: LiveView): { html: string; json: unknown } {
  const loaded = loadProject(root);
  const project = loaded.project?.model;
  const pipelines = [...loaded.pipelines.values()].map((e) => ({
    id: e.model?.id ?? e.file,
    name: e.model?.name ?? '(invalid)',
    nodes: Object.entries(e.model?.nodes ?? {}).map(([id, n]) => ({ id, type: n.type, title: NODE_SPEC_BY_TYPE.get(n.type)?.title })),
    edges: e.model?.edges.length ?? 0,
  }));
  const json = {
    name: project?.name,
    root,
    uns: project?.uns,
    devices: [...loaded.devices.keys()],
    simulators: [...loaded.simulators.keys()],
    tests: loaded.tests.map((t) => t.file),
    pipelines,
    problems: loaded.problems,
    ...(live ? { live: { mode: live.mode, simulators: live.simulators, stats: live.stats() } } : {}),
  };
  const list = (items: string[]): string => (items.length ? `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : '<p>none</p>');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plantbench – ${escape(project?.name ?? 'project')}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">${live ? '<meta http-equiv="refresh" content="2">' : ''}
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1c2430}h1{font-size:1.4rem}code{background:#eef1f5;padding:0 .3em}
.bad{color:#b3261e}.ok{color:#1b7f3b}.note{background:#fff8e1;border:1px solid #f0d98c;padding:.6rem 1rem}table{border-collapse:collapse}td,th{border-bottom:1px solid #dde3ea;padding:.25rem .6rem;text-align:left}</style></head><body>
<h1>Plantbench · ${escape(project?.name ?? '(no valid plantbench.yaml)')}</h1>
<p class="note">Browser mode preview: this page shows the project as loaded by the engine. The workbench canvas and live view are not built yet.</p>
<p><code>${escape(root)}</code> · UNS root <code>${escape(project ? Object.values(project.uns).join('/') : '-')}</code></p>
${live ? renderLive(live) : ''}
<h2>Problems</h2>${loaded.problems.length ? `<ul class="bad">${loaded.problems.map((p) => `<li><code>${escape(formatProblem(p))}</code></li>`).join('')}</ul>` : '<p class="ok">No problems: the project is valid.</p>'}
<h2>Pipelines</h2><table><tr><th>id</th><th>name</th><th>nodes</th><th>edges</th></tr>${pipelines
    .map((p) => `<tr><td><code>${escape(p.id)}</code></td><td>${escape(p.name)}</td><td>${p.nodes.map((n) => `${escape(n.id)} <small>(${escape(n.type)})</small>`).join(', ')}</td><td>${p.edges}</td></tr>`)
    .join('')}</table>
<h2>Devices</h2>${list(json.devices.map(escape))}<h2>Simulators</h2>${list(json.simulators.map(escape))}<h2>Pipeline tests</h2>${list(json.tests.map(escape))}
</body></html>`;
  return { html, json };
}

export async function startStatusServer(root: string, host = '127.0.0.1', port = 0, live?: LiveView): Promise<StatusServer> {
  const token = randomBytes(18).toString('base64url');
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!tokenOk(req, token)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Plantbench: open the URL with the access token printed by `plantbench serve`.\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const page = renderStatusPage(root, live);
    const headers = { 'set-cookie': `pb_token=${token}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' };
    if (path === '/api/project') res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(page.json));
    else if (path === '/') res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(page.html);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/?token=${token}`,
    token,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
