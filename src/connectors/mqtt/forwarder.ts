// The store-and-forward half of an mqtt-sink (docs/store-and-forward.md): process() appends to the
// disk outbox and returns; this drains the sink's queue in order while connected, deletes entries
// only through the highest contiguous confirmed id, sends again what a lost connection took back,
// and paces the drain of a backlog (after an outage or a restart) to drainPerSecond.
import type { NodeContext, StatusValue } from '../../engine/node-kind.ts';
import type { Disposable } from '../../engine/clock.ts';
import type { Sample } from '../../shared/sample.ts';
import { ConfirmWindow, TokenBucket, type StoreAndForward } from '../store-and-forward.ts';

/** A message to send: from the outbox (sample undefined) or still in memory as appended. */
export interface Pending {
  readonly id: number;
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly sample?: Sample;
  /** When it was appended (read back from the outbox). */
  readonly at?: number;
}

export interface ForwarderHooks {
  readonly saf: StoreAndForward;
  /** The sink's queue in the outbox: pipeline id + node id. */
  readonly queue: string;
  readonly ctx: NodeContext;
  connected(): boolean;
  /** Messages sent and unconfirmed at most. */
  maxInFlight(): number;
  /** Sparkplug marks backlog data historical: groups then never mix backlog and live entries. */
  readonly historicalGroups: boolean;
  /** Sends `group` in order; settle(i, err) once per message when confirmed (or failed). */
  send(group: readonly Pending[], historical: boolean, settle: (i: number, err?: Error) => void): void;
  /** True when an error means the connection went (send again later), not a refusal of the message. */
  transient(err: Error): boolean;
  /** The sample an error-port entry is about, for a message read back from the outbox. */
  sampleOf(m: Pending): Sample;
  /** The error-port reason for a refused message. */
  reason(m: Pending, err: Error): string;
}

/** Messages read from the outbox (or memory) per step. */
const CHUNK = 500;
/** Appended messages kept in memory for sending; beyond that (broker away) they are read back from disk. */
const TAIL_MAX = 10_000;
/** Confirmed entries are deleted at least this often (or every ACK_EVERY confirmations). */
const ACK_INTERVAL_MS = 100;
const ACK_EVERY = 2000;
const STATUS_INTERVAL_MS = 250;
/** At most one "dropped" warning per sink this often, with the count. */
const DROP_LOG_MS = 10_000;
/** After a send failed for want of a connection: wait for a reconnect, or this long, before sending again. */
const HOLD_AFTER_LOSS_MS = 1000;
/** stop() keeps draining while connected for this long at most; the rest stays on disk for the next start. */
export const STOP_DRAIN_MS = 5000;

export class Forwarder {
  private readonly hooks: ForwarderHooks;
  private readonly window = new ConfirmWindow();
  private readonly bucket: TokenBucket;
  /** Appended while the queue had nothing unsent on disk: sent from memory, in id order. */
  private tail: Pending[] = [];
  private tailHead = 0;
  /** Unsent entries are on disk only (after an outage, a restart or a taken-back send): read them from there. */
  private diskBehind = false;
  /** The last id handed to the broker (or taken back to just before). */
  private cursor = 0;
  private lastAppended = 0;
  /** Entries up to this id were queued while disconnected (Sparkplug: historical). */
  private historicalThrough = 0;
  /** A backlog drains: paced to drainPerSecond until nothing is left to send. */
  private recovering = false;
  private wasConnected = false;
  /** After a send failed for want of a connection, nothing goes out until a reconnect (or this time). */
  private holdUntil = 0;
  private epoch = 0;
  private ackedThrough = 0;
  private unacked = 0;
  private draining = false;
  private stopped = false;
  private published = 0;
  private droppedSeen = 0;
  private dropsToLog = 0;
  private lastDropLog = -Infinity;
  private roomWaiters: (() => void)[] = [];
  private paused = false;
  private ackTimer?: Disposable;
  private paceTimer?: Disposable;
  private statusTimer?: Disposable;
  private dropTimer?: Disposable;
  private closing?: Disposable;

