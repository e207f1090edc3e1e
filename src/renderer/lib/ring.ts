// Bounded buffers for everything live in the renderer: a firehose overwrites the oldest entries
// instead of growing memory. Pure (no DOM), unit-tested in test/unit/renderer.

/** A fixed-capacity FIFO of objects; push is O(1), the oldest entry is overwritten when full. */
export class RingBuffer<T> {
  readonly capacity: number;
  private items: (T | undefined)[];
  private start = 0;
  size = 0;
  /** Entries overwritten since creation (shown as "n older entries dropped"). */
  dropped = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new Error('ring capacity must be at least 1');
    this.capacity = Math.floor(capacity);
    this.items = new Array<T | undefined>(this.capacity);
  }

  push(item: T): void {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
  }

  /** The i-th entry, oldest first. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  toArray(): T[] {
    const out = new Array<T>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.start + i) % this.capacity]!;
    return out;
  }

  clear(): void {
    this.items = new Array<T | undefined>(this.capacity);
    this.start = 0;
    this.size = 0;
  }
}

/**
 * A numeric time series in two typed arrays (time in epoch ms, value), bounded like RingBuffer.
 * The arrays start small and double up to the capacity, so thousands of short-lived series cost little.
 */
export class SeriesRing {
  readonly capacity: number;
  private t: Float64Array;
  private v: Float64Array;
  private start = 0;
  size = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new Error('ring capacity must be at least 1');
    this.capacity = Math.floor(capacity);
    const first = Math.min(this.capacity, 64);
    this.t = new Float64Array(first);
    this.v = new Float64Array(first);
  }

  push(t: number, v: number): void {
    if (this.size === this.t.length && this.size < this.capacity) this.grow();
    const length = this.t.length;
    let i: number;
    if (this.size < length) i = (this.start + this.size++) % length;
    else {
      i = this.start;
      this.start = (this.start + 1) % length;
    }
    this.t[i] = t;
    this.v[i] = v;
  }

  private grow(): void {
    const next = Math.min(this.capacity, this.t.length * 2);
    const t = new Float64Array(next);
    const v = new Float64Array(next);
    for (let k = 0; k < this.size; k++) {
      const i = (this.start + k) % this.t.length;
      t[k] = this.t[i]!;
      v[k] = this.v[i]!;
    }
    this.t = t;
    this.v = v;
    this.start = 0;
  }

  lastTime(): number | undefined {
    return this.size ? this.t[(this.start + this.size - 1) % this.t.length] : undefined;
  }

  /** Points with t >= since, oldest first, as plain arrays (what a chart takes). */
  since(since: number): { t: number[]; v: number[] } {
    const t: number[] = [];
    const v: number[] = [];
    const length = this.t.length;
    for (let k = 0; k < this.size; k++) {
      const i = (this.start + k) % length;
      const ti = this.t[i]!;
      if (ti >= since) {
        t.push(ti);
        v.push(this.v[i]!);
      }
    }
    return { t, v };
  }

  clear(): void {
    this.start = 0;
    this.size = 0;
  }
}

/**
 * A Map that forgets its least recently written keys once it holds more than `limit` of them
 * (by a tenth at a time, so a firehose of new keys costs O(1) per write on average).
 */
export class BoundedMap<K, V> {
  readonly limit: number;
  private readonly entries = new Map<K, { value: V; seq: number }>();
  private seq = 0;
  /** Keys forgotten since creation. */
  evicted = 0;

  constructor(limit: number) {
    if (!(limit >= 1)) throw new Error('limit must be at least 1');
    this.limit = Math.floor(limit);
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    const entry = this.entries.get(key);
    if (entry) {
      entry.value = value;
      entry.seq = ++this.seq;
      return;
    }
    this.entries.set(key, { value, seq: ++this.seq });
    if (this.entries.size > this.limit + Math.ceil(this.limit / 10)) this.trim();
  }

  /** Forgets the least recently written keys down to the limit. */
  private trim(): void {
    const seqs = Array.from(this.entries.values(), (e) => e.seq).sort((a, b) => a - b);
    const cut = seqs[this.entries.size - this.limit - 1]!;
    for (const [key, e] of this.entries) {
      if (e.seq <= cut) {
        this.entries.delete(key);
        this.evicted++;
      }
    }
  }

  *values(): IterableIterator<V> {
    for (const e of this.entries.values()) yield e.value;
  }

  keys(): IterableIterator<K> {
    return this.entries.keys();
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
