/** A running simulated device: a real protocol server on a loopback address. */
export interface RunningSimulator {
  readonly id: string;
  readonly protocol: 'modbus' | 'opcua' | 'mqtt';
  /** The address it listens on, after port 0 was resolved. */
  readonly host: string;
  readonly port: number;
  /** modbus://host:port (unit n), opc.tcp://host:port/path, mqtt://host:port */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface SimulatorEnv {
  /** Folder that relative file paths in the profile (CSV replays) are read from. */
  readonly baseDir: string;
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}
