// Simulated OPC UA device. node-opcua loads only when a simulator starts (see server.ts).
import type { SimulatorFile } from '../../shared/model/simulator.ts';
import type { SignalValue } from '../../shared/signals.ts';
import type { RunningSimulator, SimulatorEnv } from '../simulator.ts';

export type OpcuaSimulatorProfile = Extract<SimulatorFile, { protocol: 'opcua' }>;

/** Options beyond the profile, for tests and benchmarks. */
export interface OpcuaSimulatorOptions {
  /** Server PKI folder, kept after stop (restart with the same certificate). Default: a temp folder removed on stop. */
  readonly pkiDir?: string;
  /** Accepted user names and passwords (any security mode). */
  readonly users?: readonly { readonly username: string; readonly password: string }[];
  /** Default true. */
  readonly allowAnonymous?: boolean;
  /** Server operation limits; unset ones keep node-opcua's defaults. */
  readonly operationLimits?: {
    readonly maxMonitoredItemsPerCall?: number;
    readonly maxNodesPerRead?: number;
    readonly maxNodesPerWrite?: number;
    readonly maxNodesPerBrowse?: number;
    /** Continuation points a session may hold at once (ServerCapabilities, not OperationLimits). */
    readonly maxBrowseContinuationPoints?: number;
  };
  /** Security modes offered (each with every supported policy). Default: None, Sign and SignAndEncrypt. */
  readonly securityModes?: readonly ('None' | 'Sign' | 'SignAndEncrypt')[];
  /** Duration of PackML acting states (Starting, Stopping, ...). Default 500 ms. */
  readonly packmlTransitionMs?: number;
}

export type OpcuaSimulatorEnv = SimulatorEnv & OpcuaSimulatorOptions;

export interface RunningOpcuaSimulator extends RunningSimulator {
  readonly protocol: 'opcua';
  readonly pkiDir: string;
  /** The server certificate a client must trust for Sign and SignAndEncrypt. */
  readonly certificate: { readonly thumbprint: string; readonly subject: string };
  /** Variable path → node id (ns=1;s=...). */
  readonly nodeIds: ReadonlyMap<string, string>;
  /** Sets a variable as the device would; `status` is a StatusCode name such as "BadSensorFailure". */
  setValue(path: string, value: SignalValue | null, options?: { status?: string; sourceTimestamp?: Date }): void;
  readValue(path: string): unknown;
  /** The PackML state code, when the profile has a state machine. */
  packmlState(): number | undefined;
  /** How many requests of a type (e.g. "CreateMonitoredItemsRequest") the server has received. */
  requestCount(type: string): number;
}

export async function startOpcuaSimulator(profile: OpcuaSimulatorProfile, env: OpcuaSimulatorEnv): Promise<RunningOpcuaSimulator> {
  const { startServer } = await import('./server.ts');
  return startServer(profile, env);
}
