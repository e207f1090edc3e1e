// Security for client connections: the client PKI (app certificate created on first use), choosing
// the server endpoint that matches the device's mode and policy, checking the server certificate
// against the trust list (unknown ones are rejected and recorded, never accepted automatically),
// the user identity, and error messages that name the endpoint and what to do.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  setDefaultCertificateSubject,
  UserTokenType,
  type EndpointDescription,
  type UserIdentityInfo,
} from 'node-opcua';
import { describeCertificate, pkiFolder, rejectedFolder, thumbprint } from './trust.ts';
import type { OpcuaEndpointSettings } from './types.ts';

// Certificates created on first use say who made them (node-opcua's default names its vendor).
setDefaultCertificateSubject('/O=Plantbench');

export const APPLICATION_NAME = 'Plantbench';
/** Stable per machine, and in the client certificate: servers check that the two match. */
export const APPLICATION_URI = `urn:${hostname()}:Plantbench`;

/** The client PKI of a project, `<dataDir>/pki`. File watchers stay off: folders are rescanned before each check. */
export async function openPki(dataDir: string): Promise<OPCUACertificateManager> {
  const pki = new OPCUACertificateManager({
    rootFolder: pkiFolder(dataDir),
    automaticallyAcceptUnknownCertificate: false,
    disableFileWatchers: true,
  });
  await pki.initialize();
  return pki;
}

/** Thumbprint of Plantbench's own client certificate, once it exists (for "trust it on the server" hints). */
export function clientCertificateThumbprint(dataDir: string): string | undefined {
  const file = join(pkiFolder(dataDir), 'own', 'certs', 'client_certificate.pem');
  if (!existsSync(file)) return undefined;
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END/.exec(readFileSync(file, 'latin1'));
  return m ? thumbprint(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : undefined;
}

/** A connection failure worth a clear message. `retry` false: retrying cannot help until someone acts. */
export class ConnectError extends Error {
  readonly retry: boolean;
  constructor(message: string, retry = true) {
    super(message);
    this.retry = retry;
  }
}

export class UntrustedCertificateError extends ConnectError {
  readonly thumbprint: string;
  readonly subject: string;
  constructor(message: string, info: { thumbprint: string; subject: string }) {
    super(message, false);
    this.thumbprint = info.thumbprint;
    this.subject = info.subject;
  }
}

export function securityMode(device: OpcuaEndpointSettings): MessageSecurityMode {
  return MessageSecurityMode[device.securityMode];
}

export function securityPolicy(device: OpcuaEndpointSettings): SecurityPolicy {
  return SecurityPolicy[device.securityPolicy];
}

const policyName = (uri: string | null | undefined): string => (uri ?? '').split('#')[1] ?? String(uri);

/** Runs `fn` on a client connected over an unsecured discovery channel (GetEndpoints, FindServers), then disconnects. */
export async function withDiscoveryChannel<T>(endpoint: string, pki: OPCUACertificateManager, fn: (client: OPCUAClient) => Promise<T>): Promise<T> {
  const discovery = OPCUAClient.create({
    applicationName: APPLICATION_NAME,
    applicationUri: APPLICATION_URI,
    clientName: 'plantbench-discovery',
    clientCertificateManager: pki,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 250, maxDelay: 1000 },
    transportTimeout: 20_000,
  });
  try {
    await discovery.connect(endpoint);
    return await fn(discovery);
  } finally {
    await discovery.disconnect().catch(() => undefined);
  }
}

/** Asks the server for its endpoints (GetEndpoints over an unsecured discovery channel). */
function getEndpoints(endpoint: string, pki: OPCUACertificateManager): Promise<EndpointDescription[]> {
  return withDiscoveryChannel(endpoint, pki, (client) => client.getEndpoints());
}

/**
 * For Sign and SignAndEncrypt: the server endpoint matching the device's mode and policy, whose
 * certificate is trusted. An unknown certificate is written to `pki/rejected` and the connection
 * fails with its thumbprint; `plantbench trust` moves it to the trusted list.
 */
