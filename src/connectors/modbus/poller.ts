// Polling one device: every modbus-source node of a run that reads the device subscribes here, and
// each poll group is polled once for all of them, so two nodes reading neighbouring tags of one group
// cost one request, not two.
//
// - Each poll group has one timer at its intervalMs. A tick while the group's previous poll is still
//   queued or running is skipped and counted (pollsSkipped), never stacked; so is a tick while the
//   device's unit is backed off, or while no subscriber can take samples (back-pressure).
// - A poll enqueues the group's planned reads on the shared connection and emits one batch per
//   subscriber when all have answered. Sample ts is when the read's response arrived.
// - A failed read gives bad samples (value null, status with the exception code or timeout text)
//   when a tag turns bad or its error changes, not again on every poll: the node status carries the
//   ongoing error and staleness. A new subscriber sees the current state again.
// - A merged read answered with exception 2 or 3 (often: the gap between two tags is not mapped)
//   is split into contiguous runs, then into single tags, re-read at once, and stays split, so one
//   bad address spoils only its own tag.
import type { Clock, Disposable } from '../../engine/clock.ts';
import type { StatusValue } from '../../engine/node-kind.ts';
import { applyScale, decodeRegisters, describeRange, isBitArea, MODBUS_STATUS } from '../../shared/codec/modbus.ts';
import type { ModbusTag } from '../../shared/model/device.ts';
import type { Sample, SampleMeta } from '../../shared/sample.ts';
import type { Log, ModbusSession, RequestOptions } from './connection.ts';
import { ModbusRequestError } from './errors.ts';
import { planReads, type PlannedRead } from './plan.ts';
import type { ModbusDevice } from './transport.ts';

/** Tags without a poll group poll in the device's first group, or every second when it has none. */
const DEFAULT_GROUP = { id: 'default', intervalMs: 1000, maxGap: 10 } as const;

export interface PollSubscriber {
  /** Tag names to read. */
  readonly tags: readonly string[];
  canEmit(): boolean;
  deliver(batch: Sample[]): void;
  report(fields: Readonly<Record<string, StatusValue | undefined>>): void;
  /** A configuration problem with some tags (they are left out); the rest are polled. */
  problem(message: string): void;
}

interface GroupDef {
  readonly id: string;
  readonly intervalMs: number;
  readonly maxGap: number;
}

interface TagSlot {
  readonly tag: ModbusTag;
  readonly index: number;
  readonly path: string;
  readonly meta: SampleMeta;
}

interface ReadSlot {
  readonly read: PlannedRead<ModbusTag>;
  readonly tags: readonly TagSlot[];
  lastErrorText: string | undefined;
  /** When this read last answered (or when it was planned, before its first answer). */
  lastGoodAt: number;
}

interface Subscription {
  readonly subscriber: PollSubscriber;
  readonly paths: ReadonlySet<string>;
  readonly groups: Set<GroupPoll>;
  samplesSkipped: number;
}

interface GroupPoll {
  readonly id: string;
  readonly intervalMs: number;
  readonly maxGap: number;
  readonly subs: Map<Subscription, readonly ModbusTag[]>;
  slots: ReadSlot[];
  /** Per subscription: the reads holding its tags, and whether it takes every tag of the group. */
  views: Map<Subscription, { slots: ReadSlot[]; all: boolean }>;
  timer: Disposable | undefined;
  kick: Disposable | undefined;
  busy: boolean;
  lastError: string | undefined;
  stats: { polls: number; pollsSkipped: number; requests: number; requestErrors: number };
}

export class DevicePoller {
  readonly device: ModbusDevice;
  private readonly session: ModbusSession;
  private readonly clock: Clock;
  private readonly log: Log;
  private readonly onIdle: () => void;
  private readonly options: RequestOptions;
  private readonly groups = new Map<string, GroupPoll>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly tagsByName: ReadonlyMap<string, ModbusTag>;
  private readonly stateListener: Disposable;
  private disposed = false;

