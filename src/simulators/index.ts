import type { SimulatorFile } from '../shared/model/simulator.ts';
import type { RunningSimulator, SimulatorEnv } from './simulator.ts';

export type { RunningSimulator, SimulatorEnv } from './simulator.ts';

/** Starts one simulated device. Protocol stacks load only for the protocols in use. */
export async function startSimulator(profile: SimulatorFile, env: SimulatorEnv): Promise<RunningSimulator> {
  switch (profile.protocol) {
    case 'modbus':
      return (await import('./modbus/index.ts')).startModbusSimulator(profile, env);
    case 'opcua':
      return (await import('./opcua/index.ts')).startOpcuaSimulator(profile, env);
    case 'mqtt':
      return (await import('./mqtt/index.ts')).startMqttSimulator(profile, env);
  }
}

/** Starts several; if one fails, the ones already started are stopped and the error names the profile. */
export async function startSimulators(profiles: readonly SimulatorFile[], env: SimulatorEnv): Promise<RunningSimulator[]> {
  const running: RunningSimulator[] = [];
  for (const profile of profiles) {
    try {
      running.push(await startSimulator(profile, env));
    } catch (err) {
      await Promise.allSettled(running.map((s) => s.stop()));
      throw new Error(`simulator "${profile.id}" (${profile.protocol} on ${profile.bind.host}:${profile.bind.port}) did not start: ${(err as Error).message}`);
    }
  }
  return running;
}
