import type { DeviceFile } from '../../../../shared/model/device.ts';

// Placeholder until the modbus discovery view lands.
export function ModbusProbe({ device }: { device: Extract<DeviceFile, { protocol: 'modbus' }> }) {
  return <p className="pb-muted pb-pad">Discovery for {device.id} is not built yet.</p>;
}
