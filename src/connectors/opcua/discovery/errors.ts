// Errors of OPC UA discovery that callers tell apart without loading node-opcua.

/** A request about a node that cannot be answered (unknown node, path not found, service refused): the message says why. */
export class DiscoveryError extends Error {}
