// Helpers written against node-opcua's IBasicSession interfaces (ARCHITECTURE §7): any session will
// do, so a recording fake stands in for a server here.
import { DataType, DataValue, StatusCodes, VariableIds, type IBasicSessionReadAsyncMultiple, type NodeId, type ReadValueIdOptions } from 'node-opcua';
import { coerceNodeId } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { readLimits, readValues } from '../../../src/connectors/opcua/poll.ts';

/** A session whose Read refuses more than `limit` nodes, like a server with MaxNodesPerRead. */
function fakeSession(limit: number, values: Map<string, number>) {
  const calls: number[] = [];
  const session = {
    async read(nodes: ReadValueIdOptions[]): Promise<DataValue[]> {
      calls.push(nodes.length);
      if (limit > 0 && nodes.length > limit) throw new Error('serviceResult = BadTooManyOperations (0x80100000)');
      return nodes.map((n) => {
        const v = values.get(String(n.nodeId));
        return v === undefined
          ? new DataValue({ statusCode: StatusCodes.BadNodeIdUnknown })
          : new DataValue({ value: { dataType: DataType.UInt32, value: v } });
      });
    },
  } as unknown as IBasicSessionReadAsyncMultiple;
  return { session, calls };
}

describe('session helpers', () => {
  it('reads values in chunks of at most MaxNodesPerRead, keeping their order', async () => {
    const ids: NodeId[] = Array.from({ length: 10 }, (_, i) => coerceNodeId(`ns=1;i=${i}`));
    const { session, calls } = fakeSession(4, new Map(ids.map((id, i) => [id.toString(), i])));
    const values = await readValues(session, ids, 4);
    expect(calls).toEqual([4, 4, 2]);
    expect(values.map((dv) => dv.value.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reads MaxNodesPerRead alone first, so a server with a tiny limit still answers', async () => {
    const limits = new Map([
      [`i=${VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead}`, 1],
      [`i=${VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite}`, 50],
      [`i=${VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall}`, 100],
    ]);
    const { session, calls } = fakeSession(1, limits);
    expect(await readLimits(session)).toEqual({ maxNodesPerRead: 1, maxNodesPerWrite: 50, maxMonitoredItemsPerCall: 100 });
    expect(calls).toEqual([1, 1, 1]);
  });

  it('treats missing limits as "no limit"', async () => {
    const { session } = fakeSession(0, new Map());
    expect(await readLimits(session)).toEqual({ maxNodesPerRead: 0, maxNodesPerWrite: 0, maxMonitoredItemsPerCall: 0 });
  });
});
