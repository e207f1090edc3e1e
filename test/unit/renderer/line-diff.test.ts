import { describe, expect, it } from 'vitest';
import { diffLines, hunks, splitLines } from '../../../src/renderer/lib/line-diff.ts';

const apply = (a: string[], diff: ReturnType<typeof diffLines>): string[] => {
  // Rebuilding both sides from the diff proves it is a complete edit script.
  expect(diff.filter((l) => l.op !== 'add').map((l) => l.text)).toEqual(a);
  return diff.filter((l) => l.op !== 'del').map((l) => l.text);
};

describe('diffLines', () => {
  it('marks a changed line as one deletion and one addition, with line numbers', () => {
    const a = ['x', 'y', 'z'];
    const b = ['x', 'Y', 'z'];
    const d = diffLines(a, b);
    expect(apply(a, d)).toEqual(b);
    expect(d.filter((l) => l.op !== 'same')).toEqual([
      { op: 'del', text: 'y', a: 2 },
      { op: 'add', text: 'Y', b: 2 },
    ]);
  });

  it('handles empty sides and identical input', () => {
    expect(diffLines([], ['a', 'b']).map((l) => l.op)).toEqual(['add', 'add']);
    expect(diffLines(['a'], []).map((l) => l.op)).toEqual(['del']);
    expect(diffLines(['a', 'b'], ['a', 'b']).every((l) => l.op === 'same')).toBe(true);
  });

  it('finds a shortest script on random edits', () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 50; round++) {
      const a = Array.from({ length: rnd(30) }, () => `l${rnd(8)}`);
      const b = a.filter(() => rnd(4) !== 0).flatMap((l) => (rnd(5) === 0 ? [l, `n${rnd(8)}`] : [l]));
      const d = diffLines(a, b);
      expect(apply(a, d)).toEqual(b);
      // Never worse than deleting everything and adding everything.
      expect(d.filter((l) => l.op !== 'same').length).toBeLessThanOrEqual(a.length + b.length);
    }
  });
});

describe('hunks', () => {
  it('groups changes with three lines of context, like diff -u', () => {
    const a = splitLines(Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n'));
    const b = [...a];
    b[1] = 'changed 2';
    b[17] = 'changed 18';
    const h = hunks(diffLines(a, b));
    expect(h).toHaveLength(2);
    expect(h[0]).toMatchObject({ aStart: 1, aLines: 5, bStart: 1, bLines: 5 });
    expect(h[1]).toMatchObject({ aStart: 15, aLines: 6, bStart: 15, bLines: 6 });
    expect(hunks(diffLines(a, a))).toEqual([]);
  });

  it('splits text into lines without a trailing empty one', () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\r\nb')).toEqual(['a', 'b']);
    expect(splitLines('')).toEqual([]);
  });
});
