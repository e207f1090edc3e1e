// The register view (every reading of a range, with plausibility flags), register-map CSV, tags
// from register maps, and the snapshot profile: pure functions of src/shared/discovery.
import { describe, expect, it } from 'vitest';
import { encodeRegisters, type ModbusOrder } from '../../../src/shared/codec/modbus.ts';
import {
  formatRegisterMapCsv,
  guessReadings,
  parseAddressWindow,
  parseRegisterMapCsv,
  parseUnitList,
  rangesToRows,
  readingsToRows,
  registerView,
  snapshotProfile,
  toModbusTags,
  type ModbusProbeResult,
  type RegisterMapRow,
} from '../../../src/shared/discovery/modbus.ts';
import { simulatorFile } from '../../../src/shared/model/simulator.ts';

const f32 = (v: number, order: ModbusOrder = 'ABCD'): number[] => encodeRegisters(v, { type: 'float32', order });

describe('registerView', () => {
  it('shows each register as uint16, int16, hex and ASCII, with references', () => {
    const view = registerView('holding', 100, [0xffff, 0x4142, 0]);
    expect(view.registers[0]).toMatchObject({ address: 100, reference: '400101', uint16: 65535, int16: -1, hex: 'FFFF', flags: [] });
    expect(view.registers[1]).toMatchObject({ ascii: 'AB' });
    expect(view.registers[2]!.flags).toEqual(['zero']);
    expect(registerView('input', 0, [1]).registers[0]!.reference).toBe('300001');
  });

  it('decodes every pair in all four orders and every quad as float64', () => {
    const view = registerView('holding', 0, [...f32(123.456, 'CDAB'), 0, 0]);
    expect(view.pairs).toHaveLength(3);
    expect(view.quads).toHaveLength(1);
    const first = view.pairs[0]!.values;
    expect(first.map((v) => `${v.type} ${v.order}`)).toEqual([
      'int32 ABCD', 'uint32 ABCD', 'float32 ABCD', 'int32 CDAB', 'uint32 CDAB', 'float32 CDAB',
      'int32 BADC', 'uint32 BADC', 'float32 BADC', 'int32 DCBA', 'uint32 DCBA', 'float32 DCBA',
    ]);
    expect(first.find((v) => v.type === 'float32' && v.order === 'CDAB')!.value).toBe(123.456);
    expect(view.quads[0]!.values.map((v) => v.order)).toEqual(['ABCD', 'CDAB', 'BADC', 'DCBA']);
  });

  it('flags a non-round float as likely in its own order; read twice while it drifts, only there', () => {
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
      const once = registerView('holding', 0, f32(123.456, order)).likely.filter((v) => v.type === 'float32');
      expect(once.map((v) => v.order), order).toEqual([order]);
      expect(once[0]!.flags).toEqual(expect.arrayContaining(['plausible', 'noise-words']));
      // -40.2517 read once is also a plausible -0.126 in another order; a second read tells them apart.
      const ambiguous = registerView('holding', 0, f32(-40.2517, order)).likely.filter((v) => v.type === 'float32');
      expect(ambiguous.map((v) => v.order), order).toContain(order);
      const twice = registerView('holding', 0, f32(-40.2517, order), f32(-40.3029, order)).likely.filter((v) => v.type === 'float32');
      expect(twice.map((v) => [v.order, v.value]), order).toEqual([[order, -40.2517]]);
    }
  });

  it('does not call denormal, huge, NaN or zero floats plausible', () => {
    const cases = [
      [0x0000, 0x05dc], // denormal
      [0x7f7f, 0xffff], // 3.4e38
      [0x7fc0, 0x0000], // NaN
      [0x0000, 0x0000],
    ];
    for (const regs of cases) {
      const abcd = registerView('holding', 0, regs).pairs[0]!.values.find((v) => v.type === 'float32' && v.order === 'ABCD')!;
      expect(abcd.flags, regs.join(',')).not.toContain('plausible');
      expect(abcd.likely).toBe(false);
    }
    const nan = registerView('holding', 0, [0x7fc0, 0]).pairs[0]!.values.find((v) => v.type === 'float32' && v.order === 'ABCD')!;
    expect(nan.value).toBe('NaN');
  });

  it('with two reads: a round float that stays is likely, a live float drifting a little is likely, a counter counts', () => {
    const before = [...f32(10), ...f32(21.537, 'CDAB'), ...encodeRegisters(123_456, { type: 'uint32', order: 'CDAB' }), 500];
    const after = [...f32(10), ...f32(21.61, 'CDAB'), ...encodeRegisters(123_460, { type: 'uint32', order: 'CDAB' }), 501];
    const view = registerView('holding', 0, after, before);
    const at = (address: number, type: string, order?: string) => view.pairs[address]!.values.find((v) => v.type === type && v.order === order)!;
    expect(at(0, 'float32', 'ABCD')).toMatchObject({ value: 10, likely: true });
    expect(at(0, 'float32', 'ABCD').flags).toContain('stable');
    expect(at(2, 'float32', 'CDAB')).toMatchObject({ value: 21.61, likely: true });
    expect(at(2, 'float32', 'CDAB').flags).toContain('drifting');
    expect(at(4, 'uint32', 'CDAB')).toMatchObject({ value: 123_460, likely: true });
    expect(at(4, 'uint32', 'CDAB').flags).toContain('counting');
    expect(at(4, 'uint32', 'ABCD').likely).toBe(false);
    expect(view.registers[6]!.flags).toEqual(['changed', 'counting']);
    expect(view.likely.some((v) => v.address === 6 && v.type === 'uint16')).toBe(true);
    // A round float read once is only plausible: two small integers could make it too.
    expect(registerView('holding', 0, f32(10)).pairs[0]!.values.find((v) => v.type === 'float32' && v.order === 'ABCD')!.likely).toBe(false);
  });

  it('flags a float64 with noisy words and guesses a map without overlaps', () => {
    const regs = [...encodeRegisters(Math.PI, { type: 'float64' }), ...f32(-7.3127, 'DCBA'), 1500];
    const view = registerView('holding', 10, regs);
    expect(view.quads[0]!.values.find((v) => v.order === 'ABCD')).toMatchObject({ value: Math.PI, likely: true });
    const guess = guessReadings(view);
    expect(guess.map((g) => [g.address, g.type, g.order])).toEqual([
      [10, 'float64', 'ABCD'],
      [14, 'float32', 'DCBA'],
      [16, 'uint16', undefined],
    ]);
    expect(readingsToRows('holding', guess).map((r) => r.name)).toEqual(['hr10', 'hr14', 'hr16']);
  });
});

