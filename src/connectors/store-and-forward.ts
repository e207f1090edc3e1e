// Store-and-forward for sinks to brokers and external systems: the options (the shape gateway.yaml
// carries under `buffer:`), what a sink needs from the disk outbox the composer opens (it is
// injected: connectors never open files of their own), and the pure parts of a paced drain.
// See docs/store-and-forward.md.
import type { Disposable } from '../engine/clock.ts';

export interface StoreAndForwardOptions {
  /** The SQLite outbox file (one per run; `plantbench run` uses <project>/.plantbench/outbox.db). */
  readonly file: string;
  /** Entries kept per sink at most. */
  readonly maxEntries: number;
  /** Entries older than this are dropped, counted. 0 = no age limit. */
  readonly maxAgeMs: number;
  /** When a sink's outbox is full: drop its oldest entries (counted, logged), or pause the sources. */
  readonly whenFull: 'drop-oldest' | 'pause-sources';
  /** Messages per second per sink at most while a backlog drains (after an outage or a restart). */
  readonly drainPerSecond: number;
}

/** Everything but the file: 1,000,000 entries per sink, 7 days, drop the oldest, 5,000 messages/s. */
export const DEFAULT_STORE_AND_FORWARD: Omit<StoreAndForwardOptions, 'file'> = {
  maxEntries: 1_000_000,
  maxAgeMs: 7 * 24 * 3600_000,
  whenFull: 'drop-oldest',
  drainPerSecond: 5000,
};

/** What a sink queued: topic and payload as given to append (text comes back as text). */
export interface StoredMessage {
  readonly id: number;
  readonly topic: string;
  readonly payload: Buffer | string;
  /** When it was appended, epoch ms. */
  readonly at: number;
}

/**
 * The disk outbox as a sink sees it; src/store/outbox.ts's Outbox is one. Queues are named by the
 * sink (pipeline id + node id); ids grow with every append and order a queue.
 */
export interface OutboxPort {
  append(queue: string, messages: readonly { topic: string; payload: Buffer | string }[], now?: number, overCap?: boolean): { firstId: number; skipped: number };
  peekAfter(queue: string, afterId: number, limit: number): StoredMessage[];
  newestId(queue: string): number;
  ack(queue: string, throughId: number): void;
  stats(queue: string): { queued: number; dropped: number; oldestAt?: number };
}

/** Handed to connectors in ConnectorEnv.storeAndForward. */
export interface StoreAndForward {
  readonly options: StoreAndForwardOptions;
  readonly outbox: OutboxPort;
  /** True once the run is stopping: a sink paused on a full outbox then writes over the cap instead of waiting. */
  readonly closing: boolean;
  onClosing(fn: () => void): Disposable;
}

/** Wraps an opened outbox for the connectors; the composer calls beginClosing() before it stops the pipelines. */
export function storeAndForward(outbox: OutboxPort, options: StoreAndForwardOptions): StoreAndForward & { beginClosing(): void } {
  const listeners = new Set<() => void>();
  let closing = false;
  return {
    options,
    outbox,
    get closing() {
      return closing;
    },
    onClosing(fn) {
      listeners.add(fn);
      return { dispose: () => listeners.delete(fn) };
    },
    beginClosing() {
      closing = true;
      for (const fn of [...listeners]) fn();
    },
  };
}

/** What is wrong with the options, or undefined (for composers that take them from a file). */
export function storeAndForwardProblem(o: StoreAndForwardOptions): string | undefined {
  if (!o.file) return 'file is empty';
  if (!(Number.isInteger(o.maxEntries) && o.maxEntries > 0)) return `maxEntries must be a whole number above 0, got ${o.maxEntries}`;
  if (!(o.maxAgeMs >= 0)) return `maxAgeMs must be 0 (no limit) or more, got ${o.maxAgeMs}`;
  if (o.whenFull !== 'drop-oldest' && o.whenFull !== 'pause-sources') return `whenFull is drop-oldest or pause-sources, got "${String(o.whenFull)}"`;
  if (!(o.drainPerSecond > 0)) return `drainPerSecond must be above 0, got ${o.drainPerSecond}`;
  return undefined;
}

/** A token bucket: `rate` tokens a second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly rate: number;
  readonly burst: number;

  constructor(rate: number, burst: number, now: number) {
    this.rate = rate;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.last = now;
  }

  /** Whole tokens available now. */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  consume(n: number): void {
    this.tokens -= n;
  }

  /** Milliseconds until a whole token is there. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Starts a new paced period with an empty bucket, so a drain after recovery does not burst. */
  reset(now: number): void {
    this.tokens = 0;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
    }
  }
}

/**
 * Ids handed to the broker, in send order, and which are confirmed: an outbox entry is deleted
 * only through the highest id below which every sent one is confirmed.
 */
export class ConfirmWindow {
  private ids: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  private pending = 0;
  /** Every id sent up to and including this one is confirmed (0: none yet). */
  confirmedThrough = 0;

  /** Sent and not yet confirmed. */
  get inFlight(): number {
    return this.pending;
  }

  sent(id: number): void {
    this.ids.push(id);
    this.done.push(false);
    this.pending++;
  }

  /** Marks an id confirmed; false if it is not waiting (already confirmed, or taken back). */
  confirm(id: number): boolean {
    const i = this.indexOf(id);
    if (i < 0 || this.done[i]) return false;
    this.done[i] = true;
    this.pending--;
    while (this.head < this.ids.length && this.done[this.head]) this.confirmedThrough = this.ids[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.done = this.done.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** Takes back `id` and every id sent after it (to be sent again); returns how many. */
  takeBackFrom(id: number): number {
    const i = this.indexOf(id);
    if (i < 0) return 0;
    let n = 0;
    for (let k = i; k < this.ids.length; k++) if (!this.done[k]) n++;
    this.pending -= n;
    const removed = this.ids.length - i;
    this.ids.length = i;
    this.done.length = i;
    return removed;
  }

  /** Forgets everything (a new start). */
  clear(): void {
    this.ids = [];
    this.done = [];
    this.head = 0;
    this.pending = 0;
  }

  private indexOf(id: number): number {
    // Ids are sent in increasing order: binary search over the unconfirmed part.
    let lo = this.head;
    let hi = this.ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.ids[mid]!;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
