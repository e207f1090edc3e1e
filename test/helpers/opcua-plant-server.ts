// The generated plant (opcua-plant.ts) served by the OPC UA simulator in a child process, so building
// a large address space and serving it do not compete with the client's event loop (crawl tests and
// the crawl benchmark).
//   node test/helpers/opcua-plant-server.ts <nodes>
// IPC: {ready, endpoint, variables, buildMs} once listening; {cmd:'cpu'} → {cpuMs} (CPU time used so
// far); {cmd:'stop'} stops the simulator and exits.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOpcuaSimulator } from '../../src/simulators/opcua/index.ts';
import { plantProfile } from './opcua-plant.ts';

export interface PlantServer {
  readonly child: ChildProcess;
  readonly endpoint: string;
  readonly variables: number;
  readonly buildMs: number;
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Forks this file with a plant of about `nodes` nodes; resolves once it listens. */
export async function forkPlantServer(nodes: number): Promise<PlantServer> {
  const child = fork(fileURLToPath(import.meta.url), [String(nodes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ endpoint: string; variables: number; buildMs: number }>((resolve, reject) => {
    child.once('message', (m: { endpoint: string; variables: number; buildMs: number }) => resolve(m));
    child.once('exit', (code) => reject(new Error(`the plant server process exited (${code}) before listening`)));
  });
  const cpuMs = (): Promise<number> =>
    new Promise((resolve) => {
      const on = (m: { cpuMs?: number }): void => {
        if (m.cpuMs === undefined) return;
        child.off('message', on);
        resolve(m.cpuMs);
      };
      child.on('message', on);
      child.send({ cmd: 'cpu' });
    });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.connected) child.send({ cmd: 'stop' });
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { child, ...ready, cpuMs, stop };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const t0 = performance.now();
  const sim = await startOpcuaSimulator(plantProfile(Number(process.argv[2])), { baseDir: process.cwd(), log: () => undefined });
  process.send({ ready: true, endpoint: sim.endpoint, variables: sim.nodeIds.size, buildMs: Math.round(performance.now() - t0) });
  process.on('message', async (m: { cmd: string }) => {
    if (m.cmd === 'cpu') {
      const cpu = process.cpuUsage();
      process.send!({ cpuMs: (cpu.user + cpu.system) / 1000 });
    }
    if (m.cmd === 'stop') {
      await sim.stop();
      process.exit(0);
    }
  });
  // The parent went away without asking: do not linger.
  process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
}
