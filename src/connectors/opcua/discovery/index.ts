// OPC UA discovery: endpoints and security of a server, and a browser session (lazy browse, attributes,
// references, goto, crawl). Importing this module does not load node-opcua: session.ts, which does,
// is imported on first use.
import type { ConnectorEnv } from '../../connector.ts';
import type {
  OpcuaAttributesResult,
  OpcuaBrowseResult,
  OpcuaCrawlRequest,
  OpcuaCrawlResult,
  OpcuaEndpointsResult,
  OpcuaGotoResult,
  OpcuaReferencesResult,
  OpcuaSessionInfo,
  OpcuaTargetInput,
} from '../../../shared/discovery/opcua.ts';
import type { DiscoveryOptions } from '../../../shared/discovery/progress.ts';
import type { CrawlTuning } from './crawl.ts';

export { DiscoveryError } from './errors.ts';
export type { CrawlTuning } from './crawl.ts';

export interface DiscoveryEnv {
  /** The project's `.plantbench` folder: the client PKI lives in `<dataDir>/pki`. */
  readonly dataDir: string;
  /** Where node-opcua's own warnings go (dropped when not given). */
  readonly log?: ConnectorEnv['log'];
  /**
   * Server certificates (SHA-1 thumbprints) the user accepted for this process only ("trust once"):
   * a browser opened with them accepts them without their being in `pki/trusted`.
   */
  readonly acceptedOnce?: ReadonlySet<string>;
}

export interface OpcuaBrowserOptions {
  /** Request sizes and concurrency of crawls (benchmarks and tests). */
  readonly tuning?: Partial<CrawlTuning>;
}

/** One session on one server. Methods fail with a message naming the node or the endpoint. */
export interface OpcuaBrowser {
  readonly info: OpcuaSessionInfo;
  /** False once closed, or once the connection or session is lost (there is no reconnection: open a new browser). */
  readonly connected: boolean;
  /** FindServers and GetEndpoints on this connection. */
  endpoints(): Promise<OpcuaEndpointsResult>;
  /** One level below a node (node id or path), `maxReferences` at a time; pass `continuation` back for more. */
  browse(nodeId?: string, options?: { continuation?: string; maxReferences?: number }): Promise<OpcuaBrowseResult>;
  attributes(nodeIds: readonly string[]): Promise<OpcuaAttributesResult>;
  references(nodeId: string): Promise<OpcuaReferencesResult>;
  goto(nodeIdOrPath: string): Promise<OpcuaGotoResult>;
  crawl(request: OpcuaCrawlRequest, options?: DiscoveryOptions): Promise<OpcuaCrawlResult>;
  close(): Promise<void>;
}

/**
 * Opens a session (Sign/SignAndEncrypt only with a trusted server certificate, checked against
 * `<dataDir>/pki`). Fails fast with a clear message: unreachable server, untrusted certificate
 * (with its thumbprint), rejected user or client certificate. No reconnection: open it again.
 */
export async function openOpcuaBrowser(target: OpcuaTargetInput, env: DiscoveryEnv, options: OpcuaBrowserOptions = {}): Promise<OpcuaBrowser> {
  const { openBrowser } = await import('./session.ts');
  return openBrowser(target, env, options);
}

/** FindServers and GetEndpoints over an unsecured discovery channel: servers, endpoints, security, certificates. */
export async function getOpcuaEndpoints(endpointUrl: string, env: DiscoveryEnv): Promise<OpcuaEndpointsResult> {
  const { getEndpoints } = await import('./session.ts');
  return getEndpoints(endpointUrl, env);
}