  constructor(device: ModbusDevice, session: ModbusSession, clock: Clock, log: Log, onIdle: () => void) {
    this.device = device;
    this.session = session;
    this.clock = clock;
    this.log = log;
    this.onIdle = onIdle;
    this.options = { timeoutMs: device.timeoutMs, retries: device.retries };
    this.tagsByName = new Map(device.tags.map((t) => [t.name, t]));
    this.stateListener = session.onDidChangeState(() => {
      for (const sub of this.subscriptions) this.report(sub);
    });
  }

  subscribe(subscriber: PollSubscriber): Disposable {
    const byGroup = new Map<string, { def: GroupDef; tags: ModbusTag[] }>();
    const paths = new Set<string>();
    for (const name of subscriber.tags) {
      const tag = this.tagsByName.get(name);
      if (!tag) {
        subscriber.problem(`device "${this.device.id}" has no tag "${name}"`);
        continue;
      }
      const def = this.groupOf(tag);
      if (!def) {
        const known = this.device.pollGroups.map((g) => g.id).join(', ') || 'none';
        subscriber.problem(`tag "${name}" names poll group "${tag.pollGroup}", which device "${this.device.id}" does not define (it has: ${known})`);
        continue;
      }
      const entry = byGroup.get(def.id) ?? { def, tags: [] };
      byGroup.set(def.id, entry);
      entry.tags.push(tag);
      paths.add(this.pathOf(tag));
    }
    const sub: Subscription = { subscriber, paths, groups: new Set(), samplesSkipped: 0 };
    this.subscriptions.add(sub);
    for (const [groupId, { def, tags }] of byGroup) {
      let group = this.groups.get(groupId);
      if (!group) {
        group = {
          id: def.id,
          intervalMs: def.intervalMs,
          maxGap: def.maxGap,
          subs: new Map(),
          slots: [],
          views: new Map(),
          timer: undefined,
          kick: undefined,
          busy: false,
          lastError: undefined,
          stats: { polls: 0, pollsSkipped: 0, requests: 0, requestErrors: 0 },
        };
        this.groups.set(groupId, group);
        const g = group;
        group.timer = this.clock.setInterval(() => this.tick(g), group.intervalMs);
      }
      group.subs.set(sub, tags);
      sub.groups.add(group);
      const problems = this.replan(group);
      for (const p of problems) if (tags.includes(p.tag)) subscriber.problem(`device "${this.device.id}": ${p.message}`);
      // First values now rather than one interval later; several nodes starting together share it.
      if (!group.kick && !group.busy) {
        const g = group;
        group.kick = this.clock.setTimeout(() => {
          g.kick = undefined;
          this.tick(g);
        }, 0);
      }
    }
    this.report(sub);
    return { dispose: () => this.unsubscribe(sub) };
  }

  /** Stops every group and lets go of the session. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const group of this.groups.values()) this.stopGroup(group);
    this.groups.clear();
    this.subscriptions.clear();
    this.stateListener.dispose();
    await this.session.close();
  }

  private unsubscribe(sub: Subscription): void {
    if (!this.subscriptions.delete(sub)) return;
    for (const group of sub.groups) {
      group.subs.delete(sub);
      if (group.subs.size === 0) {
        this.stopGroup(group);
        this.groups.delete(group.id);
      } else this.replan(group);
    }
    if (this.subscriptions.size === 0) {
      void this.dispose();
      this.onIdle();
    }
  }

  private stopGroup(group: GroupPoll): void {
    group.timer?.dispose();
    group.kick?.dispose();
    group.timer = undefined;
    group.kick = undefined;
  }

  private groupOf(tag: ModbusTag): GroupDef | undefined {
    if (tag.pollGroup !== undefined) return this.device.pollGroups.find((g) => g.id === tag.pollGroup);
    return this.device.pollGroups[0] ?? DEFAULT_GROUP;
  }

  private pathOf(tag: ModbusTag): string {
    return `${this.device.id}/${tag.name}`;
  }

  /** Plans the union of the group's subscribed tags; read state starts afresh. */
  private replan(group: GroupPoll) {
    const union = new Map<string, ModbusTag>();
    for (const tags of group.subs.values()) for (const t of tags) union.set(t.name, t);
    const plan = planReads([...union.values()], { unit: this.device.unitId, addressBase: this.device.addressBase, maxGap: group.maxGap });
    const now = this.clock.now();
    group.slots = plan.reads.map((read) => this.slotFor(read, now));
    this.rebuildViews(group);
    return plan.problems;
  }

