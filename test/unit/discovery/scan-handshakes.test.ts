// The scan handshakes' packets, against canned byte buffers: what we send, and how every kind of
// answer is read (complete, partial, exception/refusal, garbage).
import { describe, expect, it } from 'vitest';
import { describeFailure, showBytes } from '../../../src/connectors/discovery/probe-socket.ts';
import { describeModbusAnswer, encodeReadHolding, parseReadHoldingAnswer } from '../../../src/connectors/modbus/discovery/handshake.ts';
import { describeConnack, DISCONNECT, encodeConnect, parseConnack } from '../../../src/connectors/mqtt/discovery/handshake.ts';
import { describeHelloAnswer, encodeHello, opcTcpUrl, parseHelloAnswer } from '../../../src/connectors/opcua/discovery/handshake.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('Modbus read of unit 1', () => {
  it('is an MBAP frame for FC 3, holding register 0, one register', () => {
    expect(encodeReadHolding(0x1234, 1)).toEqual(hex('1234 0000 0006 01 03 0000 0001'));
  });

  it('reads a normal answer, an exception answer, and waits for the rest of a frame', () => {
    const answer = hex('1234 0000 0005 01 03 02 007b');
    expect(parseReadHoldingAnswer(answer, 0x1234)).toEqual({ value: { unitId: 1, registers: [123] } });
    expect(parseReadHoldingAnswer(answer.subarray(0, 5), 0x1234)).toEqual({ more: true });
    expect(parseReadHoldingAnswer(answer.subarray(0, 10), 0x1234)).toEqual({ more: true });
    expect(describeModbusAnswer({ unitId: 1, registers: [123] })).toBe('unit 1 answered (holding 0 = 123)');

    const exception = parseReadHoldingAnswer(hex('1234 0000 0003 01 83 02'), 0x1234);
    expect(exception).toEqual({ value: { unitId: 1, exception: 2 } });
    expect(describeModbusAnswer({ unitId: 1, exception: 2 })).toBe('unit 1: exception 02 Illegal data address – device speaks Modbus');
    expect(describeModbusAnswer({ unitId: 1, exception: 11 })).toBe('unit 1: exception 0B Gateway target device failed to respond – device speaks Modbus');
  });

  it('refuses what is not the answer to our request', () => {
    expect(parseReadHoldingAnswer(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), 0x1234)).toEqual({ bad: 'MBAP protocol id 21584 (Modbus has 0)' });
    expect(parseReadHoldingAnswer(hex('9999 0000 0005 01 03 02 007b'), 0x1234)).toEqual({ bad: 'transaction id 39321 instead of 4660' });
    expect(parseReadHoldingAnswer(hex('1234 0000 0400 01 03'), 0x1234)).toEqual({ bad: 'MBAP length 1024 out of range' });
    expect(parseReadHoldingAnswer(hex('1234 0000 0005 01 04 02 007b'), 0x1234)).toEqual({ bad: 'function code 4 in the answer to a read (3)' });
    expect(parseReadHoldingAnswer(hex('1234 0000 0005 01 03 04 007b'), 0x1234)).toEqual({ bad: 'byte count 4 does not match the MBAP length 5' });
  });
});

