import { z } from 'zod';
import { value as jsonValue } from '../model/common.ts';

// OPC UA discovery: the server to talk to, and the request/result shapes of endpoints, browse,
// attributes, references, goto and crawl. Pure (no Node), so the renderer builds requests and shows
// results with the shapes the host validates.
//
// Node ids are strings in the `ns=<index>;<type>=<id>` form the server's namespace table gives
// (`i=85` for namespace 0), as every OPC UA tool shows them; requests also accept `nsu=<uri>;…`.
// Paths are browse names from the Root folder joined by "/" (`/Objects/Capper/Speed`), without
// namespace prefixes; a "/" or "&" inside a name is written "&/" or "&&" (OPC UA's RelativePath
// escape). A path without the leading "/" starts at the Objects folder (`Capper/Speed`).

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const OPCUA_SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

/** The server to discover and how to open a session on it (the same fields as an OPC UA device file). */
export const opcuaTarget = z
  .object({
    endpointUrl: z.string().regex(/^opc\.tcp:\/\/[^/\s]+/, 'endpointUrl must be an opc.tcp://host:port URL'),
    securityMode: z.enum(OPCUA_SECURITY_MODES).default('None'),
    securityPolicy: z.enum(OPCUA_SECURITY_POLICIES).default('None'),
    /** The password is the resolved value: the host resolves ${secret:…} before it calls discovery. */
    auth: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('anonymous') }).strict(),
        z.object({ kind: z.literal('username'), username: z.string().min(1), password: z.string() }).strict(),
      ])
      .default({ kind: 'anonymous' }),
  })
  .strict()
  .refine((t) => (t.securityMode === 'None') === (t.securityPolicy === 'None'), {
    path: ['securityPolicy'],
    message: 'securityMode None goes with securityPolicy None, and Sign/SignAndEncrypt need a real policy',
  });
export type OpcuaTarget = z.infer<typeof opcuaTarget>;
export type OpcuaTargetInput = z.input<typeof opcuaTarget>;

// ---------- endpoints (FindServers + GetEndpoints) ----------

export const opcuaCertificate = z
  .object({
    /** SHA-1 of the DER certificate, lowercase hex: what `plantbench trust` takes. */
    thumbprint: z.string(),
    subject: z.string(),
    notBefore: z.string().optional(),
    notAfter: z.string().optional(),
    /** Whether the project's PKI trusts it (checked only when asked for a Sign/SignAndEncrypt session). */
    trusted: z.boolean(),
  })
  .strict();
export type OpcuaCertificate = z.infer<typeof opcuaCertificate>;

export const opcuaEndpoint = z
  .object({
    endpointUrl: z.string(),
    securityMode: z.string(),
    /** Policy name (the part of the URI after "#"), e.g. Basic256Sha256. */
    securityPolicy: z.string(),
    securityLevel: z.number(),
    /** Identity tokens the endpoint accepts: Anonymous, UserName, Certificate, IssuedToken. */
    userTokens: z.array(z.object({ policyId: z.string(), tokenType: z.string(), securityPolicy: z.string().optional() }).strict()),
    transportProfile: z.string().optional(),
    certificate: opcuaCertificate.optional(),
  })
  .strict();
export type OpcuaEndpoint = z.infer<typeof opcuaEndpoint>;

export const opcuaServer = z
  .object({
    applicationUri: z.string(),
    productUri: z.string().optional(),
    applicationName: z.string(),
    /** Server, Client, ClientAndServer or DiscoveryServer. */
    applicationType: z.string(),
    discoveryUrls: z.array(z.string()),
  })
  .strict();

export const opcuaEndpointsRequest = z.object({ endpointUrl: opcuaTarget.shape.endpointUrl }).strict();
export const opcuaEndpointsResult = z
  .object({
    endpointUrl: z.string(),
    servers: z.array(opcuaServer),
    endpoints: z.array(opcuaEndpoint),
    durationMs: z.number(),
  })
  .strict();
