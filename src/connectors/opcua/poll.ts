// Poll mode: the Read service over a session, chunked so no request exceeds the server's
// MaxNodesPerRead, and the server's operation limits. Written against node-opcua's IBasicSession read interface, so a PseudoSession
// (an in-memory address space) can stand in for a server.
import { AttributeIds, VariableIds, type DataValue, type IBasicSessionReadAsyncMultiple, type NodeId } from 'node-opcua';

/** Reads the Value attribute of every node (current values), in chunks of at most `maxPerRead`. */
export async function readValues(session: IBasicSessionReadAsyncMultiple, nodeIds: readonly NodeId[], maxPerRead: number): Promise<DataValue[]> {
  const limit = maxPerRead > 0 ? maxPerRead : nodeIds.length || 1;
  const results: DataValue[] = [];
  for (let i = 0; i < nodeIds.length; i += limit) {
    const chunk = nodeIds.slice(i, i + limit).map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }));
    // No maxAge argument: ClientSession defaults it to 0 (current values), and a PseudoSession takes none.
    results.push(...(await session.read(chunk)));
  }
  return results;
}

export interface OperationLimits {
  /** 0: the server sets no limit. */
  readonly maxNodesPerRead: number;
  readonly maxNodesPerWrite: number;
  readonly maxMonitoredItemsPerCall: number;
}

const limitValue = (dv: DataValue | undefined): number => (dv?.statusCode.isGood() ? Number(dv.value.value) || 0 : 0);

/**
 * The server's operation limits. MaxNodesPerRead is read alone first, so even a server with a tiny
 * limit answers (node-opcua's readOperationLimits reads twelve nodes in one request).
 */
export async function readLimits(session: IBasicSessionReadAsyncMultiple): Promise<OperationLimits> {
  const read = (id: number): { nodeId: string; attributeId: number } => ({ nodeId: `i=${id}`, attributeId: AttributeIds.Value });
  const [perRead] = await session.read([read(VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead)]);
  const maxNodesPerRead = limitValue(perRead);
  const others = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
  ].map(read);
  const values: DataValue[] = [];
  const step = maxNodesPerRead > 0 ? maxNodesPerRead : others.length;
  for (let i = 0; i < others.length; i += step) values.push(...(await session.read(others.slice(i, i + step))));
  return { maxNodesPerRead, maxNodesPerWrite: limitValue(values[0]), maxMonitoredItemsPerCall: limitValue(values[1]) };
}
