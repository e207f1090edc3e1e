// The benchmarks' simulator, in its own process so the client's CPU and timing are measured alone.
// Parent → child (IPC): { start: tagCount } | { points: [...], host? } | { stats: true } | { reset: true } | { stop: true }.
// Child → parent: { port } | { cpuUs, requests } | { stopped: true }.
import { simulatorFile } from '../../src/shared/model/simulator.ts';
import { startModbusSimulator, type ModbusProfile, type RunningModbusSimulator } from '../../src/simulators/modbus/index.ts';
import { benchPoints, benchTags } from './tags.ts';

let sim: RunningModbusSimulator | undefined;

process.on('message', async (msg: { start?: number; points?: unknown[]; host?: string; stats?: boolean; reset?: boolean; stop?: boolean }) => {
  if (msg.start !== undefined || msg.points) {
    const points = msg.points ?? benchPoints(benchTags(msg.start!));
    const profile = simulatorFile.parse({ apiVersion: 'plantbench/v1', kind: 'Simulator', id: 'bench', protocol: 'modbus', points, ...(msg.host ? { bind: { host: msg.host, port: 0 } } : {}) }) as ModbusProfile;
    sim = await startModbusSimulator(profile, { baseDir: process.cwd(), log: () => {} });
    process.send!({ port: sim.port });
  } else if (msg.stats || msg.reset) {
    if (msg.reset) sim?.resetStats();
    const cpu = process.cpuUsage();
    process.send!({ cpuUs: cpu.user + cpu.system, requests: sim?.stats().requests ?? 0 });
  } else if (msg.stop) {
    await sim?.stop();
    process.send!({ stopped: true });
    process.disconnect();
  }
});