  constructor(hooks: ForwarderHooks) {
    this.hooks = hooks;
    const rate = hooks.saf.options.drainPerSecond;
    // 50 ms worth of burst: smooth enough for a broker, coarse enough for timers.
    this.bucket = new TokenBucket(rate, rate / 20, Date.now());
  }

  /** Picks up what a previous run left in the outbox: it is a backlog, drained paced, and historical. */
  start(): void {
    const { outbox } = this.hooks.saf;
    const stats = outbox.stats(this.hooks.queue);
    this.lastAppended = outbox.newestId(this.hooks.queue);
    this.historicalThrough = this.lastAppended;
    this.droppedSeen = stats.dropped;
    if (stats.queued > 0) {
      this.diskBehind = true;
      this.startRecovery();
      this.hooks.ctx.log('info', `store-and-forward: ${stats.queued} message(s) from before are queued; sending them at most ${this.hooks.saf.options.drainPerSecond}/s`);
    }
    this.closing = this.hooks.saf.onClosing(() => this.wakeRoomWaiters());
    this.report();
  }

  /**
   * Queues messages (one transaction), then sends what it can. Returns a promise only when the
   * outbox is full and the policy is pause-sources: it resolves once everything is written.
   */
  append(messages: readonly { topic: string; payload: Buffer | string }[], samples?: readonly Sample[]): void | Promise<void> {
    if (messages.length === 0) return;
    const { options, outbox, closing } = this.hooks.saf;
    if (options.whenFull === 'pause-sources' && !closing && outbox.stats(this.hooks.queue).queued + messages.length > options.maxEntries) {
      return this.appendWhenRoom(messages, samples);
    }
    this.write(messages, samples, false);
  }

  /** Connection up or down (from the connection's status). */
  onConnection(up: boolean): void {
    if (up) {
      // What was queued until now waited for this connection.
      this.historicalThrough = this.lastAppended;
      this.wasConnected = true;
      this.holdUntil = 0;
      // A timer still waiting out the hold would otherwise stand in for the pacing timer.
      this.paceTimer?.dispose();
      this.paceTimer = undefined;
      this.drain();
    } else if (this.wasConnected) {
      this.wasConnected = false;
      this.startRecovery();
    }
  }

  /** Keeps sending while connected, STOP_DRAIN_MS at most, then deletes what was confirmed. What is left is sent by the next start. */
  async stop(): Promise<void> {
    const deadline = Date.now() + STOP_DRAIN_MS;
    const { outbox } = this.hooks.saf;
    while (this.hooks.connected() && Date.now() < deadline) {
      this.flushAcks();
      if (outbox.stats(this.hooks.queue).queued === 0) break;
      this.drain();
      await new Promise<void>((resolve) => this.hooks.ctx.setTimeout(resolve, 20));
    }
    this.flushAcks();
    this.stopped = true;
    for (const t of [this.ackTimer, this.paceTimer, this.statusTimer, this.dropTimer, this.closing]) t?.dispose();
    this.logDrops();
    this.wakeRoomWaiters();
    this.report();
  }

  // ---------- internals ----------

  private async appendWhenRoom(messages: readonly { topic: string; payload: Buffer | string }[], samples?: readonly Sample[]): Promise<void> {
    const { options, outbox } = this.hooks.saf;
    let i = 0;
    while (i < messages.length) {
      if (this.hooks.saf.closing || this.stopped) {
        // Stopping: keep what the sink was given, over the cap, rather than lose it.
        this.write(messages.slice(i), samples?.slice(i), true);
        break;
      }
      const room = options.maxEntries - outbox.stats(this.hooks.queue).queued;
      if (room > 0) {
        const n = Math.min(room, messages.length - i);
        this.write(messages.slice(i, i + n), samples?.slice(i, i + n), false);
        i += n;
        continue;
      }
      if (!this.paused) {
        this.paused = true;
        this.hooks.ctx.log('warn', `store-and-forward: outbox full (${options.maxEntries} messages); sources pause until the broker takes some`);
        this.report();
      }
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.paused) {
      this.paused = false;
      this.report();
    }
  }

