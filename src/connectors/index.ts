import type { Connector, ConnectorEnv } from './connector.ts';
import { createModbusConnector } from './modbus/index.ts';
import { createMqttConnector } from './mqtt/index.ts';
import { createOpcuaConnector } from './opcua/index.ts';

export type { Connector, ConnectorEnv } from './connector.ts';

/** Every protocol connector. Creating them is cheap: each opens connections only when a node starts. */
export function createConnectors(env: ConnectorEnv): Connector {
  const connectors = [createModbusConnector(env), createOpcuaConnector(env), createMqttConnector(env)];
  return {
    kinds: connectors.flatMap((c) => c.kinds),
    dispose: async () => {
      await Promise.allSettled(connectors.map((c) => c.dispose()));
    },
  };
}
