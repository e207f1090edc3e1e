import type { DeviceFile } from '../shared/model/device.ts';
import type { SimulatorFile } from '../shared/model/simulator.ts';
import type { RunningSimulator } from '../simulators/index.ts';

/**
 * The device as it is reached through the simulator that stands in for it: only the address
 * changes, so a pipeline runs unchanged against the simulated and the real device.
 */
export function pointDeviceAt(device: DeviceFile, simulator: RunningSimulator, profile: SimulatorFile): DeviceFile {
  if (device.protocol !== simulator.protocol) {
    throw new Error(`simulator "${simulator.id}" speaks ${simulator.protocol} but device "${device.id}" is ${device.protocol}`);
  }
  switch (device.protocol) {
    case 'modbus': {
      const unitId = profile.protocol === 'modbus' ? profile.unitId : device.unitId;
      return { ...device, unitId, transport: { kind: 'tcp', host: simulator.host, port: simulator.port } };
    }
    case 'opcua':
      // The simulator serves without security; the device's own security settings apply to the real PLC.
      return { ...device, endpoint: simulator.endpoint, securityMode: 'None', securityPolicy: 'None', auth: { kind: 'anonymous' } };
    case 'mqtt': {
      const { tls: _tls, username: _u, password: _p, ...rest } = device;
      return { ...rest, url: simulator.endpoint, protocolVersion: 4 };
    }
  }
}
