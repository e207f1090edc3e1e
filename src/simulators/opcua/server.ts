// The simulated OPC UA device: a node-opcua server on a loopback address offering None, Sign and
// SignAndEncrypt (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss), with its own PKI.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  setDefaultCertificateSubject,
  StatusCodes,
  type StatusCode,
} from 'node-opcua';
import { routeStackLog } from '../../connectors/opcua/stack-log.ts';
import type { CsvSeries } from '../../shared/signals.ts';
import { readCsvSeries } from '../csv-series.ts';
import { loadReplay, reportMissing } from '../replay.ts';
import { describeCertificate } from '../../connectors/opcua/trust.ts';
import { buildAddressSpace, type OpcuaSimulatorProfile } from './address-space.ts';
import type { OpcuaSimulatorEnv, RunningOpcuaSimulator } from './index.ts';

// Certificates created on first use say who made them (node-opcua's default names its vendor).
setDefaultCertificateSubject('/O=Plantbench');

/** The host a client should dial: the bind address, or loopback when bound to every interface. */
function dialHost(bind: string): string {
  return bind === '0.0.0.0' || bind === 'localhost' ? '127.0.0.1' : bind;
}

export async function startServer(profile: OpcuaSimulatorProfile, env: OpcuaSimulatorEnv): Promise<RunningOpcuaSimulator> {
  // CSV replays are read first: a missing file fails the start before anything listens.
  const csv = new Map<string, CsvSeries>();
  const replayTags: string[] = [];
  for (const v of profile.variables) {
    if (v.signal?.kind === 'csv') csv.set(v.path, await readCsvSeries(v.signal, env.baseDir));
    if (v.signal?.kind === 'replay') replayTags.push(v.signal.tag);
  }
  const replay = replayTags.length ? loadReplay(env.baseDir, profile.replay!.recording, replayTags) : undefined;
  if (replay) reportMissing(env, profile.id, replay);
  const unroute = routeStackLog(env.log);
  const ownPki = env.pkiDir === undefined;
  const pkiDir = env.pkiDir ?? (await mkdtemp(join(tmpdir(), 'plantbench-opcua-sim-')));
  // Any client certificate is accepted: the simulator stands in for a device under test, not a secured plant.
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: join(pkiDir, 'server'),
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: join(pkiDir, 'user'),
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  });
  const host = dialHost(profile.bind.host);
  const users = env.users ?? [];
  const limits = env.operationLimits ?? {};
  const modes = env.securityModes ?? ['None', 'Sign', 'SignAndEncrypt'];
  const server = new OPCUAServer({
    host: profile.bind.host === 'localhost' ? '127.0.0.1' : profile.bind.host,
    port: profile.bind.port,
    // Advertise the address clients dial, never the machine's host name.
    hostname: host,
    resourcePath: profile.resourcePath.startsWith('/') ? profile.resourcePath : `/${profile.resourcePath}`,
    serverCertificateManager,
    userCertificateManager,
    securityModes: modes.map((m) => MessageSecurityMode[m]),
    securityPolicies: [
      ...(modes.includes('None') ? [SecurityPolicy.None] : []),
      ...(modes.some((m) => m !== 'None') ? [SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss] : []),
    ],
    allowAnonymous: env.allowAnonymous ?? true,
    userManager: { isValidUser: (name: string, password: string) => users.some((u) => u.username === name && u.password === password) },
    // The server's own namespace (index 1) carries the profile's URI, so ns=1;s=... names the simulated points.
    serverInfo: {
      applicationUri: profile.namespaceUri,
      productUri: 'urn:plantbench:opcua-simulator',
      applicationName: { text: profile.name ?? profile.id },
    },
    buildInfo: { productName: 'Plantbench OPC UA simulator', manufacturerName: 'Plantbench' },
    serverCapabilities: {
      ...(limits.maxBrowseContinuationPoints !== undefined ? { maxBrowseContinuationPoints: limits.maxBrowseContinuationPoints } : {}),
      operationLimits: {
        ...(limits.maxMonitoredItemsPerCall !== undefined ? { maxMonitoredItemsPerCall: limits.maxMonitoredItemsPerCall } : {}),
        ...(limits.maxNodesPerRead !== undefined ? { maxNodesPerRead: limits.maxNodesPerRead } : {}),
        ...(limits.maxNodesPerWrite !== undefined ? { maxNodesPerWrite: limits.maxNodesPerWrite } : {}),
        ...(limits.maxNodesPerBrowse !== undefined ? { maxNodesPerBrowse: limits.maxNodesPerBrowse } : {}),
      },
    },
  });

  let built: ReturnType<typeof buildAddressSpace> | undefined;
  const requests = new Map<string, number>();
  const cleanup = async (): Promise<void> => {
    built?.dispose();
    await server.shutdown().catch(() => undefined);
    await serverCertificateManager.dispose().catch(() => undefined);
    await userCertificateManager.dispose().catch(() => undefined);
    if (ownPki) await rm(pkiDir, { recursive: true, force: true });
    unroute();
  };
  try {
    await server.initialize();
    built = buildAddressSpace(server.engine.addressSpace!, profile, {
      csv,
      ...(replay ? { replay } : {}),
      packmlTransitionMs: env.packmlTransitionMs ?? 500,
    });
    server.on('request', (request: { constructor: { name: string } }) => {
      const name = request.constructor.name;
      requests.set(name, (requests.get(name) ?? 0) + 1);
    });
    await server.start();
  } catch (err) {
    await cleanup();
    throw err;
  }

  const port = server.endpoints[0]!.port;
  const resourcePath = profile.resourcePath.startsWith('/') ? profile.resourcePath : `/${profile.resourcePath}`;
  const endpoint = `opc.tcp://${host}:${port}${resourcePath}`;
  const space = built;
  let stopped: Promise<void> | undefined;
  env.log('info', `OPC UA simulator "${profile.id}" listening`, { endpoint, variables: space.variables.size });

  return {
    id: profile.id,
    protocol: 'opcua',
    host,
    port,
    endpoint,
    pkiDir,
    certificate: describeCertificate(server.getCertificate()),
    nodeIds: new Map([...space.variables].map(([path, v]) => [path, v.nodeId])),
    setValue(path, value, options = {}) {
      const status: StatusCode = options.status
        ? ((StatusCodes as unknown as Record<string, StatusCode | undefined>)[options.status] ??
          (() => {
            throw new Error(`unknown status code name "${options.status}"`);
          })())
        : StatusCodes.Good;
      space.setValue(path, value, status, options.sourceTimestamp);
    },
    readValue(path) {
      const v = space.variables.get(path);
      if (!v) throw new Error(`the simulator has no variable "${path}"`);
      return v.node.readValue().value.value as unknown;
    },
    packmlState: () => space.packml?.state,
    requestCount: (type) => requests.get(type) ?? 0,
    stop() {
      stopped ??= cleanup().then(() => env.log('info', `OPC UA simulator "${profile.id}" stopped`, { endpoint }));
      return stopped;
    },
  };
}