export type OpcuaEndpointsResult = z.infer<typeof opcuaEndpointsResult>;

// ---------- browse, attributes, references, goto ----------

export const OPCUA_NODE_CLASSES = ['Object', 'Variable', 'Method', 'ObjectType', 'VariableType', 'ReferenceType', 'DataType', 'View', 'Unspecified'] as const;
export const opcuaNodeClass = z.enum(OPCUA_NODE_CLASSES);
export type OpcuaNodeClass = z.infer<typeof opcuaNodeClass>;

/** A string node id: ns=1;s=Capper.Speed, nsu=urn:…;i=5 or i=85. */
export const opcuaNodeIdText = z
  .string()
  .regex(/^(ns=\d+;|nsu=[^;]+;)?[isgb]=.+$/s, 'a node id looks like ns=1;s=Capper.Speed, nsu=<uri>;i=1001 or i=85');

const browseName = z.object({ namespaceIndex: z.number().int().min(0), name: z.string() }).strict();

/** One child found by Browse (forward hierarchical references). */
export const opcuaReference = z
  .object({
    nodeId: z.string(),
    browseName,
    displayName: z.string(),
    nodeClass: opcuaNodeClass,
    /** Organizes, HasComponent, HasProperty, … (the node id for a type we have no name for). */
    referenceType: z.string(),
    typeDefinition: z.string().optional(),
    /** FolderType, AnalogItemType, … for standard types. */
    typeDefinitionName: z.string().optional(),
    /** Whether browsing this node gives anything; absent when the server did not say. */
    hasChildren: z.boolean().optional(),
  })
  .strict();
export type OpcuaReference = z.infer<typeof opcuaReference>;

export const opcuaBrowseRequest = z
  .object({
    /** Node id or path; default the Objects folder. */
    nodeId: z.string().min(1).default('i=85'),
    /** From a previous result: the next references of the same node (BrowseNext). */
    continuation: z.string().regex(/^[0-9a-f]+$/, 'a continuation is a hex string from a browse result').optional(),
    /** Ask the server for at most this many references (it may send fewer); 0: as many as it likes. */
    maxReferences: z.number().int().min(0).max(100_000).default(1000),
  })
  .strict();
export type OpcuaBrowseRequest = z.input<typeof opcuaBrowseRequest>;

export const opcuaBrowseResult = z
  .object({
    nodeId: z.string(),
    references: z.array(opcuaReference),
    /** Hex continuation point: pass it back for the next references of this node. */
    continuation: z.string().optional(),
  })
  .strict();
export type OpcuaBrowseResult = z.infer<typeof opcuaBrowseResult>;

/** A value as JSON: see docs/opcua.md (Values) for the mapping. */
export const opcuaDataValue = z
  .object({
    value: jsonValue,
    /** Built-in type of the value as sent (Double, Int64, ExtensionObject, …). */
    type: z.string().optional(),
    /** Scalar, Array or Matrix. */
    arrayType: z.string().optional(),
    /** StatusCode name: Good, BadSensorFailure, … */
    status: z.string(),
    statusCode: z.number().int(),
    sourceTimestamp: z.string().optional(),
    serverTimestamp: z.string().optional(),
  })
  .strict();
export type OpcuaDataValue = z.infer<typeof opcuaDataValue>;

export const opcuaEngineeringUnits = z
  .object({ displayName: z.string(), unitId: z.number().int(), description: z.string().optional(), namespaceUri: z.string().optional() })
  .strict();
export type OpcuaEngineeringUnits = z.infer<typeof opcuaEngineeringUnits>;

export const opcuaRange = z.object({ low: z.number(), high: z.number() }).strict();

/** AccessLevel bits, in bit order. */
export const OPCUA_ACCESS_FLAGS = ['CurrentRead', 'CurrentWrite', 'HistoryRead', 'HistoryWrite', 'SemanticChange', 'StatusWrite', 'TimestampWrite'] as const;

export function accessLevelFlags(level: number): string[] {
  return OPCUA_ACCESS_FLAGS.filter((_, bit) => (level & (1 << bit)) !== 0);
}