  private slotFor(read: PlannedRead<ModbusTag>, now: number): ReadSlot {
    const tags = read.tags.map(({ tag, index }) => {
      const meta: SampleMeta = { dataType: tag.type, ...(tag.unit !== undefined ? { unit: tag.unit } : {}), ...(tag.range ? { range: tag.range } : {}) };
      return { tag, index, path: this.pathOf(tag), meta };
    });
    return { read, tags, lastErrorText: undefined, lastGoodAt: now };
  }

  private rebuildViews(group: GroupPoll): void {
    group.views = new Map();
    const total = group.slots.reduce((n, s) => n + s.tags.length, 0);
    for (const sub of group.subs.keys()) {
      const slots = group.slots.filter((s) => s.tags.some((t) => sub.paths.has(t.path)));
      const mine = slots.reduce((n, s) => n + s.tags.filter((t) => sub.paths.has(t.path)).length, 0);
      group.views.set(sub, { slots, all: mine === total });
    }
  }

  // ---------- polling ----------

  private tick(group: GroupPoll): void {
    if (this.disposed || this.groups.get(group.id) !== group) return;
    let room = false;
    for (const sub of group.subs.keys()) if (sub.subscriber.canEmit()) room = true;
    if (group.busy || !room || !this.session.unitAvailable(this.device.unitId)) {
      group.stats.pollsSkipped++;
      for (const sub of group.subs.keys()) this.report(sub);
      return;
    }
    group.busy = true;
    group.stats.polls++;
    this.poll(group)
      .catch((err: unknown) => this.log('error', `device "${this.device.id}": poll of group "${group.id}" failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => {
        group.busy = false;
      });
  }

  private async poll(group: GroupPoll): Promise<void> {
    const slots = group.slots;
    const splits = new Map<ReadSlot, ReadSlot[]>();
    const results = await Promise.all(slots.map((slot) => this.readSlot(group, slot, splits)));
    if (this.disposed) return;
    if (splits.size > 0 && group.slots === slots) {
      const expand = (slot: ReadSlot): ReadSlot[] => splits.get(slot)?.flatMap(expand) ?? [slot];
      group.slots = slots.flatMap(expand);
      this.rebuildViews(group);
    }
    const batch: Sample[] = [];
    for (const samples of results) if (samples) for (const sample of samples) batch.push(sample);
    for (const [sub, view] of group.views) {
      if (!this.subscriptions.has(sub)) continue;
      const mine = view.all ? batch : batch.filter((s) => sub.paths.has(s.path));
      if (mine.length > 0) {
        if (sub.subscriber.canEmit()) sub.subscriber.deliver(mine);
        else sub.samplesSkipped += mine.length;
      }
      this.report(sub);
    }
  }

  private async readSlot(group: GroupPoll, slot: ReadSlot, splits: Map<ReadSlot, ReadSlot[]>): Promise<Sample[] | undefined> {
    const { unit, area, offset, count } = slot.read;
    group.stats.requests++;
    try {
      const values = isBitArea(area)
        ? await this.session.readBits(unit, area as 'coil' | 'discrete-input', offset, count, this.options)
        : await this.session.readRegisters(unit, area as 'holding' | 'input', offset, count, this.options);
      const ts = this.clock.now();
      slot.lastGoodAt = ts;
      slot.lastErrorText = undefined;
      return this.decode(slot, values, ts);
    } catch (err) {
      group.stats.requestErrors++;
      const e = err instanceof ModbusRequestError ? err : undefined;
      const status = e?.status ?? { code: MODBUS_STATUS.protocol, text: (err as Error).message };
      group.lastError = `${this.device.id}: ${e?.message ?? status.text}`;
      if (e?.kind === 'closed' || this.disposed) return undefined;
      if (e?.kind === 'exception' && (status.code === 2 || status.code === 3)) {
        const parts = this.split(slot);
        if (parts) {
          this.log('info', `device "${this.device.id}": unit ${unit} answered ${status.text} for ${describeRange(area, offset, count)}; reading its tags in ${parts.length} parts from now on`);
          splits.set(slot, parts);
          const results = await Promise.all(parts.map((part) => this.readSlot(group, part, splits)));
          return results.flatMap((r) => r ?? []);
        }
      }
      if (slot.lastErrorText === status.text) return undefined;
      slot.lastErrorText = status.text;
      const ts = this.clock.now();
      return slot.tags.map((t) => ({ path: t.path, value: null, quality: 'bad' as const, status, ts, meta: t.meta }));
    }
  }

  /** Contiguous runs of a gap-merged read, else one read per tag address; undefined when it is one tag. */
  private split(slot: ReadSlot): ReadSlot[] | undefined {
    const tags = slot.tags.map((t) => t.tag);
    const options = { unit: slot.read.unit, addressBase: this.device.addressBase, maxGap: 0 };
    let reads = planReads(tags, options).reads;
    if (reads.length <= 1) {
      const byStart = new Map<number, ModbusTag[]>();
      for (const t of slot.tags) {
        const start = slot.read.offset + t.index;
        byStart.set(start, [...(byStart.get(start) ?? []), t.tag]);
      }
      if (byStart.size <= 1) return undefined;
      reads = [...byStart.values()].flatMap((group) => planReads(group, options).reads);
    }
    const now = this.clock.now();
    return reads.map((read) => this.slotFor(read, now));
  }

  private decode(slot: ReadSlot, values: readonly number[] | readonly boolean[], ts: number): Sample[] {
    const out = new Array<Sample>(slot.tags.length);
    const bits = isBitArea(slot.read.area);
    for (let i = 0; i < slot.tags.length; i++) {
      const t = slot.tags[i]!;
      let value: number | string | boolean;
      try {
        value = bits ? Boolean(values[t.index]) : applyScale(decodeRegisters(values as readonly number[], t.tag, t.index), t.tag.scale);
      } catch (err) {
        out[i] = { path: t.path, value: null, quality: 'bad', status: { code: MODBUS_STATUS.protocol, text: (err as Error).message }, ts, meta: t.meta };
        continue;
      }
      if (typeof value === 'number' && !Number.isFinite(value)) {
        // JSON has no NaN or Infinity; devices often send NaN for "no value".
        out[i] = { path: t.path, value: null, quality: 'bad', status: { code: MODBUS_STATUS.badValue, text: `${t.tag.type} value is ${value}` }, ts, meta: t.meta };
      } else out[i] = { path: t.path, value, quality: 'good', ts, meta: t.meta };
    }
    return out;
  }

  // ---------- status ----------

  private report(sub: Subscription): void {
    const now = this.clock.now();
    let oldest = Infinity;
    let polls = 0;
    let pollsSkipped = 0;
    let requests = 0;
    let requestErrors = 0;
    let lastError: string | undefined;
    for (const group of sub.groups) {
      polls += group.stats.polls;
      pollsSkipped += group.stats.pollsSkipped;
      requests += group.stats.requests;
      requestErrors += group.stats.requestErrors;
      lastError = group.lastError ?? lastError;
      for (const slot of group.views.get(sub)?.slots ?? []) oldest = Math.min(oldest, slot.lastGoodAt);
    }
    const session = this.session;
    sub.subscriber.report({
      connection: session.state,
      queueDepth: session.queueDepth,
      reconnects: session.reconnects,
      stalenessMs: Number.isFinite(oldest) ? Math.max(0, Math.round(now - oldest)) : undefined,
      polls,
      pollsSkipped,
      requests,
      requestErrors,
      samplesSkipped: sub.samplesSkipped,
      unitAnswering: session.unitAvailable(this.device.unitId),
      lastError: session.state === 'connected' ? lastError : (session.lastError ?? lastError),
    });
  }
}
