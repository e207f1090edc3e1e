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

export class SimulatorStartError extends Error {
  readonly profileId: string;

  constructor(profileId: string, message: string) {
    super(message);
    this.profileId = profileId;
  }
}

const ADDRESS_PROBLEM = /EADDRINUSE|EADDRNOTAVAIL/;

/**
 * Starts several. With `fallback`, a simulator whose address is taken or missing (macOS has only
 * 127.0.0.1 unless aliases are added) starts on 127.0.0.1 with a free port instead, with a warning:
 * right for `run --simulate`, where devices are pointed at wherever their simulator listens. If one
 * fails, the ones already started are stopped and the error names the profile.
 */
export async function startSimulators(
  profiles: readonly SimulatorFile[],
  env: SimulatorEnv,
  options: { fallback?: boolean } = {},
): Promise<RunningSimulator[]> {
  const running: RunningSimulator[] = [];
  for (const profile of profiles) {
    const where = `${profile.bind.host}:${profile.bind.port}`;
    try {
      running.push(await startSimulator(profile, env));
    } catch (err) {
      const reason = (err as Error).message;
      if (options.fallback && ADDRESS_PROBLEM.test(`${(err as { code?: string }).code} ${reason}`)) {
        try {
          const moved = await startSimulator({ ...profile, bind: { host: '127.0.0.1', port: 0 } }, env);
          env.log('warn', `simulator "${profile.id}": ${where} is not available (${reason}); serving on ${moved.host}:${moved.port} instead`);
          running.push(moved);
          continue;
        } catch (retryErr) {
          err = retryErr;
        }
      }
      await Promise.allSettled(running.map((s) => s.stop()));
      throw new SimulatorStartError(profile.id, `simulator "${profile.id}" (${profile.protocol} on ${where}) did not start: ${(err as Error).message}`);
    }
  }
  return running;
}
