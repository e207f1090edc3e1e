// A Sparkplug B edge node: its own MQTT session with NDEATH as the will, NBIRTH/DBIRTH with
// aliases on every (re)connect and rebirth request, DDATA/NDATA by alias, seq 0-255.
import type { Sample, Value } from '../../../shared/sample.ts';
import type { ConnectorEnv } from '../../connector.ts';
import type { MqttDevice } from '../client-options.ts';
import { MqttConnection, type Disposable, type Will } from '../connection.ts';
import { DataType, decodeSparkplug, encodeSparkplug, type OutMetric } from './codec.ts';
import { BDSEQ, REBIRTH, sparkplugTopic } from './topic.ts';

/** bdSeq per edge node, kept for the life of the process so reconnects and redeploys count on. */
const bdSeqs = new Map<string, number>();

function nextBdSeq(key: string): number {
  const next = ((bdSeqs.get(key) ?? -1) + 1) % 256;
  bdSeqs.set(key, next);
  return next;
}

interface MetricDef {
  readonly name: string;
  readonly alias: number;
  datatype: number;
  value: number | string | boolean | null;
  ts: number;
  quality: Sample['quality'];
}

interface Scope {
  /** undefined: the edge node's own metrics (NBIRTH/NDATA). */
  readonly device: string | undefined;
  refs: number;
  readonly metrics: Map<string, MetricDef>;
  /** A birth with the current metric set went out in this session. */
  born: boolean;
}

interface Entry {
  readonly name: string;
  readonly value: number | string | boolean | null;
  readonly datatype: number | undefined;
  readonly ts: number;
  readonly quality: Sample['quality'];
}

export interface EdgeNodeOptions {
  readonly device: MqttDevice;
  readonly deviceId: string;
  readonly groupId: string;
  readonly edgeNodeId: string;
  readonly clientId: string;
  readonly baseDir: string;
  readonly log: ConnectorEnv['log'];
}

export interface EdgeNodeStats {
  readonly bdSeq: number;
  readonly seq: number;
  readonly births: number;
  readonly rebirthRequests: number;
}

/** Sparkplug datatype of a sample value; undefined for null (keeps whatever type the metric had). */
function datatypeOf(v: number | string | boolean | null): number | undefined {
  if (v === null) return undefined;
  // Every number is a Double: a metric's type is fixed until the next birth, and an integer
  // tag may well carry 2.5 next; Double holds every integer up to 2^53 exactly.
  if (typeof v === 'number') return DataType.Double;
  return typeof v === 'boolean' ? DataType.Boolean : DataType.String;
}

/**
 * One metric per scalar; an object (a join's asset record) becomes one metric per field named
 * "<path>/<field>", nested objects recursively; arrays are sent as their JSON text.
 */
function flatten(name: string, value: Value, s: Sample, out: Entry[]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [field, v] of Object.entries(value)) flatten(`${name}/${field}`, v, s, out);
    return;
  }
  const scalar = Array.isArray(value) ? JSON.stringify(value) : (value as number | string | boolean | null);
  out.push({ name, value: scalar, datatype: datatypeOf(scalar), ts: s.ts, quality: s.quality });
}

export class EdgeNode {
  readonly connection: MqttConnection;
  readonly groupId: string;
  readonly edgeNodeId: string;
  private readonly options: EdgeNodeOptions;
  private readonly bdSeqKey: string;
  private bdSeq = 0;
  private seq = 0;
  private births = 0;
  private rebirthRequests = 0;
  private nextAlias = 1;
  private nodeBorn = false;
  private readonly scopes = new Map<string, Scope>();
  private readonly disposables: Disposable[] = [];

  constructor(options: EdgeNodeOptions) {
    this.options = options;
    this.groupId = options.groupId;
    this.edgeNodeId = options.edgeNodeId;
    this.bdSeqKey = `${options.device.url}|${options.groupId}|${options.edgeNodeId}`;
    this.connection = new MqttConnection({
      device: options.device,
      deviceId: options.deviceId,
      clientId: options.clientId,
      baseDir: options.baseDir,
      log: options.log,
      will: () => this.willForNextConnect(),
    });
    // Subscribed before the births go out (the connection re-subscribes first on every connect).
    this.disposables.push(
      this.connection.subscribe(sparkplugTopic(this.groupId, 'NCMD', this.edgeNodeId), 1, (_topic, payload) => this.onCommand(payload)),
      this.connection.onConnect(() => this.publishBirths()),
    );
  }

