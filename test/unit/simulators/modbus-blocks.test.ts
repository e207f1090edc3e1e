// Raw register blocks in a Modbus simulator profile (what a discovery snapshot writes): mapped with
// their values, refused where they overlap points or each other, validated by the profile schema.
import { describe, expect, it } from 'vitest';
import { simulatorFile } from '../../../src/shared/model/simulator.ts';
import { ModbusException, RegisterImage, type ModbusBlock, type ModbusPoint } from '../../../src/simulators/modbus/registers.ts';

const point = (fields: Partial<ModbusPoint>): ModbusPoint => ({ name: 'p', area: 'holding', address: 0, type: 'uint16', order: 'ABCD', updateMs: 1000, ...fields });

describe('register blocks', () => {
  it('serve their values, and nothing around them', () => {
    const blocks: ModbusBlock[] = [
      { area: 'holding', address: 100, values: [1, 2, 65535] },
      { area: 'coil', address: 8, values: [1, 0, 1] },
    ];
    const image = new RegisterImage([point({ address: 99 })], blocks);
    expect(image.readRegisters('holding', 99, 4)).toEqual([0, 1, 2, 65535]);
    expect([8, 9, 10].map((a) => image.readBit('coil', a))).toEqual([true, false, true]);
    expect(() => image.readRegisters('holding', 101, 3)).toThrow(ModbusException);
    image.writeRegisters(101, [42]);
    expect(image.readRegister('holding', 101)).toBe(42);
  });

  it('are refused where they overlap a point or another block', () => {
    expect(() => new RegisterImage([point({ name: 'level', address: 5, type: 'float32' })], [{ area: 'holding', address: 6, values: [1] }])).toThrow(
      'point "level" and block holding 6 overlap at holding 6',
    );
    expect(() => new RegisterImage([], [{ area: 'input', address: 0, values: [1, 2] }, { area: 'input', address: 1, values: [3] }])).toThrow(
      'block input 0 and block input 1 overlap at input 1',
    );
  });

  it('are checked by the profile schema: bits are 0/1 and blocks end by 65535', () => {
    const profile = (blocks: unknown) => simulatorFile.safeParse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 's', protocol: 'modbus', blocks });
    expect(profile([{ area: 'holding', address: 0, values: [65535] }]).success).toBe(true);
    expect(profile([{ area: 'coil', address: 0, values: [2] }]).error?.issues[0]?.message).toBe('a coil holds one bit: values must be 0 or 1');
    expect(profile([{ area: 'holding', address: 65535, values: [1, 2] }]).error?.issues[0]?.message).toBe('2 values from address 65535 run past 65535');
    expect(profile([{ area: 'holding', address: 0, values: [] }]).success).toBe(false);
  });
});
