// The one subscription of a device session. Sources register tags; monitored items are created in
// batches: one CreateMonitoredItems call per chunk of at most MaxMonitoredItemsPerCall items sharing
// sampling interval, queue size and deadband. After a reconnection node-opcua transfers or re-creates
// the subscription and its items; verify() checks the result and re-creates what did not survive.
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type NodeId,
  type StatusCode,
} from 'node-opcua';
import type { OpcuaTag } from '../../shared/model/device.ts';
import type { ProtocolStatus, Sample } from '../../shared/sample.ts';
import type { ConnectorEnv } from '../connector.ts';
import type { TagSubscription } from './types.ts';
import { TagSampler } from './values.ts';

export interface SubscriptionSettings {
  readonly deviceId: string;
  readonly publishingIntervalMs: number;
  readonly samplingIntervalMs: number;
}

/** A tag's node id on the current session, or why it has none. */
export type NodeResolver = (tag: OpcuaTag) => NodeId | ProtocolStatus;

interface Registration {
  readonly onSamples: (batch: Sample[]) => void;
  readonly items: Set<Item>;
  pending: Sample[];
  scheduled: boolean;
  disposed: boolean;
  /** Items of this registration the server accepted. */
  active: number;
}

type ItemState = 'pending' | 'creating' | 'active' | 'failed';

interface Item {
  readonly tag: OpcuaTag;
  readonly sampler: TagSampler;
  readonly registrations: Set<Registration>;
  state: ItemState;
  /** The node-opcua group the item was created in, and its index there. */
  group?: ClientMonitoredItemGroup;
  groupIndex: number;
}

type MonitoringParameters = ReturnType<SubscriptionManager['parameters']>;

/** Queue size when the tag sets none: room for every sample of one publishing interval (at most 100). */
export function defaultQueueSize(publishingMs: number, samplingMs: number): number {
  return Math.max(1, Math.min(100, Math.ceil(publishingMs / Math.max(samplingMs, 1))));
}

/** Keep-alive about every 5 s; a lifetime of at least a minute, so a subscription outlives short outages and can be transferred. */
function subscriptionParameters(publishingMs: number) {
  const keepAlive = Math.max(3, Math.ceil(5000 / publishingMs));
  return {
    requestedPublishingInterval: publishingMs,
    requestedMaxKeepAliveCount: keepAlive,
    requestedLifetimeCount: Math.max(keepAlive * 3, Math.ceil(60_000 / publishingMs)),
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 0,
  };
}

const statusOf = (code: StatusCode): ProtocolStatus => ({ code: code.value >>> 0, text: code.name });

export class SubscriptionManager {
  private readonly settings: SubscriptionSettings;
  private readonly log: ConnectorEnv['log'];
  private readonly items = new Map<string, Item>();
  private session?: ClientSession;
  private subscription?: ClientSubscription;
  private maxPerCall = 1000;
  private resolve: NodeResolver = () => ({ code: 0x80000000, text: 'not connected' });
  private flushScheduled = false;
  /** False while node-opcua repairs a lost connection: the subscription is its business then. */
  private online = false;
  /** Subscription work runs one task at a time: creating, re-creating and deleting never interleave. */
  private work: Promise<void> = Promise.resolve();

  constructor(settings: SubscriptionSettings, log: ConnectorEnv['log']) {
    this.settings = settings;
    this.log = log;
  }

  register(tags: readonly OpcuaTag[], onSamples: (batch: Sample[]) => void): TagSubscription {
    const reg: Registration = { onSamples, items: new Set(), pending: [], scheduled: false, disposed: false, active: 0 };
    for (const tag of tags) {
      let item = this.items.get(tag.name);
      if (!item) {
        item = { tag, sampler: new TagSampler(this.settings.deviceId, tag), registrations: new Set(), state: 'pending', groupIndex: -1 };
        this.items.set(tag.name, item);
      }
      item.registrations.add(reg);
      reg.items.add(item);
      if (item.state === 'active') reg.active++;
    }
    this.scheduleFlush();
    return {
      get activeItems() {
        return reg.active;
      },
      dispose: () => this.unregister(reg),
    };
  }

