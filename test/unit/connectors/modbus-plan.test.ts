import { describe, expect, it } from 'vitest';
import { planReads, type PlanTag } from '../../../src/connectors/modbus/plan.ts';

const reg = (name: string, address: number, type: PlanTag['type'] = 'uint16', extra: Partial<PlanTag> = {}): PlanTag => ({
  name,
  area: 'holding',
  address,
  type,
  ...extra,
});

/** [area, offset, count, [tag, index]...] of each read, the thing to compare. */
const layout = (tags: PlanTag[], maxGap = 10, addressBase: 0 | 1 = 0, unit = 1) =>
  planReads(tags, { unit, addressBase, maxGap }).reads.map((r) => [r.area, r.offset, r.count, r.tags.map((t) => [t.tag.name, t.index])]);

describe('modbus poll planner', () => {
  it('merges neighbours and gaps up to maxGap into one request', () => {
    const tags = [reg('a', 0, 'float32'), reg('b', 2, 'uint32'), reg('c', 4, 'bit', { bit: 0 }), reg('d', 4, 'bit', { bit: 1 }), reg('e', 15)];
    expect(layout(tags, 10)).toEqual([['holding', 0, 16, [['a', 0], ['b', 2], ['c', 4], ['d', 4], ['e', 15]]]]);
  });

  it('splits where the gap exceeds maxGap', () => {
    const tags = [reg('a', 0), reg('b', 11), reg('c', 22)];
    // a ends at 1: 10 unused registers (1-10) up to b; b ends at 12: 10 unused up to c.
    expect(layout(tags, 10)).toEqual([['holding', 0, 23, [['a', 0], ['b', 11], ['c', 22]]]]);
    expect(layout(tags, 9)).toEqual([
      ['holding', 0, 1, [['a', 0]]],
      ['holding', 11, 1, [['b', 0]]],
      ['holding', 22, 1, [['c', 0]]],
    ]);
    expect(layout([reg('a', 0), reg('b', 1)], 0)).toEqual([['holding', 0, 2, [['a', 0], ['b', 1]]]]);
  });

  it('sorts by address whatever the tag order', () => {
    const tags = [reg('z', 40, 'float64'), reg('y', 2), reg('x', 0, 'int32')];
    expect(layout(tags, 100)).toEqual([['holding', 0, 44, [['x', 0], ['y', 2], ['z', 40]]]]);
  });

  it('never exceeds 125 registers per request and never splits a tag', () => {
    const tags = Array.from({ length: 200 }, (_, i) => reg(`t${i}`, i * 2, 'float32'));
    const { reads } = planReads(tags, { unit: 1, addressBase: 0, maxGap: 10 });
    // 400 registers: 62 float32 = 124 registers per request (a 63rd would make 126).
    expect(reads.map((r) => r.count)).toEqual([124, 124, 124, 28]);
    expect(reads.reduce((n, r) => n + r.tags.length, 0)).toBe(200);
    expect(reads[1]!.offset).toBe(124);
  });

  it('fills 125 registers exactly when tags allow', () => {
    const tags = Array.from({ length: 300 }, (_, i) => reg(`t${i}`, i));
    expect(planReads(tags, { unit: 1, addressBase: 0, maxGap: 0 }).reads.map((r) => r.count)).toEqual([125, 125, 50]);
  });

  it('reads at most 2000 bits from coils and discrete inputs, gap counted in bits (maxGap x 16)', () => {
    const coils: PlanTag[] = Array.from({ length: 4500 }, (_, i) => ({ name: `c${i}`, area: 'coil', address: i, type: 'bool' }));
    expect(planReads(coils, { unit: 1, addressBase: 0, maxGap: 0 }).reads.map((r) => [r.offset, r.count])).toEqual([
      [0, 2000],
      [2000, 2000],
      [4000, 500],
    ]);
    const sparse: PlanTag[] = [
      { name: 'a', area: 'discrete-input', address: 0, type: 'bool' },
      { name: 'b', area: 'discrete-input', address: 161, type: 'bool' },
      { name: 'c', area: 'discrete-input', address: 400, type: 'bool' },
    ];
    expect(layout(sparse, 10)).toEqual([
      ['discrete-input', 0, 162, [['a', 0], ['b', 161]]],
      ['discrete-input', 400, 1, [['c', 0]]],
    ]);
  });

  it('keeps areas apart, in a fixed order', () => {
    const tags: PlanTag[] = [
      { name: 'coil', area: 'coil', address: 0, type: 'bool' },
      { name: 'in', area: 'input', address: 0, type: 'int16' },
      { name: 'hr', area: 'holding', address: 0, type: 'int16' },
      { name: 'di', area: 'discrete-input', address: 0, type: 'bool' },
    ];
    expect(layout(tags).map((r) => r[0])).toEqual(['holding', 'input', 'coil', 'discrete-input']);
  });

  it('maps address base 1 to wire offset N-1 and carries the unit', () => {
    const plan = planReads([reg('a', 1), reg('b', 3, 'float32')], { unit: 7, addressBase: 1, maxGap: 10 });
    expect(plan.reads).toEqual([{ unit: 7, area: 'holding', offset: 0, count: 4, tags: [{ tag: plan.reads[0]!.tags[0]!.tag, index: 0 }, { tag: plan.reads[0]!.tags[1]!.tag, index: 2 }] }]);
  });

  it('overlapping tags share registers', () => {
    expect(layout([reg('word', 10, 'uint32'), reg('low', 11), reg('status', 10, 'bit', { bit: 3 })], 0)).toEqual([
      ['holding', 10, 2, [['status', 0], ['word', 0], ['low', 1]]],
    ]);
  });

  it('leaves out tags whose address does not fit the wire, with the reason', () => {
    const plan = planReads([reg('ok', 1), reg('zero', 0), reg('tail', 65536, 'float32'), reg('last', 65535, 'float32'), reg('s', 1, 'string', { length: 10 })], {
      unit: 1,
      addressBase: 1,
      maxGap: 0,
    });
    expect(plan.reads.map((r) => r.tags.map((t) => t.tag.name))).toEqual([['ok', 's'], ['last']]);
    expect(plan.problems.map((p) => p.message)).toEqual([
      'tag "zero": holding register address 0 (base 1) is outside the wire range 0..65535',
      'tag "tail": 2 registers from offset 65535 run past the last address 65535',
    ]);
  });

  it('plans 10,000 mixed tags into few requests', () => {
    const types: PlanTag['type'][] = ['uint16', 'float32', 'int32', 'float64', 'int16'];
    const tags: PlanTag[] = [];
    let address = 0;
    for (let i = 0; i < 10_000; i++) {
      const type = types[i % types.length]!;
      tags.push(reg(`t${i}`, address, type));
      address += type === 'float64' ? 4 : type === 'float32' || type === 'int32' ? 2 : 1;
    }
    const { reads } = planReads(tags, { unit: 1, addressBase: 0, maxGap: 10 });
    // 20,000 registers: 160 full requests at best; a request may end early rather than split a tag.
    expect(address).toBe(20_000);
    expect(reads.length).toBeGreaterThanOrEqual(160);
    expect(reads.length).toBeLessThanOrEqual(162);
    expect(reads.every((r) => r.count <= 125)).toBe(true);
    expect(new Set(reads.flatMap((r) => r.tags.map((t) => t.tag.name))).size).toBe(10_000);
  });
});
