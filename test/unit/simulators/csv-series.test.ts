import { describe, expect, it } from 'vitest';
import { csvSeries, parseCsvLine } from '../../../src/simulators/csv-series.ts';
import { createSignal, type SignalShape } from '../../../src/shared/signals.ts';

const shape = (fields: Partial<Extract<SignalShape, { kind: 'csv' }>>): Extract<SignalShape, { kind: 'csv' }> => ({
  kind: 'csv',
  file: 'data.csv',
  column: 'level',
  intervalMs: 1000,
  loop: true,
  ...fields,
});

describe('csv series for replay signals', () => {
  it('splits fields, with quotes and doubled quotes', () => {
    expect(parseCsvLine('a, b ,"c, d","say ""hi"""')).toEqual(['a', 'b', 'c, d', 'say "hi"']);
    expect(parseCsvLine('1,,3')).toEqual(['1', '', '3']);
  });

  it('reads a column, rows intervalMs apart, numbers, booleans and text', () => {
    const text = '\uFEFFtime,level,state\r\n0,1.5,true\n\n1,2,"run"\n2,-3e2,false\n';
    expect(csvSeries(text, shape({}), 'data.csv')).toEqual({ times: [0, 1000, 2000], values: [1.5, 2, -300] });
    expect(csvSeries(text, shape({ column: 'state', intervalMs: 500 }), 'data.csv')).toEqual({ times: [0, 500, 1000], values: [true, 'run', false] });
  });

  it('takes times from a time column and replays them', () => {
    const series = csvSeries('ms,level\n0,10\n250,20\n1000,30\n', shape({ timeColumn: 'ms' }), 'data.csv');
    expect(series).toEqual({ times: [0, 250, 1000], values: [10, 20, 30] });
    const signal = createSignal(shape({ timeColumn: 'ms' }), series);
    expect([0, 249, 250, 999, 1000, 1500, 1750].map(signal)).toEqual([10, 10, 20, 20, 30, 30, 10]);
  });

  it('names the file and what is wrong', () => {
    expect(() => csvSeries('a,b\n1,2\n', shape({}), 'data.csv')).toThrow('data.csv has no column "level" (columns: a, b)');
    expect(() => csvSeries('level,t\n1,x\n', shape({ timeColumn: 't' }), 'data.csv')).toThrow('data.csv line 2: time "x" is not a number of milliseconds');
    expect(() => csvSeries('level,t\n1,5\n2,4\n', shape({ timeColumn: 't' }), 'data.csv')).toThrow('data.csv line 3: time goes backwards');
    expect(() => csvSeries('level\n\n', shape({}), 'data.csv')).toThrow('data.csv has no values in column "level"');
    expect(() => csvSeries('', shape({}), 'data.csv')).toThrow('data.csv is empty');
  });
});
