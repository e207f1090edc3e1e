import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { scanNetwork } from '../../connectors/discovery/scan.ts';
import { probeModbus, readModbusMap, readModbusRegisters } from '../../connectors/modbus/discovery/probe.ts';
import { displayUrl } from '../../connectors/mqtt/client-options.ts';
import { captureTopics, startTopicCapture, type TopicCapture } from '../../connectors/mqtt/discovery/capture.ts';
import { getOpcuaEndpoints, openOpcuaBrowser, type OpcuaBrowser } from '../../connectors/opcua/discovery/index.ts';
import { listCertificates, trustCertificate, TrustError, type CertificateEntry } from '../../connectors/opcua/trust.ts';
import { probeCacheKey } from '../../shared/discovery/modbus.ts';
import type { MqttCaptureCall, MqttCaptureRequestInput } from '../../shared/discovery/mqtt.ts';
import type { OpcuaTarget, OpcuaUntrustedCertificate } from '../../shared/discovery/opcua.ts';
import type { DeviceFile } from '../../shared/model/device.ts';
import { formatFieldPath, formatProblem } from '../../shared/problem.ts';
import type { discoveryMethods } from '../../shared/rpc/methods/discovery.ts';
import { importableDevice } from '../../shared/rpc/methods/discovery.ts';
import type { SecretLookup } from '../../shared/secret-refs.ts';
import type { DiscoveryCache } from '../../store/discovery-cache.ts';
import { loadProject, resolveDeviceSecrets } from '../../store/project.ts';
import { importDeviceTags, ProjectWriteError, writeSimulatorProfile } from '../../store/project-writes.ts';
import { RpcFailure, type CallContext, type Handlers } from '../rpc/server.ts';

// Discovery over RPC: the services in src/connectors/*/discovery, with results cached in the
// workspace DB so device trees reopen offline. Ids from the UI map to files in the open project.

export interface DiscoveryServiceContext {
  readonly projectRoot: string;
  readonly dataDir: string;
  readonly cache: DiscoveryCache;
  /** As for a run: asked each time a device's credentials are resolved for discovery. */
  readonly secrets: () => Promise<SecretLookup>;
}

type Methods = typeof discoveryMethods;

/** Runs a discovery with the call's progress and cancellation, and caches what it returns. */
async function cached<T>(ctx: DiscoveryServiceContext, kind: string, target: string, call: CallContext, run: (o: { signal: AbortSignal; onProgress: CallContext['progress'] }) => Promise<T>): Promise<T> {
  const result = await run({ signal: call.signal, onProgress: call.progress });
  ctx.cache.put(kind, target, result);
  return result;
}

function writeFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProjectWriteError) throw new RpcFailure(err.message);
    throw err;
  }
}

/**
 * The server certificate behind a failed connect, when the project rejected it (security.ts saved it
 * in pki/rejected): the facts the UI shows in its trust prompt. Any other failure gives undefined.
 */
function untrustedCertificate(err: unknown, dataDir: string, endpointUrl: string): OpcuaUntrustedCertificate | undefined {
  const thumbprint = (err as { thumbprint?: unknown }).thumbprint;
  if (typeof thumbprint !== 'string') return undefined;
  const saved = listCertificates(dataDir).rejected.find((c) => c.thumbprint === thumbprint);
  if (!saved) return undefined;
  const { subject, notBefore, notAfter } = saved;
  return { kind: 'untrusted-certificate', thumbprint, subject, ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}), endpointUrl };
}

/**
 * The connection of devices/<deviceId>.yaml, with its ${secret:…}/${env:…} resolved as for a run.
 * A reference that cannot be resolved in one of the `uses` fields (paths like "auth.password")
 * fails the call, naming it and where it is.
 */
