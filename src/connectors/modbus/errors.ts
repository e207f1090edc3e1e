// What went wrong with one Modbus request, as a sample status and as a message that names the
// connection, unit, function and addresses.
import { exceptionText, MODBUS_STATUS } from '../../shared/codec/modbus.ts';
import type { ProtocolStatus } from '../../shared/sample.ts';

export type FailureKind =
  /** The device answered with an exception code. */
  | 'exception'
  /** No answer within the timeout, or the unit is backed off after repeated timeouts. */
  | 'timeout'
  /** Not connected: refused, lost, or reconnecting. */
  | 'connection'
  /** An answer that does not parse (CRC, length, unexpected function). */
  | 'protocol'
  /** The bounded request queue is full. */
  | 'queue-full'
  /** The connection was closed by us (the run stopped). */
  | 'closed';

export class ModbusRequestError extends Error {
  override readonly name = 'ModbusRequestError';
  readonly kind: FailureKind;
  /** Status for the samples this request would have produced. */
  readonly status: ProtocolStatus;
  /** False when the request never went on the wire (not connected, unit backed off, queue full). */
  readonly sent: boolean;

  constructor(kind: FailureKind, status: ProtocolStatus, message: string, sent: boolean) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.sent = sent;
  }
}

/** What modbus-serial hands a callback on failure. */
interface ClientError {
  readonly message?: string;
  readonly name?: string;
  readonly errno?: string;
  readonly modbusCode?: number;
}

/** Sorts a modbus-serial error into a kind and a sample status. */
export function classify(err: unknown, timeoutMs: number, connectionText: string | undefined): { kind: FailureKind; status: ProtocolStatus } {
  const e = (err ?? {}) as ClientError;
  if (typeof e.modbusCode === 'number') return { kind: 'exception', status: { code: e.modbusCode, text: exceptionText(e.modbusCode) } };
  if (e.errno === 'ETIMEDOUT' || e.name === 'TransactionTimedOutError') {
    return { kind: 'timeout', status: timeoutStatus(timeoutMs) };
  }
  if (e.name === 'PortNotOpenError') {
    return { kind: 'connection', status: { code: MODBUS_STATUS.connection, text: connectionText ?? 'not connected' } };
  }
  return { kind: 'protocol', status: { code: MODBUS_STATUS.protocol, text: e.message ?? String(err) } };
}

export function timeoutStatus(timeoutMs: number): ProtocolStatus {
  return { code: MODBUS_STATUS.timeout, text: `Timeout after ${timeoutMs} ms` };
}

export function connectionStatus(text: string): ProtocolStatus {
  return { code: MODBUS_STATUS.connection, text };
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
