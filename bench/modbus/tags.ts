// The benchmark's tag set: a mix like a real PLC map, repeated. Per block of 20 tags:
// 6 uint16, 2 int16, 3 float32 (CDAB), 2 int32, 1 uint32, 1 float64, 1 int64, 2 bits of one status
// word, 2 coils: 29 registers and 2 coils, every address used (no gaps).

export interface BenchTag {
  readonly name: string;
  readonly area: 'holding' | 'coil';
  readonly address: number;
  readonly type: string;
  readonly order?: string;
  readonly bit?: number;
}

const BLOCK: { type: string; order?: string; width: number; bit?: number; coil?: boolean }[] = [
  ...Array.from({ length: 6 }, () => ({ type: 'uint16', width: 1 })),
  ...Array.from({ length: 2 }, () => ({ type: 'int16', width: 1 })),
  ...Array.from({ length: 3 }, () => ({ type: 'float32', order: 'CDAB', width: 2 })),
  ...Array.from({ length: 2 }, () => ({ type: 'int32', width: 2 })),
  { type: 'uint32', width: 2 },
  { type: 'float64', width: 4 },
  { type: 'int64', width: 4 },
  { type: 'bit', bit: 0, width: 0 },
  { type: 'bit', bit: 1, width: 1 },
  { type: 'bool', coil: true, width: 0 },
  { type: 'bool', coil: true, width: 0 },
];

export function benchTags(count: number): BenchTag[] {
  const tags: BenchTag[] = [];
  let register = 0;
  let coil = 0;
  for (let i = 0; i < count; i++) {
    const b = BLOCK[i % BLOCK.length]!;
    const name = `t${i}`;
    if (b.coil) tags.push({ name, area: 'coil', address: coil++, type: 'bool' });
    else {
      tags.push({ name, area: 'holding', address: register, type: b.type, ...(b.order ? { order: b.order } : {}), ...(b.bit !== undefined ? { bit: b.bit } : {}) });
      register += b.width;
    }
  }
  return tags;
}

/** Simulator points for the tags, each driven by a slow ramp so values change. */
export function benchPoints(tags: readonly BenchTag[]): Record<string, unknown>[] {
  return tags.map((t) => ({
    ...t,
    ...(t.type === 'bool' || t.type === 'bit' ? { signal: { kind: 'sequence', values: [true, false], dwellMs: 1000 } } : { signal: { kind: 'ramp', from: 0, to: 1000, periodMs: 60_000 } }),
    updateMs: 1000,
  }));
}
