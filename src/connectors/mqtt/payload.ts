// Plain payloads: JSON and raw text in (source), plain value and JSON object out (sink).
// Sparkplug B lives in sparkplug/.
import type { Quality, Sample, Value } from '../../shared/sample.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class PayloadError extends Error {}

/** UTF-8 text of a payload; a payload that is not UTF-8 is an error (binary data on a text topic). */
export function payloadText(payload: Uint8Array): string {
  try {
    return utf8.decode(payload);
  } catch {
    throw new PayloadError(`payload is not UTF-8 text (${payload.length} bytes)`);
  }
}

export function parseJson(payload: Uint8Array): unknown {
  const text = payloadText(payload);
  try {
    return JSON.parse(text);
  } catch (err) {
    const preview = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    throw new PayloadError(`invalid JSON (${(err as Error).message}): ${JSON.stringify(preview)}`);
  }
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Raw payloads are UTF-8 text. Text that is exactly a JSON number ("23.5", "-4", "1e3") becomes a
 * number and "true"/"false" a boolean, because devices publish scalars as text; everything else
 * (including "1,5", " 7", "ON") stays a string.
 */
export function rawValue(payload: Uint8Array): Value {
  const text = payloadText(payload);
  if (NUMBER.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

/** A compiled dot path into parsed JSON: "a.b.0.c"; numeric parts also index arrays. */
export function compileFieldPath(field: string): readonly string[] {
  return field.split('.');
}

export interface Picked {
  readonly value: Value;
  /** The object that holds the field (the root for a top-level field): where ts/quality are looked up. */
  readonly holder: unknown;
}

/** The value at `path`, or undefined when the payload does not have it. */
export function pickField(root: unknown, path: readonly string[] | undefined): Picked | undefined {
  if (!path) return root === undefined ? undefined : { value: root as Value, holder: root };
  let holder: unknown = root;
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    holder = current;
    current = (current as Record<string, unknown>)[key];
    if (current === undefined) return undefined;
  }
  return { value: current as Value, holder };
}

/** Epoch seconds below this are taken as seconds (1e11 ms is March 1973; 1e11 s is year 5138). */
const SECONDS_BELOW = 1e11;

function timestampOf(obj: unknown): number | undefined {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const rec = obj as Record<string, unknown>;
  const raw = rec.ts ?? rec.timestamp;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return raw < SECONDS_BELOW ? raw * 1000 : raw;
  if (typeof raw === 'string') {
    const parsed = Date.parse(raw);
    if (Number.isFinite(parsed)) return parsed;
  }
  return undefined;
}

/**
 * The source timestamp of a JSON sample: a "ts" or "timestamp" member of the object holding the
 * field, else of the root object. Numbers are epoch milliseconds (below 1e11: epoch seconds),
 * strings are ISO 8601. Without one, the receive time.
 */
export function jsonTimestamp(picked: Picked, root: unknown, received: number): number {
  return timestampOf(picked.holder) ?? (picked.holder !== root ? timestampOf(root) : undefined) ?? received;
}

/** A "quality" member next to the field, as Plantbench's own JSON payloads carry it. */
export function jsonQuality(picked: Picked): Quality {
  const holder = picked.holder;
  if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) return 'good';
  const q = (holder as Record<string, unknown>).quality;
  return q === 'uncertain' || q === 'bad' ? q : 'good';
}

// ---------- sink ----------

/**
 * `value` format: the value alone as text. Strings are sent as they are, numbers and booleans as
 * their JSON text (NaN and Infinity as such), null as "null" (an empty payload would clear a retained topic), objects and
 * arrays as JSON.
 */
export function encodeValue(value: Value): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value === null ? 'null' : JSON.stringify(value);
  }
}

/** `json` format: {"value","quality","ts"} plus "unit" when known and "status" when not good. */
export function encodeJson(s: Sample): string {
  const v = s.value;
  const value = typeof v === 'number' && Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? 'null');
  let out = `{"value":${value},"quality":"${s.quality}","ts":${Number.isFinite(s.ts) ? s.ts : 'null'}`;
  const unit = s.meta?.unit;
  if (unit !== undefined) out += `,"unit":${JSON.stringify(unit)}`;
  if (s.quality !== 'good' && s.status) out += `,"status":${JSON.stringify(s.status)}`;
  return `${out}}`;
}
