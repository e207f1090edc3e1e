import { z } from 'zod';
import { modbusMapReadRequest, modbusMapValue, modbusProbeRequest, modbusProbeResult, modbusReadRequest, modbusReadResult } from '../../discovery/modbus.ts';
import { mqttCaptureCall, mqttCaptureResult, mqttTopicNode, mqttTreeQuery } from '../../discovery/mqtt.ts';
import {
  opcuaAttributesRequest,
  opcuaAttributesResult,
  opcuaCertificatesResult,
  opcuaBrowseRequest,
  opcuaBrowseResult,
  opcuaCrawlRequest,
  opcuaCrawlResult,
  opcuaEndpointsRequest,
  opcuaEndpointsResult,
  opcuaGotoRequest,
  opcuaGotoResult,
  opcuaReferencesRequest,
  opcuaReferencesResult,
  opcuaTarget,
  opcuaTrustRequest,
  opcuaTrustResult,
} from '../../discovery/opcua.ts';
import { scanRequest, scanResult } from '../../discovery/scan.ts';
import { deviceFile, modbusTag, mqttTag, opcuaTag, simulatorFile } from '../../model/index.ts';
import { event, method } from '../define.ts';
import { projectId } from './common.ts';

// Discovery over RPC: the services of src/connectors/*/discovery. Long operations report progress
// and can be cancelled; their results are cached in the workspace DB (discovery.cached/.last), so
// device trees reopen offline. Turning results into tags or simulator profiles uses the pure
// functions in src/shared/discovery; the host validates and writes them into the open project.
// An OPC UA call refused for an untrusted server certificate fails with `detail`
// (opcuaUntrustedCertificate): the UI asks the user and calls discovery.opcua.trust.

const cacheEntry = z.object({ kind: z.string(), target: z.string(), takenAt: z.number(), bytes: z.number() });

/**
 * The OPC UA session of a call. With deviceId, it signs in as devices/<deviceId>.yaml does: the
 * host takes the device's auth (its ${secret:…}/${env:…} password resolved as for a run) in place
 * of target.auth, and only for the device's own endpoint.
 */
const opcuaSession = { target: opcuaTarget, deviceId: projectId.optional() };