  private write(messages: readonly { topic: string; payload: Buffer | string }[], samples: readonly Sample[] | undefined, overCap: boolean): void {
    const { outbox } = this.hooks.saf;
    const { firstId, skipped } = outbox.append(this.hooks.queue, messages, Date.now(), overCap);
    const n = messages.length - skipped;
    if (n > 0) {
      // One writer per file, one transaction: the ids of a batch are consecutive.
      this.lastAppended = firstId + n - 1;
      if (!this.diskBehind) {
        for (let k = 0; k < n; k++) {
          const m = messages[skipped + k]!;
          this.tail.push({ id: firstId + k, topic: m.topic, payload: m.payload, ...(samples ? { sample: samples[skipped + k] } : {}) });
        }
        if (this.tail.length - this.tailHead > TAIL_MAX) this.dropTail();
      }
    }
    this.countDrops();
    this.reportSoon();
    this.drain();
  }

  private drain(): void {
    if (this.draining || this.stopped) return;
    if (this.holdUntil > 0) {
      const wait = this.holdUntil - Date.now();
      if (wait > 0) {
        this.paceTimer ??= this.hooks.ctx.setTimeout(() => {
          this.paceTimer = undefined;
          this.drain();
        }, wait);
        return;
      }
      this.holdUntil = 0;
    }
    this.draining = true;
    try {
      while (this.hooks.connected() && this.holdUntil === 0) {
        let n = Math.min(CHUNK, this.hooks.maxInFlight() - this.window.inFlight);
        if (n <= 0) return; // confirmations call drain again
        if (this.recovering) {
          const now = Date.now();
          n = Math.min(n, this.bucket.available(now));
          if (n <= 0) {
            this.paceTimer ??= this.hooks.ctx.setTimeout(() => {
              this.paceTimer = undefined;
              this.drain();
            }, Math.max(5, this.bucket.waitMs(now)));
            return;
          }
        }
        let group = this.next(n);
        if (group.length === 0) {
          if (this.recovering) {
            this.recovering = false;
            this.hooks.ctx.log('info', 'store-and-forward: backlog sent; publishing live');
          }
          return;
        }
        let historical = false;
        if (this.hooks.historicalGroups && group[0]!.id <= this.historicalThrough) {
          historical = true;
          const cut = group.findIndex((m) => m.id > this.historicalThrough);
          if (cut > 0) {
            // Send the backlog part now; the live part comes next, from where the cursor stops.
            group = group.slice(0, cut);
            this.rewindTail(group[group.length - 1]!.id);
          }
        }
        if (this.recovering) this.bucket.consume(group.length);
        this.sendGroup(group, historical);
      }
    } finally {
      this.draining = false;
    }
  }

