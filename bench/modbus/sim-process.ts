// The benchmark's simulator, in its own process so the connector's CPU is measured alone.
// Parent → child (IPC): { start: tagCount } | { stats: true } | { stop: true }.
// Child → parent: { port } | { cpuUs, requests } | { stopped: true }.
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import { startModbusSimulator, type ModbusProfile, type RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { benchPoints, benchTags } from './tags.ts';

let sim: RunningModbusSimulator | undefined;

process.on('message', async (msg: { start?: number; stats?: boolean; stop?: boolean }) => {
  if (msg.start !== undefined) {
    const profile = simulatorFile.parse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'bench', protocol: 'modbus', points: benchPoints(benchTags(msg.start)) }) as ModbusProfile;
    sim = await startModbusSimulator(profile, { baseDir: process.cwd(), log: () => {} });
    process.send!({ port: sim.port });
  } else if (msg.stats) {
    const cpu = process.cpuUsage();
    process.send!({ cpuUs: cpu.user + cpu.system, requests: sim?.stats().requests ?? 0 });
  } else if (msg.stop) {
    await sim?.stop();
    process.send!({ stopped: true });
    process.disconnect();
  }
});