async function deviceConnection<P extends DeviceFile['protocol']>(ctx: DiscoveryServiceContext, deviceId: string, protocol: P, uses: readonly string[]): Promise<Extract<DeviceFile, { protocol: P }>> {
  const loaded = loadProject(ctx.projectRoot);
  const entry = loaded.devices.get(deviceId);
  if (!entry) throw new RpcFailure(`no device "${deviceId}" in this project (devices/${deviceId}.yaml)`);
  if (!entry.model) {
    const problem = loaded.problems.find((p) => p.file === entry.file);
    throw new RpcFailure(`${entry.file} is not valid${problem ? `: ${formatProblem(problem)}` : ''}`);
  }
  if (entry.model.protocol !== protocol) throw new RpcFailure(`${entry.file}: the device speaks ${entry.model.protocol}, not ${protocol}`);
  const { devices, problems } = resolveDeviceSecrets(loaded, [deviceId], await ctx.secrets());
  const used = (path: readonly (string | number)[]): boolean => uses.some((u) => formatFieldPath(path) === u || formatFieldPath(path).startsWith(`${u}.`));
  const unresolved = problems.filter((p) => used(p.path));
  if (unresolved.length) throw new RpcFailure(unresolved.map(formatProblem).join('; '));
  return devices.get(deviceId) as Extract<DeviceFile, { protocol: P }>;
}

/** The capture request of a call: the broker by url as given, or the connection of a project device. */
async function captureRequestFor(ctx: DiscoveryServiceContext, call: MqttCaptureCall): Promise<MqttCaptureRequestInput> {
  const { deviceId, url, protocolVersion, ...rest } = call;
  if (deviceId === undefined) return { ...rest, url: url!, ...(protocolVersion ? { protocolVersion } : {}) };
  // Credentials typed for this capture stand in for the device's (and its references).
  const fromDevice = (['username', 'password'] as const).filter((f) => rest[f] === undefined);
  const device = await deviceConnection(ctx, deviceId, 'mqtt', ['url', 'tls', ...fromDevice]);
  return {
    ...(device.username !== undefined ? { username: device.username } : {}),
    ...(device.password !== undefined ? { password: device.password } : {}),
    ...rest,
    url: device.url,
    protocolVersion: protocolVersion ?? device.protocolVersion,
    ...(device.tls ? { tls: device.tls } : {}),
  };
}

/** The session for an OPC UA call: with deviceId, the device's identity (only for its own endpoint). */
async function sessionTarget(ctx: DiscoveryServiceContext, target: OpcuaTarget, deviceId: string | undefined): Promise<OpcuaTarget> {
  if (deviceId === undefined) return target;
  const device = await deviceConnection(ctx, deviceId, 'opcua', ['endpoint', 'auth']);
  if (device.endpoint !== target.endpointUrl) throw new RpcFailure(`devices/${deviceId}.yaml signs in at ${device.endpoint}, not ${target.endpointUrl}: its identity is only sent to its own endpoint`);
  return { ...target, auth: device.auth };
}

/** A browser session is kept per server and identity while the user browses, closed when idle. */
const BROWSER_IDLE_MS = 120_000;
/** Live MQTT captures one UI may hold open at once. */
const MAX_CAPTURES = 4;

