// A topic's recent messages: a ring bounded by count and bytes, in two long-lived arrays per topic
// that are reused message after message. Payload bytes are copied into fixed-size slots of one
// Buffer (outside the JS heap), so a steady stream allocates nothing that outlives the young
// generation; per-message copies (strings or Buffers) made RSS settle at several times the live
// heap under a flood, as every copy was promoted before it died.
import { MQTT_PAYLOAD_TYPES, type MqttPayloadType } from '../../../shared/discovery/mqtt.ts';

export interface StoredMessage {
  readonly ts: number;
  readonly retained: boolean;
  readonly type: MqttPayloadType;
  /** The kept bytes: a view into the ring, valid until the next push. */
  readonly bytes: Buffer;
  /** Payload size as received. */
  readonly size: number;
}

const TYPE_CODE = new Map(MQTT_PAYLOAD_TYPES.map((t, i) => [t, i]));
const RETAINED = 8;
/** Float64 fields per slot: ts, size, kept bytes, flags (type code | RETAINED). */
const FIELDS = 4;
/** Slot sizes are multiples of this, so payloads that vary a little reuse their slots. */
const SLOT_STEP = 64;

export class MessageRing {
  private readonly maxCount: number;
  private readonly maxBytes: number;
  private slotSize = 0;
  private meta = new Float64Array(0);
  private data = Buffer.alloc(0);
  /** Slot of the oldest message. */
  private head = 0;
  length = 0;
  /** Kept payload bytes. */
  bytes = 0;

  /**
   * At most `maxCount` messages, and as many as `maxBytes` holds in slots the size of the largest
   * payload seen so far (rounded up to 64 bytes), but never fewer than two: the last message and
   * the one before it.
   */
  constructor(maxCount: number, maxBytes: number) {
    this.maxCount = Math.max(2, maxCount);
    this.maxBytes = maxBytes;
  }

  private get capacity(): number {
    return this.meta.length / FIELDS;
  }

  /** Slots allowed by the count and byte limits for a slot size. */
  private slotsFor(slotSize: number): number {
    return Math.max(2, Math.min(this.maxCount, Math.floor(this.maxBytes / slotSize)));
  }

  push(ts: number, retained: boolean, type: MqttPayloadType, kept: Uint8Array, size: number): void {
    if (kept.length > this.slotSize || this.capacity === 0) {
      // A larger payload than any before: larger slots, and maybe fewer of them.
      const slotSize = Math.ceil(Math.max(kept.length, 1) / SLOT_STEP) * SLOT_STEP;
      this.resize(Math.min(this.slotsFor(slotSize), Math.max(2, this.capacity)), slotSize);
    }
    if (this.length === this.capacity) {
      const max = this.slotsFor(this.slotSize);
      if (this.capacity < max) this.resize(Math.min(max, this.capacity * 2), this.slotSize);
      else this.dropOldest();
    }
    const slot = (this.head + this.length) % this.capacity;
    const m = slot * FIELDS;
    this.meta[m] = ts;
    this.meta[m + 1] = size;
    this.meta[m + 2] = kept.length;
    this.meta[m + 3] = TYPE_CODE.get(type)! | (retained ? RETAINED : 0);
    this.data.set(kept, slot * this.slotSize);
    this.length++;
    this.bytes += kept.length;
  }

  /** The i-th message, oldest first; a negative index counts from the newest (-1 is the last). */
  at(i: number): StoredMessage | undefined {
    const index = i < 0 ? this.length + i : i;
    if (index < 0 || index >= this.length) return undefined;
    const slot = (this.head + index) % this.capacity;
    const m = slot * FIELDS;
    const flags = this.meta[m + 3]!;
    const start = slot * this.slotSize;
    return {
      ts: this.meta[m]!,
      size: this.meta[m + 1]!,
      bytes: this.data.subarray(start, start + this.meta[m + 2]!),
      type: MQTT_PAYLOAD_TYPES[flags & 7]!,
      retained: (flags & RETAINED) !== 0,
    };
  }

  /** Oldest first. */
  toArray(): StoredMessage[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i)!);
  }

  private dropOldest(): void {
    this.bytes -= this.meta[this.head * FIELDS + 2]!;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
  }

  /** New arrays of `slots` slots of `slotSize` bytes, keeping the newest messages that fit, oldest first. */
  private resize(slots: number, slotSize: number): void {
    while (this.length > slots) this.dropOldest();
    const meta = new Float64Array(slots * FIELDS);
    // Outside the pool: a pooled slice would keep a shared 8 KiB slab alive.
    const data = Buffer.allocUnsafeSlow(slots * slotSize);
    for (let i = 0; i < this.length; i++) {
      const slot = (this.head + i) % this.capacity;
      meta.set(this.meta.subarray(slot * FIELDS, slot * FIELDS + FIELDS), i * FIELDS);
      const start = slot * this.slotSize;
      data.set(this.data.subarray(start, start + this.meta[slot * FIELDS + 2]!), i * slotSize);
    }
    this.meta = meta;
    this.data = data;
    this.slotSize = slotSize;
    this.head = 0;
  }
}
