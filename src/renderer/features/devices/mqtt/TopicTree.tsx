import type { DeviceFile } from '../../../../shared/model/device.ts';

// Placeholder until the mqtt discovery view lands.
export function TopicTree({ device }: { device: Extract<DeviceFile, { protocol: 'mqtt' }> }) {
  return <p className="pb-muted pb-pad">Discovery for {device.id} is not built yet.</p>;
}