  /** A new session: create the subscription and every registered item. */
  attach(session: ClientSession, maxMonitoredItemsPerCall: number, resolve: NodeResolver): Promise<void> {
    this.session = session;
    this.maxPerCall = maxMonitoredItemsPerCall > 0 ? maxMonitoredItemsPerCall : 1000;
    this.resolve = resolve;
    this.online = true;
    return this.enqueue(() => this.rebuild());
  }

  /** The connection was lost; node-opcua takes care of the subscription until verify(). */
  suspend(): void {
    this.online = false;
  }

  /** The session is gone for good (closing, or replaced): forget server-side state, keep registrations. */
  detach(): void {
    this.online = false;
    this.session = undefined;
    this.subscription = undefined;
    for (const item of this.items.values()) this.setState(item, 'pending');
  }

  /**
   * After node-opcua restored the connection, its subscription should be back (transferred, or
   * re-created with its items). If it is not, everything is re-created here; items it could not
   * re-create report their status to their sources.
   */
  verify(): Promise<void> {
    this.online = true;
    return this.enqueue(async () => {
      if (!this.session) return;
      const sub = this.subscription;
      if (!sub || !sub.isActive) {
        this.log('warn', `${this.settings.deviceId}: the subscription did not survive the reconnection; re-creating it`);
        await this.rebuild();
        return;
      }
      const retry: Item[] = [];
      for (const item of this.items.values()) {
        if (item.state === 'failed') retry.push(item);
        const status = item.state === 'active' ? item.group?.monitoredItems[item.groupIndex]?.statusCode : undefined;
        if (status && !status.isGood()) this.fail(item, statusOf(status));
      }
      // Items refused before (a node the PLC had not loaded yet, say) get another chance on the restored session.
      for (const item of retry) this.setState(item, 'pending');
      if (retry.length > 0) await this.createPending();
    });
  }

  /** Deletes the subscription on the server (best effort), before the session closes. */
  async terminate(): Promise<void> {
    const sub = this.subscription;
    this.subscription = undefined;
    if (sub) await sub.terminate().catch(() => undefined);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.work = this.work.then(task).catch((err: unknown) => {
      this.log('warn', `${this.settings.deviceId}: subscription: ${err instanceof Error ? err.message : String(err)}`);
    });
    return this.work;
  }

