// Network scan handshake for Modbus TCP: one raw MBAP read of holding register 0 on unit 1 (no
// modbus-serial: a frame of 12 bytes is cheaper than a client). A normal answer confirms Modbus,
// and so does an exception answer (any well-formed MBAP frame with the echoed transaction id):
// a device that says "illegal data address" speaks Modbus all the same.
import type { Socket } from 'node:net';
import { MODBUS_EXCEPTIONS } from '../../../shared/codec/modbus.ts';
import { exchange, failedHandshake, MORE, type HandshakeOptions, type HandshakeResult, type ParseStep } from '../../discovery/probe-socket.ts';

export const SCAN_UNIT_ID = 1;
const READ_HOLDING = 0x03;

/** Read Holding Registers (FC 3), `count` registers from `address`, as an MBAP frame. */
export function encodeReadHolding(transactionId: number, unitId: number, address = 0, count = 1): Buffer {
  const frame = Buffer.alloc(12);
  frame.writeUInt16BE(transactionId, 0);
  frame.writeUInt16BE(0, 2); // protocol id: Modbus
  frame.writeUInt16BE(6, 4); // bytes that follow
  frame.writeUInt8(unitId, 6);
  frame.writeUInt8(READ_HOLDING, 7);
  frame.writeUInt16BE(address, 8);
  frame.writeUInt16BE(count, 10);
  return frame;
}

export type ModbusAnswer = { readonly unitId: number; readonly registers: number[] } | { readonly unitId: number; readonly exception: number };

/** Parses the answer to encodeReadHolding(transactionId, …): registers, an exception, more bytes needed, or not Modbus. */
export function parseReadHoldingAnswer(data: Buffer, transactionId: number): ParseStep<ModbusAnswer> {
  if (data.length < 8) return MORE;
  const tid = data.readUInt16BE(0);
  const protocolId = data.readUInt16BE(2);
  const length = data.readUInt16BE(4);
  if (protocolId !== 0) return { bad: `MBAP protocol id ${protocolId} (Modbus has 0)` };
  if (tid !== transactionId) return { bad: `transaction id ${tid} instead of ${transactionId}` };
  if (length < 3 || length > 254) return { bad: `MBAP length ${length} out of range` };
  if (data.length < 6 + length) return MORE;
  const unitId = data.readUInt8(6);
  const fc = data.readUInt8(7);
  if (fc === (READ_HOLDING | 0x80)) return { value: { unitId, exception: data.readUInt8(8) } };
  if (fc !== READ_HOLDING) return { bad: `function code ${fc} in the answer to a read (3)` };
  const byteCount = data.readUInt8(8);
  if (byteCount % 2 !== 0 || byteCount !== length - 3) return { bad: `byte count ${byteCount} does not match the MBAP length ${length}` };
  const registers: number[] = [];
  for (let i = 0; i < byteCount / 2; i++) registers.push(data.readUInt16BE(9 + 2 * i));
  return { value: { unitId, registers } };
}

/** "unit 1 answered (holding 0 = 123)" or "unit 1: exception 02 Illegal data address – device speaks Modbus". */
export function describeModbusAnswer(answer: ModbusAnswer): string {
  if ('registers' in answer) return `unit ${answer.unitId} answered (holding 0 = ${answer.registers[0] ?? '?'})`;
  const code = answer.exception.toString(16).padStart(2, '0').toUpperCase();
  const name = MODBUS_EXCEPTIONS[answer.exception];
  return `unit ${answer.unitId}: exception ${code}${name ? ` ${name}` : ''} – device speaks Modbus`;
}

/** Reads holding register 0 of unit 1 on a connected socket, then closes it. */
export async function modbusHandshake(socket: Socket, options: HandshakeOptions): Promise<HandshakeResult> {
  const transactionId = 1 + Math.floor(Math.random() * 0xfffe);
  try {
    const outcome = await exchange(socket, encodeReadHolding(transactionId, SCAN_UNIT_ID), (d) => parseReadHoldingAnswer(d, transactionId), options.timeoutMs, options.signal);
    if (outcome.kind !== 'reply') return failedHandshake(outcome, 'Modbus', `Modbus read of unit ${SCAN_UNIT_ID}`, options.timeoutMs);
    return { confirmed: true, answer: 'reply', detail: describeModbusAnswer(outcome.value) };
  } finally {
    socket.destroy();
  }
}
