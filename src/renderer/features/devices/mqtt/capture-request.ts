import type { MqttCaptureRequestInput } from '../../../../shared/discovery/mqtt.ts';
import type { DeviceFile } from '../../../../shared/model/device.ts';
import { findSecretRefs } from '../../../../shared/secret-refs.ts';

// The live capture request for a project's MQTT device: its connection, the topic filters the user
// typed, and credentials. The host passes username and password to the broker as given: it does not
// resolve ${secret:…}/${env:…} for discovery, and the renderer never sees secret values. So a
// reference is never sent; the user may type the credentials for this capture instead.
// While a simulated run goes, the device is its simulator, as for the run's pipelines. Pure.

export type MqttDevice = Extract<DeviceFile, { protocol: 'mqtt' }>;

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

/** The credential fields of the device that hold a reference, as written ("${secret:UNS_PASSWORD}"). */
export function credentialRefs(device: MqttDevice): { field: 'username' | 'password'; ref: string }[] {
  return findSecretRefs({ username: device.username, password: device.password }).map((r) => ({
    field: r.path[0] as 'username' | 'password',
    ref: `\${${r.kind}:${r.name}}`,
  }));
}

/** Topic filters typed as a list separated by spaces or commas; "#" when empty. */
export function parseTopicFilters(text: string): string[] {
  const filters = text.split(/[\s,]+/).filter((f) => f.length > 0);
  return filters.length ? filters : ['#'];
}

/**
 * The endpoint of the simulator that stands in for a device while a simulated run goes (the run
 * points devices at their simulators, which may have moved to another port when theirs was taken).
 */
export function simulatorFor(
  deviceId: string,
  simulators: readonly { id: string; device?: string }[],
  running: readonly { id: string; endpoint: string }[],
): { id: string; endpoint: string } | undefined {
  const profile = simulators.find((s) => s.device === deviceId);
  return profile && running.find((r) => r.id === profile.id);
}

/**
 * The request for discovery.mqtt.start. The device's client id is left out on purpose: a second
 * connection with the same id would push the device's own connection (a running pipeline) off
 * the broker; the host picks a fresh one.
 */
export function captureRequest(device: MqttDevice, filters: readonly string[], typed: Credentials = {}, simulator?: { endpoint: string }): MqttCaptureRequestInput {
  // A simulator speaks plain MQTT 3.1.1 without credentials (as the run connects to it).
  if (simulator) return { url: simulator.endpoint, topics: [...filters], protocolVersion: 4 };
  const refs = new Set(credentialRefs(device).map((r) => r.field));
  const username = typed.username || (refs.has('username') ? undefined : device.username);
  const password = typed.password || (refs.has('password') ? undefined : device.password);
  return {
    url: device.url,
    topics: [...filters],
    protocolVersion: device.protocolVersion,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(device.tls ? { tls: device.tls } : {}),
  };
}
