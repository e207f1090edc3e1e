// Which session the browser opens: the device file's endpoint, security and identity by default,
// or another security setting the engineer picked. A device that signs in with a user name is
// named by id: the host takes its identity from the device file and resolves the ${secret:…} or
// ${env:…} password as for a run (the UI never sees it); the engineer may browse anonymously instead. Pure.
import { OPCUA_SECURITY_MODES, OPCUA_SECURITY_POLICIES, type OpcuaEndpoint, type OpcuaTargetInput } from '../../../../shared/discovery/opcua.ts';
import type { DeviceFile } from '../../../../shared/model/device.ts';

export type OpcuaDevice = Extract<DeviceFile, { protocol: 'opcua' }>;
type Mode = (typeof OPCUA_SECURITY_MODES)[number];
type Policy = (typeof OPCUA_SECURITY_POLICIES)[number];

export interface BrowseSettings {
  readonly securityMode: Mode;
  readonly securityPolicy: Policy;
  /** Browse without the device's user name (when its password cannot be resolved, or the server allows anonymous). */
  readonly anonymous: boolean;
}

export const deviceSettings = (device: OpcuaDevice): BrowseSettings => ({ securityMode: device.securityMode, securityPolicy: device.securityPolicy, anonymous: false });

export const sameSettings = (a: BrowseSettings, b: BrowseSettings): boolean =>
  a.securityMode === b.securityMode && a.securityPolicy === b.securityPolicy && a.anonymous === b.anonymous;

export const securityLabel = (s: { securityMode: string; securityPolicy: string }): string =>
  s.securityMode === 'None' ? 'None' : `${s.securityMode} · ${s.securityPolicy}`;

/** What every discovery.opcua.* call of a browser names: the target, and the device whose identity the host signs in with. */
export interface BrowseSession {
  readonly target: OpcuaTargetInput;
  readonly deviceId?: string;
}

/** The session to open: anonymous, or as the device signs in (the host resolves its password). */
export function browseTarget(device: OpcuaDevice, settings: BrowseSettings): BrowseSession {
  const { securityMode, securityPolicy } = settings;
  const target = { endpointUrl: device.endpoint, securityMode, securityPolicy };
  if (device.auth.kind === 'username' && !settings.anonymous) return { target, deviceId: device.id };
  return { target: { ...target, auth: { kind: 'anonymous' } } };
}

/** The settings to browse with on an endpoint the server offers; undefined when Plantbench does not speak its mode or policy. */
export function settingsOf(endpoint: OpcuaEndpoint, anonymous: boolean): BrowseSettings | undefined {
  const mode = OPCUA_SECURITY_MODES.find((m) => m === endpoint.securityMode);
  const policy = OPCUA_SECURITY_POLICIES.find((p) => p === endpoint.securityPolicy);
  if (!mode || !policy || (mode === 'None') !== (policy === 'None')) return undefined;
  return { securityMode: mode, securityPolicy: policy, anonymous };
}

/** A SHA-1 thumbprint in groups of two hex digits, upper case: "3F:A2:…", as certificate viewers show it. */
export function groupedThumbprint(hex: string): string {
  return (hex.toUpperCase().match(/.{1,2}/g) ?? []).join(':');
}

/** ISO time as a short local date and time. */
export function shortDate(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
