// One OPC UA client session per device, shared by every node of a run.
//
// Connecting: Sign/SignAndEncrypt first check the server's endpoint and certificate (security.ts),
// then connect and activate a session. A failed first connection is retried here with backoff
// (250 ms doubling to 10 s), so every failure is reported with a clear message.
//
// After a connection loss, node-opcua's own reconnection takes over: it retries forever with the
// same backoff (any maxRetry > 0 enables it; node-opcua forces infinite retries once connected),
// re-activates or re-creates the session, and transfers or re-creates the subscription. The
// subscription manager checks the result and re-creates what did not survive.
import {
  OPCUAClient,
  resolveNodeId,
  type ClientSession,
  type NodeId,
  type OPCUACertificateManager,
  type StatusCode,
} from 'node-opcua';
import type { OpcuaTag } from '../../shared/model/device.ts';
import type { ProtocolStatus, Sample, Value } from '../../shared/sample.ts';
import type { ConnectorEnv } from '../connector.ts';
import { readLimits, readValues } from './poll.ts';
import {
  APPLICATION_NAME,
  APPLICATION_URI,
  explainConnectError,
  openPki,
  secureEndpoint,
  securityMode,
  securityPolicy,
  userIdentity,
} from './security.ts';
import { routeStackLog } from './stack-log.ts';
import { SubscriptionManager } from './subscription.ts';
import type { ConnectionState, ConnectionStatus, Disposable, OpcuaConnection, OpcuaDevice, TagSubscription, WriteResult } from './types.ts';
import { TagSampler } from './values.ts';
import { CoercionError, coerceValue, readWriteTarget, writeVariant, type WriteTarget } from './write.ts';

export const RETRY_MIN_MS = 250;
export const RETRY_MAX_MS = 10_000;
/** A close step that hangs (dead server) must not hold a pipeline stop. */
const CLOSE_STEP_MS = 3000;
const BAD_NODE_ID_INVALID = 0x80330000;
export const TRANSPORT_TIMEOUT_MS = 20_000;

export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.catch(() => undefined),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The status name of a failed service call ("BadTooManyOperations"), else its message. */
export function serviceError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /\b(Bad[A-Za-z]+)\b/.exec(message)?.[1] ?? message.trim();
}

export interface ClosableConnection extends OpcuaConnection {
  /** The session, for helpers written against IBasicSession (discovery: browse, read attributes). */
  readonly session: ClientSession | undefined;
  close(): Promise<void>;
}

/** The loaded stack of one connector: its client PKI and its device connections. */
export interface OpcuaStack {
  connect(device: OpcuaDevice): ClosableConnection;
  dispose(): Promise<void>;
}

export function createStack(env: ConnectorEnv): OpcuaStack {
  const unroute = routeStackLog(env.log);
  let pki: Promise<OPCUACertificateManager> | undefined;
  const getPki = (): Promise<OPCUACertificateManager> => (pki ??= openPki(env.dataDir));
  return {
    connect(device) {
      const connection = new DeviceConnection(device, env, getPki);
      connection.start();
      return connection;
    },
    async dispose() {
      const manager = await pki?.catch(() => undefined);
      await manager?.dispose().catch(() => undefined);
      unroute();
    },
  };
}

export class DeviceConnection implements ClosableConnection {
  readonly deviceId: string;
  readonly endpoint: string;
  private readonly device: OpcuaDevice;
  private readonly env: ConnectorEnv;
  private readonly pki: () => Promise<OPCUACertificateManager>;
  private client?: OPCUAClient;
  private currentSession?: ClientSession;
  private state: ConnectionState = 'connecting';
  private lastError?: string;
  private reconnects = 0;
  private loggedError?: string;
  private readonly listeners = new Set<(status: ConnectionStatus) => void>();
  private readonly subscriptions: SubscriptionManager;
  private maxNodesPerRead = 0;
  private namespaceArray: string[] = [];
  private readonly nodeIds = new Map<string, NodeId | ProtocolStatus>();
  private readonly samplers = new Map<string, TagSampler>();
  private readonly writeTargets = new Map<string, Promise<WriteTarget | StatusCode>>();
  private retryTimer?: NodeJS.Timeout;
  private retryDelay = RETRY_MIN_MS;
  private closing = false;
  private readonly first: Promise<void>;
  private settleFirst!: () => void;

