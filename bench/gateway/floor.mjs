// The floor under the gateway's RSS with 1,000 Modbus tags (bench/gateway/run.ts): the same tags
// polled each second with modbus-serial and published one JSON message per tag with MQTT.js, in
// plain Node with the gateway's flags. No engine, no validation, no type decoding, no buffer, no
// health server: what any Node 22 runtime on these two libraries needs at least. Plain JavaScript,
// so that Node does not load its TypeScript stripper.
//   node <GATEWAY_NODE_FLAGS> bench/gateway/floor.mjs <tags.json> <modbusHost> <modbusPort> <brokerUrl>
// tags.json: [{ name, area: 'holding' | 'coil', address, width }]
import { readFileSync } from 'node:fs';
import ModbusRTU from 'modbus-serial';
import mqtt from 'mqtt';

const [tagsFile, host, port, brokerUrl] = process.argv.slice(2);
const tags = JSON.parse(readFileSync(tagsFile, 'utf8'));
const registers = Math.max(...tags.filter((t) => t.area === 'holding').map((t) => t.address + t.width));
const coils = tags.filter((t) => t.area === 'coil').length;
const MAX_READ = 125;

const modbus = new ModbusRTU();
await modbus.connectTCP(host, { port: Number(port) });
modbus.setID(1);
modbus.setTimeout(1000);
// writeCache off, as in the gateway (src/connectors/mqtt/client-options.ts).
const broker = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, writeCache: false });

async function poll() {
  const words = [];
  for (let at = 0; at < registers; at += MAX_READ) words.push(...(await modbus.readHoldingRegisters(at, Math.min(MAX_READ, registers - at))).data);
  const bits = (await modbus.readCoils(0, coils)).data;
  const ts = Date.now();
  for (const t of tags) {
    const value = t.area === 'coil' ? bits[t.address] : words[t.address];
    broker.publish(`bench/${t.name}`, JSON.stringify({ value, ts, quality: 'good' }), { qos: 0 });
  }
}

await poll();
setInterval(() => void poll().catch((err) => console.error(`floor: ${String(err)}`)), 1000);
process.once('SIGTERM', () => {
  modbus.close(() => {});
  void broker.endAsync().then(() => process.exit(0));
});
