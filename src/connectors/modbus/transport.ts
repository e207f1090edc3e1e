// Opening one link to a Modbus server or bus: modbus-serial's client over TCP or RTU (serial).
//
// TCP: we open the socket ourselves and hand it to modbus-serial (`linkTCP`, the same TcpPort that
// `connectTCP` builds) so that we own connect timeout, keep-alive and the error text of a lost
// connection: modbus-serial's TcpPort swallows socket errors and, after one, never reports the close.
// RTU: `connectRTUBuffered` with the device's serial settings. It shares every line above the link
// (queue, timeouts, unit back-off) with TCP; the Modbus discovery interop test runs it against
// pymodbus over a pseudo-terminal pair.
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import type { DeviceFile } from '../../shared/model/device.ts';

export type ModbusDevice = Extract<DeviceFile, { protocol: 'modbus' }>;
export type ModbusTransport = ModbusDevice['transport'];

type ModbusRTUClass = typeof import('modbus-serial/ModbusRTU.js').ModbusRTU;
export type ModbusClient = InstanceType<ModbusRTUClass>;

let loaded: Promise<ModbusRTUClass> | undefined;

/** modbus-serial loads on first use (it pulls in serialport). Its CommonJS export is the client class. */
function loadModbusSerial(): Promise<ModbusRTUClass> {
  loaded ??= import('modbus-serial').then((m) => m.default as unknown as ModbusRTUClass);
  return loaded;
}

/**
 * modbus-serial loads serialport inside try/catch, so without a working native binding (e.g. no
 * prebuild for this machine's architecture in a gateway bundle) an RTU connect only fails with
 * "… is not a constructor". Loading the binding again gives the reason.
 */
function serialSupportProblem(): Error | undefined {
  try {
    createRequire(import.meta.url)('@serialport/bindings-cpp');
    return undefined;
  } catch (err) {
    return new Error(`serial lines are not available on this ${process.platform}-${process.arch} machine: ${String((err as Error).message).split('\n')[0]}`);
  }
}

/** One connection per key: devices on the same host:port (a gateway with several unit ids) share it. */
export function transportKey(t: ModbusTransport): string {
  return t.kind === 'tcp' ? `tcp://${t.host}:${t.port}` : `rtu://${t.path}`;
}

/** "127.0.0.1:502" or "/dev/ttyUSB0 9600 8E1" for messages. */
export function describeTransport(t: ModbusTransport): string {
  if (t.kind === 'tcp') return `${t.host}:${t.port}`;
  return `${t.path} ${t.baudRate} ${t.dataBits}${t.parity[0]!.toUpperCase()}${t.stopBits}`;
}

export interface Link {
  readonly client: ModbusClient;
  /** Closes the link; the onLost callback is not called for a close we asked for. */
  close(): void;
}

/**
 * Opens the link. `onLost` is called once if the link goes away by itself, with the reason
 * ("read ECONNRESET", "closed by the device").
 */
export async function openLink(
  t: ModbusTransport,
  connectTimeoutMs: number,
  signal: AbortSignal,
  onLost: (reason: string) => void,
): Promise<Link> {
  const ModbusRTU = await loadModbusSerial();
  signal.throwIfAborted();
  const client = new ModbusRTU();
  // Without a listener an 'error' event would throw; the close that follows carries the reason.
  client.on('error', () => {});
  let closing = false;
  let lastError: Error | undefined;

  if (t.kind === 'tcp') {
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        socket.destroy();
        reject(err);
      };
      const aborted = (): void => fail(new Error('connect cancelled'));
      const timer = setTimeout(() => fail(new Error(`connect to ${t.host}:${t.port} timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      signal.addEventListener('abort', aborted, { once: true });
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        socket.removeListener('error', fail);
        resolve();
      });
      socket.connect({ host: t.host, port: t.port });
    });
    socket.setNoDelay(true);
    // Finds a peer that vanished without closing (cable pulled, PLC power loss) while idle.
    socket.setKeepAlive(true, 10_000);
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.once('close', () => {
      if (!closing) onLost(lastError?.message ?? 'closed by the device');
    });
    await client.linkTCP(socket, { port: t.port });
    return {
      client,
      close: () => {
        closing = true;
        client.destroy(() => {});
        socket.destroy();
      },
    };
  }

  try {
    await client.connectRTUBuffered(t.path, { baudRate: t.baudRate, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits });
  } catch (err) {
    throw serialSupportProblem() ?? err;
  }
  client.on('error', (err: unknown) => {
    lastError = err instanceof Error ? err : new Error(String(err));
  });
  client.on('close', () => {
    if (!closing) onLost(lastError?.message ?? 'serial port closed');
  });
  return {
    client,
    close: () => {
      closing = true;
      client.close(() => {});
    },
  };
}