  stats(): EdgeNodeStats {
    return { bdSeq: this.bdSeq, seq: this.seq, births: this.births, rebirthRequests: this.rebirthRequests };
  }

  /** A sink joins: `device` undefined publishes the edge node's own metrics. */
  attach(device: string | undefined): void {
    const key = device ?? '';
    const scope = this.scopes.get(key);
    if (scope) scope.refs++;
    else this.scopes.set(key, { device, refs: 1, metrics: new Map(), born: false });
  }

  /** A sink leaves; the last one of a device sends its DDEATH. */
  async detach(device: string | undefined): Promise<void> {
    const key = device ?? '';
    const scope = this.scopes.get(key);
    if (!scope || --scope.refs > 0) return;
    this.scopes.delete(key);
    if (device !== undefined && scope.born && this.connection.connected) {
      await this.send(sparkplugTopic(this.groupId, 'DDEATH', this.edgeNodeId, device), { timestamp: Date.now(), seq: this.nextSeq(), metrics: [] });
    }
  }

  /**
   * Publishes a batch for one device (or the node). New metrics or a changed datatype make a new
   * birth, which carries the latest values; otherwise a DATA message by alias. Resolves when written
   * (Sparkplug messages are QoS 0). `reject` gets samples that cannot be published. `historical`:
   * the batch is a backlog sent after an outage (store-and-forward), so every DATA metric is marked
   * isHistorical and keeps its sample's timestamp.
   */
  publish(device: string | undefined, batch: readonly Sample[], reject: (s: Sample, reason: string) => void, historical = false): Promise<void> {
    const scope = this.scopes.get(device ?? '');
    if (!scope) return Promise.reject(new Error(`edge node ${this.edgeNodeId}: device ${device ?? '(node)'} is not attached`));
    if (!this.connection.connected) return Promise.reject(this.connection.notConnected());
    const entries: Entry[] = [];
    for (const s of batch) {
      const before = entries.length;
      flatten(s.path, s.value, s, entries);
      for (let i = before; i < entries.length; i++) {
        const name = entries[i]!.name;
        if (device === undefined && (name === BDSEQ || name.startsWith('Node Control/'))) {
          reject(s, `metric name "${name}" is reserved by Sparkplug for the edge node itself`);
          entries.length = before;
          break;
        }
      }
    }
    if (entries.length === 0) return Promise.resolve();
    let changed = false;
    /** Index in `entries` of the latest value of each metric. */
    const latest = new Map<string, number>();
    entries.forEach((e, i) => {
      latest.set(e.name, i);
      const def = scope.metrics.get(e.name);
      if (!def) {
        scope.metrics.set(e.name, { name: e.name, alias: this.nextAlias++, datatype: e.datatype ?? DataType.String, value: e.value, ts: e.ts, quality: e.quality });
        changed = true;
        return;
      }
      if (e.datatype !== undefined && e.datatype !== def.datatype) {
        def.datatype = e.datatype;
        changed = true;
      }
      def.value = e.value;
      def.ts = e.ts;
      def.quality = e.quality;
    });
    if (changed) scope.born = false;
    const sends: Promise<void>[] = [];
    if (!this.nodeBorn || (device === undefined && !scope.born)) {
      // The node's own metric set changed: NBIRTH again, and every DBIRTH after it.
      sends.push(...this.publishBirths());
    } else if (!scope.born) {
      sends.push(this.publishDeviceBirth(scope));
    }
    const born = sends.length > 0;
    // After a birth (which carries each metric's latest value), only values superseded within the
    // batch still need sending: as historical DATA. Otherwise the whole batch as DATA.
    // DATA metrics name their alias only, but keep their datatype: the specification would leave it
    // out, yet sparkplug-payload (the decoder of Node-RED's Sparkplug nodes) reads no value without it.
    const data: OutMetric[] = [];
    entries.forEach((e, i) => {
      if (born && latest.get(e.name) === i) return;
      const def = scope.metrics.get(e.name)!;
      data.push({ alias: def.alias, timestamp: e.ts, datatype: def.datatype, value: e.value, quality: e.quality, ...(born || historical ? { isHistorical: true } : {}) });
    });
    if (data.length > 0) {
      const type = device === undefined ? 'NDATA' : 'DDATA';
      sends.push(this.send(sparkplugTopic(this.groupId, type, this.edgeNodeId, device), { timestamp: Date.now(), seq: this.nextSeq(), metrics: data }));
    }
    return sends.length === 1 ? sends[0]! : Promise.all(sends).then(() => undefined);
  }

