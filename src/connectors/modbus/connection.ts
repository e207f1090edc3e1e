// One Modbus connection (a TCP socket or a serial line) shared by every device, node and pipeline
// of a run that reaches the same host:port or serial port, behind the small ModbusSession interface
// that pollers, sinks and discovery use.
//
// - One request in flight: Modbus servers and serial buses answer one request at a time, and many
//   TCP devices mishandle pipelined requests. Requests wait in a bounded queue; writes go first.
// - Reconnect: 250 ms doubling to 4 s, jittered downwards, so a device that returns is polled again
//   within about 4 s however long it was away. Queued requests fail at once with the socket error
//   while disconnected, so tags turn bad instead of waiting.
// - Unit isolation: devices behind one gateway (same host:port, different unit ids) share the
//   connection. A unit that times out twice in a row is backed off: its requests fail at once
//   without going on the wire, and one probe request is let through after 1 s, then 2, 4, up to
//   10 s, until it answers. Retries are not spent on a backed-off unit, and a retry goes to the back
//   of the queue. So a dead unit costs the others at most one timeout per back-off period.
//   Exceptions 10/11 (gateway path unavailable / target failed) count like timeouts.
// - A TCP connection on which three requests in a row got no answer, from any unit, is re-opened
//   once (the peer's stack may be hung, or a half-open socket went unnoticed); not again until
//   something answers.
import { applyBit, describeRange, type ModbusArea } from '../../shared/codec/modbus.ts';
import type { ProtocolStatus } from '../../shared/sample.ts';
import { classify, connectionStatus, errorText, ModbusRequestError, type FailureKind } from './errors.ts';
import { describeTransport, openLink, transportKey, type Link, type ModbusClient, type ModbusTransport } from './transport.ts';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface RequestOptions {
  /** Answer timeout per attempt (the device's timeoutMs). */
  readonly timeoutMs: number;
  /** Further attempts after a timeout, a garbled answer or a busy device (the device's retries). */
  readonly retries: number;
}

export interface Disposable {
  dispose(): void;
}

/** A handle on a shared connection. Discovery, pollers and sinks work against this interface. */
export interface ModbusSession {
  /** "127.0.0.1:502" or "/dev/ttyUSB0 9600 8E1". */
  readonly endpoint: string;
  readonly state: ConnectionState;
  /** Requests waiting for their turn (not counting the one in flight). */
  readonly queueDepth: number;
  /** Why the connection is down, while it is. */
  readonly lastError: string | undefined;
  /** Reconnect attempts since the connection was opened (the gateway's metrics). */
  readonly reconnects: number;
  /** False while a unit is backed off after repeated timeouts. */
  unitAvailable(unit: number): boolean;
  readRegisters(unit: number, area: 'holding' | 'input', offset: number, count: number, options: RequestOptions): Promise<number[]>;
  readBits(unit: number, area: 'coil' | 'discrete-input', offset: number, count: number, options: RequestOptions): Promise<boolean[]>;
  /** FC6 for one register, FC16 for more. */
  writeRegisters(unit: number, offset: number, values: readonly number[], options: RequestOptions): Promise<void>;
  /** FC5 for one coil, FC15 for more. */
  writeCoils(unit: number, offset: number, values: readonly boolean[], options: RequestOptions): Promise<void>;
  /** Sets one bit of a holding register: FC3 then FC6, with nothing of ours in between. */
  writeRegisterBit(unit: number, offset: number, bit: number, value: boolean, options: RequestOptions): Promise<void>;
  onDidChangeState(listener: (state: ConnectionState) => void): Disposable;
  /** Lets go of the connection; the last session to close it closes the link. */
  close(): Promise<void>;
}

export type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 4000;
const DEMOTE_AFTER_TIMEOUTS = 2;
const DEMOTE_MIN_MS = 1000;
const DEMOTE_MAX_MS = 10_000;
const REOPEN_AFTER_SILENT_TIMEOUTS = 3;
export const QUEUE_CAPACITY = 4096;

type Done = (err: unknown, value?: unknown) => void;

interface Job {
  readonly unit: number;
  readonly write: boolean;
  readonly timeoutMs: number;
  retriesLeft: number;
  /** "read holding registers 0-9 (400001-400010)", built only for messages. */
  readonly what: () => string;
  readonly exec: (client: ModbusClient, done: Done) => void;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: ModbusRequestError) => void;
}

interface UnitHealth {
  timeouts: number;
  demotedUntil: number;
  demoteMs: number;
  status: ProtocolStatus;
}

/** FIFO without O(n) shifts. */
class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  takeAll(): T[] {
    const all = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return all;
  }
}

