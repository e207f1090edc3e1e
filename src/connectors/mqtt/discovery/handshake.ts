// Network scan handshake for MQTT: a raw MQTT 3.1.1 CONNECT (clean session, random client id) and
// its CONNACK, then DISCONNECT. Any CONNACK confirms a broker, including a refusal: "not
// authorised" means a broker that wants credentials. On the TLS port the same exchange runs over TLS
// without verifying the broker certificate (this probe only; its subject and issuer are reported as
// not verified). No MQTT.js: two small packets are cheaper than a client.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { exchange, failedHandshake, lateTimeout, MORE, type HandshakeOptions, type HandshakeResult, type ParseStep } from '../../discovery/probe-socket.ts';

const KEEPALIVE_S = 10;

/** CONNECT, MQTT 3.1.1, clean session, no will, no credentials. */
export function encodeConnect(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, KEEPALIVE_S >> 8, KEEPALIVE_S & 0xff]);
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const remaining = variable.length + payload.length; // < 128 for the ids we send: one length byte
  return Buffer.concat([Buffer.from([0x10, remaining]), variable, payload]);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export interface Connack {
  readonly sessionPresent: boolean;
  readonly returnCode: number;
}

/** Parses a CONNACK (3.1.1: 20 02 flags rc; a v5 broker may add properties after the reason code). */
export function parseConnack(data: Buffer): ParseStep<Connack> {
  if (data.length < 1) return MORE;
  if (data[0] !== 0x20) return { bad: `packet type ${data[0]! >> 4} instead of CONNACK (2)` };
  if (data.length < 2) return MORE;
  const remaining = data[1]!;
  if (remaining < 2 || remaining > 127) return { bad: `CONNACK remaining length ${remaining}` };
  if (data.length < 4) return MORE;
  return { value: { sessionPresent: (data[2]! & 1) === 1, returnCode: data[3]! } };
}

const REFUSALS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version (CONNACK 1) – MQTT broker that does not take MQTT 3.1.1',
  2: 'client identifier rejected (CONNACK 2) – MQTT broker',
  3: 'server unavailable (CONNACK 3) – MQTT broker',
  4: 'bad user name or password (CONNACK 4) – MQTT broker, credentials needed',
  5: 'not authorised (CONNACK 5) – MQTT broker, credentials needed',
};

/** "CONNACK 0 (MQTT 3.1.1)" or "not authorised (CONNACK 5) – MQTT broker, credentials needed". */
export function describeConnack(connack: Connack): string {
  if (connack.returnCode === 0) return 'CONNACK 0 (MQTT 3.1.1)';
  return REFUSALS[connack.returnCode] ?? `refused (CONNACK ${connack.returnCode}) – MQTT broker`;
}

export interface MqttHandshakeResult extends HandshakeResult {
  readonly certificate?: { readonly subject: string; readonly issuer: string; readonly fingerprint: string; readonly verified: false };
}

/** CONNECT → CONNACK (→ DISCONNECT) on a connected socket, then closes it. */
export async function mqttHandshake(socket: Socket | TLSSocket, options: HandshakeOptions): Promise<MqttHandshakeResult> {
  const clientId = `plantbench-scan-${randomBytes(4).toString('hex')}`;
  const outcome = await exchange(socket, encodeConnect(clientId), parseConnack, options.timeoutMs, options.signal);
  if (outcome.kind !== 'reply') {
    socket.destroy();
    return failedHandshake(outcome, 'MQTT', 'MQTT CONNECT', options.timeoutMs);
  }
  // A polite goodbye, so the broker logs a clean disconnect; the socket goes once it is written.
  if (outcome.value.returnCode === 0 && !socket.destroyed) socket.end(DISCONNECT, () => socket.destroy());
  else socket.destroy();
  return { confirmed: true, answer: 'reply', detail: describeConnack(outcome.value) };
}

/** The same over TLS on a connected TCP socket; the certificate is reported, not verified. */
export async function mqttTlsHandshake(socket: Socket, options: HandshakeOptions & { readonly servername?: string }): Promise<MqttHandshakeResult> {
  const tls = await startTls(socket, options);
  if ('error' in tls) return tls.error;
  const certificate = describePeer(tls.socket.getPeerCertificate());
  const result = await mqttHandshake(tls.socket, options);
  if (result.answer !== 'reply') socket.destroy();
  const seen = `certificate ${certificate.subject || '(no subject)'}, issuer ${certificate.issuer || '(none)'} (not verified)`;
  return result.confirmed
    ? { ...result, detail: `${result.detail} over TLS; ${seen}`, certificate }
    : { ...result, error: `${result.error} (TLS ${seen})`, certificate };
}

function startTls(socket: Socket, options: HandshakeOptions & { readonly servername?: string }): Promise<{ socket: TLSSocket } | { error: MqttHandshakeResult }> {
  return new Promise((resolve) => {
    // Only this probe skips verification: it reports what the broker presents, it sends no secrets.
    const tls = tlsConnect({ socket, rejectUnauthorized: false, servername: options.servername, ALPNProtocols: ['mqtt'] });
    tls.on('error', () => {});
    let settled = false;
    const fail = (answer: HandshakeResult['answer'], error: string): void => {
      if (settled) return;
      done();
      tls.destroy();
      socket.destroy();
      resolve({ error: { confirmed: false, answer, error } });
    };
    const onSecure = (): void => {
      if (settled) return;
      done();
      resolve({ socket: tls });
    };
    // OpenSSL's message carries source paths; its reason ("wrong version number") is what a person needs.
    const onError = (err: Error & { reason?: string; code?: string }): void => fail('bad', `TLS handshake failed: ${err.reason ?? err.code ?? err.message}`);
    const onClose = (): void => fail(options.signal?.aborted ? 'aborted' : 'closed', 'closed the connection during the TLS handshake');
    const onAbort = (): void => fail('aborted', 'cancelled');
    const timer = lateTimeout(() => fail('silent', `no TLS handshake within ${options.timeoutMs} ms`), options.timeoutMs);
    const done = (): void => {
      settled = true;
      clearTimeout(timer);
      tls.off('secureConnect', onSecure);
      tls.off('error', onError);
      tls.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
    };
    tls.once('secureConnect', onSecure);
    tls.once('error', onError);
    tls.once('close', onClose);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function describePeer(cert: PeerCertificate): { subject: string; issuer: string; fingerprint: string; verified: false } {
  const name = (n: PeerCertificate['subject'] | undefined): string =>
    n ? Object.entries(n).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ') : '';
  return { subject: name(cert.subject), issuer: name(cert.issuer), fingerprint: (cert.fingerprint256 ?? '').toLowerCase(), verified: false };
}
