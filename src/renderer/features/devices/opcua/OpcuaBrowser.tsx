import type { DeviceFile } from '../../../../shared/model/device.ts';

// Placeholder until the opcua discovery view lands.
export function OpcuaBrowser({ device }: { device: Extract<DeviceFile, { protocol: 'opcua' }> }) {
  return <p className="pb-muted pb-pad">Discovery for {device.id} is not built yet.</p>;
}