export class ModbusConnection {
  readonly key: string;
  readonly endpoint: string;
  readonly transport: ModbusTransport;
  /** Counters since the connection was made, for stats and benchmarks. */
  readonly stats = { requests: 0, failures: 0, timeouts: 0, connects: 0 };

  private state: ConnectionState = 'disconnected';
  private lastError: string | undefined;
  private link: Link | undefined;
  private connecting: AbortController | undefined;
  private readonly writes = new Deque<Job>();
  private readonly reads = new Deque<Job>();
  private inFlight: Job | undefined;
  private refs = 0;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnects = 0;
  private silentTimeouts = 0;
  /** Re-opened for silence already; not again until something answers (a lone dead unit must not churn the socket). */
  private reopened = false;
  private everConnected = false;
  private readonly units = new Map<number, UnitHealth>();
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private readonly connectTimeoutMs: number;
  private readonly log: Log;
  private readonly onClosed: () => void;

  constructor(transport: ModbusTransport, options: { connectTimeoutMs: number; log: Log; onClosed: () => void }) {
    this.transport = transport;
    this.key = transportKey(transport);
    this.endpoint = describeTransport(transport);
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.log = options.log;
    this.onClosed = options.onClosed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A new session on this connection; the connection opens with the first one. */
  openSession(): ModbusSession {
    if (this.closed) throw new Error(`modbus ${this.endpoint}: connection already closed`);
    this.refs++;
    if (this.refs === 1 && this.state === 'disconnected' && !this.reconnectTimer && !this.connecting) this.connect();
    let open = true;
    const owned = new Set<Disposable>();
    const c = this;
    return {
      endpoint: this.endpoint,
      get state() {
        return c.state;
      },
      get queueDepth() {
        return c.reads.length + c.writes.length;
      },
      get lastError() {
        return c.state === 'connected' ? undefined : c.lastError;
      },
      get reconnects() {
        return c.reconnects;
      },
      unitAvailable: (unit) => this.unitAvailable(unit),
      readRegisters: (unit, area, offset, count, options) =>
        this.enqueue<number[]>(unit, false, options, () => `read ${describeRange(area, offset, count)}`, (client, done) => {
          const cb = (err: unknown, res?: { data: number[] }): void => done(err, res?.data);
          if (area === 'holding') client.writeFC3(unit, offset, count, cb);
          else client.writeFC4(unit, offset, count, cb);
        }),
      readBits: (unit, area, offset, count, options) =>
        this.enqueue<boolean[]>(unit, false, options, () => `read ${describeRange(area, offset, count)}`, (client, done) => {
          // The answer is padded to whole bytes.
          const cb = (err: unknown, res?: { data: boolean[] }): void => done(err, res?.data.slice(0, count));
          if (area === 'coil') client.writeFC1(unit, offset, count, cb);
          else client.writeFC2(unit, offset, count, cb);
        }),
      writeRegisters: (unit, offset, values, options) =>
        this.enqueue<void>(unit, true, options, () => `write ${describeRange('holding', offset, values.length)}`, (client, done) => {
          if (values.length === 1) client.writeFC6(unit, offset, values[0]!, (err) => done(err));
          else client.writeFC16(unit, offset, [...values], (err) => done(err));
        }),
      writeCoils: (unit, offset, values, options) =>
        this.enqueue<void>(unit, true, options, () => `write ${describeRange('coil', offset, values.length)}`, (client, done) => {
          if (values.length === 1) client.writeFC5(unit, offset, values[0]!, (err) => done(err));
          else client.writeFC15(unit, offset, [...values], (err) => done(err));
        }),
      writeRegisterBit: (unit, offset, bit, value, options) =>
        this.enqueue<void>(unit, true, options, () => `set bit ${bit} of ${describeRange('holding', offset)}`, (client, done) => {
          client.writeFC3(unit, offset, 1, (err, res) => {
            if (err) return done(err);
            client.writeFC6(unit, offset, applyBit(res.data[0] ?? 0, bit, value), (err2) => done(err2));
          });
        }),
      onDidChangeState: (listener) => {
        this.listeners.add(listener);
        const d = { dispose: () => this.listeners.delete(listener) };
        owned.add(d);
        return d;
      },
      close: async () => {
        if (!open) return;
        open = false;
        for (const d of owned) d.dispose();
        await this.release();
      },
    };
  }

  private unitAvailable(unit: number): boolean {
    const health = this.units.get(unit);
    return !health || health.demotedUntil <= Date.now();
  }

  private async release(): Promise<void> {
    if (--this.refs <= 0) await this.close();
  }

  /** Closes the link and fails whatever is queued; used when the last session closes and on dispose. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.connecting?.abort();
    this.connecting = undefined;
    const status = connectionStatus('connection closed');
    const job = this.inFlight;
    this.inFlight = undefined;
    if (job) job.reject(this.error('closed', status, job, true));
    this.failQueued('closed', status);
    this.link?.close();
    this.link = undefined;
    this.setState('disconnected');
    this.listeners.clear();
    this.onClosed();
  }

  // ---------- queue ----------

  private enqueue<T>(unit: number, write: boolean, options: RequestOptions, what: () => string, exec: Job['exec']): Promise<T> {
    const spec = { unit, what };
    if (this.closed) return Promise.reject(this.error('closed', connectionStatus('connection closed'), spec, false));
    if (this.state === 'disconnected') {
      return Promise.reject(this.error('connection', connectionStatus(this.lastError ?? 'not connected'), spec, false));
    }
    if (this.reads.length + this.writes.length >= QUEUE_CAPACITY) {
      return Promise.reject(this.error('queue-full', connectionStatus(`request queue full (${QUEUE_CAPACITY} waiting)`), spec, false));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        unit,
        write,
        timeoutMs: options.timeoutMs,
        retriesLeft: options.retries,
        what,
        exec,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      (write ? this.writes : this.reads).push(job);
      this.pump();
    });
  }

  private pump(): void {
    while (!this.inFlight && this.state === 'connected' && this.link) {
      const job = this.writes.shift() ?? this.reads.shift();
      if (!job) return;
      const health = this.units.get(job.unit);
      if (health && health.demotedUntil > Date.now()) {
        const next = Math.ceil((health.demotedUntil - Date.now()) / 1000);
        job.reject(this.error('timeout', health.status, job, false, `unit not answering, next try in ${next} s`));
        continue;
      }
      this.send(job, this.link);
    }
  }

  private send(job: Job, link: Link): void {
    this.inFlight = job;
    this.stats.requests++;
    // One request in flight, so the client-wide timeout is this request's timeout.
    link.client.setTimeout(job.timeoutMs);
    let settled = false;
    job.exec(link.client, (err, value) => {
      if (settled) return;
      settled = true;
      // A connection loss may already have failed this job.
      if (this.inFlight !== job) return;
      this.inFlight = undefined;
      if (err) this.failed(job, err, link);
      else {
        this.answered(job.unit);
        job.resolve(value);
      }
      // The callback can come synchronously (port not open): pump from a microtask, not recursively.
      queueMicrotask(() => this.pump());
    });
  }

  private failed(job: Job, err: unknown, link: Link): void {
    const { kind, status } = classify(err, job.timeoutMs, this.lastError);
    this.stats.failures++;
    let retry = false;
    if (kind === 'exception') {
      const gatewayMiss = status.code === 10 || status.code === 11;
      if (gatewayMiss) this.timedOut(job.unit, status);
      else this.answered(job.unit);
      retry = status.code === 5 || status.code === 6 || gatewayMiss;
    } else if (kind === 'timeout') {
      this.stats.timeouts++;
      this.timedOut(job.unit, status);
      if (this.transport.kind === 'tcp' && ++this.silentTimeouts >= REOPEN_AFTER_SILENT_TIMEOUTS && !this.reopened) {
        this.reopened = true;
        job.reject(this.error(kind, status, job, true));
        this.lost(link, `no answer to ${this.silentTimeouts} requests in a row`);
        return;
      }
      retry = true;
    } else if (kind === 'protocol') {
      retry = true;
    } else if (kind === 'connection' && this.link === link && !link.client.isOpen) {
      // The socket died under us and its close has not been seen yet.
      job.reject(this.error(kind, status, job, false));
      this.lost(link, 'closed by the device');
      return;
    }
    if (retry && job.retriesLeft > 0 && this.unitAvailable(job.unit)) {
      job.retriesLeft--;
      (job.write ? this.writes : this.reads).push(job);
      return;
    }
    job.reject(this.error(kind, status, job, true));
  }

  private error(kind: FailureKind, status: ProtocolStatus, job: { unit: number; what: () => string }, sent: boolean, note?: string): ModbusRequestError {
    const message = `modbus ${this.endpoint} unit ${job.unit}: ${job.what()}: ${status.text}${note ? ` (${note})` : ''}`;
    return new ModbusRequestError(kind, status, message, sent);
  }

  private failQueued(kind: FailureKind, status: ProtocolStatus): void {
    for (const job of [...this.writes.takeAll(), ...this.reads.takeAll()]) job.reject(this.error(kind, status, job, false));
  }

  // ---------- unit health ----------

  private answered(unit: number): void {
    this.silentTimeouts = 0;
    this.reopened = false;
    this.attempt = 0;
    if (this.units.size > 0 && this.units.has(unit)) {
      const health = this.units.get(unit)!;
      this.units.delete(unit);
      if (health.demoteMs > 0) this.log('info', `modbus ${this.endpoint}: unit ${unit} answers again`);
    }
  }

  private timedOut(unit: number, status: ProtocolStatus): void {
    const health = this.units.get(unit) ?? { timeouts: 0, demotedUntil: 0, demoteMs: 0, status };
    health.timeouts++;
    health.status = status;
    if (health.timeouts >= DEMOTE_AFTER_TIMEOUTS) {
      const first = health.demoteMs === 0;
      health.demoteMs = first ? DEMOTE_MIN_MS : Math.min(health.demoteMs * 2, DEMOTE_MAX_MS);
      health.demotedUntil = Date.now() + health.demoteMs;
      if (first) {
        this.log('warn', `modbus ${this.endpoint}: unit ${unit} is not answering (${status.text}); backing it off so other units keep their poll rate`);
      }
    }
    this.units.set(unit, health);
  }

  // ---------- link ----------

  private connect(): void {
    this.reconnectTimer = undefined;
    this.setState('connecting');
    const abort = new AbortController();
    this.connecting = abort;
    let link: Link | undefined;
    openLink(this.transport, this.connectTimeoutMs, abort.signal, (reason) => {
      if (link) this.lost(link, reason);
    }).then(
      (opened) => {
        link = opened;
        if (this.connecting !== abort) {
          opened.close();
          return;
        }
        this.connecting = undefined;
        this.link = opened;
        this.silentTimeouts = 0;
        this.stats.connects++;
        if (!opened.client.isOpen) {
          this.lost(opened, 'closed by the device');
          return;
        }
        if (this.everConnected || this.attempt > 0) this.log('info', `modbus ${this.endpoint}: connected`);
        this.everConnected = true;
        this.setState('connected');
        this.pump();
      },
      (err: unknown) => {
        if (this.connecting !== abort) return;
        this.connecting = undefined;
        this.lastError = errorText(err);
        if (this.attempt === 0) this.log('warn', `modbus ${this.endpoint}: cannot connect: ${this.lastError}; retrying`);
        this.setState('disconnected');
        this.failQueued('connection', connectionStatus(this.lastError));
        this.scheduleReconnect();
      },
    );
  }

  private lost(link: Link, reason: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    link.close();
    this.lastError = `connection lost: ${reason}`;
    this.log('warn', `modbus ${this.endpoint}: ${this.lastError}; reconnecting`);
    const status = connectionStatus(this.lastError);
    const job = this.inFlight;
    this.inFlight = undefined;
    this.setState('disconnected');
    if (job) job.reject(this.error('connection', status, job, true));
    this.failQueued('connection', status);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.refs <= 0) return;
    const base = Math.min(RECONNECT_MIN_MS * 2 ** this.attempt, RECONNECT_MAX_MS);
    this.attempt++;
    this.reconnects++;
    this.reconnectTimer = setTimeout(() => this.connect(), base * (0.75 + 0.25 * Math.random()));
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of [...this.listeners]) listener(state);
  }
}

/** Connections by transport, opened on first use and closed with their last session. */
export class ConnectionPool {
  private readonly connections = new Map<string, ModbusConnection>();
  private readonly log: Log;

  constructor(log: Log) {
    this.log = log;
  }

  /** A session on the connection for this transport (devices on one host:port share it). */
  open(transport: ModbusTransport, options: { connectTimeoutMs?: number } = {}): ModbusSession {
    const key = transportKey(transport);
    let connection = this.connections.get(key);
    if (connection && transport.kind === 'rtu' && describeTransport(connection.transport) !== describeTransport(transport)) {
      throw new Error(
        `serial port ${transport.path} is already open as ${describeTransport(connection.transport)} for another device; this device asks for ${describeTransport(transport)}`,
      );
    }
    if (!connection) {
      const created = new ModbusConnection(transport, {
        connectTimeoutMs: Math.max(3000, options.connectTimeoutMs ?? 0),
        log: this.log,
        onClosed: () => {
          if (this.connections.get(key) === created) this.connections.delete(key);
        },
      });
      connection = created;
      this.connections.set(key, connection);
    }
    return connection.openSession();
  }

  /** The open connection for a transport (stats, tests). */
  get(transport: ModbusTransport): ModbusConnection | undefined {
    return this.connections.get(transportKey(transport));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    this.connections.clear();
  }
}