export const opcuaAttributesRequest = z.object({ nodeIds: z.array(z.string().min(1)).min(1).max(10_000) }).strict();

export const opcuaNodeAttributes = z
  .object({
    nodeId: z.string(),
    /** Set when the node could not be read at all (BadNodeIdUnknown, …). */
    error: z.string().optional(),
    nodeClass: opcuaNodeClass.optional(),
    browseName: browseName.optional(),
    displayName: z.string().optional(),
    description: z.string().optional(),
    /** DataType name (Double, UtcTime, …, or the type's browse name). */
    dataType: z.string().optional(),
    dataTypeId: z.string().optional(),
    /** -1 scalar, 1 one-dimensional array, … (OPC UA ValueRank). */
    valueRank: z.number().int().optional(),
    arrayDimensions: z.array(z.number().int()).optional(),
    accessLevel: z.array(z.string()).optional(),
    userAccessLevel: z.array(z.string()).optional(),
    value: opcuaDataValue.optional(),
    engineeringUnits: opcuaEngineeringUnits.optional(),
    euRange: opcuaRange.optional(),
    minimumSamplingInterval: z.number().optional(),
  })
  .strict();
export type OpcuaNodeAttributes = z.infer<typeof opcuaNodeAttributes>;

export const opcuaAttributesResult = z.object({ nodes: z.array(opcuaNodeAttributes) }).strict();
export type OpcuaAttributesResult = z.infer<typeof opcuaAttributesResult>;

export const opcuaReferencesRequest = z.object({ nodeId: z.string().min(1) }).strict();

export const opcuaReferenceAny = z
  .object({
    direction: z.enum(['forward', 'inverse']),
    referenceType: z.string(),
    nodeId: z.string(),
    browseName,
    displayName: z.string(),
    nodeClass: opcuaNodeClass,
    typeDefinition: z.string().optional(),
  })
  .strict();
export const opcuaReferencesResult = z.object({ nodeId: z.string(), references: z.array(opcuaReferenceAny) }).strict();
export type OpcuaReferencesResult = z.infer<typeof opcuaReferencesResult>;

export const opcuaGotoRequest = z.object({ target: z.string().min(1) }).strict();

export const opcuaPathNode = z
  .object({ nodeId: z.string(), browseName, displayName: z.string(), nodeClass: opcuaNodeClass })
  .strict();
export type OpcuaPathNode = z.infer<typeof opcuaPathNode>;

export const opcuaGotoResult = z
  .object({
    node: opcuaPathNode,
    /** The chain of nodes from Root down to the node (both included). */
    chain: z.array(opcuaPathNode),
    /** /Objects/Capper/Speed */
    path: z.string(),
    /** False when no hierarchical path leads from Root to the node (the chain then starts elsewhere). */
    rooted: z.boolean(),
  })
  .strict();
export type OpcuaGotoResult = z.infer<typeof opcuaGotoResult>;

// ---------- crawl ----------

export const opcuaCrawlRequest = z
  .object({
    /** Node id or path; default the Objects folder. */
    root: z.string().min(1).default('i=85'),
    /** Levels below the root to browse (the root is depth 0). */
    maxDepth: z.number().int().min(0).max(1000).default(64),
    /** At most this many nodes (the root included); the crawl stops there and says so. */
    budget: z.number().int().min(1).max(5_000_000).default(100_000),
    /** Read value, data type, access level, EU and range of every variable (default true). */
    values: z.boolean().default(true),
  })
  .strict();
export type OpcuaCrawlRequest = z.input<typeof opcuaCrawlRequest>;

