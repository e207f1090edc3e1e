// What the MQTT node kinds share within one connector: one connection per device, one Sparkplug
// edge node (with its own session) per device + group + edge node id.
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { DeviceFile } from '../../shared/model/device.ts';
import type { ConnectorEnv } from '../connector.ts';
import type { MqttDevice } from './client-options.ts';
import { MqttConnection, RefPool } from './connection.ts';
import type { EdgeNode } from './sparkplug/edge-node.ts';

export class MqttResources {
  readonly env: ConnectorEnv;
  /** Relative TLS file paths are read from the project folder (the parent of `.plantbench`). */
  readonly baseDir: string;
  private readonly connections = new RefPool<MqttConnection>();
  private readonly edgeNodes = new RefPool<EdgeNode>();
  /** One random suffix per connector, so two workbenches on one broker do not take each other's client id. */
  private readonly suffix = randomBytes(3).toString('hex');

  constructor(env: ConnectorEnv) {
    this.env = env;
    this.baseDir = dirname(env.dataDir);
  }

  /** The device as an MQTT device, or an error naming what is wrong. */
  static mqttDevice(deviceId: string, device: DeviceFile | undefined): MqttDevice {
    if (!device) throw new Error(`device "${deviceId}" is not in the project (or its secrets are unresolved)`);
    if (device.protocol !== 'mqtt') throw new Error(`device "${deviceId}" is ${device.protocol}, not MQTT`);
    return device;
  }

  connection(deviceId: string, device: MqttDevice): MqttConnection {
    return this.connections.acquire(deviceId, () =>
      new MqttConnection({
        device,
        deviceId,
        clientId: device.clientId ?? `plantbench-${deviceId}-${this.suffix}`,
        baseDir: this.baseDir,
        log: this.env.log,
      }),
    );
  }

  releaseConnection(deviceId: string): Promise<void> {
    return this.connections.release(deviceId);
  }

  /** The edge node's session is separate from the device's shared connection: its will is its NDEATH. */
  async edgeNode(deviceId: string, device: MqttDevice, groupId: string, edgeNodeId: string): Promise<{ key: string; node: EdgeNode }> {
    const { EdgeNode } = await import('./sparkplug/edge-node.ts');
    const key = `${deviceId}|${groupId}|${edgeNodeId}`;
    const base = device.clientId ?? `plantbench-${deviceId}`;
    const node = this.edgeNodes.acquire(key, () =>
      new EdgeNode({
        device,
        deviceId,
        groupId,
        edgeNodeId,
        clientId: device.clientId ? `${base}-spb-${edgeNodeId}` : `${base}-spb-${edgeNodeId}-${this.suffix}`,
        baseDir: this.baseDir,
        log: this.env.log,
      }),
    );
    return { key, node };
  }

  releaseEdgeNode(key: string): Promise<void> {
    return this.edgeNodes.release(key);
  }

  async dispose(): Promise<void> {
    // Edge nodes first: their NDEATH goes out before anything else disconnects.
    await this.edgeNodes.closeAll();
    await this.connections.closeAll();
  }
}