  constructor(device: OpcuaDevice, env: ConnectorEnv, pki: () => Promise<OPCUACertificateManager>) {
    this.device = device;
    this.deviceId = device.id;
    this.endpoint = device.endpoint;
    this.env = env;
    this.pki = pki;
    this.first = new Promise((resolve) => (this.settleFirst = resolve));
    this.subscriptions = new SubscriptionManager(
      { deviceId: device.id, publishingIntervalMs: device.publishingIntervalMs, samplingIntervalMs: device.samplingIntervalMs },
      env.log,
    );
  }

  get status(): ConnectionStatus {
    const counted = this.reconnects ? { reconnects: this.reconnects } : {};
    return this.lastError === undefined ? { state: this.state, ...counted } : { state: this.state, lastError: this.lastError, ...counted };
  }

  get session(): ClientSession | undefined {
    return this.state === 'connected' ? this.currentSession : undefined;
  }

  onDidChangeStatus(listener: (status: ConnectionStatus) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  firstAttempt(): Promise<void> {
    return this.first;
  }

  start(): void {
    void this.attempt();
  }

  subscribe(tags: readonly OpcuaTag[], onSamples: (batch: Sample[]) => void): TagSubscription {
    return this.subscriptions.register(tags, onSamples);
  }

  async read(tags: readonly OpcuaTag[]): Promise<Sample[]> {
    const session = this.session;
    if (!session) throw new Error(`not connected (${this.lastError ?? this.state})`);
    const now = Date.now();
    const out: Sample[] = [];
    const toRead: { tag: OpcuaTag; nodeId: NodeId }[] = [];
    for (const tag of tags) {
      const nodeId = this.nodeIdOf(tag);
      if ('namespace' in nodeId) toRead.push({ tag, nodeId });
      else out.push(this.sampler(tag).bad(nodeId, now));
    }
    let values;
    try {
      values = await readValues(session, toRead.map((r) => r.nodeId), this.maxNodesPerRead);
    } catch (err) {
      throw new Error(`${this.endpoint}: Read failed: ${serviceError(err)}`);
    }
    const receivedAt = Date.now();
    values.forEach((dv, i) => out.push(this.sampler(toRead[i]!.tag).sample(dv, receivedAt)));
    return out;
  }

  async check(tag: OpcuaTag, value: Value): Promise<WriteResult> {
    const found = await this.writeTarget(tag);
    if ('status' in found) return { ok: false, status: found.status };
    if (found.target.notWritable) {
      // Asked again next time: the server may grant write access later.
      this.writeTargets.delete(found.nodeId.toString());
      return { ok: false, status: found.target.notWritable };
    }
    try {
      coerceValue(value, found.target);
    } catch (err) {
      if (err instanceof CoercionError) return { ok: false, status: err.message };
      throw err;
    }
    return { ok: true };
  }

  async write(tag: OpcuaTag, value: Value): Promise<WriteResult> {
    const found = await this.writeTarget(tag);
    if ('status' in found) return { ok: false, status: found.status };
    const { session, nodeId, target } = found;
    const variant = coerceValue(value, target);
    let status: StatusCode;
    try {
      status = await writeVariant(session, nodeId, variant);
    } catch (err) {
      return { ok: false, status: serviceError(err) };
    }
    if (status.isGood()) return { ok: true };
    // The variable may have changed type on the server: read it again next time.
    if (status.name.startsWith('BadTypeMismatch')) this.writeTargets.delete(nodeId.toString());
    return { ok: false, status: status.name };
  }

  /** The variable's type and access, read once per node id and kept. Throws when not connected. */
  private async writeTarget(tag: OpcuaTag): Promise<{ session: ClientSession; nodeId: NodeId; target: WriteTarget } | { status: string }> {
    const session = this.session;
    if (!session) throw new Error(`not connected (${this.lastError ?? this.state})`);
    const nodeId = this.nodeIdOf(tag);
    if (!('namespace' in nodeId)) return { status: nodeId.text };
    const key = nodeId.toString();
    let target = this.writeTargets.get(key);
    if (!target) {
      target = readWriteTarget(session, nodeId);
      this.writeTargets.set(key, target);
      target.catch(() => this.writeTargets.delete(key));
    }
    let resolved: WriteTarget | StatusCode;
    try {
      resolved = await target;
    } catch (err) {
      return { status: serviceError(err) };
    }
    if (!('type' in resolved)) {
      this.writeTargets.delete(key);
      return { status: resolved.name };
    }
    return { session, nodeId, target: resolved };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    const session = this.currentSession;
    this.client = undefined;
    this.currentSession = undefined;
    if (session && this.state === 'connected') await within(this.subscriptions.terminate(), CLOSE_STEP_MS);
    this.subscriptions.detach();
    if (session) await within(session.close(true), CLOSE_STEP_MS);
    if (client) await within(client.disconnect(), CLOSE_STEP_MS);
    this.setState('closed', undefined);
    this.listeners.clear();
    this.settleFirst();
  }

  private sampler(tag: OpcuaTag): TagSampler {
    let s = this.samplers.get(tag.name);
    if (!s) this.samplers.set(tag.name, (s = new TagSampler(this.deviceId, tag)));
    return s;
  }

  /** ns=…, i=… or nsu=<uri>;… (resolved with the server's namespace array of this session). */
  private nodeIdOf(tag: OpcuaTag): NodeId | ProtocolStatus {
    let id = this.nodeIds.get(tag.name);
    if (!id) {
      try {
        id = resolveNodeId(tag.nodeId, { namespaceArray: this.namespaceArray });
      } catch (err) {
        const uri = /^nsu=([^;]*);/.exec(tag.nodeId)?.[1];
        const text = uri !== undefined && !this.namespaceArray.includes(uri)
          ? `BadNodeIdUnknown: namespace "${uri}" is not on the server`
          : `BadNodeIdInvalid: ${(err as Error).message}`;
        id = { code: BAD_NODE_ID_INVALID, text };
      }
      this.nodeIds.set(tag.name, id);
    }
    return id;
  }

  private setState(state: ConnectionState, lastError: string | undefined): void {
    if (this.state === state && this.lastError === lastError) return;
    this.state = state;
    this.lastError = lastError;
    const status = this.status;
    for (const listener of [...this.listeners]) listener(status);
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closing) return;
    let client: OPCUAClient | undefined;
    try {
      const pki = await this.pki();
      const endpoint = this.device.securityMode === 'None' ? undefined : await secureEndpoint(this.device, pki, this.env.dataDir);
      if (this.closing) return;
      client = OPCUAClient.create({
        applicationName: APPLICATION_NAME,
        applicationUri: APPLICATION_URI,
        clientName: `plantbench:${this.deviceId}`,
        clientCertificateManager: pki,
        securityMode: securityMode(this.device),
        securityPolicy: securityPolicy(this.device),
        // Checked and trusted by secureEndpoint(): node-opcua does not fetch it again.
        ...(endpoint ? { serverCertificate: endpoint.serverCertificate } : {}),
        endpointMustExist: false,
        connectionStrategy: { maxRetry: 1, initialDelay: RETRY_MIN_MS, maxDelay: RETRY_MAX_MS },
        keepSessionAlive: true,
        keepAliveInterval: 5000,
        // A silent peer (black-holed host) breaks after 10 s instead of node-opcua's 30 s.
        transportTimeout: TRANSPORT_TIMEOUT_MS,
        requestedSessionTimeout: 60_000,
      });
      await client.connect(this.device.endpoint);
      const session = await client.createSession(userIdentity(this.device));
      const namespaceArray = await session.readNamespaceArray();
      const limits = await readLimits(session).catch(() => ({ maxNodesPerRead: 0, maxNodesPerWrite: 0, maxMonitoredItemsPerCall: 0 }));
      if (this.closing) {
        // close() ran meanwhile and could not see this session.
        await within(session.close(true), CLOSE_STEP_MS);
        await within(client.disconnect(), CLOSE_STEP_MS);
        return;
      }
      this.namespaceArray = namespaceArray;
      this.maxNodesPerRead = limits.maxNodesPerRead;
      this.nodeIds.clear();
      this.client = client;
      this.currentSession = session;
      this.watch(client, session);
      this.retryDelay = RETRY_MIN_MS;
      this.loggedError = undefined;
      this.env.log('info', `${this.deviceId}: connected to ${this.endpoint}`, {
        securityMode: this.device.securityMode,
        securityPolicy: this.device.securityPolicy,
      });
      this.setState('connected', undefined);
      this.settleFirst();
      await this.subscriptions.attach(session, limits.maxMonitoredItemsPerCall, (tag) => this.nodeIdOf(tag));
    } catch (err) {
      if (client) await within(client.disconnect(), CLOSE_STEP_MS);
      if (this.closing) return;
      const error = explainConnectError(err, this.device, this.env.dataDir);
      // Retrying cannot fix an untrusted certificate or a wrong password by itself, but a decision
      // (plantbench trust, a fixed secret) may: those retry at the slowest pace.
      const delay = error.retry ? this.retryDelay : RETRY_MAX_MS;
      this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
      if (error.message !== this.loggedError) {
        this.loggedError = error.message;
        this.env.log('warn', `${this.deviceId}: ${error.message}`, { retryInMs: delay });
      }
      this.setState('disconnected', error.message);
      this.settleFirst();
      this.reconnects++;
      this.retryTimer = setTimeout(() => void this.attempt(), delay);
    }
  }

