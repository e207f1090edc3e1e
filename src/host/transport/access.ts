import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_SUBPROTOCOL_PREFIX } from '../../shared/rpc/websocket-port.ts';

// Who may use a browser-mode server. A random token is printed in the URL; the first page load
// with ?token= sets it as an HttpOnly, SameSite=Strict cookie, which the page's later requests and
// its WebSocket carry. The Host header must name this server (no DNS rebinding on loopback), and a
// browser's Origin must be the served origin (no cross-site WebSockets).

export interface AccessOptions {
  readonly port: number;
  readonly tls: boolean;
  /** Loopback binds accept only loopback host names in the Host header. */
  readonly loopback: boolean;
  /** A fixed token (tests); a random one otherwise. */
  readonly token?: string;
}

export interface Access {
  readonly token: string;
  readonly cookieName: string;
  /** The Set-Cookie value that hands the token to the browser. */
  readonly cookie: string;
  /** The token from ?token= (when `query`), the cookie, or a WebSocket subprotocol (when `subprotocol`). */
  hasToken(req: IncomingMessage, from: { query?: boolean; subprotocol?: boolean }): boolean;
  /** The Host header names this server. */
  hostAllowed(req: IncomingMessage): boolean;
  /** No Origin (not a browser), or exactly the origin this server serves. */
  originAllowed(req: IncomingMessage): boolean;
}

const LOOPBACK_NAMES = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;

/** A bind address (or host name) that only this machine can reach. */
export const isLoopback = (host: string): boolean => LOOPBACK_NAMES.test(host) || host === '::1';

export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

function same(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createAccess(options: AccessOptions): Access {
  const token = options.token ?? newToken();
  // Cookies are shared by every port of a host: the port in the name keeps two servers apart.
  const cookieName = `plantbench_token_${options.port}`;
  const cookie = `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/${options.tls ? '; Secure' : ''}`;
  const scheme = options.tls ? 'https' : 'http';

  const cookieToken = (req: IncomingMessage): string | undefined => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim();
    }
    return undefined;
  };

  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = req.headers.host;
    if (!host) return false;
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!match) return false;
    const port = match[2] ? Number(match[2]) : options.tls ? 443 : 80;
    if (port !== options.port) return false;
    return !options.loopback || LOOPBACK_NAMES.test(match[1]!);
  };

  return {
    token,
    cookieName,
    cookie,
    hasToken(req, from) {
      const candidates: (string | undefined)[] = [cookieToken(req)];
      if (from.query) candidates.push(new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined);
      if (from.subprotocol) {
        for (const p of String(req.headers['sec-websocket-protocol'] ?? '').split(',')) {
          const name = p.trim();
          if (name.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) candidates.push(name.slice(TOKEN_SUBPROTOCOL_PREFIX.length));
        }
      }
      return candidates.some((c) => c !== undefined && same(c, token));
    },
    hostAllowed,
    originAllowed(req) {
      const origin = req.headers.origin;
      if (origin === undefined) return true;
      return hostAllowed(req) && origin.toLowerCase() === `${scheme}://${req.headers.host}`.toLowerCase();
    },
  };
}
