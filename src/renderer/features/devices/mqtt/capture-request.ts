import type { MqttCaptureCallInput } from '../../../../shared/discovery/mqtt.ts';
import type { DeviceFile } from '../../../../shared/model/device.ts';
import { findSecretRefs } from '../../../../shared/secret-refs.ts';

// The live capture request for a project's MQTT device: the device by id (the host connects as
// the device file says and resolves its ${secret:…}/${env:…} credentials as for a run; the renderer
// never sees secret values) and the topic filters the user typed. Credentials typed for one
// capture replace the device's, for when the host cannot resolve a reference.
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
 * The request for discovery.mqtt.start. The host leaves the device's client id out on purpose: a
 * second connection with the same id would push the device's own connection (a running pipeline)
 * off the broker.
 */
export function captureRequest(device: MqttDevice, filters: readonly string[], typed: Credentials = {}, simulator?: { endpoint: string }): MqttCaptureCallInput {
  // A simulator speaks plain MQTT 3.1.1 without credentials (as the run connects to it).
  if (simulator) return { url: simulator.endpoint, topics: [...filters], protocolVersion: 4 };
  return {
    deviceId: device.id,
    topics: [...filters],
    ...(typed.username ? { username: typed.username } : {}),
    ...(typed.password ? { password: typed.password } : {}),
  };
}

/** The host could not resolve a credential reference (its message names each one). */
export const unresolvedCredentials = (error: string | undefined): boolean => /unresolved \$\{(secret|env):/.test(error ?? '');