  private watch(client: OPCUAClient, session: ClientSession): void {
    const lost = (why: string) => (): void => {
      if (this.closing || this.client !== client) return;
      if (this.state === 'connected') this.env.log('warn', `${this.deviceId}: ${this.endpoint}: ${why}; reconnecting`);
      this.subscriptions.suspend();
      this.setState('reconnecting', `${this.endpoint}: ${why}`);
    };
    client.on('connection_lost', lost('connection lost'));
    client.on('start_reconnection', () => {
      this.reconnects++;
      lost('connection lost')();
    });
    session.on('keepalive_failure', lost('the server does not answer (keep-alive failed)'));
    client.on('reconnection_attempt_has_failed', (err: Error) => {
      if (this.closing || this.client !== client) return;
      this.reconnects++;
      this.setState('reconnecting', explainConnectError(err, this.device, this.env.dataDir).message);
      // A certificate trusted meanwhile by `plantbench trust` must be seen by the next attempt.
      if (/Certificate/.test(err.message)) void this.pki().then((pki) => pki.reloadCertificates()).catch(() => undefined);
    });
    client.on('connection_reestablished', () => {
      if (this.closing || this.client !== client) return;
      this.env.log('info', `${this.deviceId}: reconnected to ${this.endpoint}`);
      this.setState('connected', undefined);
      void this.subscriptions.verify();
    });
    session.on('session_closed', () => {
      if (this.closing || this.currentSession !== session) return;
      // The server ended the session (not a network loss): start over with a new one.
      this.env.log('warn', `${this.deviceId}: ${this.endpoint}: the server closed the session; reconnecting`);
      this.client = undefined;
      this.currentSession = undefined;
      this.subscriptions.detach();
      this.setState('disconnected', `${this.endpoint}: the server closed the session`);
      void within(client.disconnect(), CLOSE_STEP_MS).then(() => this.attempt());
    });
  }
}