export const discoveryMethods = {
  'discovery.cached': method({
    summary: 'What discovery results are cached for this project, newest first.',
    request: z.object({ kind: z.string().max(50).optional() }).strict(),
    response: z.array(cacheEntry),
  }),
  'discovery.last': method({
    summary: 'The cached result of one discovery, with when it was taken.',
    request: z.object({ kind: z.string().max(50), target: z.string().max(2000) }).strict(),
    response: z.object({ takenAt: z.number(), result: z.unknown() }).nullable(),
  }),
  'discovery.scan': method({ summary: 'Network scan: TCP probes confirmed by protocol handshakes.', request: scanRequest, response: scanResult, progress: true }),
  'discovery.modbus.probe': method({
    summary: 'Modbus unit sweep and readable-range probe (exception 02 bisection) within a request budget.',
    request: modbusProbeRequest,
    response: modbusProbeResult,
    progress: true,
  }),
  'discovery.modbus.read': method({ summary: 'Reads a register or bit range (for the register view).', request: modbusReadRequest, response: modbusReadResult }),
  'discovery.modbus.readMap': method({ summary: 'Reads and decodes the rows of a register map.', request: modbusMapReadRequest, response: z.array(modbusMapValue) }),
  'discovery.opcua.endpoints': method({ summary: 'FindServers and GetEndpoints: security modes, policies and certificate thumbprints.', request: opcuaEndpointsRequest, response: opcuaEndpointsResult }),
  'discovery.opcua.browse': method({
    summary: 'One level below a node (lazy browse; pass the continuation back for more).',
    request: z.object({ ...opcuaSession, ...opcuaBrowseRequest.shape }).strict(),
    response: opcuaBrowseResult,
  }),
  'discovery.opcua.attributes': method({ summary: 'Attributes of nodes: class, data type, access, value, EU, range.', request: z.object({ ...opcuaSession, ...opcuaAttributesRequest.shape }).strict(), response: opcuaAttributesResult }),
  'discovery.opcua.references': method({ summary: 'Forward and inverse references of a node.', request: z.object({ ...opcuaSession, ...opcuaReferencesRequest.shape }).strict(), response: opcuaReferencesResult }),
  'discovery.opcua.goto': method({ summary: 'A node by NodeId or browse path, with its path back to the root.', request: z.object({ ...opcuaSession, to: opcuaGotoRequest.shape.target }).strict(), response: opcuaGotoResult }),
  'discovery.opcua.crawl': method({
    summary: 'Full crawl below a node with a node budget.',
    request: z.object({ ...opcuaSession, ...opcuaCrawlRequest.shape }).strict(),
    response: opcuaCrawlResult,
    progress: true,
  }),
  'discovery.opcua.trust': method({
    summary: 'Trusts a server certificate the project rejected (a failed OPC UA call gave its thumbprint in detail): once for this host, or always (pki/trusted).',
    request: opcuaTrustRequest,
    response: opcuaTrustResult,
  }),
  'discovery.opcua.certificates': method({ summary: 'Server certificates in the project PKI: rejected (waiting for a decision) and trusted.', request: z.object({}).strict(), response: opcuaCertificatesResult }),
  'discovery.mqtt.capture': method({
    summary: 'Captures a broker topic tree for the request duration (a broker url, or a project device by deviceId).',
    request: mqttCaptureCall,
    response: mqttCaptureResult,
    progress: true,
  }),
  'discovery.mqtt.start': method({
    summary: 'Starts a live topic capture (a broker url, or a project device by deviceId); read it with discovery.mqtt.tree.',
    request: mqttCaptureCall,
    response: z.object({ captureId: z.string() }),
  }),
  'discovery.mqtt.tree': method({
    summary: 'The live tree of a capture (msg/s, last payloads), cut down to the query, with the connection state and warnings.',
    request: z.object({ captureId: z.string().max(100), query: mqttTreeQuery.default({}) }).strict(),
    response: z.object({
      tree: mqttTopicNode.nullable(),
      messages: z.number(),
      topics: z.number(),
      /** False while the connection is lost (the capture reconnects by itself). */
      connected: z.boolean(),
      /** A refused subscription, a lost connection, a fallback to MQTT 3.1.1, … */
      warnings: z.array(z.string()),
    }),
  }),
  'discovery.mqtt.stop': method({ summary: 'Stops a live capture; returns everything captured.', request: z.object({ captureId: z.string().max(100) }).strict(), response: mqttCaptureResult }),
  'discovery.import': method({
    summary: 'Merges selected tags into devices/<deviceId>.yaml (created from `create` when missing).',
    request: z
      .object({
        deviceId: projectId,
        tags: z.union([z.array(modbusTag), z.array(opcuaTag), z.array(mqttTag)]),
        protocol: z.enum(['modbus', 'opcua', 'mqtt']),
        create: z.unknown().optional(),
        onConflict: z.enum(['skip', 'replace']).default('skip'),
      })
      .strict(),
    response: z.object({ file: z.string(), created: z.boolean(), added: z.array(z.string()), replaced: z.array(z.string()), skipped: z.array(z.string()), unchanged: z.array(z.string()) }),
  }),
  'discovery.snapshot': method({
    summary: 'Writes a simulator profile (from the snapshot functions) as simulators/<id>.yaml.',
    request: z.object({ profile: simulatorFile, overwrite: z.boolean().default(false) }).strict(),
    response: z.object({ file: z.string(), id: z.string() }),
  }),
};

export const discoveryEvents = {};

/** The device connection a discovery import may create. */
export const importableDevice = deviceFile;
