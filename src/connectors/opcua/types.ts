// The small interface the OPC UA node kinds use. It carries no node-opcua runtime code, so the
// kinds (and a pipeline without OPC UA) never load the stack; the implementation is connection.ts.
import type { DeviceFile, OpcuaTag } from '../../shared/model/device.ts';
import type { Sample, Value } from '../../shared/sample.ts';

export type OpcuaDevice = Extract<DeviceFile, { protocol: 'opcua' }>;

/** What a client connection needs of a device: discovery passes the same fields without a device file. */
export type OpcuaEndpointSettings = Pick<OpcuaDevice, 'endpoint' | 'securityMode' | 'securityPolicy' | 'auth'>;

/**
 * connecting: the first attempt is under way. connected. reconnecting: node-opcua is restoring a
 * lost connection (subscriptions follow). disconnected: not connected, the next attempt is
 * scheduled (lastError says why). closed: released for good.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closed';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  readonly lastError?: string;
  /** Reconnect attempts since the connection was opened (the gateway's metrics). */
  readonly reconnects?: number;
}

export interface Disposable {
  dispose(): void;
}

/** A source's interest in some tags: samples arrive in batches, one per publish response. */
export interface TagSubscription {
  /** Monitored items of these tags that the server accepted. */
  readonly activeItems: number;
  dispose(): Promise<void>;
}

export type WriteResult = { readonly ok: true } | { readonly ok: false; readonly status: string };

/** One device connection, shared by every node and pipeline of a run. */
export interface OpcuaConnection {
  readonly deviceId: string;
  readonly endpoint: string;
  readonly status: ConnectionStatus;
  onDidChangeStatus(listener: (status: ConnectionStatus) => void): Disposable;
  /** Settles once the first connection attempt has succeeded or failed. */
  firstAttempt(): Promise<void>;
  /** Monitored items for these tags in the device's one subscription, (re)created whenever a session exists. */
  subscribe(tags: readonly OpcuaTag[], onSamples: (batch: Sample[]) => void): TagSubscription;
  /** One Read of the tags' values (chunked by MaxNodesPerRead). Throws when not connected. */
  read(tags: readonly OpcuaTag[]): Promise<Sample[]>;
  /**
   * Whether the variable takes this value, without writing: the node exists, its AccessLevel and
   * UserAccessLevel allow CurrentWrite, and the value can be coerced. Throws when not connected.
   */
  check(tag: OpcuaTag, value: Value): Promise<WriteResult>;
  /** Writes a value coerced to the variable's DataType. Throws (with the reason) when it cannot be coerced or sent. */
  write(tag: OpcuaTag, value: Value): Promise<WriteResult>;
}

/** Status code of samples that stand for a lost connection: BadNoCommunication. */
export const NO_COMMUNICATION = 0x80310000;