export function createDiscoveryHandlers(ctx: DiscoveryServiceContext): { handlers: Handlers<Methods>; dispose(): Promise<void> } {
  const browsers = new Map<string, { browser: Promise<OpcuaBrowser>; idle?: NodeJS.Timeout }>();
  const captures = new Map<string, TopicCapture>();
  let nextCapture = 1;
  /** Server certificates the user trusted once: accepted by browsers this host opens until it stops. */
  const acceptedOnce = new Set<string>();
  const pkiEntry = (c: CertificateEntry) => ({
    thumbprint: c.thumbprint,
    subject: c.subject,
    ...(c.notBefore ? { notBefore: c.notBefore } : {}),
    ...(c.notAfter ? { notAfter: c.notAfter } : {}),
    file: relative(ctx.projectRoot, c.file),
  });

  const closeBrowser = (key: string): void => {
    const entry = browsers.get(key);
    browsers.delete(key);
    if (entry?.idle) clearTimeout(entry.idle);
    void entry?.browser.then((b) => b.close()).catch(() => {});
  };

  /**
   * Runs fn on the session for this target (or the device's identity), opening it when needed; a
   * failed session is forgotten. A device's credentials are resolved when its session opens.
   */
  async function withBrowser<T>(target: OpcuaTarget, deviceId: string | undefined, fn: (b: OpcuaBrowser) => Promise<T>): Promise<T> {
    const key = JSON.stringify([target.endpointUrl, target.securityMode, target.securityPolicy, deviceId === undefined ? target.auth : { device: deviceId }]);
    let entry = browsers.get(key);
    if (!entry) {
      const created: { browser: Promise<OpcuaBrowser>; idle?: NodeJS.Timeout } = {
        browser: sessionTarget(ctx, target, deviceId).then((t) => openOpcuaBrowser(t, { dataDir: ctx.dataDir, acceptedOnce })).catch((err: unknown) => {
          // Forgotten at once (its idle timer too), so the next call, e.g. after a trust decision, opens afresh.
          if (browsers.get(key) === created) browsers.delete(key);
          clearTimeout(created.idle);
          const detail = untrustedCertificate(err, ctx.dataDir, target.endpointUrl);
          throw detail ? new RpcFailure((err as Error).message, { detail }) : err;
        }),
      };
      entry = created;
      browsers.set(key, entry);
    }
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = setTimeout(() => closeBrowser(key), BROWSER_IDLE_MS);
    entry.idle.unref();
    try {
      return await fn(await entry.browser);
    } catch (err) {
      if (err instanceof RpcFailure) throw err;
      // A broken session (server gone) is reopened on the next call.
      if (/BadSession|closed|disconnect|ECONNRE/i.test((err as Error).message)) closeBrowser(key);
      throw new RpcFailure((err as Error).message);
    }
  }

  const capture = (captureId: string): TopicCapture => {
    const c = captures.get(captureId);
    if (!c) throw new RpcFailure(`no capture "${captureId}" (stopped, or the host restarted)`);
    return c;
  };

  const handlers: Handlers<Methods> = {
    'discovery.cached': async ({ kind }) => ctx.cache.list(kind),
    'discovery.last': async ({ kind, target }) => {
      const hit = ctx.cache.get(kind, target);
      return hit ? { takenAt: hit.takenAt, result: hit.result } : null;
    },
    'discovery.scan': (request, call) => cached(ctx, 'scan', `${request.targets} ports ${request.ports.join(',')}`, call, (o) => scanNetwork(request, o)),
    'discovery.modbus.probe': (request, call) => cached(ctx, 'modbus.probe', probeCacheKey(request.target.transport), call, (o) => probeModbus(request, o)),
    'discovery.modbus.read': (request, call) => readModbusRegisters(request, { signal: call.signal }),
    'discovery.modbus.readMap': (request, call) => readModbusMap(request, { signal: call.signal }),
    'discovery.opcua.endpoints': async ({ endpointUrl }) => {
      try {
        return await getOpcuaEndpoints(endpointUrl, { dataDir: ctx.dataDir });
      } catch (err) {
        throw new RpcFailure((err as Error).message);
      }
    },
    'discovery.opcua.browse': async ({ target, deviceId, nodeId, continuation, maxReferences }) => {
      const result = await withBrowser(target, deviceId, (b) => b.browse(nodeId, { maxReferences, ...(continuation ? { continuation } : {}) }));
      if (!continuation) ctx.cache.put('opcua.browse', `${target.endpointUrl} ${nodeId}`, result);
      return result;
    },
    'discovery.opcua.attributes': ({ target, deviceId, nodeIds }) => withBrowser(target, deviceId, (b) => b.attributes(nodeIds)),
    'discovery.opcua.references': ({ target, deviceId, nodeId }) => withBrowser(target, deviceId, (b) => b.references(nodeId)),
    'discovery.opcua.goto': ({ target, deviceId, to }) => withBrowser(target, deviceId, (b) => b.goto(to)),
    'discovery.opcua.crawl': ({ target, deviceId, ...request }, call) =>
      cached(ctx, 'opcua.crawl', `${target.endpointUrl} ${request.root}`, call, (o) => withBrowser(target, deviceId, (b) => b.crawl(request, o))),
    'discovery.opcua.trust': async ({ thumbprint, scope }) => {
      if (scope === 'always') {
        try {
          return { scope, certificate: pkiEntry(trustCertificate(ctx.dataDir, thumbprint)) };
        } catch (err) {
          if (err instanceof TrustError) throw new RpcFailure(err.message);
          throw err;
        }
      }
      // Only a certificate the project rejected (and so the user was shown) can be accepted once.
      const rejected = listCertificates(ctx.dataDir).rejected.find((c) => c.thumbprint === thumbprint);
      if (!rejected) throw new RpcFailure(`no rejected server certificate has the thumbprint ${thumbprint}`);
      acceptedOnce.add(thumbprint);
      return { scope, certificate: pkiEntry(rejected) };
    },
    'discovery.opcua.certificates': async () => {
      const { rejected, trusted } = listCertificates(ctx.dataDir);
      return { rejected: rejected.map(pkiEntry), trusted: trusted.map(pkiEntry), acceptedOnce: [...acceptedOnce] };
    },
    'discovery.mqtt.capture': async (params, call) => {
      const request = await captureRequestFor(ctx, params);
      // Cached under the url without credentials, as a stopped live capture is.
      return cached(ctx, 'mqtt.capture', displayUrl(request.url), call, async (o) => {
        try {
          return await captureTopics(request, { ...o, baseDir: ctx.projectRoot });
        } catch (err) {
          throw new RpcFailure((err as Error).message);
        }
      });
    },
    'discovery.mqtt.start': async (params, call) => {
      if (captures.size >= MAX_CAPTURES) throw new RpcFailure(`${MAX_CAPTURES} captures are running; stop one first`);
      const request = await captureRequestFor(ctx, params);
      let started: TopicCapture;
      try {
        started = await startTopicCapture(request, { signal: call.signal, baseDir: ctx.projectRoot });
      } catch (err) {
        throw new RpcFailure((err as Error).message);
      }
      const captureId = `capture-${nextCapture++}`;
      captures.set(captureId, started);
      return { captureId };
    },
    'discovery.mqtt.tree': async ({ captureId, query }) => {
      const c = capture(captureId);
      const { messages, topics, connected, warnings } = c.stats();
      return { tree: c.snapshot(query) ?? null, messages, topics, connected, warnings };
    },
    'discovery.mqtt.stop': async ({ captureId }) => {
      const c = capture(captureId);
      captures.delete(captureId);
      await c.stop();
      const result = c.result();
      ctx.cache.put('mqtt.capture', c.url, result);
      return result;
    },
    'discovery.import': async ({ deviceId, protocol, tags, create, onConflict }) => {
      let device: Omit<DeviceFile, 'tags'> | undefined;
      if (create !== undefined) {
        const parsed = importableDevice.safeParse({ ...(create as object), id: deviceId, tags: [] });
        if (!parsed.success) throw new RpcFailure(`create: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        if (parsed.data.protocol !== protocol) throw new RpcFailure(`create: the device speaks ${parsed.data.protocol}, the tags are ${protocol}`);
        device = parsed.data;
      }
      const r = writeFailure(() => importDeviceTags(ctx.projectRoot, deviceId, protocol, tags as never, { onConflict, ...(device ? { create: device as never } : {}) }));
      return { ...r, added: [...r.added], replaced: [...r.replaced], skipped: [...r.skipped], unchanged: [...r.unchanged] };
    },
    'discovery.snapshot': async ({ profile, overwrite }) => {
      const file = join(ctx.projectRoot, 'simulators', `${profile.id}.yaml`);
      if (existsSync(file) && !overwrite) throw new RpcFailure(`simulators/${profile.id}.yaml exists; choose another id or overwrite it`);
      writeFailure(() => writeSimulatorProfile(file, profile));
      return { file: `simulators/${profile.id}.yaml`, id: profile.id };
    },
  };
  return {
    handlers,
    async dispose() {
      for (const key of [...browsers.keys()]) closeBrowser(key);
      await Promise.allSettled([...captures.values()].map((c) => c.stop()));
      captures.clear();
    },
  };
}