export async function secureEndpoint(device: OpcuaEndpointSettings, pki: OPCUACertificateManager, dataDir: string): Promise<EndpointDescription> {
  const endpoints = await getEndpoints(device.endpoint, pki);
  const mode = securityMode(device);
  const policy = securityPolicy(device);
  const match = endpoints.find((e) => e.securityMode === mode && e.securityPolicyUri === policy);
  if (!match) {
    const offered = [...new Set(endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${policyName(e.securityPolicyUri)}`))].join(', ');
    throw new ConnectError(
      `${device.endpoint}: the server offers no ${device.securityMode}/${device.securityPolicy} endpoint (it offers ${offered || 'none'})`,
      false,
    );
  }
  if (device.auth.kind === 'username' && !match.userIdentityTokens?.some((t) => t.tokenType === UserTokenType.UserName)) {
    throw new ConnectError(`${device.endpoint}: the ${device.securityMode}/${device.securityPolicy} endpoint does not accept user names`, false);
  }
  const certificate = match.serverCertificate;
  if (!certificate || certificate.length === 0) {
    throw new ConnectError(`${device.endpoint}: the server sent no certificate for ${device.securityMode}/${device.securityPolicy}`, false);
  }
  // Another process (`plantbench trust`) may have moved certificates since the last check.
  await pki.reloadCertificates();
  const status = await pki.checkCertificate(certificate);
  if (!status.isGood()) {
    const info = describeCertificate(certificate);
    const untrusted = status.name === 'BadCertificateUntrusted';
    const what = untrusted ? 'is not trusted' : `was refused (${status.name})`;
    const hint = untrusted
      ? `It was saved in ${rejectedFolder(dataDir)}; after checking it, trust it with "plantbench trust <project> ${info.thumbprint.slice(0, 8)}".`
      : 'Renew or replace the server certificate.';
    throw new UntrustedCertificateError(
      `${device.endpoint}: the server certificate ${what}: SHA-1 thumbprint ${info.thumbprint}, subject "${info.subject}". ${hint}`,
      info,
    );
  }
  return match;
}

export function userIdentity(device: OpcuaEndpointSettings): UserIdentityInfo {
  if (device.auth.kind === 'username') {
    return { type: UserTokenType.UserName, userName: device.auth.username, password: device.auth.password };
  }
  return { type: UserTokenType.Anonymous };
}

/** A connect or session failure in words an engineer can act on; always names the endpoint. */
export function explainConnectError(err: unknown, device: OpcuaEndpointSettings, dataDir: string): ConnectError {
  if (err instanceof ConnectError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const at = device.endpoint;
  const code = (err as { code?: string }).code ?? /\b(E[A-Z]{4,})\b/.exec(raw)?.[1];
  if (code === 'ECONNREFUSED') return new ConnectError(`${at}: connection refused (is the server running, and is the port right?)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ConnectError(`${at}: host not found`);
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new ConnectError(`${at}: no answer from the host (${code})`);
  if (code === 'ECONNRESET') return new ConnectError(`${at}: the server closed the connection`);
  const token = /Cannot find (\w+) user token policy/i.exec(raw)?.[1];
  if (token) {
    const kind = token.toUpperCase() === 'ANONYMOUS' ? 'anonymous access' : 'user names';
    const fix = kind === 'anonymous access' ? ': set the device auth to a user name and password' : '';
    return new ConnectError(`${at}: the server does not accept ${kind} on its ${device.securityMode}/${device.securityPolicy} endpoint${fix}`, false);
  }
  const status = /\b(Bad[A-Za-z]+)\b/.exec(raw)?.[1];
  if (status === 'BadUserAccessDenied' || status === 'BadIdentityTokenRejected' || status === 'BadIdentityTokenInvalid') {
    const who = device.auth.kind === 'username' ? `user "${device.auth.username}"` : 'anonymous access';
    return new ConnectError(`${at}: ${who} was rejected by the server (${status}): check the user name and password`, false);
  }
  if (status && /Certificate|SecurityChecksFailed|SecurityPolicyRejected/.test(status)) {
    const own = clientCertificateThumbprint(dataDir);
    return new ConnectError(
      `${at}: the server refused the connection (${status}). It may not trust Plantbench's client certificate` +
        (own ? ` (SHA-1 ${own}, in ${join(pkiFolder(dataDir), 'own', 'certs')})` : '') +
        ': trust it in the server\'s PKI',
    );
  }
  if (status) return new ConnectError(`${at}: ${status}`);
  return new ConnectError(`${at}: ${raw.split('\n')[0]}`);
}
