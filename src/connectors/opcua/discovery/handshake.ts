// Network scan handshake for OPC UA: a raw OPC UA TCP Hello, answered by Acknowledge (or by an Error
// message, which is OPC UA too). Raw bytes keep the scan fast and free of node-opcua. For a
// confirmed server, createGetEndpointsClient() then asks GetEndpoints over an unsecured channel
// with node-opcua, loaded on first use, for each endpoint's URL, security mode and policy and the
// server certificate's SHA-1 thumbprint.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointDescription, OPCUACertificateManager } from 'node-opcua';
import type { ScanEndpoint } from '../../../shared/discovery/scan.ts';
import { exchange, failedHandshake, MORE, type HandshakeOptions, type HandshakeResult, type ParseStep } from '../../discovery/probe-socket.ts';
import { thumbprint } from '../trust.ts';

const RECEIVE_BUFFER = 65_536;
/** An ERR or ACK is small; anything claiming more than this is not an answer to Hello. */
const MAX_ANSWER = 16_384;

/** `opc.tcp://host:port`, with an IPv6 address in brackets. */
export function opcTcpUrl(host: string, port: number): string {
  return `opc.tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** OPC UA TCP Hello (Part 6, 7.1.2.3): protocol 0, 64 KiB buffers, no message or chunk limits. */
export function encodeHello(endpointUrl: string): Buffer {
  const url = Buffer.from(endpointUrl, 'utf8');
  const message = Buffer.alloc(32 + url.length);
  message.write('HELF', 0, 'latin1');
  message.writeUInt32LE(message.length, 4);
  message.writeUInt32LE(0, 8); // protocol version
  message.writeUInt32LE(RECEIVE_BUFFER, 12);
  message.writeUInt32LE(RECEIVE_BUFFER, 16);
  message.writeUInt32LE(0, 20); // max message size: no limit
  message.writeUInt32LE(0, 24); // max chunk count: no limit
  message.writeInt32LE(url.length, 28);
  url.copy(message, 32);
  return message;
}

export type HelloAnswer =
  | { readonly kind: 'ack'; readonly protocolVersion: number; readonly receiveBufferSize: number; readonly sendBufferSize: number; readonly maxMessageSize: number }
  | { readonly kind: 'error'; readonly statusCode: number; readonly reason: string };

/** Parses the answer to Hello: ACK, ERR, more bytes needed, or not OPC UA. */
export function parseHelloAnswer(data: Buffer): ParseStep<HelloAnswer> {
  if (data.length < 3) return /^(A|AC|E|ER)?$/.test(data.toString('latin1')) ? MORE : { bad: 'no ACK or ERR message' };
  const type = data.toString('latin1', 0, 3);
  if (type !== 'ACK' && type !== 'ERR') return { bad: 'no ACK or ERR message' };
  if (data.length < 8) return MORE;
  if (data[3] !== 0x46) return { bad: `${type} with chunk type "${String.fromCharCode(data[3]!)}" (F expected)` };
  const size = data.readUInt32LE(4);
  if (size < (type === 'ACK' ? 28 : 16) || size > MAX_ANSWER) return { bad: `${type} of ${size} bytes` };
  if (data.length < size) return MORE;
  if (type === 'ACK') {
    return {
      value: { kind: 'ack', protocolVersion: data.readUInt32LE(8), receiveBufferSize: data.readUInt32LE(12), sendBufferSize: data.readUInt32LE(16), maxMessageSize: data.readUInt32LE(20) },
    };
  }
  const statusCode = data.readUInt32LE(8);
  const length = data.readInt32LE(12);
  const reason = length > 0 && 16 + length <= size ? data.toString('utf8', 16, 16 + length) : '';
  return { value: { kind: 'error', statusCode, reason } };
}

/** Status codes an OPC UA server answers Hello with when it refuses it (Part 6, 7.1.5). */
const TCP_ERRORS: Readonly<Record<number, string>> = {
  0x80050000: 'BadCommunicationError',
  0x80070000: 'BadEncodingLimitsExceeded',
  0x807d0000: 'BadTcpServerTooBusy',
  0x807e0000: 'BadTcpMessageTypeInvalid',
  0x80800000: 'BadTcpMessageTooLarge',
  0x80810000: 'BadTcpNotEnoughResources',
  0x80820000: 'BadTcpInternalError',
  0x80830000: 'BadTcpEndpointUrlInvalid',
  0x80be0000: 'BadProtocolVersionUnsupported',
};

export function describeHelloAnswer(answer: HelloAnswer): string {
  if (answer.kind === 'ack') return `ACK to Hello (protocol ${answer.protocolVersion}, buffers ${answer.receiveBufferSize}/${answer.sendBufferSize})`;
  const name = TCP_ERRORS[answer.statusCode] ?? `0x${answer.statusCode.toString(16).padStart(8, '0')}`;
  return `ERR ${name} to Hello${answer.reason ? ` ("${answer.reason}")` : ''} – server speaks OPC UA`;
}

/** Hello → ACK/ERR on a connected socket, then closes it. */
export async function opcuaHandshake(socket: Socket, options: HandshakeOptions & { readonly endpointUrl: string }): Promise<HandshakeResult & { readonly hello?: HelloAnswer }> {
  try {
    const outcome = await exchange(socket, encodeHello(options.endpointUrl), parseHelloAnswer, options.timeoutMs, options.signal);
    if (outcome.kind !== 'reply') return failedHandshake(outcome, 'OPC UA', 'OPC UA Hello', options.timeoutMs);
    return { confirmed: true, answer: 'reply', detail: describeHelloAnswer(outcome.value), hello: outcome.value };
  } finally {
    socket.destroy();
  }
}

/**
 * GetEndpoints over an unsecured discovery channel (no session), for scans. node-opcua and a
 * throwaway client certificate (a temp PKI, removed by dispose(); OPC UA clients need one even
 * for SecurityMode None) are set up on first use, so a scan that finds no OPC UA server never
 * loads the stack.
 */
export interface GetEndpointsClient {
  /** The endpoints the server at `endpointUrl` offers; throws with a readable message on failure or timeout. */
  getEndpoints(endpointUrl: string, options: HandshakeOptions): Promise<ScanEndpoint[]>;
  dispose(): Promise<void>;
}

export function createGetEndpointsClient(): GetEndpointsClient {
  let setup: Promise<{ opcua: typeof import('node-opcua'); pki: OPCUACertificateManager; dir: string; unroute: () => void }> | undefined;
  const applicationUri = `urn:${hostname()}:Plantbench:scan`;
  // node-opcua's PKI sets OPENSSL_CONF in process.env whenever it initialises (to "undefined" when
  // it has no config file), which breaks any openssl this process starts later: put it back.
  const opensslConf = process.env.OPENSSL_CONF;
  const restoreOpensslConf = (): void => {
    if (opensslConf === undefined) delete process.env.OPENSSL_CONF;
    else process.env.OPENSSL_CONF = opensslConf;
  };
  const load = () =>
    (setup ??= (async () => {
      const opcua = await import('node-opcua');
      const dir = await mkdtemp(join(tmpdir(), 'plantbench-scan-pki-'));
      // The stack's console warnings would corrupt --json output: dropped while the scan runs.
      const unroute = (await import('../stack-log.ts')).routeStackLog(() => {});
      const pki = new opcua.OPCUACertificateManager({ rootFolder: dir, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
      try {
        await pki.initialize();
        await pki.createSelfSignedCertificate({
          subject: '/CN=Plantbench scan/O=Plantbench',
          applicationUri,
          dns: [hostname()],
          startDate: new Date(),
          validity: 30,
          outputFile: join(pki.rootDir, 'own', 'certs', 'client_certificate.pem'),
        });
      } catch (err) {
        unroute();
        await pki.dispose().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
        throw err;
      } finally {
        restoreOpensslConf();
      }
      return { opcua, pki, dir, unroute };
    })());
  return {
    async getEndpoints(endpointUrl, options) {
      const { opcua, pki } = await load().catch((err: Error) => Promise.reject(new Error(`cannot start the OPC UA stack: ${err.message}`)));
      const client = opcua.OPCUAClient.create({
        applicationName: 'Plantbench',
        applicationUri,
        clientName: 'plantbench-scan',
        clientCertificateManager: pki,
        securityMode: opcua.MessageSecurityMode.None,
        securityPolicy: opcua.SecurityPolicy.None,
        endpointMustExist: false,
        connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
        transportTimeout: options.timeoutMs,
      });
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const stop = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no GetEndpoints answer within ${options.timeoutMs} ms`)), options.timeoutMs);
        onAbort = () => reject(new Error('cancelled'));
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const endpoints = await Promise.race([
          (async () => {
            await client.connect(endpointUrl);
            return client.getEndpoints();
          })(),
          stop,
        ]);
        return endpoints.map((e) => describeEndpoint(e, opcua));
      } catch (err) {
        throw new Error(`GetEndpoints failed: ${(err as Error).message.replace(/\s+/g, ' ').trim()}`);
      } finally {
        clearTimeout(timer);
        restoreOpensslConf();
        if (onAbort) options.signal?.removeEventListener('abort', onAbort);
        stop.catch(() => undefined);
        // A server that stopped answering must not hold the scan: the disconnect is bounded too.
        let bound: NodeJS.Timeout | undefined;
        await Promise.race([client.disconnect().catch(() => undefined), new Promise((r) => (bound = setTimeout(r, options.timeoutMs)))]);
        clearTimeout(bound);
      }
    },
    async dispose() {
      const s = await setup?.catch(() => undefined);
      setup = undefined;
      if (!s) return;
      s.unroute();
      await s.pki.dispose().catch(() => undefined);
      await rm(s.dir, { recursive: true, force: true });
    },
  };
}

function describeEndpoint(e: EndpointDescription, opcua: typeof import('node-opcua')): ScanEndpoint {
  const certificate = e.serverCertificate;
  return {
    url: e.endpointUrl ?? '',
    securityMode: opcua.MessageSecurityMode[e.securityMode] ?? String(e.securityMode),
    securityPolicy: (e.securityPolicyUri ?? '').split('#')[1] ?? String(e.securityPolicyUri),
    ...(certificate && certificate.length > 0 ? { thumbprint: thumbprint(certificate) } : {}),
    userTokens: [...new Set((e.userIdentityTokens ?? []).map((t) => opcua.UserTokenType[t.tokenType] ?? String(t.tokenType)))],
  };
}
