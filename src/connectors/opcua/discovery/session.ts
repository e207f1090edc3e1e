// The node-opcua side of OPC UA discovery (imported lazily by index.ts): the endpoint listing and the
// browser session. Security reuses the connector's: the project PKI, the endpoint and certificate
// check for Sign/SignAndEncrypt (an unknown certificate fails with its thumbprint and waits for
// `plantbench trust`), and the same error messages. No retries: discovery fails fast with the reason.
import {
  ApplicationType,
  MessageSecurityMode,
  OPCUAClient,
  StatusCodes,
  UserTokenType,
  type ApplicationDescription,
  type ClientSession,
  type EndpointDescription,
  type OPCUACertificateManager,
} from 'node-opcua';
import {
  opcuaBrowseRequest,
  opcuaCrawlRequest,
  opcuaTarget,
  type OpcuaCertificate,
  type OpcuaCrawlNode,
  type OpcuaEndpointsResult,
  type OpcuaSessionInfo,
  type OpcuaTargetInput,
} from '../../../shared/discovery/opcua.ts';
import { isNodeIdText } from '../../../shared/discovery/opcua-path.ts';
import { serviceError, within } from '../connection.ts';
import {
  APPLICATION_NAME,
  APPLICATION_URI,
  explainConnectError,
  openPki,
  secureEndpoint,
  securityMode,
  securityPolicy,
  userIdentity,
  withDiscoveryChannel,
} from '../security.ts';
import { routeStackLog } from '../stack-log.ts';
import { describeCertificate, listCertificates, thumbprint } from '../trust.ts';
import type { OpcuaEndpointSettings } from '../types.ts';
import { browseMany, childHints, childrenOf, gotoNode, nodeAttributes, nodeReferences, parseNodeId, readDiscoveryLimits, referenceJson } from './browse.ts';
import { crawlAddressSpace, DEFAULT_TUNING } from './crawl.ts';
import { DiscoveryError } from './errors.ts';
import { nodeIdText, plainNodeId } from './format.ts';
import type { DiscoveryEnv, OpcuaBrowser, OpcuaBrowserOptions } from './index.ts';

const CLOSE_STEP_MS = 3000;

const policyName = (uri: string | null | undefined): string => (uri ?? '').split('#')[1] ?? String(uri);

function certificateJson(der: Buffer, trusted: ReadonlySet<string>): OpcuaCertificate {
  const info = describeCertificate(der);
  return { ...info, trusted: trusted.has(info.thumbprint) };
}

function endpointsResult(endpointUrl: string, servers: readonly ApplicationDescription[], endpoints: readonly EndpointDescription[], dataDir: string, startedAt: number): OpcuaEndpointsResult {
  const trusted = new Set(listCertificates(dataDir).trusted.map((c) => c.thumbprint));
  const certificates = new Map<string, OpcuaCertificate>();
  return {
    endpointUrl,
    servers: servers.map((s) => ({
      applicationUri: s.applicationUri ?? '',
      ...(s.productUri ? { productUri: s.productUri } : {}),
      applicationName: s.applicationName?.text ?? '',
      applicationType: ApplicationType[s.applicationType] ?? String(s.applicationType),
      discoveryUrls: (s.discoveryUrls ?? []).filter((u): u is string => !!u),
    })),
    endpoints: endpoints.map((e) => {
      const der = e.serverCertificate;
      let certificate: OpcuaCertificate | undefined;
      if (der && der.length > 0) {
        const key = der.toString('base64');
        certificate = certificates.get(key) ?? certificateJson(der, trusted);
        certificates.set(key, certificate);
      }
      return {
        endpointUrl: e.endpointUrl ?? endpointUrl,
        securityMode: MessageSecurityMode[e.securityMode] ?? String(e.securityMode),
        securityPolicy: policyName(e.securityPolicyUri),
        securityLevel: e.securityLevel,
        userTokens: (e.userIdentityTokens ?? []).map((t) => ({
          policyId: t.policyId ?? '',
          tokenType: UserTokenType[t.tokenType] ?? String(t.tokenType),
          ...(t.securityPolicyUri ? { securityPolicy: policyName(t.securityPolicyUri) } : {}),
        })),
        ...(e.transportProfileUri ? { transportProfile: e.transportProfileUri } : {}),
        ...(certificate ? { certificate } : {}),
      };
    }),
    durationMs: Math.round(performance.now() - startedAt),
  };
}

const discoverySettings = (endpoint: string): OpcuaEndpointSettings => ({ endpoint, securityMode: 'None', securityPolicy: 'None', auth: { kind: 'anonymous' } });

