// A line diff for the revision view: Myers' O((N+M)·D) shortest edit script, then grouped into
// hunks with a few lines of context, like `diff -u`. Pure; unit-tested in test/unit/renderer.

export type DiffLine = { op: 'same' | 'add' | 'del'; text: string; a?: number; b?: number };

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const MAX_EDITS = 4000;

/** Every line of `a` and `b` in order, marked same / del (only in a) / add (only in b), with 1-based line numbers. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    // Very different files: the trace would grow as D·(N+M); show a plain replace instead.
    if (d > MAX_EDITS) return [...a.map((text, i): DiffLine => ({ op: 'del', text, a: i + 1 })), ...b.map((text, i): DiffLine => ({ op: 'add', text, b: i + 1 }))];
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk the trace back from (n, m) to (0, 0).
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: 'same', text: a[x - 1]!, a: x, b: y });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) out.push({ op: 'add', text: b[y - 1]!, b: y });
      else out.push({ op: 'del', text: a[x - 1]!, a: x });
    }
    x = prevX;
    y = prevY;
  }
  return out.reverse();
}

export interface Hunk {
  readonly aStart: number;
  readonly aLines: number;
  readonly bStart: number;
  readonly bLines: number;
  readonly lines: DiffLine[];
}

/** Groups a diff into hunks with `context` unchanged lines around each change. */
export function hunks(diff: readonly DiffLine[], context = 3): Hunk[] {
  const changed = diff.map((l, i) => (l.op === 'same' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return [];
  const ranges: [number, number][] = [];
  for (const i of changed) {
    const lo = Math.max(0, i - context);
    const hi = Math.min(diff.length - 1, i + context);
    const last = ranges[ranges.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else ranges.push([lo, hi]);
  }
  return ranges.map(([lo, hi]) => {
    const lines = diff.slice(lo, hi + 1);
    const firstA = lines.find((l) => l.a !== undefined)?.a ?? lineBefore(diff, lo, 'a') + 1;
    const firstB = lines.find((l) => l.b !== undefined)?.b ?? lineBefore(diff, lo, 'b') + 1;
    return {
      aStart: firstA,
      aLines: lines.filter((l) => l.op !== 'add').length,
      bStart: firstB,
      bLines: lines.filter((l) => l.op !== 'del').length,
      lines,
    };
  });
}

function lineBefore(diff: readonly DiffLine[], index: number, side: 'a' | 'b'): number {
  for (let i = index - 1; i >= 0; i--) {
    const n = diff[i]![side];
    if (n !== undefined) return n;
  }
  return 0;
}