  /** Publishes NDEATH itself (a clean disconnect does not fire the will) and disconnects. */
  async close(): Promise<void> {
    for (const d of this.disposables) d.dispose();
    if (this.connection.connected && this.nodeBorn) {
      const payload = encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: BDSEQ, datatype: DataType.Int64, value: this.bdSeq }] });
      // Waits for the PUBACK, but a broker that does not answer must not hang the shutdown.
      await new Promise<void>((done) => {
        const timer = setTimeout(done, 2000);
        this.connection.publish(sparkplugTopic(this.groupId, 'NDEATH', this.edgeNodeId), Buffer.from(payload), { qos: 1, retain: false }, () => {
          clearTimeout(timer);
          done();
        });
      });
    }
    await this.connection.close();
  }

  // ---------- internals ----------

  /** A new bdSeq for each CONNECT: the NDEATH registered now and the NBIRTH after it carry it. */
  private willForNextConnect(): Will {
    this.bdSeq = nextBdSeq(this.bdSeqKey);
    this.nodeBorn = false;
    for (const scope of this.scopes.values()) scope.born = false;
    const payload = encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: BDSEQ, datatype: DataType.Int64, value: this.bdSeq }] });
    return { topic: sparkplugTopic(this.groupId, 'NDEATH', this.edgeNodeId), payload: Buffer.from(payload), qos: 1, retain: false };
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  /** NBIRTH (seq 0) and a DBIRTH for every device that has metrics. */
  private publishBirths(): Promise<void>[] {
    if (!this.connection.connected) return [];
    this.seq = 0;
    const node = this.scopes.get('');
    const metrics: OutMetric[] = [
      { name: BDSEQ, datatype: DataType.Int64, value: this.bdSeq },
      { name: REBIRTH, datatype: DataType.Boolean, value: false },
      ...(node ? birthMetrics(node) : []),
    ];
    const sends = [this.send(sparkplugTopic(this.groupId, 'NBIRTH', this.edgeNodeId), { timestamp: Date.now(), seq: this.nextSeq(), metrics })];
    this.nodeBorn = true;
    this.births++;
    if (node) node.born = true;
    for (const scope of this.scopes.values()) {
      if (scope.device !== undefined && scope.metrics.size > 0) sends.push(this.publishDeviceBirth(scope));
    }
    return sends;
  }

  private publishDeviceBirth(scope: Scope): Promise<void> {
    scope.born = true;
    const topic = sparkplugTopic(this.groupId, 'DBIRTH', this.edgeNodeId, scope.device);
    return this.send(topic, { timestamp: Date.now(), seq: this.nextSeq(), metrics: birthMetrics(scope) });
  }

  private send(topic: string, payload: { timestamp: number; seq?: number; metrics: readonly OutMetric[] }): Promise<void> {
    const bytes = Buffer.from(encodeSparkplug(payload));
    return new Promise((resolve, reject) => {
      // Sparkplug publishes births and data at QoS 0, not retained (specification, topics section).
      this.connection.publish(topic, bytes, { qos: 0, retain: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  private onCommand(payload: Buffer): void {
    let rebirth = false;
    try {
      rebirth = decodeSparkplug(payload).metrics.some((m) => m.name === REBIRTH && m.value === true);
    } catch (err) {
      this.options.log('warn', `Sparkplug edge node ${this.groupId}/${this.edgeNodeId}: undecodable NCMD ignored: ${(err as Error).message}`);
      return;
    }
    if (!rebirth) return;
    this.rebirthRequests++;
    this.options.log('info', `Sparkplug edge node ${this.groupId}/${this.edgeNodeId}: rebirth requested`);
    for (const p of this.publishBirths()) p.catch(() => {});
  }
}

function birthMetrics(scope: Scope): OutMetric[] {
  const out: OutMetric[] = [];
  for (const def of scope.metrics.values()) {
    out.push({ name: def.name, alias: def.alias, timestamp: def.ts, datatype: def.datatype, value: def.value, quality: def.quality });
  }
  return out;
}
