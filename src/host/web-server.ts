import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RpcPort } from '../shared/rpc/wire.ts';
import { EXPORTS_PATH } from '../shared/rpc/methods/export.ts';
import { EXPORTS_DIR } from './services/export.ts';
import { createAccess, isLoopback, type Access } from './transport/access.ts';
import { attachWebSocketRpc, RPC_PATH, type WebSocketRpc } from './transport/websocket.ts';

// Browser mode: the built renderer (out/renderer, from `npm run build`) over HTTP(S), the RPC over a
// WebSocket at /rpc on the same origin, and the project's written gateway archives at /exports/<name>. Every request needs the access token; pages get a
// strict Content Security Policy (no inline script, connections only to this origin).

/** Where `npm run build` puts the renderer bundle. */
export const RENDERER_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url));

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export interface WebServerOptions {
  /** Serves one RPC connection until it closes (RpcHost.connect). */
  readonly connect: (port: RpcPort) => () => void;
  readonly host?: string;
  readonly port?: number;
  /** PEM certificate and key: serve https and wss. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly rendererDir?: string;
  /** The project served: its gateway archives (.plantbench/exports/*.tar.gz) can be downloaded at /exports/<name>. */
  readonly projectRoot?: string;
  /** A fixed token (tests); random by default. */
  readonly token?: string;
  readonly log?: (message: string) => void;
}

export interface WebServer {
  /** The URL to open, with the token. */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  /** The renderer bundle exists (otherwise pages say to run `npm run build`). */
  readonly built: boolean;
  readonly rpc: WebSocketRpc;
  close(): Promise<void>;
}

/** The page's policy. Sent as a header; the bundle's <meta> policy (same rules, connect-src 'self') applies too. */
export function contentSecurityPolicy(origin: string): string {
  const socket = origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${socket}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body style="font:15px system-ui,sans-serif;margin:3rem;max-width:44rem;color:#1c2430"><h1 style="font-size:1.3rem">${escape(title)}</h1>${body}</body></html>`;
}

export const UNAUTHORIZED_PAGE = page(
  'Plantbench: access token needed',
  '<p>This Plantbench server only answers with its access token. Open the URL that <code>plantbench serve</code> printed when it started (it ends in <code>?token=…</code>).</p>',
);
export const NOT_BUILT_PAGE = page(
  'Plantbench: the workbench UI is not built',
  '<p>The host is running, but the browser bundle is missing. In the Plantbench folder run</p><pre>npm run build</pre><p>then reload this page. (<code>npm start</code> builds it when needed.)</p>',
);

/** A request path as a file inside `root`, or undefined when it is not one (traversal, odd bytes, folders). */
export function staticFile(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const file = resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`);
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    if (!statSync(file).isFile()) return undefined;
    // A symlink inside the bundle must not lead out of it.
    const real = realpathSync(file);
    const realRoot = realpathSync(root);
    return real.startsWith(realRoot + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}


/** An archive name as export.write makes them: one path segment ending in .tar.gz. */
const ARCHIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.tar\.gz$/;

/** The archive `name` in `exportsDir`, or undefined when it is not one (another folder, another kind of file, missing). */
export function exportArchive(exportsDir: string, name: string): string | undefined {
  if (!ARCHIVE_NAME.test(name) || name.includes('..')) return undefined;
  return staticFile(exportsDir, `/${name}`);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  const rendererDir = resolve(options.rendererDir ?? RENDERER_DIR);
  const log = options.log ?? (() => {});
  const tls = options.tls !== undefined;
  let access: Access | undefined;
  let origin = '';

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const security = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cross-origin-opener-policy': 'same-origin' };
    const text = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { ...security, 'content-type': body.startsWith('<!doctype') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(req.method === 'HEAD' ? undefined : body);
    };
    if (!access) return text(503, 'starting\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    if (!access.hostAllowed(req)) return text(421, 'this server does not serve that host name\n');
    if (!access.hasToken(req, { query: true })) return text(401, UNAUTHORIZED_PAGE);
    const url = new URL(req.url ?? '/', 'http://x');
    // The token leaves the address bar (and history, and Referer) once it is in the cookie.
    if (url.searchParams.has('token')) {
      url.searchParams.delete('token');
      const location = `${url.pathname}${url.search}`;
      return text(303, `see ${location}\n`, { location, 'set-cookie': access.cookie });
    }
    if (url.pathname === RPC_PATH) return text(426, `${RPC_PATH} is a WebSocket\n`, { upgrade: 'websocket' });
    if (url.pathname.startsWith(EXPORTS_PATH)) {
      const name = url.pathname.slice(EXPORTS_PATH.length);
      const file = options.projectRoot ? exportArchive(resolve(options.projectRoot, EXPORTS_DIR), name) : undefined;
      if (!file) return text(404, `no export archive named ${JSON.stringify(name)}\n`);
      res.writeHead(200, {
        ...security,
        'content-type': 'application/gzip',
        'content-length': String(statSync(file).size),
        'content-disposition': `attachment; filename="${name}"`,
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file)
        .on('error', (err) => {
          log(`web server: reading ${file}: ${err.message}`);
          res.destroy(err);
        })
        .pipe(res);
      return;
    }
    if (!existsSync(join(rendererDir, 'index.html'))) return text(503, NOT_BUILT_PAGE, { 'set-cookie': access.cookie });
    const file = staticFile(rendererDir, url.pathname);
    if (!file) return text(404, `not found: ${url.pathname}\n`);
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const isPage = type.startsWith('text/html');
    res.writeHead(200, {
      ...security,
      'content-type': type,
      // Hashed bundle files never change; pages always come fresh.
      'cache-control': !isPage && url.pathname.startsWith('/assets/') ? 'private, max-age=31536000, immutable' : 'no-store',
      ...(isPage ? { 'content-security-policy': contentSecurityPolicy(`${tls ? 'https' : 'http'}://${req.headers.host}`), 'set-cookie': access.cookie } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  };

  const server: Server | HttpsServer = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handle) : createHttpServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  server.on('error', (err) => log(`web server: ${err.message}`));
  const address = server.address() as AddressInfo;
  // A wildcard bind is reached by the machine's name.
  const shownHost = address.address === '0.0.0.0' || address.address === '::' ? hostname() : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`;
  access = createAccess({ port: address.port, tls, loopback: isLoopback(address.address), token: options.token });
  const rpc = attachWebSocketRpc({ server, access, connect: options.connect, log });

  return {
    url: `${origin}/?token=${access.token}`,
    origin,
    token: access.token,
    built: existsSync(join(rendererDir, 'index.html')),
    rpc,
    async close() {
      await rpc.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