export async function getEndpoints(endpointUrl: string, env: DiscoveryEnv): Promise<OpcuaEndpointsResult> {
  const startedAt = performance.now();
  const unroute = routeStackLog(env.log ?? (() => undefined));
  let pki: OPCUACertificateManager | undefined;
  try {
    pki = await openPki(env.dataDir);
    return await withDiscoveryChannel(endpointUrl, pki, async (client) => {
      const servers = await client.findServers();
      const endpoints = await client.getEndpoints();
      return endpointsResult(endpointUrl, servers, endpoints, env.dataDir, startedAt);
    });
  } catch (err) {
    throw explainConnectError(err, discoverySettings(endpointUrl), env.dataDir);
  } finally {
    await pki?.dispose().catch(() => undefined);
    unroute();
  }
}

/**
 * "Trust once": this PKI instance (one per browser) answers Good for the accepted thumbprints, both
 * in secureEndpoint's check and in node-opcua's own check of the server certificate at connect.
 * Nothing is written: the certificate stays in pki/rejected.
 */
function acceptOnce(pki: OPCUACertificateManager, accepted: ReadonlySet<string> | undefined): void {
  if (!accepted) return;
  const check = pki.checkCertificate.bind(pki) as (chain: Buffer | Buffer[]) => Promise<typeof StatusCodes.Good>;
  const replaced = async (chain: Buffer | Buffer[]) => (accepted.has(thumbprint(Array.isArray(chain) ? chain[0]! : chain)) ? StatusCodes.Good : check(chain));
  pki.checkCertificate = replaced as OPCUACertificateManager['checkCertificate'];
}

export async function openBrowser(input: OpcuaTargetInput, env: DiscoveryEnv, options: OpcuaBrowserOptions): Promise<OpcuaBrowser> {
  const target = opcuaTarget.parse(input);
  const settings: OpcuaEndpointSettings = { endpoint: target.endpointUrl, securityMode: target.securityMode, securityPolicy: target.securityPolicy, auth: target.auth };
  const unroute = routeStackLog(env.log ?? (() => undefined));
  let pki: OPCUACertificateManager | undefined;
  let client: OPCUAClient | undefined;
  try {
    pki = await openPki(env.dataDir);
    acceptOnce(pki, env.acceptedOnce);
    const endpoint = settings.securityMode === 'None' ? undefined : await secureEndpoint(settings, pki, env.dataDir);
    client = OPCUAClient.create({
      applicationName: APPLICATION_NAME,
      applicationUri: APPLICATION_URI,
      clientName: 'plantbench-discovery',
      clientCertificateManager: pki,
      securityMode: securityMode(settings),
      securityPolicy: securityPolicy(settings),
      ...(endpoint ? { serverCertificate: endpoint.serverCertificate } : {}),
      endpointMustExist: false,
      // 0: no reconnection, a failure is reported at once.
      connectionStrategy: { maxRetry: 0, initialDelay: 250, maxDelay: 1000 },
      keepSessionAlive: true,
      transportTimeout: 20_000,
      requestedSessionTimeout: 60_000,
    });
    await client.connect(target.endpointUrl);
    const session = await client.createSession(userIdentity(settings));
    const namespaces = await session.readNamespaceArray();
    const limits = await readDiscoveryLimits(session);
    const info: OpcuaSessionInfo = { endpointUrl: target.endpointUrl, securityMode: target.securityMode, securityPolicy: target.securityPolicy, namespaces, limits };
    return new Browser(client, session, pki, info, env, options, unroute);
  } catch (err) {
    if (client) await within(client.disconnect(), CLOSE_STEP_MS);
    await pki?.dispose().catch(() => undefined);
    unroute();
    throw explainConnectError(err, settings, env.dataDir);
  }
}

class Browser implements OpcuaBrowser {
  readonly info: OpcuaSessionInfo;
  private readonly client: OPCUAClient;
  private readonly session: ClientSession;
  private readonly pki: OPCUACertificateManager;
  private readonly env: DiscoveryEnv;
  private readonly options: OpcuaBrowserOptions;
  private readonly unroute: () => void;
  private closed?: Promise<void>;
  private lost = false;

  constructor(client: OPCUAClient, session: ClientSession, pki: OPCUACertificateManager, info: OpcuaSessionInfo, env: DiscoveryEnv, options: OpcuaBrowserOptions, unroute: () => void) {
    this.client = client;
    this.session = session;
    this.pki = pki;
    this.info = info;
    this.env = env;
    this.options = options;
    this.unroute = unroute;
    const lose = (): void => void (this.lost = true);
    client.on('close', lose);
    client.on('connection_lost', lose);
    session.on('session_closed', lose);
  }

