// The OPC UA connector: opcua-source and opcua-sink, one client session per device shared by all
// nodes and pipelines of a run. Importing this module does not load node-opcua: the stack loads
// when the first OPC UA node starts (pool.ts), so a pipeline without OPC UA never pays for it.
import type { NodeKind } from '../../engine/node-kind.ts';
import type { Connector, ConnectorEnv } from '../connector.ts';
import { ConnectionPool } from './pool.ts';
import { opcuaSinkKind } from './sink.ts';
import { opcuaSourceKind } from './source.ts';

export { listCertificates, trustCertificate, TrustError, type CertificateEntry } from './trust.ts';
export type { ConnectionState, ConnectionStatus, OpcuaConnection, OpcuaDevice } from './types.ts';

export function createOpcuaConnector(env: ConnectorEnv): Connector {
  const pool = new ConnectionPool(env);
  return {
    kinds: [opcuaSourceKind(pool), opcuaSinkKind(pool)] as NodeKind<never>[],
    dispose: () => pool.dispose(),
  };
}