  private setState(item: Item, state: ItemState): void {
    if (item.state === state) return;
    const delta = state === 'active' ? 1 : item.state === 'active' ? -1 : 0;
    if (delta) for (const reg of item.registrations) reg.active += delta;
    item.state = state;
    if (state !== 'active') item.group = undefined;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // The sources of a run start within one turn: their tags go out in the same batches.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.session && this.online) void this.enqueue(() => this.createPending());
    });
  }

  private async rebuild(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const old = this.subscription;
    this.subscription = undefined;
    if (old) await old.terminate().catch(() => undefined);
    for (const item of this.items.values()) this.setState(item, 'pending');
    let sub: ClientSubscription;
    try {
      sub = await session.createSubscription2(subscriptionParameters(this.settings.publishingIntervalMs));
    } catch (err) {
      // e.g. BadTooManySubscriptions: the tags say so until the next session.
      const text = /\b(Bad[A-Za-z]+)\b/.exec(err instanceof Error ? err.message : String(err))?.[1] ?? 'the subscription was refused';
      for (const item of this.items.values()) if (item.registrations.size > 0) this.fail(item, { code: 0x80000000, text });
      return;
    }
    this.subscription = sub;
    // The server ended the subscription (e.g. BadTimeout after its lifetime) while the session lives on.
    sub.on('status_changed', (status: StatusCode) => {
      if (this.subscription !== sub || !this.online || status.isGood()) return;
      this.log('warn', `${this.settings.deviceId}: the server ended the subscription (${status.name}); re-creating it`);
      void this.enqueue(() => this.rebuild());
    });
    await this.createPending();
  }

  private async createPending(): Promise<void> {
    const sub = this.subscription;
    if (!sub || !this.session) return;
    const groups = new Map<string, { params: MonitoringParameters; items: { item: Item; nodeId: NodeId }[] }>();
    for (const item of this.items.values()) {
      if (item.state !== 'pending' || item.registrations.size === 0) continue;
      const nodeId = this.resolve(item.tag);
      if (!('namespace' in nodeId)) {
        this.fail(item, nodeId);
        continue;
      }
      const params = this.parameters(item.tag);
      const key = `${params.samplingInterval}|${params.queueSize}|${item.tag.deadband?.type ?? ''}:${item.tag.deadband?.value ?? ''}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { params, items: [] }));
      group.items.push({ item, nodeId });
      this.setState(item, 'creating');
    }
    for (const { params, items } of groups.values()) {
      for (let i = 0; i < items.length; i += this.maxPerCall) {
        if (this.subscription !== sub) return;
        await this.createChunk(sub, params, items.slice(i, i + this.maxPerCall));
      }
    }
  }

  private parameters(tag: OpcuaTag) {
    const samplingInterval = tag.samplingIntervalMs ?? this.settings.samplingIntervalMs;
    const deadband = tag.deadband;
    return {
      samplingInterval,
      queueSize: tag.queueSize ?? defaultQueueSize(this.settings.publishingIntervalMs, samplingInterval),
      discardOldest: true,
      filter: deadband
        ? new DataChangeFilter({
            trigger: DataChangeTrigger.StatusValue,
            deadbandType: deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
            deadbandValue: deadband.value,
          })
        : null,
    };
  }

  /** One CreateMonitoredItems call; resolves when the server has answered for every item. */
  private createChunk(sub: ClientSubscription, params: MonitoringParameters, chunk: { item: Item; nodeId: NodeId }[]): Promise<void> {
    return new Promise<void>((done) => {
      const group = ClientMonitoredItemGroup.create(
        sub,
        chunk.map((c) => ({ nodeId: c.nodeId, attributeId: AttributeIds.Value })),
        params,
        TimestampsToReturn.Both,
      );
      group.on('changed', (_monitored, dataValue: DataValue, index: number) => {
        const item = chunk[index]?.item;
        if (item && item.group === group) this.deliver(item, item.sampler.sample(dataValue, Date.now()));
      });
      const onInitialized = (): void => {
        group.removeListener('terminated', onTerminated);
        chunk.forEach(({ item }, k) => {
          const status = group.monitoredItems[k]?.statusCode;
          if (status && !status.isGood()) return this.fail(item, statusOf(status));
          this.setState(item, 'active');
          item.group = group;
          item.groupIndex = k;
        });
        done();
      };
      const onTerminated = (err?: Error): void => {
        group.removeListener('initialized', onInitialized);
        const text = /\b(Bad[A-Za-z]+)\b/.exec(err?.message ?? '')?.[1] ?? err?.message ?? 'monitored items were not created';
        for (const { item } of chunk) this.fail(item, { code: 0x80000000, text });
        done();
      };
      group.once('initialized', onInitialized);
      group.once('terminated', onTerminated);
    });
  }

  /** An item the server refused, or whose node id does not resolve: its sources get one bad sample saying why. */
  private fail(item: Item, status: ProtocolStatus): void {
    this.setState(item, 'failed');
    this.log('warn', `${item.sampler.path}: cannot monitor ${item.tag.nodeId}: ${status.text}`);
    this.deliver(item, item.sampler.bad(status, Date.now()));
  }

  private deliver(item: Item, sample: Sample): void {
    for (const reg of item.registrations) {
      reg.pending.push(sample);
      if (reg.scheduled) continue;
      reg.scheduled = true;
      // A publish response notifies its items synchronously: a microtask later they leave as one batch.
      queueMicrotask(() => {
        reg.scheduled = false;
        if (reg.disposed || reg.pending.length === 0) return;
        const batch = reg.pending;
        reg.pending = [];
        reg.onSamples(batch);
      });
    }
  }

  private async unregister(reg: Registration): Promise<void> {
    if (reg.disposed) return;
    reg.disposed = true;
    const orphaned = new Set<ClientMonitoredItemGroup>();
    for (const item of reg.items) {
      item.registrations.delete(reg);
      if (item.registrations.size > 0) continue;
      this.items.delete(item.tag.name);
      if (item.group) orphaned.add(item.group);
    }
    reg.items.clear();
    // A group is deleted on the server once none of its items is used any more.
    for (const item of this.items.values()) if (item.group) orphaned.delete(item.group);
    if (orphaned.size === 0 || !this.session || !this.online) return;
    await this.enqueue(async () => {
      for (const group of orphaned) await group.terminate().catch(() => undefined);
    });
  }
}
