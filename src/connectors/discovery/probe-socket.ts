// The two socket steps every scan probe is made of, each bounded by a timeout and an AbortSignal:
// a TCP connect, and one request/answer exchange read by a protocol parser. Neither ever throws:
// refusals, resets, silence and garbage come back as outcomes the handshakes turn into text.
import { connect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export type ConnectOutcome =
  | { readonly kind: 'open'; readonly socket: Socket; readonly latencyMs: number }
  | { readonly kind: 'closed'; readonly latencyMs: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'aborted' };

const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EACCES: 'connection not permitted',
};

/** A TCP connect. The socket of an 'open' outcome belongs to the caller, who must destroy it. */
export function connectTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ConnectOutcome> {
  if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port, noDelay: true });
    // An error after the probe is over (a late reset) must never become an uncaught exception.
    socket.on('error', () => {});
    let settled = false;
    const settle = (outcome: ConnectOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (outcome.kind !== 'open') socket.destroy();
      resolve(outcome);
    };
    const onConnect = (): void => settle({ kind: 'open', socket, latencyMs: elapsed(started) });
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'ECONNREFUSED') settle({ kind: 'closed', latencyMs: elapsed(started) });
      else settle({ kind: 'error', message: CONNECT_ERRORS[err.code ?? ''] ? `${CONNECT_ERRORS[err.code!]} (${err.code})` : err.message });
    };
    const onAbort = (): void => settle({ kind: 'aborted' });
    const timer = lateTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A timeout that lets I/O already received go first: when the event loop was busy (a protocol
 * stack loading, a GC pause), the timer and the answer are both due, and timers run before I/O
 * callbacks in a loop turn. setImmediate runs after them, so a late answer still counts.
 * The caller's settle() must ignore a second call.
 */
export function lateTimeout(fire: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(() => setImmediate(fire), ms);
}

/** A parser's verdict on the bytes received so far. */
export type ParseStep<T> = { readonly more: true } | { readonly value: T } | { readonly bad: string };
export const MORE: ParseStep<never> = { more: true };

export type ExchangeOutcome<T> =
  | { readonly kind: 'reply'; readonly value: T }
  /** Bytes that are not this protocol. */
  | { readonly kind: 'bad'; readonly reason: string; readonly bytes: Buffer }
  /** No complete answer within the timeout. */
  | { readonly kind: 'silent'; readonly bytes: Buffer }
  /** The peer closed (FIN) before a complete answer. */
  | { readonly kind: 'closed'; readonly bytes: Buffer }
  /** A reset or another socket error. */
  | { readonly kind: 'reset'; readonly message: string }
  | { readonly kind: 'aborted' };

/** Answers are small; a peer streaming more than this without a parse is not what we asked. */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * Writes `request` and reads until `parse` returns a value or finds the bytes wrong, the peer
 * closes, the timeout passes or `signal` aborts. The socket stays open (the caller closes it).
 */
export function exchange<T>(socket: Socket | TLSSocket, request: Buffer, parse: (data: Buffer) => ParseStep<T>, timeoutMs: number, signal?: AbortSignal): Promise<ExchangeOutcome<T>> {
  if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: ExchangeOutcome<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk]);
      let step: ParseStep<T>;
      try {
        step = parse(data);
      } catch (err) {
        step = { bad: `unreadable answer (${(err as Error).message})` };
      }
      if ('value' in step) settle({ kind: 'reply', value: step.value });
      else if ('bad' in step) settle({ kind: 'bad', reason: step.bad, bytes: data });
      else if (data.length > MAX_ANSWER_BYTES) settle({ kind: 'bad', reason: `more than ${MAX_ANSWER_BYTES} bytes without a complete answer`, bytes: data });
    };
    const onEnd = (): void => settle(signal?.aborted ? { kind: 'aborted' } : { kind: 'closed', bytes: data });
    const onError = (err: NodeJS.ErrnoException): void =>
      settle(signal?.aborted ? { kind: 'aborted' } : { kind: 'reset', message: err.code === 'ECONNRESET' ? 'reset the connection (ECONNRESET)' : err.message });
    const onAbort = (): void => {
      socket.destroy();
      settle({ kind: 'aborted' });
    };
    const timer = lateTimeout(() => settle({ kind: 'silent', bytes: data }), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (socket.destroyed) onEnd();
    else socket.write(request);
  });
}

/** The first bytes of an answer, for a message: quoted text when printable, else hex. */
export function showBytes(bytes: Buffer, max = 16): string {
  if (bytes.length === 0) return 'nothing';
  const head = bytes.subarray(0, max);
  const more = bytes.length > max ? '…' : '';
  const text = head.toString('latin1');
  if (/^[\x20-\x7e\r\n\t]+$/.test(text)) return `"${text.replace(/\r?\n/g, '\\n')}${more}"`;
  return `${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ')}${more}`;
}

/**
 * The failure of one handshake as a sentence, e.g. "accepted the connection but did not answer the
 * Modbus read of unit 1 within 1000 ms" or "answered, but not MQTT: … (first bytes "HTTP/1.1 400 Bad…")".
 * `protocol` names the protocol ("Modbus"), `request` what was sent ("Modbus read of unit 1").
 */
export function describeFailure(outcome: Exclude<ExchangeOutcome<unknown>, { kind: 'reply' }>, protocol: string, request: string, timeoutMs: number): string {
  switch (outcome.kind) {
    case 'bad':
      return `answered, but not ${protocol}: ${outcome.reason} (first bytes ${showBytes(outcome.bytes)})`;
    case 'silent':
      return outcome.bytes.length
        ? `incomplete answer to the ${request} within ${timeoutMs} ms (first bytes ${showBytes(outcome.bytes)})`
        : `accepted the connection but did not answer the ${request} within ${timeoutMs} ms`;
    case 'closed':
      return outcome.bytes.length
        ? `closed the connection after an incomplete answer to the ${request} (first bytes ${showBytes(outcome.bytes)})`
        : `closed the connection without answering the ${request}`;
    case 'reset':
      return `${outcome.message} during the ${request}`;
    case 'aborted':
      return 'cancelled';
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/** What a protocol handshake on one connected socket found. */
export interface HandshakeResult {
  readonly confirmed: boolean;
  readonly detail?: string;
  readonly error?: string;
  /** How the peer reacted, so a scan guessing the protocol of an unknown port can choose its next try. */
  readonly answer: ExchangeOutcome<unknown>['kind'];
}

export interface HandshakeOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** The result of a failed exchange. */
export function failedHandshake(outcome: Exclude<ExchangeOutcome<unknown>, { kind: 'reply' }>, protocol: string, request: string, timeoutMs: number): HandshakeResult {
  return { confirmed: false, answer: outcome.kind, error: describeFailure(outcome, protocol, request, timeoutMs) };
}
