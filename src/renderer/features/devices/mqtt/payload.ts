import type { InferredSchema, MqttMessage } from '../../../../shared/discovery/mqtt.ts';
import { diffLines, hunks, splitLines, type Hunk } from '../../../lib/line-diff.ts';

// How a captured MQTT message reads in the topic details: JSON pretty-printed, text as it is,
// binary as a hex dump; a line diff of two messages; an inferred schema as indented lines.
// The live tree carries a preview of each payload (text up to 200 characters, else the first 32
// bytes as hex); a message with its kept payload (base64 or text) shows in full. Pure.

export interface ShownPayload {
  readonly format: 'json' | 'text' | 'hex' | 'empty';
  readonly text: string;
  /** The whole payload is shown, not a preview of its start. */
  readonly complete: boolean;
}

/** The host's preview: text up to this many characters (then "…"), else this many bytes as hex. */
const PREVIEW_CHARS = 200;
const PREVIEW_BYTES = 32;
const HEX_PER_LINE = 8;

function hexBytes(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

function base64Bytes(b64: string): number[] {
  const bin = atob(b64);
  const out: number[] = new Array<number>(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Offset, bytes in hex and their printable ASCII, 8 bytes a line (fits a narrow panel). */
export function hexDump(bytes: readonly number[]): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += HEX_PER_LINE) {
    const chunk = bytes.slice(at, at + HEX_PER_LINE);
    const hex = chunk.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(HEX_PER_LINE * 3 - 1);
    const ascii = chunk.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(4, '0')}  ${hex}  ${ascii}`);
  }
  return lines.join('\n');
}

/** A message's payload as it is shown: pretty JSON, text, or a hex dump. */
export function showPayload(m: MqttMessage): ShownPayload {
  if (m.type === 'empty' || m.size === 0) return { format: 'empty', text: '', complete: true };
  const textual = m.type === 'json' || m.type === 'text';
  if (m.payload !== undefined) {
    if (m.encoding === 'base64') return { format: 'hex', text: hexDump(base64Bytes(m.payload)), complete: !m.truncated };
    return textPayload(m.payload, m.type === 'json', !m.truncated);
  }
  if (textual) {
    const cut = m.truncated || (m.preview.length > PREVIEW_CHARS && m.preview.endsWith('…'));
    return textPayload(cut ? m.preview.slice(0, -1) : m.preview, m.type === 'json', !cut);
  }
  const hex = m.preview.endsWith('…') ? m.preview.slice(0, -1) : m.preview;
  return { format: 'hex', text: hexDump(hexBytes(hex)), complete: m.size <= PREVIEW_BYTES };
}

function textPayload(text: string, json: boolean, complete: boolean): ShownPayload {
  if (json && complete) {
    try {
      return { format: 'json', text: JSON.stringify(JSON.parse(text) as unknown, null, 2), complete };
    } catch {
      // Not parseable after all (the host judged a longer copy): shown as text.
    }
  }
  return { format: 'text', text, complete };
}

/** A unified line diff (3 lines of context) from one message to another, as shown. */
export function payloadDiff(from: MqttMessage, to: MqttMessage): Hunk[] {
  return hunks(diffLines(splitLines(showPayload(from).text), splitLines(showPayload(to).text)));
}

export interface SchemaLine {
  readonly depth: number;
  readonly name: string;
  readonly type: string;
}

/** An inferred JSON schema as indented lines: the root, its properties, "[]" for array items. */
export function schemaLines(schema: InferredSchema, maxLines = 500): SchemaLine[] {
  const out: SchemaLine[] = [];
  const walk = (s: InferredSchema, name: string, depth: number): void => {
    if (out.length >= maxLines) return;
    out.push({ depth, name, type: typeof s.type === 'string' ? s.type : s.type.join(' | ') });
    for (const [key, child] of Object.entries(s.properties ?? {})) walk(child, key, depth + 1);
    if (s.items) walk(s.items, '[]', depth + 1);
  };
  walk(schema, '(payload)', 0);
  return out;
}

/** Messages of one topic seen while it is selected, newest last, without repeats, at most `max`. */
export class MessageHistory {
  private items: MqttMessage[] = [];
  private readonly max: number;
  constructor(max = 50) {
    this.max = max;
  }

  add(...messages: (MqttMessage | undefined)[]): void {
    for (const m of messages) {
      if (!m) continue;
      if (this.items.some((h) => h.ts === m.ts && h.size === m.size && h.preview === m.preview)) continue;
      this.items.push(m);
    }
    this.items.sort((a, b) => a.ts - b.ts);
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max);
  }

  clear(): void {
    this.items = [];
  }

  /** Oldest first. */
  list(): readonly MqttMessage[] {
    return this.items;
  }
}
