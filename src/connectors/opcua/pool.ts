// Device connections of one connector, ref-counted: the first node that needs a device opens its
// connection, the last one to let go closes it. node-opcua is imported here, lazily, on first use.
import type { ConnectorEnv } from '../connector.ts';
import type { ClosableConnection, OpcuaStack } from './connection.ts';
import type { OpcuaConnection, OpcuaDevice } from './types.ts';

export interface Lease {
  readonly connection: OpcuaConnection;
  release(): Promise<void>;
}

interface Entry {
  readonly connection: ClosableConnection;
  users: number;
}

/** Two nodes share a connection only when the device settings that shape it are the same. */
function connectionKey(device: OpcuaDevice): string {
  const { endpoint, securityMode, securityPolicy, auth, publishingIntervalMs, samplingIntervalMs } = device;
  return JSON.stringify([device.id, endpoint, securityMode, securityPolicy, auth, publishingIntervalMs, samplingIntervalMs]);
}

export class ConnectionPool {
  private readonly env: ConnectorEnv;
  private stack?: Promise<OpcuaStack>;
  private readonly entries = new Map<string, Entry>();
  private disposed = false;

  constructor(env: ConnectorEnv) {
    this.env = env;
  }

  async acquire(device: OpcuaDevice): Promise<Lease> {
    if (this.disposed) throw new Error('the OPC UA connector has been disposed');
    this.stack ??= import('./connection.ts').then((m) => m.createStack(this.env));
    const stack = await this.stack;
    if (this.disposed) throw new Error('the OPC UA connector has been disposed');
    const key = connectionKey(device);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { connection: stack.connect(device), users: 0 };
      this.entries.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      connection: held.connection,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.users > 0) return;
        if (this.entries.get(key) === held) this.entries.delete(key);
        await held.connection.close();
      },
    };
  }

  /** Closes every connection, whoever still holds it. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(entries.map((e) => e.connection.close()));
    const stack = await this.stack?.catch(() => undefined);
    await stack?.dispose();
  }
}