  /** The next unsent messages, up to n, in order. */
  private next(n: number): Pending[] {
    if (this.diskBehind) {
      const rows = this.hooks.saf.outbox.peekAfter(this.hooks.queue, this.cursor, n);
      // Caught up with the disk: later appends are sent from memory again.
      if (rows.length < n) this.diskBehind = false;
      if (rows.length > 0) this.cursor = rows[rows.length - 1]!.id;
      return rows;
    }
    const end = Math.min(this.tail.length, this.tailHead + n);
    const group = this.tail.slice(this.tailHead, end);
    this.tailHead = end;
    if (this.tailHead === this.tail.length) {
      this.tail = [];
      this.tailHead = 0;
    } else if (this.tailHead > 4096 && this.tailHead * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailHead);
      this.tailHead = 0;
    }
    if (group.length > 0) this.cursor = group[group.length - 1]!.id;
    return group;
  }

  /** Entries after `id` were read but not sent: read them again next (from disk). */
  private rewindTail(id: number): void {
    this.cursor = id;
    this.dropTail();
  }

  private dropTail(): void {
    this.tail = [];
    this.tailHead = 0;
    this.diskBehind = true;
  }

  private sendGroup(group: readonly Pending[], historical: boolean): void {
    for (const m of group) this.window.sent(m.id);
    const epoch = this.epoch;
    this.hooks.send(group, historical, (i, err) => {
      // Called from MQTT.js: an outbox error (disk full, I/O) must not escape into the client.
      try {
        this.settle(group[i]!, epoch, err);
      } catch (e) {
        this.hooks.ctx.fail(undefined, `store-and-forward: ${(e as Error).message}`);
      }
    });
  }

  private settle(m: Pending, epoch: number, err?: Error): void {
    // After stop() the outbox may be closed: what is confirmed this late is sent again next start.
    if (this.stopped) return;
    if (epoch !== this.epoch) {
      // Sent before a take-back: a late confirmation still counts; a late failure is already handled.
      if (!err && this.window.confirm(m.id)) this.confirmed();
      return;
    }
    if (!err) {
      if (this.window.confirm(m.id)) this.confirmed();
    } else if (this.hooks.transient(err)) {
      // The connection went: this and everything sent after it go again, from disk, on reconnect.
      this.window.takeBackFrom(m.id);
      this.epoch++;
      this.cursor = m.id - 1;
      this.dropTail();
      this.holdUntil = Date.now() + HOLD_AFTER_LOSS_MS;
      this.startRecovery();
    } else {
      // Refused by the broker (or not sendable): to the error port; it will not go better later.
      this.hooks.ctx.fail(m.sample ?? this.hooks.sampleOf(m), this.hooks.reason(m, err));
      if (this.window.confirm(m.id)) this.confirmed(false);
    }
    // Refill the window once half of it is confirmed: reads and writes in chunks, not one per acknowledgement.
    if (this.window.inFlight <= this.hooks.maxInFlight() >> 1) this.drain();
  }

  private confirmed(published = true): void {
    if (published) this.published++;
    if (++this.unacked >= ACK_EVERY) this.flushAcks();
    else this.ackTimer ??= this.hooks.ctx.setTimeout(() => {
      this.ackTimer = undefined;
      this.flushAcks();
    }, ACK_INTERVAL_MS);
    this.reportSoon();
  }

  /** Deletes confirmed entries from the outbox (through the highest contiguous confirmed id). */
  private flushAcks(): void {
    const through = this.window.confirmedThrough;
    this.unacked = 0;
    if (through <= this.ackedThrough) return;
    this.hooks.saf.outbox.ack(this.hooks.queue, through);
    this.ackedThrough = through;
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  private startRecovery(): void {
    if (!this.recovering) this.bucket.reset(Date.now());
    this.recovering = true;
  }

  /** Drop-oldest is counted (status `dropped`) and logged at most every DROP_LOG_MS per sink. */
  private countDrops(): void {
    const dropped = this.hooks.saf.outbox.stats(this.hooks.queue).dropped;
    if (dropped === this.droppedSeen) return;
    this.dropsToLog += dropped - this.droppedSeen;
    this.droppedSeen = dropped;
    const wait = this.lastDropLog + DROP_LOG_MS - Date.now();
    if (wait <= 0) this.logDrops();
    else this.dropTimer ??= this.hooks.ctx.setTimeout(() => {
      this.dropTimer = undefined;
      this.logDrops();
    }, wait);
  }

  private logDrops(): void {
    if (this.dropsToLog === 0) return;
    const { options } = this.hooks.saf;
    this.hooks.ctx.log('warn', `store-and-forward: outbox full (${options.maxEntries} messages or older than ${options.maxAgeMs / 1000} s): dropped the ${this.dropsToLog} oldest`, {
      dropped: this.dropsToLog,
      droppedTotal: this.droppedSeen,
    });
    this.dropsToLog = 0;
    this.lastDropLog = Date.now();
  }

  private reportSoon(): void {
    if (this.stopped) return;
    this.statusTimer ??= this.hooks.ctx.setTimeout(() => {
      this.statusTimer = undefined;
      this.report();
    }, STATUS_INTERVAL_MS);
  }

  private report(): void {
    const stats = this.hooks.saf.outbox.stats(this.hooks.queue);
    const fields: Record<string, StatusValue | undefined> = {
      published: this.published,
      queued: stats.queued,
      dropped: stats.dropped,
      oldestAgeMs: stats.oldestAt !== undefined ? Math.max(0, Date.now() - stats.oldestAt) : 0,
      outboxFull: this.paused || undefined,
      draining: this.recovering || undefined,
    };
    this.hooks.ctx.report(fields);
  }
}