describe('register map CSV', () => {
  const rows: RegisterMapRow[] = [
    { address: 0, area: 'holding', type: 'float32', order: 'CDAB', name: 'Tank level', unit: '%', scale: { factor: 0.1, offset: -40 } },
    { address: 2, area: 'holding', type: 'bit', bit: 3, order: 'ABCD', name: 'status "run"' },
    { address: 10, area: 'input', type: 'string', length: 8, order: 'BADC', name: 'serial, no', unit: '' },
    { address: 5, area: 'coil', type: 'bool', order: 'ABCD', name: 'pump', scale: { factor: 2, offset: 0 } },
    { address: 7, area: 'discrete-input', type: 'bool', order: 'ABCD', name: 'door\nopen', scale: { factor: 1e-3, offset: 5 } },
  ];

  it('round-trips rows through CSV, quoting commas, quotes and line breaks', () => {
    const text = formatRegisterMapCsv(rows);
    expect(text.split('\n')[0]).toBe('address,area,type,order,name,unit,scale');
    expect(text).toContain('0,holding,float32,CDAB,Tank level,%,0.1-40');
    expect(text).toContain('"status ""run"""');
    const back = parseRegisterMapCsv(text);
    expect(back.problems).toEqual([]);
    expect(back.rows).toEqual(rows.map(({ unit, ...r }) => (unit ? { ...r, unit } : r)));
  });

  it('reads short area names, any column order, CRLF, a BOM, blank lines and semicolons', () => {
    const text = '\uFEFFname;type;area;address\r\n\r\nlevel;float32;hr;100\r\nrun;bool;co;7\r\n';
    const { rows: parsed, problems } = parseRegisterMapCsv(text);
    expect(problems).toEqual([]);
    expect(parsed).toEqual([
      { address: 100, area: 'holding', type: 'float32', order: 'ABCD', name: 'level' },
      { address: 7, area: 'coil', type: 'bool', order: 'ABCD', name: 'run' },
    ]);
  });

  it('names the line, column and field of every problem', () => {
    const text = [
      'address,area,type,order,name,unit,scale',
      '70000,holding,uint16,,a,,',
      '1,hold,uint16,,b,,',
      '2,holding,float33,,c,,',
      '3,coil,uint16,,d,,',
      '4,holding,int32,XYZW,e,,',
      '5,holding,bit,,f,,',
      '6,holding,uint16,,a2,,x2',
      '7,holding,uint16,,a2,,',
      '8,holding,uint16,,g,,,extra',
      '9,holding,"uint16"x,,h,,',
      '65535,holding,float32,,i,,',
    ].join('\n');
    const { rows: parsed, problems } = parseRegisterMapCsv(text);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.field ?? '-'}: ${p.message}`)).toEqual([
      '11:19 -: unexpected text after a quoted field: put the whole field in quotes, or separate it with ","',
      '2:1 address: "70000" is not a wire offset 0-65535',
      '3:3 area: "hold" is not an area (holding, input, coil, discrete-input; or hr, ir, co, di)',
      '4:11 type: "float33" is not a type (int16, uint16, int32, uint32, int64, uint64, float32, float64, bool, bit:<0-15>, string:<registers>)',
      '5:8 type: a coil holds one bit: the type must be bool, not uint16',
      '6:17 order: "XYZW" is not an order (ABCD, CDAB, BADC, DCBA)',
      '7:11 type: type bit needs its bit number 0-15, as bit:3',
      '8:23 scale: "x2" is not a scale: give a factor (0.1) or factor and offset (0.1+5, 2-40)',
      '9:19 name: the name "a2" is already used on line 8',
      '10:23 -: 8 fields, but the header has 7 columns',
      '12:1 address: a float32 at 65535 runs past 65535',
    ]);
    // The line with a stray text after the quoted field is still read (its type field is "uint16").
    expect(parsed.map((r) => r.name)).toEqual(['h']);
  });

  it('reports a header without required columns and an unclosed quote', () => {
    expect(parseRegisterMapCsv('address,name\n1,x\n').problems[0]!.message).toBe('the header lacks column(s) area, type (columns: address, area, type, order, name, unit, scale)');
    expect(parseRegisterMapCsv('').problems[0]!.message).toMatch(/^empty file/);
    const open = parseRegisterMapCsv('address,area,type,name\n1,holding,uint16,"no end\n2,holding,uint16,x\n');
    expect(open.problems).toEqual([{ line: 2, column: 18, message: 'the quoted field is not closed (a " is missing)' }]);
  });
});

describe('tags from register maps', () => {
  it('makes valid, unique tag names and shifts addresses to the device base', () => {
    const tags = toModbusTags(
      [
        { address: 0, area: 'holding', type: 'float32', order: 'CDAB', name: 'Tank level', unit: '%', scale: { factor: 0.1, offset: 0 } },
        { address: 2, area: 'holding', type: 'uint16', order: 'ABCD', name: 'Tank level' },
        { address: 7, area: 'coil', type: 'bool', order: 'ABCD', name: '#pump' },
        { address: 3, area: 'input', type: 'string', length: 4, order: 'ABCD', name: 'id' },
      ],
      { addressBase: 1, writable: true },
    );
    expect(tags.map((t) => [t.name, t.area, t.address, t.type, t.writable])).toEqual([
      ['Tank_level', 'holding', 1, 'float32', true],
      ['Tank_level_2', 'holding', 3, 'uint16', true],
      ['_pump', 'coil', 8, 'bool', true],
      ['id', 'input', 4, 'string', false],
    ]);
    expect(tags[0]).toMatchObject({ order: 'CDAB', unit: '%', scale: { factor: 0.1, offset: 0 } });
    expect(tags[3]!.length).toBe(4);
  });

  it('gives one uint16 or bool row per address of probed ranges', () => {
    expect(rangesToRows('input', [[10, 2]]).map((r) => [r.name, r.address, r.type])).toEqual([
      ['ir10', 10, 'uint16'],
      ['ir11', 11, 'uint16'],
    ]);
    expect(rangesToRows('coil', [[0, 1]])[0]!.type).toBe('bool');
  });
});

describe('parsing units and windows', () => {
  it('expands lists and ranges and names what is wrong', () => {
    expect(parseUnitList('1-3,7,2')).toEqual([1, 2, 3, 7]);
    expect(() => parseUnitList('1-300')).toThrow('"1-300" is not a unit id 0-255');
    expect(() => parseUnitList('5-1')).toThrow('the range ends before it starts');
    expect(parseAddressWindow('100-199')).toEqual({ start: 100, end: 199 });
    expect(parseAddressWindow('7')).toEqual({ start: 7, end: 7 });
    expect(() => parseAddressWindow('0-70000')).toThrow('wire offsets 0-65535');
  });
});

describe('snapshotProfile', () => {
  const probe: ModbusProbeResult = {
    endpoint: '127.0.0.1:502',
    window: { start: 0, end: 65535 },
    units: [
      {
        unit: 3,
        answer: 'data',
        areas: [
          { area: 'holding', supported: true, ranges: [[100, 23]], resolution: 1, complete: true, requests: 9, refusals: {} },
          { area: 'coil', supported: true, ranges: [[0, 30]], resolution: 1, complete: true, requests: 9, refusals: {} },
        ],
      },
    ],
    silent: [1, 2],
    notSwept: [],
    requests: 30,
    budget: 5000,
    budgetExhausted: false,
    cancelled: false,
    durationMs: 5,
  };

  it('writes the read values as blocks that fit one line each and validates as a simulator profile', () => {
    const regs = Array.from({ length: 23 }, (_, i) => i * 1000);
    const bits = Array.from({ length: 30 }, (_, i) => i % 2);
    const profile = snapshotProfile(
      probe,
      [
        { unit: 3, area: 'coil', start: 0, values: bits, requests: 1, readAt: 0 },
        { unit: 3, area: 'holding', start: 100, values: regs, requests: 1, readAt: 0 },
      ],
      { id: 'plc-snapshot', device: 'plc' },
    );
    expect(simulatorFile.parse(profile)).toEqual(profile);
    expect(profile.unitId).toBe(3);
    expect(profile.device).toBe('plc');
    expect(profile.blocks.map((b) => [b.area, b.address, b.values.length])).toEqual([
      ['holding', 100, 10],
      ['holding', 110, 10],
      ['holding', 120, 3],
      ['coil', 0, 20],
      ['coil', 20, 10],
    ]);
    expect(profile.blocks.filter((b) => b.area === 'holding').flatMap((b) => b.values)).toEqual(regs);
  });

  it('refuses a unit that did not answer', () => {
    expect(() => snapshotProfile(probe, [], { id: 'x', unit: 9 })).toThrow('unit 9 did not answer the probe of 127.0.0.1:502');
  });
});
