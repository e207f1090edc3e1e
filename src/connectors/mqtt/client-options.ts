// MQTT.js client options from a device file, and plain-language connection errors.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { DeviceFile } from '../../shared/model/device.ts';

export type MqttDevice = Extract<DeviceFile, { protocol: 'mqtt' }>;

/** Reconnect delays grow from the first to the last, doubling, and reset after a good connect. */
export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;
const KEEPALIVE_S = 30;

/** The broker URL without user:password@, for messages and status. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');
}

export class ConfigError extends Error {}

function readTlsFile(kind: string, path: string, baseDir: string): Buffer {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  try {
    return readFileSync(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ConfigError(`cannot read tls.${kind} "${full}": ${why}`);
  }
}

/**
 * Options for one connection. TLS files (PEM) are read now, so a missing file is reported once,
 * clearly, instead of on every reconnect; relative paths are taken from the project folder.
 */
export function clientOptions(device: MqttDevice, clientId: string, baseDir: string): IClientOptions {
  const secure = /^(mqtts|ssl|wss):/i.test(device.url);
  if (device.tls && !secure && (device.tls.ca || device.tls.cert || device.tls.key)) {
    throw new ConfigError(`tls files are set but the url ${displayUrl(device.url)} is not encrypted: use mqtts:// or wss://`);
  }
  if (device.tls && Boolean(device.tls.cert) !== Boolean(device.tls.key)) {
    throw new ConfigError('tls.cert and tls.key go together: a client certificate needs its private key');
  }
  const options: IClientOptions = {
    protocolVersion: device.protocolVersion,
    clientId,
    // Sessions are not resumed: subscriptions are re-sent on every connect, and a Sparkplug edge
    // node must start a clean session by the specification.
    clean: true,
    keepalive: KEEPALIVE_S,
    connectTimeout: CONNECT_TIMEOUT_MS,
    reconnectPeriod: RECONNECT_MIN_MS,
    // Keep trying after a refused CONNACK too (credentials fixed on the broker, v5 → 3.1.1 fallback).
    reconnectOnConnackError: true,
    resubscribe: false,
    // QoS 0 while offline fails at once rather than being sent late (and out of order) on reconnect.
    queueQoSZero: false,
    // MQTT.js traces every packet through `debug` even when it is off: about 6 % of the CPU at 10k msg/s.
    log: () => {},
    // MQTT.js would otherwise pre-build a 2-byte Buffer for each of the 65,536 numbers on its first
    // packet: about 8 MB of heap, a ninth of a gateway's RSS, for a saving too small to measure.
    writeCache: false,
  };
  if (device.username !== undefined && device.username !== '') options.username = device.username;
  if (device.password !== undefined) options.password = device.password;
  if (secure) {
    options.rejectUnauthorized = device.tls?.rejectUnauthorized ?? true;
    if (device.tls?.ca) options.ca = readTlsFile('ca', device.tls.ca, baseDir);
    if (device.tls?.cert) options.cert = readTlsFile('cert', device.tls.cert, baseDir);
    if (device.tls?.key) options.key = readTlsFile('key', device.tls.key, baseDir);
  }
  return options;
}

/**
 * Ends a client: a clean DISCONNECT after in-flight QoS 1/2 messages are acknowledged (2 s at
 * most); a client not connected just drops its connect attempt and retry timer. Late socket errors
 * are silenced afterwards.
 */
export async function endClient(client: MqttClient): Promise<void> {
  // MQTT.js clears its CONNACK timer when a stream's close reaches the client (a tick after end()'s
  // callback): removing the listeners before that keeps a stopped run alive for up to connectTimeout.
  const streamOpen = (client.stream as { closed?: boolean } | undefined)?.closed === false;
  const clientClosed = streamOpen
    ? new Promise<void>((closed) => {
        const timer = setTimeout(closed, 1000);
        client.once('close', () => {
          clearTimeout(timer);
          closed();
        });
      })
    : undefined;
  await new Promise<void>((done) => {
    if (!client.connected) {
      client.end(true, () => done());
      return;
    }
    const force = setTimeout(() => {
      client.stream?.destroy();
      done();
    }, 2000);
    client.end(false, () => {
      clearTimeout(force);
      done();
    });
  });
  await clientClosed;
  client.removeAllListeners();
  // A late socket error after end() must not become an unhandled 'error' event.
  client.on('error', () => {});
}

const TLS_HINTS: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate: set tls.cert and tls.key',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the broker rejected the client certificate (tls.cert): is it signed by a CA the broker trusts?',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the TLS handshake failed: the broker may require a client certificate (tls.cert, tls.key)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the broker does not trust the CA of the client certificate (tls.cert)',
  DEPTH_ZERO_SELF_SIGNED_CERT: "the broker's certificate is self-signed and not trusted: set tls.ca to it",
  SELF_SIGNED_CERT_IN_CHAIN: "the broker's certificate is not signed by a trusted CA: set tls.ca to the CA that signed it",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the broker's certificate is not signed by a trusted CA: set tls.ca to the CA that signed it",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the broker's certificate is not signed by a trusted CA: set tls.ca to the CA that signed it",
  CERT_HAS_EXPIRED: "the broker's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the broker's certificate does not name this host (check the url's host name)",
  ECONNREFUSED: 'connection refused: is the broker running and listening on this port?',
  ENOTFOUND: 'host not found: check the url',
  EAI_AGAIN: 'the host name could not be resolved now: is DNS reachable?',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'the broker closed the connection',
};

/** MQTT CONNACK codes: 3.1.1 return codes and MQTT 5 reason codes. */
const CONNACK_HINTS: Record<number, string> = {
  1: 'the broker does not accept this MQTT protocol version',
  2: 'the broker rejected the client id',
  3: 'the broker is unavailable',
  4: 'bad username or password',
  5: 'not authorized: check username and password and the broker ACL',
  132: 'the broker does not support this MQTT protocol version',
  133: 'the broker rejected the client id',
  134: 'bad username or password',
  135: 'not authorized: check username and password and the broker ACL',
  136: 'the broker is unavailable',
  137: 'the broker is busy',
  138: 'this client is banned by the broker',
  140: 'bad authentication method',
  149: 'packet too large for the broker',
  151: 'quota exceeded on the broker',
  159: 'connection rate exceeded on the broker',
};

/** "mqtts://host:8883: <what went wrong in plain words> (<original message>)". */
export function explainError(url: string, err: unknown): string {
  const e = err as { code?: string | number; message?: string };
  let original = (e?.message ?? String(err)).trim();
  // OpenSSL's "C0F…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…" → its reason.
  const ssl = /error:[0-9A-F]+:SSL routines:[^:]*:([^:]+)/.exec(original);
  if (ssl) original = ssl[1]!;
  let hint: string | undefined;
  if (typeof e?.code === 'number') hint = CONNACK_HINTS[e.code];
  else if (typeof e?.code === 'string') hint = TLS_HINTS[e.code];
  if (!hint && /certificate required/i.test(original)) hint = TLS_HINTS.ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED;
  if (!hint && /connack timeout/i.test(original)) hint = 'no answer to CONNECT in time (is this an MQTT port? a TLS port needs mqtts://)';
  return hint ? `${displayUrl(url)}: ${hint} (${original})` : `${displayUrl(url)}: ${original}`;
}
