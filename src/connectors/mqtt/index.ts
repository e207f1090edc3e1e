// The MQTT connector: mqtt-source and mqtt-sink over MQTT.js, one connection per device, Sparkplug B
// edge nodes with their own sessions. See docs/mqtt.md.
import type { NodeKind } from '../../engine/node-kind.ts';
import type { Connector, ConnectorEnv } from '../connector.ts';
import { MqttResources } from './resources.ts';
import { mqttSinkKind } from './sink.ts';
import { mqttSourceKind } from './source.ts';

export function createMqttConnector(env: ConnectorEnv): Connector {
  const resources = new MqttResources(env);
  return {
    kinds: [mqttSourceKind(resources), mqttSinkKind(resources)] as NodeKind<never>[],
    dispose: () => resources.dispose(),
  };
}
