import type { DeviceFile } from '../../../shared/model/device.ts';
import { ModbusProbe } from './modbus/ModbusProbe.tsx';
import { TopicTree } from './mqtt/TopicTree.tsx';
import { OpcuaBrowser } from './opcua/OpcuaBrowser.tsx';

// The live discovery view of one project device, by protocol: the OPC UA address space, the Modbus
// register-map probe, the MQTT topic tree. Each talks to the host's discovery.* methods itself.

export function DeviceDiscovery({ device }: { device: DeviceFile }) {
  switch (device.protocol) {
    case 'opcua':
      return <OpcuaBrowser device={device} />;
    case 'modbus':
      return <ModbusProbe device={device} />;
    case 'mqtt':
      return <TopicTree device={device} />;
    default:
      return null;
  }
}
