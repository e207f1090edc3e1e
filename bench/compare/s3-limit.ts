// S3's ceiling: what the simulator answers on one connection with one request in flight, back to
// back, to a bare modbus-serial client (no engine). Run pinned to the engine core, like the engines.
//   node bench/compare/s3-limit.ts <host> <port> <pollers> <stride> <ms>
// Answers on IPC with { reqPerS } and exits.
import modbusSerial from 'modbus-serial';

// Its CommonJS export is the client class (as src/connectors/modbus/transport.ts loads it).
const ModbusRTU = modbusSerial as unknown as typeof import('modbus-serial/ModbusRTU.js').ModbusRTU;

const [host, portArg, pollersArg, strideArg, msArg] = process.argv.slice(2) as [string, string, string, string, string];
const client = new ModbusRTU();
await client.connectTCP(host, { port: Number(portArg) });
client.setID(1);
client.setTimeout(1000);
const until = performance.now() + Number(msArg);
let n = 0;
const t0 = performance.now();
while (performance.now() < until) {
  await client.readHoldingRegisters((n % Number(pollersArg)) * Number(strideArg), 10);
  n++;
}
process.send!({ reqPerS: n / ((performance.now() - t0) / 1000) });
client.close(() => {});
process.disconnect();
process.exit(0);
