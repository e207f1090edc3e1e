// One MQTT client: connect with backoff, MQTT 5 with fallback to 3.1.1, ref-counted subscriptions
// dispatched to handlers, publish, status. Shared by every node that uses the same device.
import type { IClientOptions, IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { ConnectorEnv } from '../connector.ts';
import { clientOptions, ConfigError, displayUrl, endClient, explainError, RECONNECT_MAX_MS, RECONNECT_MIN_MS, type MqttDevice } from './client-options.ts';
import { compileFilter, type TopicFilter } from './topic.ts';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed';

export interface ConnectionStatus {
  readonly connection: ConnectionState;
  readonly protocolVersion: 4 | 5;
  /** Reconnect attempts since the connection was opened. */
  readonly reconnects: number;
  readonly lastError?: string;
  /** Set when the broker refused MQTT 5 and the connection fell back to 3.1.1. */
  readonly fallback?: string;
}

export type MessageHandler = (topic: string, payload: Buffer, receivedAt: number) => void;

export interface Will {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

export interface ConnectionOptions {
  readonly device: MqttDevice;
  readonly deviceId: string;
  readonly clientId: string;
  /** Folder relative TLS paths are taken from. */
  readonly baseDir: string;
  readonly log: ConnectorEnv['log'];
  /** Asked before every connect attempt: a Sparkplug edge node registers its NDEATH here. */
  readonly will?: () => Will;
}

interface Subscription {
  readonly filter: TopicFilter;
  qos: 0 | 1 | 2;
  /** MQTT 5 subscription identifier: tells which of several overlapping filters a message matched. */
  readonly id: number;
  readonly handlers: Map<MessageHandler, 0 | 1 | 2>;
  onRefused: Set<(reason: string) => void>;
}

export interface Disposable {
  dispose(): void;
}

/** Error the sink puts on samples it could not hand to the broker. */
export class NotConnectedError extends Error {}

type MqttModule = typeof import('mqtt');
let mqttModule: Promise<MqttModule> | undefined;
/** MQTT.js is loaded on first use, so runs without MQTT nodes never load it. */
const loadMqtt = (): Promise<MqttModule> => (mqttModule ??= import('mqtt'));

export class MqttConnection {
  readonly url: string;
  readonly deviceId: string;
  private readonly options: ConnectionOptions;
  private client?: MqttClient;
  private state: ConnectionState = 'connecting';
  private version: 4 | 5;
  private reconnects = 0;
  private lastError?: string;
  private fallback?: string;
  private nextDelay = RECONNECT_MIN_MS;
  private closing = false;
  private nextSubId = 1;
  private readonly exact = new Map<string, Subscription>();
  private readonly wildcards = new Map<string, Subscription>();
  private readonly byId = new Map<number, Subscription>();
  private readonly statusListeners = new Set<(s: ConnectionStatus) => void>();
  private readonly connectListeners = new Set<() => void>();
  private connectWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.url = displayUrl(options.device.url);
    this.deviceId = options.deviceId;
    this.version = options.device.protocolVersion;
    void this.open();
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get protocolVersion(): 4 | 5 {
    return this.version;
  }

  /** QoS 1/2 messages the broker accepts unacknowledged (MQTT 5 Receive Maximum; 65535 if it sets none). */
  get receiveMaximum(): number {
    return this.client?.connected ? (this.client.serverProperties?.receiveMaximum ?? 65535) : 65535;
  }

  status(): ConnectionStatus {
    return {
      connection: this.state,
      protocolVersion: this.version,
      reconnects: this.reconnects,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.fallback !== undefined ? { fallback: this.fallback } : {}),
    };
  }

  /** Calls `fn` now and on every status change. */
  onStatus(fn: (s: ConnectionStatus) => void): Disposable {
    this.statusListeners.add(fn);
    fn(this.status());
    return { dispose: () => this.statusListeners.delete(fn) };
  }

  /** Calls `fn` after every successful connect, once subscriptions have been sent. */
  onConnect(fn: () => void): Disposable {
    this.connectListeners.add(fn);
    return { dispose: () => this.connectListeners.delete(fn) };
  }

  /** Resolves when connected; rejects after `timeoutMs`, or at once if the connection failed or closed. */
  whenConnected(timeoutMs: number): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'failed' || this.state === 'closed') return Promise.reject(this.notConnected());
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.connectWaiters.delete(waiter);
        reject(this.notConnected(`not connected after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.connectWaiters.add(waiter);
    });
  }

  notConnected(what = `not connected (${this.state})`): NotConnectedError {
    return new NotConnectedError(`${this.url}: ${what}${this.lastError ? `; last error: ${this.lastError}` : ''}`);
  }

  /**
   * Subscribes `handler` to a filter. Filters are ref-counted: the broker sees one subscription
   * per filter at the highest QoS asked for, removed when the last handler goes.
   */
  subscribe(filter: string, qos: 0 | 1 | 2, handler: MessageHandler, onRefused?: (reason: string) => void): Disposable {
    const compiled = compileFilter(filter);
    const table = compiled.wildcard ? this.wildcards : this.exact;
    let sub = table.get(filter);
    if (!sub) {
      sub = { filter: compiled, qos, id: this.nextSubId++, handlers: new Map(), onRefused: new Set() };
      table.set(filter, sub);
      this.byId.set(sub.id, sub);
      sub.handlers.set(handler, qos);
      this.sendSubscribe(sub);
    } else {
      sub.handlers.set(handler, qos);
      if (qos > sub.qos) {
        sub.qos = qos;
        this.sendSubscribe(sub);
      }
    }
    if (onRefused) sub.onRefused.add(onRefused);
    const entry = sub;
    return {
      dispose: () => {
        entry.handlers.delete(handler);
        if (onRefused) entry.onRefused.delete(onRefused);
        if (entry.handlers.size > 0 || table.get(filter) !== entry) return;
        table.delete(filter);
        this.byId.delete(entry.id);
        if (this.client && this.state === 'connected') this.client.unsubscribe(filter);
      },
    };
  }

  /** Publishes; `done` gets the error, if any, once QoS 0 is written or QoS 1/2 is acknowledged. */
  publish(topic: string, payload: string | Buffer | Uint8Array, opts: IClientPublishOptions, done: (err?: Error) => void): void {
    const client = this.client;
    if (!client || this.state !== 'connected') {
      done(this.notConnected());
      return;
    }
    client.publish(topic, payload as Buffer, opts, done);
  }

  /** Disconnects cleanly (waits briefly for in-flight acknowledgements) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const w of this.connectWaiters) w.reject(this.notConnected('connection closed'));
    this.connectWaiters.clear();
    const client = this.client;
    this.setState('closed');
    if (client) await endClient(client);
  }

  // ---------- internals ----------

  private async open(): Promise<void> {
    let options: IClientOptions;
    try {
      options = clientOptions(this.options.device, this.options.clientId, this.options.baseDir);
    } catch (err) {
      this.lastError = err instanceof ConfigError ? `${this.url}: ${err.message}` : explainError(this.url, err);
      this.setState('failed');
      this.options.log('error', `MQTT ${this.options.deviceId}: ${this.lastError}`, { device: this.options.deviceId });
      for (const w of this.connectWaiters) w.reject(this.notConnected());
      this.connectWaiters.clear();
      return;
    }
    const { connect } = await loadMqtt();
    if (this.closing) return;
    if (this.options.will) options.will = this.options.will();
    const client = connect(this.options.device.url, options);
    this.client = client;
    client.on('connect', () => this.onConnected());
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    client.on('error', (err) => this.onError(err));
    client.on('close', () => {
      if (this.closing) return;
      if (this.state === 'connected') this.options.log('warn', `MQTT ${this.options.deviceId}: connection to ${this.url} lost`, { device: this.options.deviceId });
      this.setState('reconnecting');
    });
    client.on('reconnect', () => {
      this.reconnects++;
      // MQTT.js reads reconnectPeriod when it arms the next retry: grow it for the one after this.
      this.nextDelay = Math.min(this.nextDelay * 2, RECONNECT_MAX_MS);
      client.options.reconnectPeriod = this.nextDelay;
      if (this.options.will) client.options.will = this.options.will();
      this.setState('reconnecting');
    });
  }

  private onConnected(): void {
    const client = this.client!;
    // MQTT.js leaves Nagle's algorithm on: a PUBACK then a PUBLISH would wait for the broker's
    // delayed ACK (tens of ms per message on loopback). TCP and TLS sockets only; not WebSocket.
    (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    this.nextDelay = RECONNECT_MIN_MS;
    client.options.reconnectPeriod = RECONNECT_MIN_MS;
    this.lastError = undefined;
    this.setState('connected');
    this.options.log('info', `MQTT ${this.options.deviceId}: connected to ${this.url} (MQTT ${this.version === 5 ? '5' : '3.1.1'})`, {
      device: this.options.deviceId,
    });
    for (const sub of [...this.exact.values(), ...this.wildcards.values()]) this.sendSubscribe(sub);
    for (const w of this.connectWaiters) w.resolve();
    this.connectWaiters.clear();
    for (const fn of this.connectListeners) fn();
  }

  private onError(err: Error & { code?: unknown }): void {
    if (this.closing) return;
    const client = this.client;
    // A 3.1.1 broker answers an MQTT 5 CONNECT with return code 1; an MQTT 5 one with reason 132.
    if (client && this.version === 5 && (err.code === 1 || err.code === 132)) {
      this.version = 4;
      client.options.protocolVersion = 4;
      this.fallback = 'the broker refused MQTT 5; using MQTT 3.1.1 (no message properties)';
      this.options.log('warn', `MQTT ${this.options.deviceId}: ${this.url} ${this.fallback}`, { device: this.options.deviceId });
      this.emitStatus();
      return;
    }
    const message = explainError(this.options.device.url, err);
    if (message !== this.lastError) {
      this.options.log('warn', `MQTT ${this.options.deviceId}: ${message}`, { device: this.options.deviceId });
    }
    this.lastError = message;
    this.emitStatus();
  }

  private sendSubscribe(sub: Subscription): void {
    const client = this.client;
    if (!client || this.state !== 'connected') return;
    const opts = this.version === 5 ? { qos: sub.qos, properties: { subscriptionIdentifier: sub.id } } : { qos: sub.qos };
    client.subscribe(sub.filter.filter, opts, (err, granted) => {
      const code = granted?.[0]?.qos;
      if (!err && (code === undefined || code < 128)) return;
      const reason = `${this.url}: the broker refused the subscription to "${sub.filter.filter}"${err ? ` (${err.message})` : ` (code ${code}: not authorized or invalid filter)`}`;
      this.lastError = reason;
      this.emitStatus();
      for (const fn of sub.onRefused) fn(reason);
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const receivedAt = Date.now();
    const ids = packet.properties?.subscriptionIdentifier;
    if (ids !== undefined) {
      // MQTT 5: the broker names the subscriptions this copy is for; overlapping filters get
      // one copy each, so dispatching by id delivers each message once per filter.
      for (const id of Array.isArray(ids) ? ids : [ids]) {
        const sub = this.byId.get(id);
        if (sub) for (const h of sub.handlers.keys()) h(topic, payload, receivedAt);
      }
      return;
    }
    const exact = this.exact.get(topic);
    if (exact) for (const h of exact.handlers.keys()) h(topic, payload, receivedAt);
    for (const sub of this.wildcards.values()) {
      if (sub.filter.matches(topic)) for (const h of sub.handlers.keys()) h(topic, payload, receivedAt);
    }
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emitStatus();
  }

  private emitStatus(): void {
    const s = this.status();
    for (const fn of this.statusListeners) fn(s);
  }
}

/** Ref-counted shared resources (connections, edge nodes): created on first acquire, closed on last release. */
export class RefPool<T extends { close(): Promise<void> }> {
  private readonly entries = new Map<string, { value: T; refs: number }>();

  acquire(key: string, make: () => T): T {
    const entry = this.entries.get(key);
    if (entry) {
      entry.refs++;
      return entry.value;
    }
    const value = make();
    this.entries.set(key, { value, refs: 1 });
    return value;
  }

  async release(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry || --entry.refs > 0) return;
    this.entries.delete(key);
    await entry.value.close();
  }

  async closeAll(): Promise<void> {
    const values = [...this.entries.values()].map((e) => e.value);
    this.entries.clear();
    await Promise.all(values.map((v) => v.close()));
  }
}

/** A connection's status as node status fields (absent ones removed). */
export function statusFields(s: ConnectionStatus): Record<string, string | number | undefined> {
  return {
    connection: s.connection,
    protocolVersion: s.protocolVersion,
    reconnects: s.reconnects,
    lastError: s.lastError,
    fallback: s.fallback,
  };
}