  get connected(): boolean {
    return !this.lost && !this.closed;
  }

  /** Runs a service; a failure that is not about a node is reported with the endpoint. */
  private async call<T>(what: () => Promise<T>): Promise<T> {
    if (this.closed) throw new DiscoveryError(`${this.info.endpointUrl}: the browser session is closed`);
    try {
      return await what();
    } catch (err) {
      if (err instanceof DiscoveryError) throw err;
      throw new DiscoveryError(`${this.info.endpointUrl}: ${serviceError(err)}`);
    }
  }

  private async resolve(nodeIdOrPath: string) {
    if (isNodeIdText(nodeIdOrPath)) return parseNodeId(nodeIdOrPath, this.info.namespaces);
    const found = await gotoNode(this.session, this.info.limits, nodeIdOrPath, this.info.namespaces);
    return parseNodeId(found.node.nodeId, this.info.namespaces);
  }

  endpoints(): Promise<OpcuaEndpointsResult> {
    const startedAt = performance.now();
    return this.call(async () => {
      const servers = await this.client.findServers();
      const endpoints = await this.client.getEndpoints();
      return endpointsResult(this.info.endpointUrl, servers, endpoints, this.env.dataDir, startedAt);
    });
  }

  browse(nodeId = 'i=85', options: { continuation?: string; maxReferences?: number } = {}) {
    const request = opcuaBrowseRequest.parse({ nodeId, ...options });
    return this.call(async () => {
      const id = await this.resolve(request.nodeId);
      const [result] = request.continuation
        ? await this.session.browseNext([Buffer.from(request.continuation, 'hex')], false)
        : await browseMany(this.session, [childrenOf(id)], request.maxReferences);
      if (!result || result.statusCode.isNotGood()) {
        const status = result?.statusCode.name ?? 'no browse result';
        const hint = /ContinuationPoint/.test(status) ? ': the continuation was used already or has expired; browse the node again' : '';
        throw new DiscoveryError(`${request.nodeId}: ${status}${hint}`);
      }
      const refs = (result.references ?? []).filter((r) => !r.nodeId.serverIndex);
      const hints = await childHints(this.session, this.info.limits, refs.map((r) => plainNodeId(r.nodeId)));
      const point = result.continuationPoint;
      return {
        nodeId: nodeIdText(id),
        references: refs.map((r, i) => ({ ...referenceJson(r), ...(hints[i] !== undefined ? { hasChildren: hints[i] } : {}) })),
        ...(point && point.length > 0 ? { continuation: point.toString('hex') } : {}),
      };
    });
  }

  attributes(nodeIds: readonly string[]) {
    return this.call(async () => {
      const resolved = await Promise.all(
        nodeIds.map((text) => this.resolve(text).catch((err: unknown) => (err instanceof DiscoveryError ? err : Promise.reject(err)))),
      );
      const ids = resolved.filter((r): r is Exclude<typeof r, DiscoveryError> => !(r instanceof DiscoveryError));
      const read = ids.length ? await nodeAttributes(this.session, this.info.limits, ids) : [];
      let k = 0;
      return { nodes: resolved.map((r, i) => (r instanceof DiscoveryError ? { nodeId: nodeIds[i]!, error: r.message } : read[k++]!)) };
    });
  }

  references(nodeId: string) {
    return this.call(async () => nodeReferences(this.session, this.info.limits, await this.resolve(nodeId)));
  }

  goto(nodeIdOrPath: string) {
    return this.call(() => gotoNode(this.session, this.info.limits, nodeIdOrPath, this.info.namespaces));
  }

  crawl(input: Parameters<OpcuaBrowser['crawl']>[0], options: Parameters<OpcuaBrowser['crawl']>[1] = {}) {
    const request = opcuaCrawlRequest.parse(input);
    return this.call(async () => {
      const root = await gotoNode(this.session, this.info.limits, request.root, this.info.namespaces);
      const start: OpcuaCrawlNode = { ...root.node, path: root.path, depth: 0 };
      const outcome = await crawlAddressSpace(
        this.session,
        this.info.limits,
        { id: parseNodeId(root.node.nodeId, this.info.namespaces), node: start },
        request,
        options,
        { ...DEFAULT_TUNING, ...this.options.tuning },
      );
      return { endpointUrl: this.info.endpointUrl, ...outcome, namespaces: this.info.namespaces };
    });
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await within(this.session.close(true), CLOSE_STEP_MS);
      await within(this.client.disconnect(), CLOSE_STEP_MS);
      await this.pki.dispose().catch(() => undefined);
      this.unroute();
    })();
    return this.closed;
  }
}
