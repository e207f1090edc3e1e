// The register image of a simulated Modbus device: four areas of 65,536 addresses, of which only
// the addresses of the profile's points are mapped. Reads and writes that touch an unmapped address
// fail with exception 2 (Illegal data address), like a real device with a sparse map.
import { applyBit, encodeRegisters, isBitArea, registerCount, type ModbusArea, type RegisterFormat } from '../../shared/codec/modbus.ts';
import type { SimulatorFile } from '../../shared/model/simulator.ts';
import type { SignalValue } from '../../shared/signals.ts';

export type ModbusProfile = Extract<SimulatorFile, { protocol: 'modbus' }>;
export type ModbusPoint = ModbusProfile['points'][number];
export type ModbusBlock = ModbusProfile['blocks'][number];

/** What modbus-serial's server turns into an exception response. */
export class ModbusException {
  readonly modbusErrorCode: number;
  readonly msg: string;
  constructor(code: number, msg: string) {
    this.modbusErrorCode = code;
    this.msg = msg;
  }
}

const INT_LIMITS: Partial<Record<RegisterFormat['type'], [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  // The largest doubles below 2^63 and 2^64.
  int64: [-(2 ** 63), 2 ** 63 - 1024],
  uint64: [0, 2 ** 64 - 2048],
};

/**
 * A signal is a float; an int16 point wants an integer in range. Rounds and clamps numbers to the
 * point's type, so a sine of amplitude 40000 on an int16 saturates as a real PLC would.
 */
export function coerceForPoint(value: SignalValue, format: RegisterFormat): SignalValue {
  const limits = INT_LIMITS[format.type];
  if (typeof value === 'number' && limits) {
    const rounded = Math.min(limits[1], Math.max(limits[0], Math.round(value)));
    return rounded;
  }
  if (typeof value === 'number' && format.type === 'float32') return Math.max(-3.4028234663852886e38, Math.min(3.4028234663852886e38, value));
  if (typeof value === 'number' && (format.type === 'bool' || format.type === 'bit')) return value !== 0;
  return value;
}

export class RegisterImage {
  private readonly registers: Record<'holding' | 'input', Uint16Array> = { holding: new Uint16Array(65536), input: new Uint16Array(65536) };
  private readonly bits: Record<'coil' | 'discrete-input', Uint8Array> = { coil: new Uint8Array(65536), 'discrete-input': new Uint8Array(65536) };
  private readonly mapped: Record<ModbusArea, Uint8Array> = {
    holding: new Uint8Array(65536),
    input: new Uint8Array(65536),
    coil: new Uint8Array(65536),
    'discrete-input': new Uint8Array(65536),
  };

  /** Maps every point and block; throws on points or blocks that overlap or do not fit, naming them. */
  constructor(points: readonly ModbusPoint[], blocks: readonly ModbusBlock[] = []) {
    const owners = new Map<string, { name: string; bits: number | undefined }>();
    for (const p of points) {
      if (isBitArea(p.area) && p.type !== 'bool') throw new Error(`point "${p.name}": a ${p.area} holds one bit, so its type must be bool (it is ${p.type})`);
      let width: number;
      try {
        width = isBitArea(p.area) ? 1 : registerCount(p);
      } catch (err) {
        throw new Error(`point "${p.name}": ${(err as Error).message}`);
      }
      if (p.type === 'bit' && p.bit === undefined) throw new Error(`point "${p.name}": type bit needs a bit number (0-15)`);
      if (p.address + width > 65536) throw new Error(`point "${p.name}": ${width} registers from ${p.address} run past address 65535`);
      for (let a = p.address; a < p.address + width; a++) {
        const key = `${p.area}:${a}`;
        const owner = owners.get(key);
        const bit = p.type === 'bit' ? 1 << p.bit! : undefined;
        if (owner && (bit === undefined || owner.bits === undefined || (owner.bits & bit) !== 0)) {
          throw new Error(`points "${owner.name}" and "${p.name}" overlap at ${p.area} ${a}`);
        }
        owners.set(key, { name: owner ? `${owner.name}` : p.name, bits: bit === undefined ? undefined : (owner?.bits ?? 0) | bit });
        this.mapped[p.area][a] = 1;
      }
    }
    for (const b of blocks) {
      const name = `block ${b.area} ${b.address}`;
      if (b.address + b.values.length > 65536) throw new Error(`${name}: ${b.values.length} values run past address 65535`);
      for (let i = 0; i < b.values.length; i++) {
        const key = `${b.area}:${b.address + i}`;
        const owner = owners.get(key);
        if (owner) throw new Error(`${owner.name.startsWith('block ') ? owner.name : `point "${owner.name}"`} and ${name} overlap at ${b.area} ${b.address + i}`);
        owners.set(key, { name, bits: undefined });
        this.mapped[b.area][b.address + i] = 1;
      }
      if (b.area === 'coil' || b.area === 'discrete-input') this.bits[b.area].set(b.values.map((v) => (v ? 1 : 0)), b.address);
      else this.registers[b.area].set(b.values, b.address);
    }
  }

  /** Puts a point's value into the image (encoded in the point's type and order). */
  set(point: ModbusPoint, value: SignalValue): void {
    const v = coerceForPoint(value, point);
    if (point.area === 'coil' || point.area === 'discrete-input') {
      const [bit] = encodeRegisters(v, { type: 'bool' });
      this.bits[point.area][point.address] = bit ?? 0;
      return;
    }
    const regs = this.registers[point.area];
    if (point.type === 'bit') {
      const [on] = encodeRegisters(v, { type: 'bool' });
      regs[point.address] = applyBit(regs[point.address]!, point.bit!, on === 1);
      return;
    }
    const encoded = encodeRegisters(v, point);
    regs.set(encoded, point.address);
  }

  readRegisters(area: 'holding' | 'input', offset: number, count: number): number[] {
    if (count < 1 || count > 125) throw new ModbusException(3, `read of ${count} registers (1-125 allowed)`);
    this.check(area, offset, count);
    return Array.from(this.registers[area].subarray(offset, offset + count));
  }

  readRegister(area: 'holding' | 'input', offset: number): number {
    this.check(area, offset, 1);
    return this.registers[area][offset]!;
  }

  readBit(area: 'coil' | 'discrete-input', offset: number): boolean {
    this.check(area, offset, 1);
    return this.bits[area][offset] === 1;
  }

  /** A client's FC6/FC16: all addresses must be mapped, else nothing is written. */
  writeRegisters(offset: number, values: readonly number[]): void {
    this.check('holding', offset, values.length);
    this.registers.holding.set(values, offset);
  }

  /** A client's FC5 (FC15 arrives coil by coil from modbus-serial's server). */
  writeCoil(offset: number, value: boolean): void {
    this.check('coil', offset, 1);
    this.bits.coil[offset] = value ? 1 : 0;
  }

  isMapped(area: ModbusArea, offset: number, count = 1): boolean {
    for (let a = offset; a < offset + count; a++) if (a > 65535 || this.mapped[area][a] !== 1) return false;
    return true;
  }

  private check(area: ModbusArea, offset: number, count: number): void {
    if (!this.isMapped(area, offset, count)) {
      throw new ModbusException(2, `${area} ${offset}${count > 1 ? `-${offset + count - 1}` : ''} is not mapped`);
    }
  }
}