describe('OPC UA Hello', () => {
  it('is a HEL message with 64 KiB buffers and the endpoint URL', () => {
    const url = opcTcpUrl('127.0.0.32', 4840);
    expect(url).toBe('opc.tcp://127.0.0.32:4840');
    expect(opcTcpUrl('::1', 4840)).toBe('opc.tcp://[::1]:4840');
    const hello = encodeHello(url);
    expect(hello.toString('latin1', 0, 4)).toBe('HELF');
    expect(hello.readUInt32LE(4)).toBe(hello.length);
    expect([0, 1, 2, 3, 4].map((i) => hello.readUInt32LE(8 + 4 * i))).toEqual([0, 65_536, 65_536, 0, 0]);
    expect(hello.readInt32LE(28)).toBe(url.length);
    expect(hello.toString('utf8', 32)).toBe(url);
  });

  it('reads ACK and ERR, and waits for the rest of a message', () => {
    const ack = Buffer.concat([Buffer.from('ACKF'), hex('1c000000 00000000 00000100 00000100 00004000 00000000')]);
    expect(parseHelloAnswer(ack)).toEqual({ value: { kind: 'ack', protocolVersion: 0, receiveBufferSize: 65_536, sendBufferSize: 65_536, maxMessageSize: 4_194_304 } });
    expect(parseHelloAnswer(ack.subarray(0, 2))).toEqual({ more: true });
    expect(parseHelloAnswer(ack.subarray(0, 20))).toEqual({ more: true });
    expect(describeHelloAnswer({ kind: 'ack', protocolVersion: 0, receiveBufferSize: 65_536, sendBufferSize: 8192, maxMessageSize: 0 })).toBe(
      'ACK to Hello (protocol 0, buffers 65536/8192)',
    );

    const reason = Buffer.from('Endpoint url is invalid');
    const err = Buffer.concat([Buffer.from('ERRF'), Buffer.alloc(12), reason]);
    err.writeUInt32LE(err.length, 4);
    err.writeUInt32LE(0x80830000, 8);
    err.writeInt32LE(reason.length, 12);
    const parsed = parseHelloAnswer(err);
    expect(parsed).toEqual({ value: { kind: 'error', statusCode: 0x80830000, reason: 'Endpoint url is invalid' } });
    expect(describeHelloAnswer({ kind: 'error', statusCode: 0x80830000, reason: 'Endpoint url is invalid' })).toBe(
      'ERR BadTcpEndpointUrlInvalid to Hello ("Endpoint url is invalid") – server speaks OPC UA',
    );
  });

  it('refuses anything else', () => {
    expect(parseHelloAnswer(Buffer.from('HTTP/1.1 400'))).toEqual({ bad: 'no ACK or ERR message' });
    expect(parseHelloAnswer(hex('1234'))).toEqual({ bad: 'no ACK or ERR message' });
    expect(parseHelloAnswer(Buffer.from('ACKC\x1c\x00\x00\x00'))).toEqual({ bad: 'ACK with chunk type "C" (F expected)' });
    expect(parseHelloAnswer(Buffer.concat([Buffer.from('ACKF'), hex('00001000')]))).toEqual({ bad: 'ACK of 1048576 bytes' });
  });
});

describe('MQTT CONNECT', () => {
  it('is a 3.1.1 CONNECT with a clean session and the client id', () => {
    expect(encodeConnect('scan')).toEqual(Buffer.concat([hex('10 10 0004 4d515454 04 02 000a 0004'), Buffer.from('scan')]));
    expect(DISCONNECT).toEqual(hex('e000'));
  });

  it('reads CONNACK and its refusals', () => {
    expect(parseConnack(hex('20020000'))).toEqual({ value: { sessionPresent: false, returnCode: 0 } });
    expect(parseConnack(hex('2002'))).toEqual({ more: true });
    expect(parseConnack(hex('20020105'))).toEqual({ value: { sessionPresent: true, returnCode: 5 } });
    expect(describeConnack({ sessionPresent: false, returnCode: 0 })).toBe('CONNACK 0 (MQTT 3.1.1)');
    expect(describeConnack({ sessionPresent: false, returnCode: 5 })).toBe('not authorised (CONNACK 5) – MQTT broker, credentials needed');
    expect(describeConnack({ sessionPresent: false, returnCode: 4 })).toBe('bad user name or password (CONNACK 4) – MQTT broker, credentials needed');
    expect(describeConnack({ sessionPresent: false, returnCode: 0x84 })).toBe('refused (CONNACK 132) – MQTT broker');
  });

  it('refuses other packets', () => {
    expect(parseConnack(Buffer.from('HTTP'))).toEqual({ bad: 'packet type 4 instead of CONNACK (2)' });
    expect(parseConnack(hex('2000'))).toEqual({ bad: 'CONNACK remaining length 0' });
  });
});

describe('failure messages', () => {
  it('show the first bytes as text or hex', () => {
    expect(showBytes(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toBe('"HTTP/1.1 400 Bad…"');
    expect(showBytes(hex('00 01 02 ff'))).toBe('00 01 02 ff');
    expect(showBytes(Buffer.alloc(0))).toBe('nothing');
  });

  it('say what the peer did', () => {
    const bytes = Buffer.from('SSH-2.0-OpenSSH_9.2\r\n');
    expect(describeFailure({ kind: 'bad', reason: 'no ACK or ERR message', bytes }, 'OPC UA', 'OPC UA Hello', 1000)).toBe(
      'answered, but not OPC UA: no ACK or ERR message (first bytes "SSH-2.0-OpenSSH_…")',
    );
    expect(describeFailure({ kind: 'silent', bytes: Buffer.alloc(0) }, 'Modbus', 'Modbus read of unit 1', 500)).toBe(
      'accepted the connection but did not answer the Modbus read of unit 1 within 500 ms',
    );
    expect(describeFailure({ kind: 'closed', bytes: Buffer.alloc(0) }, 'MQTT', 'MQTT CONNECT', 500)).toBe('closed the connection without answering the MQTT CONNECT');
    expect(describeFailure({ kind: 'reset', message: 'reset the connection (ECONNRESET)' }, 'MQTT', 'MQTT CONNECT', 500)).toBe(
      'reset the connection (ECONNRESET) during the MQTT CONNECT',
    );
  });
});