export const opcuaCrawlNode = z
  .object({
    nodeId: z.string(),
    /** Node id of the parent the crawl reached it from; absent for the root. */
    parent: z.string().optional(),
    path: z.string(),
    depth: z.number().int(),
    browseName,
    displayName: z.string(),
    nodeClass: opcuaNodeClass,
    referenceType: z.string().optional(),
    typeDefinition: z.string().optional(),
    typeDefinitionName: z.string().optional(),
    /** Only for nodes that were not browsed (at maxDepth, or left when the budget ran out): whether they have children. */
    hasChildren: z.boolean().optional(),
    /** Variables other than properties of variables (EURange, …), which only carry their value. */
    dataType: z.string().optional(),
    accessLevel: z.array(z.string()).optional(),
    /** Without timestamps (attributes() gives them): on a large crawl their text costs more than the rest. */
    value: opcuaDataValue.optional(),
    engineeringUnits: opcuaEngineeringUnits.optional(),
    euRange: opcuaRange.optional(),
  })
  .strict();
export type OpcuaCrawlNode = z.infer<typeof opcuaCrawlNode>;

export const opcuaCrawlResult = z
  .object({
    endpointUrl: z.string(),
    root: z.string(),
    /** Parents before children, in the order the crawl found them. */
    nodes: z.array(opcuaCrawlNode),
    /** The server's namespace table (index → URI). */
    namespaces: z.array(z.string()),
    cancelled: z.boolean(),
    /** The budget was reached: more nodes exist. */
    truncated: z.boolean(),
    /** Why the crawl stopped early (the connection failed, …): `nodes` holds what it found before. */
    error: z.string().optional(),
    durationMs: z.number(),
    /** Service calls made: browse, browseNext, read. */
    requests: z.object({ browse: z.number().int(), browseNext: z.number().int(), read: z.number().int() }).strict(),
  })
  .strict();
export type OpcuaCrawlResult = z.infer<typeof opcuaCrawlResult>;

/** What a browser session knows about its server once open. */
export const opcuaSessionInfo = z
  .object({
    endpointUrl: z.string(),
    securityMode: z.string(),
    securityPolicy: z.string(),
    namespaces: z.array(z.string()),
    /** Server operation limits (0: none given). */
    limits: z
      .object({
        maxNodesPerBrowse: z.number().int(),
        maxNodesPerRead: z.number().int(),
        maxNodesPerTranslateBrowsePathsToNodeIds: z.number().int(),
        maxBrowseContinuationPoints: z.number().int(),
      })
      .strict(),
  })
  .strict();
export type OpcuaSessionInfo = z.infer<typeof opcuaSessionInfo>;

// ---------- server certificate trust ----------

/**
 * The `detail` of a failed discovery.opcua.* call when the server certificate is not trusted: the
 * certificate was saved in the project's pki/rejected, and the user decides with discovery.opcua.trust.
 */
export const opcuaUntrustedCertificate = opcuaCertificate
  .omit({ trusted: true })
  .extend({ kind: z.literal('untrusted-certificate'), endpointUrl: z.string() });
export type OpcuaUntrustedCertificate = z.infer<typeof opcuaUntrustedCertificate>;

export const opcuaTrustRequest = z
  .object({
    thumbprint: z.string().regex(/^[0-9a-f]{40}$/, 'a SHA-1 thumbprint is 40 lowercase hex digits'),
    /** once: accepted by this host process until it stops (the certificate stays in pki/rejected); always: moved to pki/trusted/certs. */
    scope: z.enum(['once', 'always']),
  })
  .strict();
export type OpcuaTrustRequest = z.infer<typeof opcuaTrustRequest>;

/** A server certificate in the project PKI; `file` is relative to the project folder. */
export const opcuaPkiCertificate = opcuaCertificate.omit({ trusted: true }).extend({ file: z.string() });

export const opcuaTrustResult = z.object({ scope: z.enum(['once', 'always']), certificate: opcuaPkiCertificate }).strict();

export const opcuaCertificatesResult = z
  .object({
    rejected: z.array(opcuaPkiCertificate),
    trusted: z.array(opcuaPkiCertificate),
    /** Thumbprints accepted once by this host process. */
    acceptedOnce: z.array(z.string()),
  })
  .strict();
export type OpcuaCertificatesResult = z.infer<typeof opcuaCertificatesResult>;
